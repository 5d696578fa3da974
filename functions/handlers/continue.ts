/** Continue on Lambda: the registry, and Step Functions for the state machine the rollout runs on, within the allowed functions. */
import { rolloutRegistry, workflowOf } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { type ContinueEvent, makeContinue } from '../tasks/continue.js';
import { lambdaHandler } from './middleware.js';
import { allowedFunctionsFromEnv } from './scope.js';

let continueRollout: ReturnType<typeof makeContinue> | undefined;
export const handler = lambdaHandler((event: ContinueEvent) =>
  (continueRollout ??= makeContinue({ registry: rolloutRegistry(), workflowOf, clock: systemClock, allowedFunctions: allowedFunctionsFromEnv('Continue') }))(event),
);
