/**
 * The rollout API on Lambda: the registry table (locks and records, idempotency keys, control
 * records), the state machine, task tokens to wake a rollout's wait, and the allowed functions and hooks.
 */
import { controlStore, idempotencyStore, rolloutRegistry, taskTokens, workflow } from '../aws/index.js';
import { randomIds, systemClock } from '../ports.js';
import { makeApi } from '../tasks/api.js';
import { lambdaHandler } from './middleware.js';
import { scopeFromEnv } from './scope.js';

let api: ReturnType<typeof makeApi> | undefined;
export const handler = lambdaHandler((event: Parameters<ReturnType<typeof makeApi>>[0]) =>
  (api ??= makeApi({
    registry: rolloutRegistry(),
    idempotency: idempotencyStore(),
    workflow: workflow(),
    controls: controlStore(),
    tokens: taskTokens(),
    clock: systemClock,
    ids: randomIds,
    scope: scopeFromEnv('the rollout API'),
  }))(event),
);
