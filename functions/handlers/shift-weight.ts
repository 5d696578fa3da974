/** ShiftWeight on Lambda: UpdateAlias with the RevisionId last seen, and the new weight in the service's metrics. */
import { lambdaControl, serviceMetrics } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeShiftWeight } from '../tasks/shift-weight.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeShiftWeight({ lambda: lambdaControl(), clock: systemClock, serviceMetrics: serviceMetrics() }));
