/**
 * The rollout API behind API Gateway (REST API, Lambda proxy integration, IAM auth):
 *
 * - `POST /rollouts`: start a rollout. The alias's lock is taken (pending) before StartExecution
 *   (`startWithLock`), so a second start is refused at once with the running rollout; an
 *   `Idempotency-Key` makes a retry answer with the first answer instead of starting twice.
 * - `GET /rollouts/{id}`: the rollout's record and its execution's live status.
 * - `GET /rollouts?functionName=&alias=&status=&limit=&nextToken=`: newest first, paginated.
 * - `POST /rollouts/{id}/abort` with `{ reason }`: StopExecution; the guard restores the alias.
 *
 * The routes are a table (`http-api.ts` serves it on middy), so approval routes
 * (`/rollouts/{id}/approve`, `/promote`) are one entry each. Request rules and response shapes live
 * in `core/api.ts`.
 */
import {
  ABORT_ERROR,
  abortable,
  type ApiResponse,
  type ExecutionView,
  executionName,
  invalid,
  json,
  parseAbortBody,
  parseListQuery,
  parseRolloutId,
  parseStartBody,
  rolloutSummary,
  rolloutView,
  startedResponse,
  startInput,
  startRefusal,
} from '../core/api.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import type { ParsedInput } from '../core/input.js';
import type { FunctionScope } from '../core/scope.js';
import type { Clock, IdempotencyStore, IdGenerator, RolloutRegistry, Workflow } from '../ports.js';
import { logger } from '../logger.js';
import { type ApiRequest, httpApi } from './http-api.js';
import { idempotent } from './idempotency.js';
import { startFacts, startWithLock } from './start-with-lock.js';

export interface ApiPorts {
  readonly registry: Pick<RolloutRegistry, 'acquire' | 'release' | 'finish' | 'get' | 'list'>;
  readonly idempotency: IdempotencyStore;
  readonly workflow: Pick<Workflow, 'executionArnFor' | 'start' | 'stop' | 'describe'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The functions rollouts may touch (the construct's allowedFunctions) and where the service runs. */
  readonly scope: FunctionScope;
}

/** The API over its ports: a function of the API Gateway proxy event. */
export function makeApi(ports: ApiPorts) {
  const { registry, idempotency, workflow, clock, ids, scope } = ports;

  const start = idempotent(idempotency, clock, async function start(request: ApiRequest, parsed: ParsedInput): Promise<ApiResponse> {
    const { input } = parsed;
    const name = executionName(input.functionName, input.alias, input.targetVersion, ids.newId());
    const rolloutId = input.rolloutId ?? name;
    const facts = startFacts(parsed, rolloutId, workflow.executionArnFor(name), clock.now());
    try {
      const { executionArn } = await startWithLock(ports, { name, facts, startedBy: request.caller, input: startInput(parsed, rolloutId) });
      return startedResponse(rolloutId, executionArn, request.basePath);
    } catch (error) {
      const refusal = startRefusal(error, rolloutId);
      if (refusal) return refusal;
      throw error;
    }
  });

  async function startRollout(request: ApiRequest): Promise<ApiResponse> {
    if (request.body === undefined) return invalid([{ field: '(body)', rule: 'is required: the rollout input as JSON' }]);
    let parsed: ParsedInput;
    try {
      parsed = parseStartBody(request.body, scope);
    } catch (error) {
      if (error instanceof InvalidInputError) return invalid(error.issues);
      throw error;
    }
    return start(request, parsed);
  }

  async function getRollout(request: ApiRequest): Promise<ApiResponse> {
    const id = parseRolloutId(request.params.id);
    const record = await registry.get(id);
    if (!record) return json(404, { error: `no rollout ${id}` });
    let execution: ExecutionView | { unavailable: string };
    try {
      const info = await workflow.describe(record.executionArn);
      execution = { status: info.status, startedAt: info.startedAt, stoppedAt: info.stoppedAt, error: info.error, cause: info.cause };
    } catch (error) {
      if (error instanceof NotFoundError) execution = { unavailable: 'the execution does not exist (it never started)' };
      else {
        logger.warn('could not read the execution', { error: error as Error });
        execution = { unavailable: 'the execution could not be read just now; the record is shown as last written' };
      }
    }
    return json(200, rolloutView(record, execution));
  }

  async function listRollouts(request: ApiRequest): Promise<ApiResponse> {
    const page = await registry.list(parseListQuery(request.query, scope.home));
    return json(200, { items: page.items.map(rolloutSummary), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
  }

  async function abortRollout(request: ApiRequest): Promise<ApiResponse> {
    const id = parseRolloutId(request.params.id);
    const { reason } = parseAbortBody(request.body);
    const record = await registry.get(id);
    if (!record) return json(404, { error: `no rollout ${id}` });
    if (!abortable(record)) return json(409, { error: `rollout ${id} has already ended (${record.status})`, status: record.status });
    let status: string;
    try {
      status = (await workflow.describe(record.executionArn)).status;
    } catch (error) {
      if (error instanceof NotFoundError) return json(409, { error: `rollout ${id} has no execution to stop (${record.executionArn} does not exist)` });
      throw error;
    }
    // A long rollout moves to a new execution: for a moment the record still names the one that handed over.
    if (status === 'SUCCEEDED') return json(409, { error: `rollout ${id} is continuing in a new execution; retry in a moment`, status }, { 'Retry-After': '1' });
    if (status !== 'RUNNING') return json(409, { error: `rollout ${id} is not running: its execution is ${status}`, status });
    await workflow.stop(record.executionArn, { error: ABORT_ERROR, cause: `${reason} (aborted by ${request.caller})` });
    return json(202, {
      rolloutId: id,
      executionArn: record.executionArn,
      status: 'aborting',
      message: 'the execution was stopped; the guard puts the alias back on the baseline, releases the lock and records the ending',
    });
  }

  return httpApi([
    { method: 'POST', path: '/rollouts', jsonBody: true, handle: startRollout },
    { method: 'GET', path: '/rollouts', handle: listRollouts },
    { method: 'GET', path: '/rollouts/{id}', handle: getRollout },
    { method: 'POST', path: '/rollouts/{id}/abort', jsonBody: true, handle: abortRollout },
  ]);
}
