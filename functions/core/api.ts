/**
 * The rollout API's pure parts: which route a path is, request schemas, execution names, console
 * links, response shapes (starts, refusals, idempotent replays) and the mapping of errors to HTTP
 * statuses. The API (`tasks/api.ts`) reads the request, calls the ports and returns what these
 * functions build.
 */
import * as z from 'zod';
import { type ControlRequest, controlView, type RolloutControl } from './control.js';
import { InvalidInputError, type FieldIssue, RolloutError, ErrorName } from './errors.js';
import { functionNameOf, isFunctionRef } from './function-ref.js';
import { parseRolloutInput, toFieldIssues, type ParsedInput } from './input.js';
import { jsonBytes, MAX_INPUT_BYTES, MAX_REASON_CHARS } from './limits.js';
import {
  DEFAULT_PAGE_SIZE,
  type IdempotencyRecord,
  isEnded,
  LockHeldError,
  MAX_PAGE_SIZE,
  ROLLOUT_STATUSES,
  RolloutIdTakenError,
  type RolloutQuery,
  type RolloutRecord,
} from './registry.js';
import type { CheckDetail } from './check.js';
import { type FunctionScope, type Home, hookIssues, homeRefusal, scopeRefusal } from './scope.js';
import type { Judged, StepRecord } from './state.js';

/** A route of the API's table: a method and a path template such as "/rollouts/{id}". */
export interface RouteKey {
  readonly method: string;
  readonly path: string;
}

const segmentsOf = (path: string) => path.split('/').filter(Boolean);

/**
 * Whether `path` fits the path template `template`, segment by segment (`{name}` fits any one).
 *
 * @example fitsTemplate('/rollouts/{id}/abort', '/rollouts/r1/abort') // true
 */
export function fitsTemplate(template: string, path: string): boolean {
  const want = segmentsOf(template);
  const got = segmentsOf(path);
  return want.length === got.length && want.every((part, i) => /^\{\w+\}$/.test(part) || part === got[i]);
}

/**
 * The path the routes know for a request. A custom domain's base path mapping ("/v1") prefixes
 * API Gateway's `path`, so the route's path is a suffix of it: the longest suffix that fits a route
 * of the request's method, else the longest that fits any route (whose method is then not allowed).
 * When API Gateway routed one of the table's resources itself, only the suffix of its depth counts.
 * Undefined when no route fits.
 *
 * @example routePath([{ method: 'GET', path: '/rollouts/{id}' }], { method: 'GET', path: '/v1/rollouts/r1' }) // '/rollouts/r1'
 */
export function routePath(routes: readonly RouteKey[], request: { readonly method: string; readonly path: string; readonly resource?: string }): string | undefined {
  const segments = segmentsOf(request.path);
  const resource = routes.find((r) => r.path === request.resource);
  const suffixes = segments
    .map((_, i) => `/${segments.slice(i).join('/')}`)
    .filter((suffix) => !resource || segmentsOf(suffix).length === segmentsOf(resource.path).length);
  const fitting = suffixes.filter((suffix) => routes.some((r) => fitsTemplate(r.path, suffix)));
  return fitting.find((suffix) => routes.some((r) => r.method === request.method && fitsTemplate(r.path, suffix))) ?? fitting[0];
}

/**
 * The answer for a request no route takes: 405 naming the methods `path` has (`Allow`), or 404.
 *
 * @example noRoute('DELETE', '/rollouts', [{ method: 'POST', path: '/rollouts' }]).headers // { Allow: 'POST' }
 */
export function noRoute(method: string, path: string, routes: readonly RouteKey[]): ApiResponse {
  const allowed = [...new Set(routes.filter((r) => fitsTemplate(r.path, path)).map((r) => r.method))];
  return allowed.length > 0
    ? json(405, { error: `${method} is not allowed here; use ${allowed.join(', ')}` }, { Allow: allowed.join(', ') })
    : json(404, { error: `no route for ${method} ${path}` });
}

