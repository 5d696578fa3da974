/**
 * The rollout API behind API Gateway (REST API, Lambda proxy integration, IAM auth):
 *
 * - `POST /rollouts`: start a rollout. The alias's lock is taken (pending) before StartExecution
 *   (`startWithLock`), so a second start is refused at once with the running rollout; an
 *   `Idempotency-Key` makes a retry answer with the first answer instead of starting twice.
 * - `GET /rollouts/{id}`: the rollout's record and its execution's live status.
 * - `GET /rollouts?functionName=&alias=&status=&limit=&nextToken=`: newest first, paginated.
 * - `POST /rollouts/{id}/abort` with `{ reason }`: StopExecution of the rollout's execution, and of
 *   the one that continues it should a hand-over land meanwhile; the guard restores the alias.
 * - `POST /rollouts/{id}/approve` `{ gate?, reason? }`, `/reject` `{ gate?, reason }`, `/pause`
 *   `{ reason? }`, `/resume` `{ reason? }`, `/promote` `{ full?, reason? }`: a person's request,
 *   recorded in the rollout's control record and acted on at once (`control.ts`).
 * - `POST /rollouts/{id}/retry` `{ reason? }`: a rolled-back, failed, aborted or timed-out rollout
 *   started again with the same input, under a new id, taking the alias's lock again.
 *
 * The routes are a table (`http-api.ts` serves it on middy). Request rules and response shapes live
 * in `core/api.ts` and `core/control.ts`.
 */
import {
  ABORT_ERROR,
  ABORT_FOLLOW_ROUNDS,
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
  parseRetryBody,
  retryInput,
  retryRefusal,
  rolloutView,
  startedResponse,
  startInput,
  startRefusal,
} from '../core/api.js';
import { isContinuation, MAX_CONTINUATIONS } from '../core/continuation.js';
import { type ControlAction, parseControlRequest } from '../core/control.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import type { ParsedInput } from '../core/input.js';
import type { FunctionScope } from '../core/scope.js';
import type { Clock, ControlStore, IdempotencyStore, IdGenerator, RolloutRegistry, TaskTokens, Workflow } from '../ports.js';
import { logger } from '../logger.js';
import { requestControl } from './control.js';
import { type ApiRequest, httpApi } from './http-api.js';
import { idempotent } from './idempotency.js';
import { startFacts, startWithLock } from './start-with-lock.js';

