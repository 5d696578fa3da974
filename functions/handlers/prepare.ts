/**
 * Prepare on Lambda: reads the function and its alias (Lambda), the watched alarms and the baseline's
 * recent metrics (CloudWatch), provisioned and account concurrency, the alias's event source mappings,
 * and the allowed hooks the construct set in the environment.
 */
import { alarmReader, concurrencyControl, eventSources, lambdaControl, metricsReader } from '../aws/index.js';
import { parseAllowedFunctions } from '../core/artifact.js';
import { ENV } from '../names.js';
import { systemClock } from '../ports.js';
import { makePrepare } from '../tasks/prepare.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(
  makePrepare({
    lambda: lambdaControl(),
    alarms: alarmReader(),
    concurrency: concurrencyControl(),
    eventSources: eventSources(),
    metrics: metricsReader(),
    clock: systemClock,
    allowedHooks: parseAllowedFunctions(process.env[ENV.allowedHooks]),
  }),
);
