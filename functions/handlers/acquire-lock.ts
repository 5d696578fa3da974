/** AcquireLock on Lambda: the alias's lock in the registry table. */
import { rolloutRegistry } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeAcquireLock } from '../tasks/acquire-lock.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeAcquireLock({ registry: rolloutRegistry(), clock: systemClock }));
