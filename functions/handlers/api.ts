/** The rollout API on Lambda: the registry table (locks and records, idempotency keys), the state machine, and the allowed functions. */
import { idempotencyStore, rolloutRegistry, workflow } from '../aws/index.js';
import { randomIds, systemClock } from '../ports.js';
import { makeApi } from '../tasks/api.js';
import { lambdaHandler } from './middleware.js';
import { scopeFromEnv } from './scope.js';

let api: ReturnType<typeof makeApi> | undefined;
export const handler = lambdaHandler((event: Parameters<ReturnType<typeof makeApi>>[0]) =>
  (api ??= makeApi({ registry: rolloutRegistry(), idempotency: idempotencyStore(), workflow: workflow(), clock: systemClock, ids: randomIds, scope: scopeFromEnv('the rollout API') }))(event),
);
