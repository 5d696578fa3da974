/**
 * Code releases: from one exact S3 object version to a published Lambda version, before the normal
 * rollout. Pure: the release task's event and the code state it carries between UpdateCode, CheckCode
 * and Publish (one zod schema each, the types derived from them), the refusals before any code
 * changes, the judgement of a code update's status, and what Publish asks for.
 */
import * as z from 'zod';
import { InvalidInputError, refusal } from './errors.js';
import { functionNameOf } from './function-ref.js';
import { FunctionNameSchema, MAX_DESCRIPTION_LENGTH, parseRolloutInput, ReleaseSchema, type RolloutInput, toFieldIssues } from './input.js';
import type { RolloutLock } from './registry.js';
import type { CaughtError } from './state.js';

// ----- the release -----

/** The exact object version a release deploys, and what to call the version it publishes. */
export interface Release {
  readonly s3Bucket: string;
  readonly s3Key: string;
  /** The object's version id: a release always names one exact, immutable object version. */
  readonly s3ObjectVersion: string;
  /** The build label from the key. */
  readonly build: string;
  /** The published version's description. */
  readonly description: string;
}

/**
 * The default description of a version published from an artifact, at most 256 characters.
 *
 * @example defaultDescription({ s3Bucket: 'b', s3Key: 'releases/o/live/42.zip', s3ObjectVersion: 'v1', build: '42' })
 *   // 'lambda-rollout build 42 from s3://b/releases/o/live/42.zip (version v1)'
 */
export function defaultDescription(r: Omit<Release, 'description'>): string {
  const text = `lambda-rollout build ${r.build} from s3://${r.s3Bucket}/${r.s3Key} (version ${r.s3ObjectVersion})`;
  return text.length <= MAX_DESCRIPTION_LENGTH ? text : `${text.slice(0, MAX_DESCRIPTION_LENGTH - 3)}...`;
}

// ----- the code update, as the release task judges it -----

/** Where UpdateFunctionCode takes the code from: one exact S3 object version. */
export interface CodeLocation {
  readonly s3Bucket: string;
  readonly s3Key: string;
  readonly s3ObjectVersion: string;
}

/** What UpdateFunctionCode answered: the CodeSha256 of the new code and the function's RevisionId. */
export interface CodeUpdate {
  readonly codeSha256: string;
  readonly revisionId: string;
}

/** `$LATEST` as GetFunctionConfiguration shows it. */
export interface CodeStatus {
  /** Pending, Active, Inactive or Failed. */
  readonly state: string;
  /** InProgress, Successful or Failed. */
  readonly lastUpdateStatus: string;
  /** LastUpdateStatusReason (with its code), when Lambda gives one. */
  readonly reason?: string | undefined;
  readonly codeSha256: string;
  readonly revisionId: string;
}

const text = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
const epochMs = z.number({ error: 'must be epoch milliseconds' });

/**
 * A release's code update as the workflow carries it between UpdateCode, CheckCode and Publish
 * (`$.code`): "InProgress" (wait and check again), "Successful" (our CodeSha256 is live in
 * `$LATEST`) or "Failed" with `reason` and `refusal` (`refusal.Cause` equals `reason`).
 */
