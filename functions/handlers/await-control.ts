/** AwaitControl on Lambda: stores the holding loop's task token in the rollout's control record (registry table). */
import { controlStore } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeAwaitControl } from '../tasks/await-control.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeAwaitControl({ controls: controlStore(), clock: systemClock }));
