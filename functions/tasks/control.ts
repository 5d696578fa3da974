/**
 * A person's request to a running rollout (approve, reject, pause, resume, promote), as the API's
 * routes and the rehearsal's scripted operator make it: the request is applied to the rollout's
 * control record by core's rules (`core/control.ts`), written conditionally on the record's
 * version, and, when it changes the next move, the rollout's wait is woken through the task token
 * the holding loop stored, so it acts at once.
 */
import { type ApiResponse, controlAccepted, json } from '../core/api.js';
import { applyControlRequest, type ControlRequest, emptyControl, wakes } from '../core/control.js';
import { NotFoundError } from '../core/errors.js';
import type { Clock, ControlStore, RolloutRegistry, TaskTokens } from '../ports.js';
import { logger } from '../logger.js';

export interface ControlPorts {
  readonly registry: Pick<RolloutRegistry, 'get'>;
  readonly controls: ControlStore;
  readonly tokens: TaskTokens;
  readonly clock: Clock;
}

/** How often a write that met another request is tried again before the caller is asked to retry. */
const ATTEMPTS = 3;

/**
 * Applies `request` from `caller` to rollout `rolloutId`: 202 with what was recorded, 404 for an
 * unknown rollout, 409 (with the rollout's status) when the request does not apply, 503 when the
 * record kept changing under it.
 */
export async function requestControl(ports: ControlPorts, rolloutId: string, request: ControlRequest, caller: string): Promise<ApiResponse> {
  const { registry, controls, tokens, clock } = ports;
  const record = await registry.get(rolloutId);
  if (!record) return json(404, { error: `no rollout ${rolloutId}` });
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const now = clock.now();
    const control = (await controls.get(rolloutId)) ?? emptyControl(rolloutId, record.executionArn, now);
    const context = { rolloutId, status: record.status, weightPercent: record.progress?.weightPercent ?? 0, caller, now };
    const change = applyControlRequest(control, request, context);
    if (!change.ok) return json(409, { error: change.error, status: record.status });
    if (!(await controls.put(change.control))) continue;
    const woke = wakes(request) && change.control.waitToken !== undefined && (await wake(tokens, change.control.waitToken, request));
    logger.info('control request recorded', { rolloutId, action: request.action, caller, woke });
    return controlAccepted(rolloutId, request, change.control, woke);
  }
  return json(503, { error: `the control record of rollout ${rolloutId} kept changing; retry` }, { 'Retry-After': '1' });
}

/** Ends the rollout's wait so it checks at once; false when it was not waiting (it acts at its next check anyway). */
async function wake(tokens: TaskTokens, token: string, request: ControlRequest): Promise<boolean> {
  try {
    await tokens.succeed(token, { woken: request.action });
    return true;
  } catch (error) {
    if (!(error instanceof NotFoundError)) logger.warn('could not wake the rollout; it acts at its next check', { error: error as Error });
    return false;
  }
}
