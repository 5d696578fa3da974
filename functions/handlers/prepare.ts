/**
 * Prepare on Lambda: reads the function and its alias (Lambda), the watched alarms and the baseline's
 * recent metrics (CloudWatch), provisioned and account concurrency, and the alias's event source
 * mappings, within the allowed functions and hooks the construct set in the environment.
 */
import { alarmReader, concurrencyControl, eventSources, lambdaControl, metricsReader } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { type ExplainEvent, makePrepare, type PrepareEvent } from '../tasks/prepare.js';
import { lambdaHandler } from './middleware.js';
import { allowedFunctionsFromEnv, allowedHooksFromEnv } from './scope.js';

let prepare: ReturnType<typeof makePrepare> | undefined;
export const handler = lambdaHandler((event: PrepareEvent | ExplainEvent) =>
  (prepare ??= makePrepare({
    lambda: lambdaControl(),
    alarms: alarmReader(),
    concurrency: concurrencyControl(),
    eventSources: eventSources(),
    metrics: metricsReader(),
    clock: systemClock,
    allowedFunctions: allowedFunctionsFromEnv('Prepare'),
    allowedHooks: allowedHooksFromEnv(),
  }))(event),
);
