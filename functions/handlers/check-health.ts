/** CheckHealth on Lambda: CloudWatch metrics and alarms, probes of the target version, the rollout's control record, the registry for each check's detail, and the service's metrics. */
import { alarmReader, controlStore, invoker, metricsReader, rolloutRegistry, serviceMetrics } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeCheckHealth } from '../tasks/check-health.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(
  makeCheckHealth({ metrics: metricsReader(), alarms: alarmReader(), invoker: invoker(), controls: controlStore(), registry: rolloutRegistry(), clock: systemClock, serviceMetrics: serviceMetrics() }),
);
