/** The guard on Lambda: the registry, the execution's history, the alias, provisioned concurrency, every notification channel, the service's metrics. */
import { concurrencyControl, eventPublisher, lambdaControl, rolloutRegistry, serviceMetrics, topicNotifier, workflow } from '../aws/index.js';
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
    concurrency: concurrencyControl(),
    clock: systemClock,
    serviceMetrics: serviceMetrics(),
  }),
);
