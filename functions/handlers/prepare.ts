/** Prepare on Lambda: reads the function and its alias (Lambda) and the watched alarms (CloudWatch), within the allowed functions. */
import { alarmReader, lambdaControl } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { type ExplainEvent, makePrepare, type PrepareEvent } from '../tasks/prepare.js';
import { lambdaHandler } from './middleware.js';
import { allowedFunctionsFromEnv } from './scope.js';

let prepare: ReturnType<typeof makePrepare> | undefined;
export const handler = lambdaHandler((event: PrepareEvent | ExplainEvent) =>
  (prepare ??= makePrepare({ lambda: lambdaControl(), alarms: alarmReader(), clock: systemClock, allowedFunctions: allowedFunctionsFromEnv('Prepare') }))(event),
);
