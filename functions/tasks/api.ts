/**
 * The rollout API behind API Gateway (REST API, Lambda proxy integration, IAM auth):
 *
 * - `POST /rollouts`: start a rollout. The alias's lock is taken (pending) before StartExecution,
 *   so a second start is refused at once with the running rollout; an `Idempotency-Key` makes a
 *   retry answer with the first answer instead of starting twice.
 * - `GET /rollouts/{id}`: the rollout's record and its execution's live status.
 * - `GET /rollouts?functionName=&alias=&status=&limit=&nextToken=`: newest first, paginated.
 * - `POST /rollouts/{id}/abort` with `{ reason }`: StopExecution; the guard restores the alias.
 *
 * The routes are a table, so approval routes (`/rollouts/{id}/approve`, `/promote`) are one
 * entry each. Request rules and response shapes live in `core/api.ts`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  ABORT_ERROR,
  abortable,
  type ApiResponse,
  canonicalJson,
  consoleUrl,
  errorResponse,
  type ExecutionView,
  executionName,
  invalid,
  json,
  parseAbortBody,
  parseIdempotencyKey,
  parseListQuery,
  rolloutSummary,
  rolloutView,
  startInput,
} from '../core/api.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { type ParsedInput, parseRolloutInput } from '../core/input.js';
import { type IdempotencyRecord, LockHeldError, RolloutIdTakenError } from '../core/registry.js';
import type { Clock, IdempotencyStore, IdGenerator, RolloutRegistry, Workflow } from '../ports.js';
import { sha256Hex } from '../sha256.js';
import { logger } from '../logger.js';

export interface ApiPorts {
  readonly registry: Pick<RolloutRegistry, 'acquire' | 'release' | 'finish' | 'get' | 'list'>;
  readonly idempotency: IdempotencyStore;
  readonly workflow: Pick<Workflow, 'executionArnFor' | 'start' | 'stop' | 'describe'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** A request as the routes see it. */
export interface ApiRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: unknown;
  /** The IAM caller's ARN. */
  readonly caller: string;
  readonly requestId: string;
  /** The stage's path prefix (e.g. "/v1"), so links resolve against the API's URL. */
  readonly basePath?: string | undefined;
}

interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handle: (request: ApiRequest) => Promise<ApiResponse>;
}

/** How old a pending lock must be before the API checks whether its execution ever started. */
export const STALE_PENDING_MS = 2 * 60 * 1000;


