/** CheckHealth on Lambda: CloudWatch metrics and alarms, and probes of the target version. */
import { alarmReader, invoker, metricsReader } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeCheckHealth } from '../tasks/check-health.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeCheckHealth({ metrics: metricsReader(), alarms: alarmReader(), invoker: invoker(), clock: systemClock }));
