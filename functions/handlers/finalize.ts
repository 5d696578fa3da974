/** Finalize on Lambda: the target becomes the alias's version, with the RevisionId last seen. */
import { lambdaControl } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeFinalize } from '../tasks/finalize.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeFinalize({ lambda: lambdaControl(), clock: systemClock }));