/** Step Functions execution names: 1-80 characters; these are also the characters CloudWatch Logs accepts. */
export const MAX_EXECUTION_NAME = 80;
const NAME_UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * The execution name of an API rollout: `<function>-<alias>-v<target>-<short id>`, made of the
 * characters Step Functions and CloudWatch Logs both accept, at most 80 long. When too long, the
 * function and alias part is trimmed: the version and the unique id always survive.
 *
 * @example executionName('orders', 'live', '8', '3f2a9c01b7d4') // 'orders-live-v8-3f2a9c01b7d4'
 */
export function executionName(functionName: string, alias: string, targetVersion: string, shortId: string): string {
  const safe = (s: string) => s.replace(NAME_UNSAFE, '-');
  const suffix = `-v${safe(targetVersion)}-${safe(shortId)}`;
  const prefix = `${safe(functionNameOf(functionName))}-${safe(alias)}`.slice(0, Math.max(0, MAX_EXECUTION_NAME - suffix.length)).replace(/[-_]+$/, '');
  return `${prefix || 'r'}${suffix}`.slice(0, MAX_EXECUTION_NAME);
}

const CONSOLE_HOSTS: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/**
 * The Step Functions console page of an execution, in the execution's region.
 *
 * @example consoleUrl('arn:aws:states:eu-west-1:123456789012:execution:rollout:x')
 * // 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:rollout:x'
 */
