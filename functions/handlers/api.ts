/** The rollout API on Lambda: the registry table (locks and records, idempotency keys) and the state machine. */
import { idempotencyStore, rolloutRegistry, workflow } from '../aws/index.js';
import { randomIds, systemClock } from '../ports.js';
import { makeApi } from '../tasks/api.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(
  makeApi({ registry: rolloutRegistry(), idempotency: idempotencyStore(), workflow: workflow(), clock: systemClock, ids: randomIds }),
);
