/** ShiftWeight on Lambda: UpdateAlias with the RevisionId last seen. */
import { lambdaControl } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeShiftWeight } from '../tasks/shift-weight.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeShiftWeight({ lambda: lambdaControl(), clock: systemClock }));
