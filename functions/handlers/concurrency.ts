/** Concurrency on Lambda: the target version's provisioned concurrency (Put, Get, Delete). */
import { concurrencyControl } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeConcurrency } from '../tasks/concurrency.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeConcurrency({ concurrency: concurrencyControl(), clock: systemClock }));
