/** CheckHealth on Lambda: CloudWatch metrics and alarms, probes of the target version, and the registry for each check's detail. */
import { alarmReader, invoker, metricsReader, rolloutRegistry } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeCheckHealth } from '../tasks/check-health.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(
  makeCheckHealth({ metrics: metricsReader(), alarms: alarmReader(), invoker: invoker(), registry: rolloutRegistry(), clock: systemClock }),
);