export function consoleUrl(executionArn: string): string | undefined {
  const [, partition, , region] = executionArn.split(':');
  const host = partition ? CONSOLE_HOSTS[partition] : undefined;
  if (!host || !region) return undefined;
  return `https://${region}.${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * `POST /rollouts`'s body as a rollout input, held to every rule an API start must keep, all
 * reported at once: the rollout input's rules; no `release` (only the artifact trigger starts a
 * code release, from its own bucket, keys and allow-list); a function the service may touch
 * (`scopeRefusal`: on the allow-list, and an ARN only where the service runs); and hooks it may
 * invoke (`hookIssues`: on the allowed hooks, likewise). Throws
 * InvalidInputError naming each field and rule; nothing has changed.
 *
 * @example parseStartBody({ functionName: 'orders', alias: 'live', targetVersion: 8, release: {} }, scope) // throws: release: is set by the artifact trigger only
 */
export function parseStartBody(body: unknown, scope: FunctionScope): ParsedInput {
  const issues: FieldIssue[] = [];
  const given = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (Object.hasOwn(given, 'release')) issues.push({ field: 'release', rule: 'is set by the artifact trigger only' });
  let parsed: ParsedInput | undefined;
  try {
    parsed = parseRolloutInput(Object.hasOwn(given, 'release') ? Object.fromEntries(Object.entries(given).filter(([k]) => k !== 'release')) : body);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    issues.push(...error.issues);
  }
  const outside = parsed && scopeRefusal(parsed.input.functionName, scope);
  if (outside) issues.push({ field: 'functionName', rule: outside });
  if (parsed) issues.push(...hookIssues(parsed.input.hooks, scope.allowedHooks ?? [], scope.home));
  // The execution starts with the defaults filled in and a rollout id: Prepare holds that to the limit too.
  const started = parsed && jsonBytes(startInput(parsed, 'r'.repeat(MAX_EXECUTION_NAME)));
  if (started && started > MAX_INPUT_BYTES) {
    issues.push({ field: '(body)', rule: `must be at most ${MAX_INPUT_BYTES} bytes as JSON with its defaults filled in; this would be ${started}` });
  }
  if (issues.length > 0 || !parsed) throw new InvalidInputError(issues);
  return parsed;
}

/**
 * The input the API starts an execution with: the parsed input (defaults filled in, an
 * aws-lambda-deploy input converted) with the rollout id, so Prepare names the rollout as the
 * registry does.
 */
export function startInput(parsed: ParsedInput, rolloutId: string): Record<string, unknown> {
  return { ...parsed.input, rolloutId };
}

/**
 * 202 for a started rollout: its id, its execution and the console link, and where to read it
 * (`Location`, under the stage's base path).
 *
 * @example startedResponse('r1', arn, '/v1').headers // { Location: '/v1/rollouts/r1' }
 */
export function startedResponse(rolloutId: string, executionArn: string, basePath: string): ApiResponse {
  return json(202, { rolloutId, executionArn, consoleUrl: consoleUrl(executionArn) }, { Location: `${basePath}/rollouts/${encodeURIComponent(rolloutId)}` });
}

/**
 * 409 for a start the registry refused: the alias is held by a running rollout (named, with its
 * execution and since when), or the rollout id is taken. Undefined for any other error.
 *
 * @example startRefusal(new LockHeldError(holder), 'r2')?.body // { error, runningRolloutId: holder.rolloutId, executionArn, since }
 */
export function startRefusal(error: unknown, rolloutId: string): ApiResponse | undefined {
  if (error instanceof LockHeldError) {
    return json(409, { error: error.reason, runningRolloutId: error.holder.rolloutId, executionArn: error.holder.executionArn, since: error.holder.startedAt });
  }
  if (error instanceof RolloutIdTakenError) return json(409, { error: error.reason, rolloutId });
  return undefined;
}

/**
 * The answer to a request whose `Idempotency-Key` already holds a live record: 422 when the key was
 * used for another request, 409 while the first request is in progress, else the first answer again.
 *
 * @example replayResponse(completed, completed.fingerprint).headers // { 'Idempotent-Replayed': 'true' }
 */
export function replayResponse(existing: IdempotencyRecord, fingerprint: string): ApiResponse {
  if (existing.fingerprint !== fingerprint) {
    return json(422, { error: 'this Idempotency-Key was already used with a different request; use a new key for a new request' });
  }
  if (existing.status === 'in_progress' || !existing.response) {
    return json(409, { error: 'a request with this Idempotency-Key is still in progress; retry shortly' }, { 'Retry-After': '1' });
  }
  return json(existing.response.statusCode, existing.response.body, { 'Idempotent-Replayed': 'true' });
}

/**
 * JSON with object keys sorted, so that the same request hashes the same however its keys were ordered.
 *
 * @example canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `Idempotency-Key`: 1 to 255 visible ASCII characters (a UUID is typical). */
const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

/** The header's value, checked. Throws InvalidInputError naming the header. */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(value)) throw new InvalidInputError([{ field: 'Idempotency-Key', rule: 'must be 1-255 visible ASCII characters, e.g. a UUID' }]);
  return value;
}

const ListQuerySchema = z
  .strictObject(
    {
      functionName: z.string().refine(isFunctionRef, { error: 'must be a function name or an unqualified function ARN' }).optional(),
      alias: z.string().regex(/^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/, { error: 'must be 1-128 letters, digits, "-" or "_", not all digits' }).optional(),
      status: z.enum(ROLLOUT_STATUSES, { error: `must be one of ${ROLLOUT_STATUSES.join(', ')}` }).optional(),
      limit: z
        .string()
        .regex(/^\d+$/, { error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
        .transform(Number)
        .pipe(z.number().min(1, { error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` }).max(MAX_PAGE_SIZE, { error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` }))
        .optional(),
      nextToken: z.string().min(1, { error: 'must not be empty' }).max(4096, { error: 'is not a token this API returned' }).optional(),
    },
    { error: 'must be query parameters' },
  );

/**
 * `GET /rollouts` query parameters as a registry query. Unknown parameters are refused, so a
 * typo (`?stauts=running`) is not silently ignored.
 */
export function parseListQuery(params: Readonly<Record<string, string | undefined>> | null | undefined, home?: Home): RolloutQuery {
  const defined = Object.fromEntries(Object.entries(params ?? {}).filter(([, v]) => v !== undefined));
  const parsed = ListQuerySchema.safeParse(defined, { reportInput: true });
  // Checked apart from the schema so that they are reported together with every other broken rule.
  const orphanAlias = defined.alias !== undefined && defined.functionName === undefined;
  // Another account's ARN would list the local function's rollouts, which share its bare name.
  const elsewhere = parsed.success && parsed.data.functionName !== undefined && home ? homeRefusal(parsed.data.functionName, home) : undefined;
  const issues: FieldIssue[] = [
    ...(parsed.success ? [] : toFieldIssues(parsed.error.issues)),
    ...(orphanAlias ? [{ field: 'alias', rule: 'needs functionName: an alias is listed within its function' }] : []),
    ...(elsewhere ? [{ field: 'functionName', rule: elsewhere }] : []),
  ];
  if (!parsed.success || issues.length > 0) throw new InvalidInputError(issues);
  const q = parsed.data;
  return {
    ...(q.functionName !== undefined ? { functionName: functionNameOf(q.functionName) } : {}),
    ...(q.alias !== undefined ? { alias: q.alias } : {}),
    ...(q.status !== undefined ? { status: q.status } : {}),
    limit: q.limit ?? DEFAULT_PAGE_SIZE,
    ...(q.nextToken !== undefined ? { nextToken: q.nextToken } : {}),
  };
}

/**
 * A rollout id: what Step Functions accepts as an execution name (a rollout's id is its execution's
 * name unless the caller chose one), 1-80 characters without whitespace, control characters or any
 * of < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /.
 */
const ROLLOUT_ID = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;

/**
 * The `{id}` of a rollout route, checked. Throws InvalidInputError naming `id`.
 *
 * @example parseRolloutId('orders-live-v8-3f2a9c01b7d4') // 'orders-live-v8-3f2a9c01b7d4'
 */
export function parseRolloutId(id: string | undefined): string {
  if (id === undefined || !ROLLOUT_ID.test(id)) {
    throw new InvalidInputError([{ field: 'id', rule: 'must be a rollout id: 1-80 characters without whitespace, control characters or any of < > { } [ ] ? * " # % \\ ^ | ~ ` $ & , ; : /' }]);
  }
  return id;
}