/** Params of `path` when it fits `template` ("/rollouts/{id}"), else undefined. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] as string;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) params[name] = decodeURIComponent(value);
    else if (part !== value) return undefined;
  }
  return params;
}

// A custom domain's base path mapping ("/v1") prefixes `path`; the route is the rest of it.
function candidatePaths(event: APIGatewayProxyEvent): string[] {
  const segments = (event.path ?? '').split('/').filter(Boolean);
  return segments.map((_, i) => `/${segments.slice(i).join('/')}`).concat(segments.length === 0 ? ['/'] : []);
}

function replay(existing: IdempotencyRecord, fingerprint: string): ApiResponse {
  if (existing.fingerprint !== fingerprint) {
    return json(422, { error: 'this Idempotency-Key was already used with a different request; use a new key for a new request' });
  }
  if (existing.status === 'in_progress' || !existing.response) {
    return json(409, { error: 'a request with this Idempotency-Key is still in progress; retry shortly' }, { 'Retry-After': '1' });
  }
  return json(existing.response.statusCode, existing.response.body, { 'Idempotent-Replayed': 'true' });
}

/** The API over its ports. */
export function makeApi(ports: ApiPorts) {
  const { registry, idempotency, workflow, clock, ids } = ports;
  const iso = () => new Date(clock.now()).toISOString();

  /**
   * A pending lock whose execution never came to exist (the API died between taking the lock and
   * StartExecution) would hold its alias forever. Past `STALE_PENDING_MS`, with Step Functions
   * confirming there is no such execution, it is released and its record ended as failed.
   */
  async function clearedStalePending(error: LockHeldError): Promise<boolean> {
    const { holder } = error;
    if (holder.status !== 'pending' || clock.now() - Date.parse(holder.startedAt) < STALE_PENDING_MS) return false;
    try {
      await workflow.describe(holder.executionArn);
      return false;
    } catch (e) {
      if (!(e instanceof NotFoundError)) return false;
    }
    logger.warn('releasing a pending lock whose execution never started', { holder });
    await registry.finish({ ...holder, status: 'failed', reason: 'the execution never started', endedAt: iso() });
    return registry.release(holder);
  }

  async function startOnce(request: ApiRequest, parsed: ParsedInput): Promise<ApiResponse> {
    const { input } = parsed;
    const name = executionName(input.functionName, input.alias, input.targetVersion, ids.newId());
    const rolloutId = input.rolloutId ?? name;
    const executionArn = workflow.executionArnFor(name);
    const startedAt = iso();
    const facts = { rolloutId, executionArn, functionName: input.functionName, alias: input.alias, targetVersion: input.targetVersion, strategy: parsed.plan.strategy, startedAt };
    const lock = { functionName: input.functionName, alias: input.alias, rolloutId, executionArn };
    const acquire = () => registry.acquire({ ...facts, status: 'pending', startedBy: request.caller, at: startedAt });
    try {
      try {
        await acquire();
      } catch (error) {
        if (!(error instanceof LockHeldError) || !(await clearedStalePending(error))) throw error;
        await acquire();
      }
    } catch (error) {
      if (error instanceof LockHeldError) {
        return json(409, { error: error.reason, runningRolloutId: error.holder.rolloutId, executionArn: error.holder.executionArn, since: error.holder.startedAt });
      }
      if (error instanceof RolloutIdTakenError) return json(409, { error: error.reason, rolloutId });
      // The write may have landed before the failure (a lost answer): give back a lock nothing
      // will use, and end its record (the transaction wrote both or neither).
      try {
        if (await registry.release(lock)) await registry.finish({ ...facts, status: 'failed', reason: 'not started: taking the lock failed', endedAt: iso() });
      } catch (compensation) {
        logger.error('could not release a lock after a failed acquire', { rolloutId, error: compensation as Error });
      }
      throw error;
    }
    let started: { executionArn: string };
    try {
      started = await workflow.start(name, startInput(parsed, rolloutId));
    } catch (error) {
      // Nothing runs for this lock: give the alias back. Should the execution have started after
      // all (a lost answer), its AcquireLock finds the record ended and refuses, changing nothing.
      const why = `StartExecution failed: ${error instanceof Error ? error.message : String(error)}`;
      try {
        await registry.finish({ ...facts, status: 'failed', reason: why, endedAt: iso() });
        await registry.release(lock);
      } catch (compensation) {
        logger.error('could not release the pending lock after StartExecution failed', { rolloutId, error: compensation as Error });
      }
      throw error;
    }
    if (started.executionArn !== executionArn) {
      logger.warn('the execution ARN differs from the one derived from its name', { expected: executionArn, actual: started.executionArn });
    }
    return json(
      202,
      { rolloutId, executionArn: started.executionArn, consoleUrl: consoleUrl(started.executionArn) },
      { Location: `${request.basePath ?? ''}/rollouts/${encodeURIComponent(rolloutId)}` },
    );
  }

  async function startRollout(request: ApiRequest): Promise<ApiResponse> {
    if (request.body === undefined) return invalid([{ field: '(body)', rule: 'is required: the rollout input as JSON' }]);
    let parsed: ParsedInput;
    try {
      parsed = parseRolloutInput(request.body);
    } catch (error) {
      if (error instanceof InvalidInputError) return invalid(error.issues);
      throw error;
    }
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    if (key === undefined) return startOnce(request, parsed);

    // Keys are per caller, so one caller's key never answers another's request.
    const stored = sha256Hex(`${request.caller}\n${key}`);
    const fingerprint = sha256Hex(canonicalJson(request.body));
    const existing = await idempotency.claim(stored, fingerprint, clock.now());
    if (existing) return replay(existing, fingerprint);
    let response: ApiResponse;
    try {
      response = await startOnce(request, parsed);
    } catch (error) {
      await idempotency.forget(stored, fingerprint).catch((e: unknown) => logger.warn('could not forget the idempotency key', { error: e as Error }));
      throw error;
    }
    try {
      // Only a start is remembered: a refusal (409) may well succeed when retried later.
      if (response.statusCode === 202) await idempotency.complete(stored, fingerprint, { statusCode: response.statusCode, body: response.body }, clock.now());
      else await idempotency.forget(stored, fingerprint);
    } catch (error) {
      // The rollout started; a retry after the claim lapses meets its lock and is refused (409), never started twice.
      logger.error('could not store the answer for the idempotency key', { error: error as Error });
    }
    return response;
  }

  async function getRollout(request: ApiRequest): Promise<ApiResponse> {
    const id = request.params.id as string;
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
    const page = await registry.list(parseListQuery(request.query));
    return json(200, { items: page.items.map(rolloutSummary), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
  }

  async function abortRollout(request: ApiRequest): Promise<ApiResponse> {
    const id = request.params.id as string;
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
    if (status !== 'RUNNING') return json(409, { error: `rollout ${id} is not running: its execution is ${status}`, status });
    await workflow.stop(record.executionArn, { error: ABORT_ERROR, cause: `${reason} (aborted by ${request.caller})` });
    return json(202, {
      rolloutId: id,
      executionArn: record.executionArn,
      status: 'aborting',
      message: 'the execution was stopped; the guard puts the alias back on the baseline, releases the lock and records the ending',
    });
  }

  const routes: readonly Route[] = [
    { method: 'POST', path: '/rollouts', handle: startRollout },
    { method: 'GET', path: '/rollouts', handle: listRollouts },
    { method: 'GET', path: '/rollouts/{id}', handle: getRollout },
    { method: 'POST', path: '/rollouts/{id}/abort', handle: abortRollout },
  ];

  function resolve(event: APIGatewayProxyEvent): { route?: Route; params: Record<string, string>; allowed: string[] } {
    const known = routes.filter((r) => r.path === event.resource);
    const matches = known.length > 0
      ? known.map((route) => ({ route, params: Object.fromEntries(Object.entries(event.pathParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined)) }))
      : candidatePaths(event).flatMap((path) => routes.flatMap((route) => {
          const params = matchPath(route.path, path);
          return params ? [{ route, params }] : [];
        }));
    const hit = matches.find((m) => m.route.method === event.httpMethod);
    return { ...(hit ? { route: hit.route } : {}), params: hit?.params ?? {}, allowed: [...new Set(matches.map((m) => m.route.method))] };
  }

  return async function api(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const requestId = event.requestContext?.requestId ?? '';
    let response: ApiResponse;
    try {
      const { route, params, allowed } = resolve(event);
      if (!route) {
        response = allowed.length > 0
          ? json(405, { error: `${event.httpMethod} is not allowed here; use ${allowed.join(', ')}` }, { Allow: allowed.join(', ') })
          : json(404, { error: `no route for ${event.httpMethod} ${event.path}` });
      } else {
        let body: unknown;
        const raw = event.body ?? undefined;
        if (raw !== undefined && raw !== '') {
          try {
            body = JSON.parse(event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw);
          } catch {
            return serialize(invalid([{ field: '(body)', rule: 'must be valid JSON' }]));
          }
        }
        const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
        const identity = event.requestContext?.identity;
        const caller = identity?.userArn ?? identity?.caller ?? 'unknown caller';
        const stage = event.requestContext?.stage;
        const basePath = stage && stage !== '$default' ? `/${stage}` : '';
        response = await route.handle({ method: event.httpMethod, params, query: event.queryStringParameters ?? {}, headers, body, caller, requestId, basePath });
      }
    } catch (error) {
      response = errorResponse(error, requestId);
      if (response.statusCode >= 500 || response.statusCode === 429) logger.error('request failed', { requestId, error: error as Error });
    }
    return serialize(response);
  };
}

function serialize(response: ApiResponse): APIGatewayProxyResult {
  return {
    statusCode: response.statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...response.headers },
    body: JSON.stringify(response.body),
  };
}