export const CodeStateSchema = z.object({
  /** Lambda's LastUpdateStatus values a release acts on. */
  status: z.enum(['InProgress', 'Successful', 'Failed'], { error: 'must be InProgress, Successful or Failed' }),
  /** The CodeSha256 our update set: the only code this release may publish. */
  codeSha256: text,
  /** The function's RevisionId when last seen; Publish is conditioned on it. */
  revisionId: z.string(),
  /** When the update started. */
  startedAt: epochMs,
  /** When the status was last read. */
  checkedAt: epochMs,
  /** How many times the status was read. */
  checks: z.number().int().min(0),
  /** Why the release was refused (Failed only), in one line. */
  reason: z.string().optional(),
  /** The refusal for the workflow's Notify state (Failed only), shaped like a caught error. */
  refusal: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

export type CodeState = Readonly<z.output<typeof CodeStateSchema>>;

/**
 * The Release task's event: one task function, three actions, wired by the workflow as
 *
 *     [release present] -> UpdateCode -> Wait -> CheckCode -> Choice
 *         InProgress -> Wait (again)
 *         Successful -> Publish -> (targetVersion = version) -> the normal rollout (Prepare...)
 *         Failed     -> Notify (refused) -> Fail
 *
 * `release` is the rollout input's `release` object, as the artifact trigger builds it:
 * `{ "s3Bucket", "s3Key", "s3ObjectVersion", "build"?, "description"? }`; `code` is a {@link CodeState}.
 *
 * - **update** (state UpdateCode; ResultPath `$.code`): `{ "action": "update", "functionName", "executionArn", "release", "input"? }`;
 *   out a CodeState, "InProgress" (UpdateFunctionCode started, checks 0), or "Failed" when the function
 *   is not one the service may touch (allow-list, and an ARN only where the execution runs), the rollout
 *   input breaks a rule, another rollout holds the alias, or Lambda refused the update (function or
 *   object version missing, unreadable or invalid package...).
 * - **status** (state CheckCode, after a Wait of a few seconds; ResultPath `$.code`):
 *   `{ "action": "status", "functionName", "code", "maxWaitSeconds"? }` (default 900); out the next
 *   CodeState (see `judgeCodeStatus`). A Failed `code` is returned unchanged without calling AWS.
 * - **publish** (state Publish; ResultPath `$.publish`): `{ "action": "publish", "functionName", "release", "code" }`
 *   (code Successful); out a {@link PublishResult}: the workflow then sets `targetVersion` to `version`.
 *
 * Choices: `$.code.status` equals "InProgress" / "Successful" / "Failed"; `$.publish.status` equals
 * "Published" / "Failed". Transient AWS errors (Throttled, TransientAwsError, AliasUpdateInProgress for
 * Lambda's 409 while another update runs) are thrown for the workflow's Retry.
 */
export const ReleaseEventSchema = z.discriminatedUnion(
  'action',
  [
    z.object({
      action: z.literal('update'),
      functionName: FunctionNameSchema,
      /** The execution running the release: where the service runs, which a function ARN must match. */
      executionArn: z.string({ error: 'must be the execution ARN ($$.Execution.Id)' }).regex(/^arn:/, { error: 'must be the execution ARN ($$.Execution.Id)' }),
      release: ReleaseSchema,
      /** The whole rollout input: checked, and the alias's lock looked at, before any code changes. */
      input: z.unknown().optional(),
    }),
    z.object({
      action: z.literal('status'),
      functionName: FunctionNameSchema,
      code: CodeStateSchema,
      maxWaitSeconds: z.number().int().positive().max(86_400).optional(),
    }),
    z.object({ action: z.literal('publish'), functionName: FunctionNameSchema, release: ReleaseSchema, code: CodeStateSchema }),
  ],
  { error: 'action must be update, status or publish' },
);

export type ReleaseEvent = z.input<typeof ReleaseEventSchema>;
/** The release as an event carries it: `build` and `description` may be absent. */
export type ReleaseSource = z.output<typeof ReleaseSchema>;

/**
 * Parses the Release task's event. Throws InvalidInputError naming every broken rule.
 *
 * @example parseReleaseEvent({ action: 'status', functionName: 'orders', code }).action // 'status'
 */
export function parseReleaseEvent(event: unknown): z.output<typeof ReleaseEventSchema> {
  const parsed = ReleaseEventSchema.safeParse(event, { reportInput: true });
  if (!parsed.success) throw new InvalidInputError(toFieldIssues(parsed.error.issues));
  return parsed.data;
}

/** How long a code update may stay InProgress before the release gives up, by default. */
export const DEFAULT_MAX_UPDATE_SECONDS = 15 * 60;

/** A Failed code state with its refusal. */
export function failedCode(code: Omit<CodeState, 'status' | 'reason' | 'refusal'>, reason: string): CodeState {
  return { ...code, status: 'Failed', reason, refusal: refusal(reason) };
}

/**
 * The next code state after reading `$LATEST`:
 * - LastUpdateStatus Failed: Failed, with Lambda's reason (Lambda kept the previous code);
 * - InProgress (or State Pending): InProgress, or Failed once `maxWaitSeconds` have passed since the update started;
 * - Successful with our CodeSha256: Successful, remembering the RevisionId for Publish;
 * - Successful with another CodeSha256: Failed, someone else changed the code, nothing will be published;
 * - anything else: Failed, naming the unknown status.
 * A state that is already Failed stays as it is.
 *
 * @example judgeCodeStatus(code, { state: 'Active', lastUpdateStatus: 'Successful', codeSha256: code.codeSha256, revisionId: 'r2' }, now, opts).status // 'Successful'
 */
export function judgeCodeStatus(
  code: CodeState,
  observed: CodeStatus,
  now: number,
  options: { readonly functionName: string; readonly maxWaitSeconds?: number | undefined },
): CodeState {
  if (code.status === 'Failed') return code;
  const fn = options.functionName;
  const limit = options.maxWaitSeconds ?? DEFAULT_MAX_UPDATE_SECONDS;
  const seen = { codeSha256: code.codeSha256, revisionId: observed.revisionId, startedAt: code.startedAt, checkedAt: now, checks: code.checks + 1 };
  switch (observed.lastUpdateStatus) {
    case 'Failed':
      return failedCode(seen, `the code update of ${fn} failed, Lambda kept the previous code: ${observed.reason || 'no reason given'}`);
    case 'InProgress':
      return waitOrGiveUp(seen, now, limit, fn, 'InProgress');
    case 'Successful':
      if (observed.state === 'Pending') return waitOrGiveUp(seen, now, limit, fn, 'Pending');
      if (observed.codeSha256 !== code.codeSha256) {
        return failedCode(seen, `CodeSha256 mismatch on ${fn}: our update set ${code.codeSha256} but $LATEST now has ${observed.codeSha256}; someone else changed the code, so no version is published`);
      }
      return { ...seen, status: 'Successful' };
    default:
      return failedCode(seen, `the code update of ${fn} has LastUpdateStatus '${observed.lastUpdateStatus}', not InProgress, Successful or Failed`);
  }
}

function waitOrGiveUp(seen: Omit<CodeState, 'status'>, now: number, limitSeconds: number, fn: string, what: string): CodeState {
  const elapsed = Math.round((now - seen.startedAt) / 1000);
  if (elapsed > limitSeconds) {
    return failedCode(seen, `the code update of ${fn} is still ${what} after ${elapsed} s (limit ${limitSeconds} s); no version is published`);
  }
  return { ...seen, status: 'InProgress' };
}

// ----- before the update, and the update itself -----

/**
 * The rollout a release is for, checked before any code changes: every rule of the rollout input
 * except the target version, which is what the release will publish. The parsed input, or the
 * refusal in words.
 *
 * @example checkReleaseInput({ functionName: 'orders', alias: 'live', strategy: 'Nope' }) // { refusal: 'Invalid rollout input: strategy: ...' }
 */
export function checkReleaseInput(input: unknown): { readonly input: RolloutInput } | { readonly refusal: string } {
  try {
    return { input: parseRolloutInput({ ...(input as object), targetVersion: (input as { targetVersion?: unknown }).targetVersion ?? '1' }).input };
  } catch (error) {
    if (error instanceof InvalidInputError) return { refusal: error.message };
    throw error;
  }
}

/**
 * Why the alias's lock refuses the release: another rollout holds it (the workflow's own lock would
 * refuse only after a version was published). Undefined when the alias is free or held by this rollout.
 *
 * @example lockRefusal(input, { rolloutId: 'r0', executionArn: arn, startedAt }) // 'rollout r0 is already running on orders:live (...); the artifact was not deployed'
 */
export function lockRefusal(
  input: Pick<RolloutInput, 'functionName' | 'alias' | 'rolloutId'>,
  lock: Pick<RolloutLock, 'rolloutId' | 'executionArn' | 'startedAt'> | undefined,
): string | undefined {
  if (!lock || lock.rolloutId === input.rolloutId) return undefined;
  return `rollout ${lock.rolloutId} is already running on ${functionNameOf(input.functionName)}:${input.alias} (execution ${lock.executionArn}, since ${lock.startedAt}); the artifact was not deployed`;
}

/**
 * Why Lambda's refusal of the code update (missing function or object, invalid package, no access)
 * refuses the release: nothing changed, and retrying would not help.
 *
 * @example updateRefusal('orders', { s3Bucket: 'b', s3Key: 'k.zip', s3ObjectVersion: 'v1' }, 'no such key') // 'the code update of orders from s3://b/k.zip (version v1) was refused: no such key'
 */
export function updateRefusal(functionName: string, location: CodeLocation, why: string): string {
  const where = `s3://${location.s3Bucket}/${location.s3Key} (version ${location.s3ObjectVersion})`;
  return `the code update of ${functionNameOf(functionName)} from ${where} was refused: ${why}`;
}

/**
 * The code state of a release refused before its code changed.
 *
 * @example refusedUpdate('why', now).status // 'Failed'
 */
export function refusedUpdate(reason: string, now: number): CodeState {
  return failedCode({ codeSha256: 'none', revisionId: '', startedAt: now, checkedAt: now, checks: 0 }, reason);
}

/**
 * The code state once UpdateFunctionCode started.
 *
 * @example startedUpdate({ codeSha256: 'abc=', revisionId: 'r1' }, now).status // 'InProgress'
 */
export function startedUpdate(started: CodeUpdate, now: number): CodeState {
  return { status: 'InProgress', codeSha256: started.codeSha256, revisionId: started.revisionId, startedAt: now, checkedAt: now, checks: 0 };
}

// ----- publishing -----

/** What Publish returns. */
export type PublishResult =
  | { readonly status: 'Published'; readonly version: string; readonly codeSha256: string }
  | { readonly status: 'Failed'; readonly reason: string; readonly refusal: CaughtError };

/**
 * A Publish that publishes nothing, with its refusal.
 *
 * @example refusedPublish('why') // { status: 'Failed', reason: 'why', refusal: { Error: 'RolloutRefused', Cause: 'why' } }
 */
export function refusedPublish(reason: string): PublishResult {
  return { status: 'Failed', reason, refusal: refusal(reason) };
}

/**
 * Why Publish must not publish: the code update did not succeed (its own reason when it failed).
 *
 * @example publishRefusal('orders', { ...code, status: 'InProgress' }) // 'cannot publish orders: its code update is InProgress, not Successful'
 */
export function publishRefusal(functionName: string, code: CodeState): string | undefined {
  if (code.status === 'Successful') return undefined;
  return code.reason ?? `cannot publish ${functionNameOf(functionName)}: its code update is ${code.status}, not Successful`;
}

/**
 * What PublishVersion is asked for: exactly our code, at the revision last seen, with the release's
 * description (by default one naming the build, or the key's file name, and the object version).
 *
 * @example publishRequest({ s3Bucket: 'b', s3Key: 'r/o/live/42.zip', s3ObjectVersion: 'v1' }, code).description // 'lambda-rollout build 42.zip from s3://b/r/o/live/42.zip (version v1)'
 */
export function publishRequest(release: ReleaseSource, code: CodeState): { codeSha256: string; revisionId: string | undefined; description: string } {
  const description =
    release.description ?? defaultDescription({ ...release, build: release.build ?? release.s3Key.split('/').pop() ?? release.s3Key });
  return { codeSha256: code.codeSha256, revisionId: code.revisionId || undefined, description };
}

/**
 * Why PublishVersion refused our code: `$LATEST` no longer holds it (someone else changed the
 * code), so nothing was published.
 *
 * @example changedCodeRefusal('orders', code, 'precondition failed') // 'CodeSha256 mismatch on orders: $LATEST no longer holds the code our update set (...); ...'
 */
export function changedCodeRefusal(functionName: string, code: CodeState, why: string): string {
  return `CodeSha256 mismatch on ${functionNameOf(functionName)}: $LATEST no longer holds the code our update set (${code.codeSha256}); someone else changed it, so no version was published (${why})`;
}