/** StopExecution keeps at most 32,768 characters of cause; we keep the reason well inside. */
export const MAX_ABORT_REASON = MAX_REASON_CHARS;

const AbortSchema = z.strictObject(
  {
    reason: z
      .string({ error: 'is required: say why the rollout is aborted' })
      .trim()
      .min(1, { error: 'must not be empty: say why the rollout is aborted' })
      .max(MAX_ABORT_REASON, { error: `must be at most ${MAX_ABORT_REASON} characters` }),
  },
  { error: 'must be a JSON object with a reason' },
);

/** `POST /rollouts/{id}/abort`'s body. */
export function parseAbortBody(body: unknown): { reason: string } {
  const parsed = AbortSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw new InvalidInputError(toFieldIssues(parsed.error.issues));
  return parsed.data;
}

/** The error name StopExecution records for an API abort. */
export const ABORT_ERROR = 'RolloutAborted';

/**
 * How many times an abort follows a rollout into the execution that continued it after the one it
 * stopped: a hand-over may land between reading the record and StopExecution. One is the most a
 * rollout should take (hand-overs come days apart); the rest is margin.
 */
export const ABORT_FOLLOW_ROUNDS = 3;

/** A check's counts with the rate, as people read them. */
function counts(c: { invocations: number; errors: number } | undefined) {
  if (!c) return undefined;
  return { invocations: c.invocations, errors: c.errors, errorRate: c.invocations > 0 ? Math.round((c.errors / c.invocations) * 1e6) / 1e6 : 0 };
}

function stepView(s: StepRecord) {
  return {
    step: s.step + 1,
    weightPercent: s.weightPercent,
    shiftedAt: new Date(s.shiftedAt).toISOString(),
    revisionId: s.revisionId,
    checks: s.checks,
    ...(s.checkedAt !== undefined ? { checkedAt: new Date(s.checkedAt).toISOString() } : {}),
    ...(s.verdict !== undefined ? { verdict: s.verdict } : {}),
    ...(s.reason !== undefined ? { reason: s.reason } : {}),
    ...(s.target ? { target: counts(s.target) } : {}),
    ...(s.baseline ? { baseline: counts(s.baseline) } : {}),
    ...(s.judged ? { judged: judgedView(s.judged) } : {}),
  };
}

