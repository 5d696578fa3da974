/** Notify on Lambda: SNS for people, EventBridge for machines, the registry for the rollout's progress, the service's metrics. */
import { eventPublisher, rolloutRegistry, serviceMetrics, topicNotifier } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeNotify } from '../tasks/notify.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeNotify({ notifier: topicNotifier(), events: eventPublisher(), registry: rolloutRegistry(), clock: systemClock, serviceMetrics: serviceMetrics() }));
