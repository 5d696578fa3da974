/** The rollout API on Lambda: the registry table (locks, records, idempotency keys) and the state machine. */
import { rolloutRegistry, workflow } from '../aws/index.js';
import { randomIds, systemClock } from '../ports.js';
import { makeApi } from '../tasks/api.js';
import { lambdaHandler } from './middleware.js';

const registry = rolloutRegistry();
export const handler = lambdaHandler(makeApi({ registry, idempotency: registry, workflow: workflow(), clock: systemClock, ids: randomIds }));