/** What a check judged, with ISO times. */
function judgedView(j: Judged) {
  return { from: new Date(j.from).toISOString(), to: new Date(j.to).toISOString(), weights: j.weights, atWeight: j.atWeight };
}

/** The latest check in full, as people read it: every signal with its verdict and reason. */
function checkView(c: CheckDetail) {
  return {
    step: c.step + 1,
    weightPercent: c.weightPercent,
    at: new Date(c.at).toISOString(),
    verdict: c.verdict,
    reason: c.reason,
    next: c.next,
    ...(c.target ? { target: counts(c.target) } : {}),
    ...(c.baseline ? { baseline: counts(c.baseline) } : {}),
    ...(c.observedSplitPercent !== undefined ? { observedSplitPercent: c.observedSplitPercent } : {}),
    ...(c.probes ? { probes: c.probes } : {}),
    ...(c.judged ? { judged: judgedView(c.judged) } : {}),
    signals: c.signals,
  };
}

/** What a list shows of a rollout. */
export function rolloutSummary(r: RolloutRecord) {
  return {
    rolloutId: r.rolloutId,
    functionName: r.functionName,
    alias: r.alias,
    ...(r.baselineVersion !== undefined ? { baselineVersion: r.baselineVersion } : {}),
    targetVersion: r.targetVersion,
    status: r.status,
    ...(r.progress ? { currentStep: r.progress.currentStep, totalSteps: r.progress.totalSteps, weightPercent: r.progress.weightPercent } : {}),
    startedBy: r.startedBy,
    startedAt: r.startedAt,
    updatedAt: r.updatedAt,
    ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    executionArn: r.executionArn,
  };
}

/** The execution's live status as `GET /rollouts/{id}` shows it. */
export interface ExecutionView {
  readonly status: string;
  readonly startedAt?: string | undefined;
  readonly stoppedAt?: string | undefined;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
}

/**
 * `GET /rollouts/{id}`: the record (status, current step and weight, every step's verdict with
 * its numbers, the latest check with every signal, timestamps) and the execution's live status
 * when it could be read. A long rollout's execution is the one running it now: the record follows
 * each continuation.
 */
export function rolloutView(r: RolloutRecord, execution: ExecutionView | { readonly unavailable: string } | undefined, control?: RolloutControl) {
  const controls = controlView(control);
  return {
    ...rolloutSummary(r),
    ...(r.strategy !== undefined ? { strategy: r.strategy } : {}),
    ...(r.finalVersion !== undefined ? { finalVersion: r.finalVersion } : {}),
    ...(r.progress ? { lastEvent: r.progress.lastEvent } : {}),
    ...(controls && Object.keys(controls).length > 0 ? { control: controls } : {}),
    steps: (r.progress?.steps ?? []).map(stepView),
    ...(r.lastCheck ? { lastCheck: checkView(r.lastCheck) } : {}),
    execution: { arn: r.executionArn, consoleUrl: consoleUrl(r.executionArn), ...execution },
  };
}

/**
 * 202 for a control request that was recorded: what was asked, by whom, whether the rollout's
 * wait was woken to act on it at once (else it acts at its next check), and the control as it now
 * stands.
 *
 * @example controlAccepted('r1', { action: 'approve' }, control, true).body // { rolloutId: 'r1', action: 'approve', gate: 'step-2', woke: true, control: { ... } }
 */
export function controlAccepted(rolloutId: string, request: ControlRequest, control: RolloutControl, woke: boolean): ApiResponse {
  const gate = request.action === 'approve' || request.action === 'reject' ? { gate: control.gate?.id } : {};
  const full = request.action === 'promote' ? { full: request.full } : {};
  return json(202, {
    rolloutId,
    action: request.action,
    ...gate,
    ...full,
    woke,
    message: woke ? 'recorded; the rollout was woken and acts on it now' : 'recorded; the rollout acts on it at its next check',
    control: controlView(control),
  });
}

