/** Continue on Lambda: the registry, and Step Functions for the state machine the rollout runs on. */
import { rolloutRegistry, workflowOf } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeContinue } from '../tasks/continue.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeContinue({ registry: rolloutRegistry(), workflowOf, clock: systemClock }));
