/** ReleaseLock on Lambda: the rollout's ending and the alias's lock in the registry table. */
import { rolloutRegistry } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeReleaseLock } from '../tasks/release-lock.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeReleaseLock({ registry: rolloutRegistry(), clock: systemClock }));