/** Whether an abort can still stop the rollout. */
export function abortable(r: RolloutRecord): boolean {
  return !isEnded(r.status);
}

const RetrySchema = z.strictObject(
  { reason: z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }).max(MAX_ABORT_REASON, { error: `must be at most ${MAX_ABORT_REASON} characters` }).optional() },
  { error: 'must be a JSON object' },
);

/**
 * `POST /rollouts/{id}/retry`'s body: an optional reason; a missing body is an empty one.
 *
 * @example parseRetryBody(null) // {}
 */
export function parseRetryBody(body: unknown): { reason?: string | undefined } {
  const parsed = RetrySchema.safeParse(body ?? {}, { reportInput: true });
  if (!parsed.success) throw new InvalidInputError(toFieldIssues(parsed.error.issues));
  return parsed.data;
}

/** How a rollout must have ended for `POST /rollouts/{id}/retry` to start it again. */
export const RETRYABLE_STATUSES = ['rolled_back', 'failed', 'aborted', 'timed_out'] as const;

/**
 * Why a rollout cannot be retried, or undefined when it can: it is still running, or it ended in a
 * way a retry would not fix (promoted; drift: someone else changed the alias; refused: nothing ran).
 *
 * @example retryRefusal({ ...record, status: 'promoted' }) // 'rollout r1 cannot be retried: it promoted; only a rolled_back, failed, aborted or timed_out rollout can'
 */
export function retryRefusal(r: Pick<RolloutRecord, 'rolloutId' | 'status'>): string | undefined {
  if ((RETRYABLE_STATUSES as readonly string[]).includes(r.status)) return undefined;
  const how = isEnded(r.status) ? `it ended ${r.status}` : `it is ${r.status}`;
  return `rollout ${r.rolloutId} cannot be retried: ${how}; only a ${RETRYABLE_STATUSES.join(', ').replace(/, ([^,]*)$/, ' or $1')} rollout can`;
}

/**
 * The input a retry starts with: the first execution's input, without its rollout id (the retry
 * gets a new one) and, for a rollout that released an artifact, with the version it published as
 * the target instead of the release (the code is not deployed twice).
 *
 * @example retryInput({ functionName: 'orders', alias: 'live', targetVersion: '8', rolloutId: 'r1' }, record) // { functionName: 'orders', alias: 'live', targetVersion: '8' }
 */
export function retryInput(first: unknown, record: Pick<RolloutRecord, 'targetVersion'>): unknown {
  if (typeof first !== 'object' || first === null) return first;
  const { rolloutId: _id, release, code: _code, publish: _publish, ...rest } = first as Record<string, unknown>;
  return release === undefined ? rest : { ...rest, targetVersion: record.targetVersion };
}

/** An HTTP answer before serialisation. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export const json = (statusCode: number, body: unknown, headers?: Record<string, string>): ApiResponse => ({ statusCode, body, ...(headers ? { headers } : {}) });

/** 400 with one entry per broken rule: `{ errors: [{ field, rule }] }`. */
export function invalid(issues: readonly FieldIssue[]): ApiResponse {
  return json(400, { errors: issues.map(({ field, rule }) => ({ field, rule })) });
}

/**
 * The answer for an error no route handled. Bad input is the caller's (400); throttling (429)
 * and transient failures (503) are worth a retry and say so; anything else is ours (500) and
 * shows only the request id, to find the logged details; never a stack trace.
 */
export function errorResponse(error: unknown, requestId: string): ApiResponse {
  if (error instanceof InvalidInputError) return invalid(error.issues);
  if (error instanceof RolloutError && error.name === ErrorName.Throttled) {
    return json(429, { error: 'AWS is throttling the rollout service; retry with backoff', requestId }, { 'Retry-After': '1' });
  }
  if (error instanceof RolloutError && (error.name === ErrorName.Transient || error.name === ErrorName.UpdateInProgress)) {
    return json(503, { error: 'a dependency of the rollout service failed for now; retry with backoff', requestId }, { 'Retry-After': '1' });
  }
  return json(500, { error: 'internal error', requestId });
}
