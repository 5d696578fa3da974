/**
 * The rollout API on Lambda: the registry table (locks and records, idempotency keys, control
 * records), the state machine, and task tokens to wake a rollout's wait.
 */
import { controlStore, idempotencyStore, rolloutRegistry, taskTokens, workflow } from '../aws/index.js';
import { randomIds, systemClock } from '../ports.js';
import { makeApi } from '../tasks/api.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(
  makeApi({
    registry: rolloutRegistry(),
    idempotency: idempotencyStore(),
    workflow: workflow(),
    controls: controlStore(),
    tokens: taskTokens(),
    clock: systemClock,
    ids: randomIds,
  }),
);
