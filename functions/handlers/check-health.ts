/** CheckHealth on Lambda: CloudWatch metrics and alarms, probes of the target version, and the rollout's control record. */
import { alarmReader, controlStore, invoker, metricsReader } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeCheckHealth } from '../tasks/check-health.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(
  makeCheckHealth({ metrics: metricsReader(), alarms: alarmReader(), invoker: invoker(), controls: controlStore(), clock: systemClock }),
);
