/** The guard on Lambda: the registry, the execution's history, the alias, every notification channel, the service's metrics. */
import { eventPublisher, lambdaControl, rolloutRegistry, serviceMetrics, topicNotifier, workflow } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeGuard } from '../tasks/guard.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(
  makeGuard({
    registry: rolloutRegistry(),
    workflow: workflow(),
    lambda: lambdaControl(),
    notifier: topicNotifier(),
    events: eventPublisher(),
    clock: systemClock,
    serviceMetrics: serviceMetrics(),
  }),
);
