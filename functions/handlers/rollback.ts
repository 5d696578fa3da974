/** Rollback on Lambda: the alias back on the baseline, never over someone else's change. */
import { lambdaControl } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeRollback } from '../tasks/rollback.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeRollback({ lambda: lambdaControl(), clock: systemClock }));