export interface ApiPorts {
  readonly registry: Pick<RolloutRegistry, 'acquire' | 'release' | 'finish' | 'get' | 'list'>;
  readonly idempotency: IdempotencyStore;
  readonly workflow: Pick<Workflow, 'executionArnFor' | 'start' | 'stop' | 'describe'>;
  /** Control records: what people asked of running rollouts. */
  readonly controls: ControlStore;
  /** Wakes a rollout's wait when a request changes its next move. */
  readonly tokens: TaskTokens;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The functions rollouts may touch (the construct's allowedFunctions) and where the service runs. */
  readonly scope: FunctionScope;
}

/**
 * The input a rollout was started with, from the execution its record names: a long rollout's
 * latest execution continues an earlier one (its input is a rollout state), so this walks back to
 * the first. Throws NotFoundError when an execution on the way no longer exists.
 *
 * @example await startedInput(workflow, record.executionArn) // { functionName: 'orders', alias: 'live', ... }
 */
export async function startedInput(workflow: Pick<Workflow, 'describe'>, executionArn: string): Promise<unknown> {
  let input = (await workflow.describe(executionArn)).input;
  for (let hops = 0; isContinuation(input) && hops < MAX_CONTINUATIONS; hops += 1) {
    input = (await workflow.describe(input.continuation.from)).input;
  }
  return input;
}

/** The API over its ports: a function of the API Gateway proxy event. */
export function makeApi(ports: ApiPorts) {
  const { registry, idempotency, workflow, clock, ids, scope } = ports;

  /** Takes the alias's lock and starts the execution: a new rollout, or a retry of one that ended (`retryOf`). */
  async function launch(request: ApiRequest, parsed: ParsedInput, retryOf?: string): Promise<ApiResponse> {
    const { input } = parsed;
    const name = executionName(input.functionName, input.alias, input.targetVersion, ids.newId());
    const rolloutId = input.rolloutId ?? name;
    const facts = startFacts(parsed, rolloutId, workflow.executionArnFor(name), clock.now());
    try {
      const { executionArn } = await startWithLock(ports, { name, facts, startedBy: request.caller, input: startInput(parsed, rolloutId) });
      const started = startedResponse(rolloutId, executionArn, request.basePath);
      return retryOf === undefined ? started : { ...started, body: { ...(started.body as object), retryOf } };
    } catch (error) {
      const refusal = startRefusal(error, rolloutId);
      if (refusal) return refusal;
      throw error;
    }
  }

  const start = idempotent(idempotency, clock, (request: ApiRequest, parsed: ParsedInput) => launch(request, parsed));

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
    return json(200, rolloutView(record, execution, await ports.controls.get(id)));
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
    const why = { error: ABORT_ERROR, cause: `${reason} (aborted by ${request.caller})` };
    // A hand-over may land between the read and the stop: the execution stopped was ending, and the
    // rollout runs on in the next one. Follow the record until the execution stopped is its own.
    let stopped = record.executionArn;
    await workflow.stop(stopped, why);
    for (let round = 0; ; round += 1) {
      const now = await registry.get(id);
      if (!now || now.executionArn === stopped || !abortable(now)) break;
      if (round === ABORT_FOLLOW_ROUNDS) {
        return json(409, { error: `rollout ${id} keeps moving to new executions (now ${now.executionArn}); retry in a moment`, status: now.status }, { 'Retry-After': '1' });
      }
      stopped = now.executionArn;
      await workflow.stop(stopped, why);
    }
    return json(202, {
      rolloutId: id,
      executionArn: stopped,
      status: 'aborting',
      message: 'the execution was stopped; the guard puts the alias back on the baseline, releases the lock and records the ending',
    });
  }

  /** A person's request to a running rollout: approve, reject, pause, resume, promote. */
  const control = (action: ControlAction) =>
    async function controlRollout(request: ApiRequest): Promise<ApiResponse> {
      return requestControl(ports, parseRolloutId(request.params.id), parseControlRequest(action, request.body, request.caller), request.caller);
    };

  const retry = idempotent(idempotency, clock, async function retryRollout(request: ApiRequest): Promise<ApiResponse> {
    const id = parseRolloutId(request.params.id);
    const { reason } = parseRetryBody(request.body);
    const record = await registry.get(id);
    if (!record) return json(404, { error: `no rollout ${id}` });
    const refused = retryRefusal(record);
    if (refused) return json(409, { error: refused, status: record.status });
    let first: unknown;
    try {
      first = await startedInput(workflow, record.executionArn);
    } catch (error) {
      if (error instanceof NotFoundError) return json(409, { error: `rollout ${id} has no execution to take its input from (${error.message})`, status: record.status });
      throw error;
    }
    let parsed: ParsedInput;
    try {
      // Held to today's rules and scope: the allow-lists may have changed since the first run.
      parsed = parseStartBody(retryInput(first, record), scope);
    } catch (error) {
      if (error instanceof InvalidInputError) return json(409, { error: `rollout ${id}'s input no longer passes the rules: ${error.message}`, status: record.status });
      throw error;
    }
    logger.info('retrying a rollout', { retryOf: id, caller: request.caller, reason });
    return launch(request, parsed, id);
  });

  return httpApi([
    { method: 'POST', path: '/rollouts', jsonBody: true, handle: startRollout },
    { method: 'GET', path: '/rollouts', handle: listRollouts },
    { method: 'GET', path: '/rollouts/{id}', handle: getRollout },
    { method: 'POST', path: '/rollouts/{id}/abort', jsonBody: true, handle: abortRollout },
    ...(['approve', 'reject', 'pause', 'resume', 'promote'] as const).map((action) => ({ method: 'POST' as const, path: `/rollouts/{id}/${action}`, jsonBody: true, handle: control(action) })),
    { method: 'POST', path: '/rollouts/{id}/retry', jsonBody: true, handle: retry },
  ]);
}
