/**
 * Release: deploys a build artifact as a new published version before the rollout shifts traffic to
 * it. One task function, three actions, wired by the workflow as
 *
 *     [release present] -> UpdateCode -> Wait -> CheckCode -> Choice
 *         InProgress -> Wait (again)
 *         Successful -> Publish -> (targetVersion = version) -> the normal rollout (Prepare...)
 *         Failed     -> Notify (refused) -> Fail
 *
 * A failed update and a CodeSha256 mismatch are refusals, returned as data with a one-line reason; after
 * one, nothing further changes (no version is published, no alias is touched). Transient AWS errors
 * (Throttled, TransientAwsError, AliasUpdateInProgress for Lambda's 409 while another update runs) are
 * thrown for the workflow's Retry.
 *
 * ## Contract
 *
 * `release` is the rollout input's `release` object, as the artifact trigger builds it:
 * `{ "s3Bucket": string, "s3Key": string, "s3ObjectVersion": string, "build"?: string, "description"?: string }`.
 *
 * `code` is a CodeState (see `core/release.ts`):
 * `{ "status": "InProgress"|"Successful"|"Failed", "codeSha256": string, "revisionId": string,
 *    "startedAt": number (epoch ms), "checkedAt": number, "checks": number,
 *    "reason"?: string, "refusal"?: { "Error": "RolloutRefused", "Cause": string } }`
 * (`reason` and `refusal` only when Failed; `refusal.Cause` equals `reason`).
 *
 * **update** (state UpdateCode; Parameters `{ "action": "update", "functionName.$": "$.functionName", "release.$": "$.release" }`, ResultPath `$.code`):
 * in `{ "action": "update", "functionName": string, "release": Release }`;
 * out CodeState, `status` "InProgress" (UpdateFunctionCode started, checks 0), or "Failed" when Lambda
 * refused the update (function or object version missing, unreadable or invalid package...).
 *
 * **status** (state CheckCode, after a Wait of a few seconds; Parameters `{ "action": "status", "functionName.$": "$.functionName", "code.$": "$.code" }`, ResultPath `$.code`;
 * optional `"maxWaitSeconds"`, default 900):
 * in `{ "action": "status", "functionName": string, "code": CodeState, "maxWaitSeconds"?: number }`;
 * out CodeState: "InProgress" (wait and check again), "Successful" (our CodeSha256 is live in `$LATEST`;
 * `revisionId` is the one Publish will require), or "Failed" with `reason`/`refusal`: the update failed
 * (Lambda's LastUpdateStatusReason), another CodeSha256 is in `$LATEST`, or it stayed InProgress past
 * `maxWaitSeconds`. A Failed `code` is returned unchanged without calling AWS.
 *
 * **publish** (state Publish; Parameters `{ "action": "publish", "functionName.$": "$.functionName", "release.$": "$.release", "code.$": "$.code" }`, ResultPath `$.publish`):
 * in `{ "action": "publish", "functionName": string, "release": Release, "code": CodeState }` (code Successful);
 * out `{ "status": "Published", "version": string, "codeSha256": string }` — the workflow then sets
 * `targetVersion` to `version` — or `{ "status": "Failed", "reason": string, "refusal": { "Error": "RolloutRefused", "Cause": string } }`
 * when `$LATEST` no longer holds our code or revision (PublishVersion refused it: nothing was published)
 * or `code` is not Successful.
 *
 * Choices: `$.code.status` equals "InProgress" / "Successful" / "Failed"; `$.publish.status` equals "Published" / "Failed".
 */
import * as z from 'zod';
import { DriftError, InvalidInputError, NotFoundError, RejectedError, refusal } from '../core/errors.js';
import { functionNameOf } from '../core/function-ref.js';
import { FunctionNameSchema, parseRolloutInput, ReleaseSchema, toFieldIssues } from '../core/input.js';
import {
  type CodeState,
  DEFAULT_MAX_UPDATE_SECONDS,
  defaultDescription,
  failedCode,
  judgeCodeStatus,
} from '../core/release.js';
import type { CaughtError } from '../core/state.js';
import { type Clock, type CodeRelease, type RolloutRegistry } from '../ports.js';

const text = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });

const CodeStateSchema = z.object({
  status: z.enum(['InProgress', 'Successful', 'Failed'], { error: 'must be InProgress, Successful or Failed' }),
  codeSha256: text,
  revisionId: z.string(),
  startedAt: z.number({ error: 'must be epoch milliseconds' }),
  checkedAt: z.number({ error: 'must be epoch milliseconds' }),
  checks: z.number().int().min(0),
  reason: z.string().optional(),
  refusal: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

const ReleaseEventSchema = z.discriminatedUnion(
  'action',
  [
    z.object({
      action: z.literal('update'),
      functionName: FunctionNameSchema,
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

/** What Publish returns. */
export type PublishResult =
  | { readonly status: 'Published'; readonly version: string; readonly codeSha256: string }
  | { readonly status: 'Failed'; readonly reason: string; readonly refusal: CaughtError };

export type ReleaseResult = CodeState | PublishResult;

const refusedPublish = (reason: string): PublishResult => ({
  status: 'Failed',
  reason,
  refusal: refusal(reason),
});

/**
 * Why a release must not start, before anything changes: the rollout input breaks a rule, or
 * another rollout holds the alias (the workflow's lock would refuse it only after a version was
 * published).
 */
async function refusalBefore(input: unknown, registry: Pick<RolloutRegistry, 'getLock'> | undefined): Promise<string | undefined> {
  if (input === undefined) return undefined;
  let parsed;
  try {
    // The target version is what this release will publish; everything else is checked now.
    parsed = parseRolloutInput({ ...(input as object), targetVersion: (input as { targetVersion?: unknown }).targetVersion ?? '1' });
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message;
    throw error;
  }
  const lock = await registry?.getLock(parsed.input.functionName, parsed.input.alias);
  if (lock && lock.rolloutId !== parsed.input.rolloutId) {
    return `rollout ${lock.rolloutId} is already running on ${functionNameOf(parsed.input.functionName)}:${parsed.input.alias} (execution ${lock.executionArn}, since ${lock.startedAt}); the artifact was not deployed`;
  }
  return undefined;
}

/** Release over its ports. */
export function makeRelease({ code, clock, registry }: { code: CodeRelease; clock: Clock; registry?: Pick<RolloutRegistry, 'getLock'> | undefined }) {
  async function update(functionName: string, release: z.output<typeof ReleaseSchema>, input: unknown): Promise<CodeState> {
    const now = clock.now();
    const refused = await refusalBefore(input, registry);
    if (refused) return failedCode({ codeSha256: 'none', revisionId: '', startedAt: now, checkedAt: now, checks: 0 }, refused);
    const where = `s3://${release.s3Bucket}/${release.s3Key} (version ${release.s3ObjectVersion})`;
    try {
      const started = await code.updateCode(functionName, release);
      return { status: 'InProgress', codeSha256: started.codeSha256, revisionId: started.revisionId, startedAt: now, checkedAt: now, checks: 0 };
    } catch (error) {
      // Lambda refused the update itself (missing function or object, invalid package, no access):
      // nothing changed, and retrying would not help.
      if (error instanceof NotFoundError || error instanceof RejectedError) {
        const reason = `the code update of ${functionNameOf(functionName)} from ${where} was refused: ${error.message}`;
        return failedCode({ codeSha256: 'none', revisionId: '', startedAt: now, checkedAt: now, checks: 0 }, reason);
      }
      throw error;
    }
  }

  async function status(functionName: string, state: CodeState, maxWaitSeconds: number | undefined): Promise<CodeState> {
    if (state.status === 'Failed') return state;
    const observed = await code.getCodeStatus(functionName);
    return judgeCodeStatus(state, observed, clock.now(), {
      functionName: functionNameOf(functionName),
      maxWaitSeconds: maxWaitSeconds ?? DEFAULT_MAX_UPDATE_SECONDS,
    });
  }

  async function publish(functionName: string, release: z.output<typeof ReleaseSchema>, state: CodeState): Promise<PublishResult> {
    const name = functionNameOf(functionName);
    if (state.status !== 'Successful') {
      return refusedPublish(state.reason ?? `cannot publish ${name}: its code update is ${state.status}, not Successful`);
    }
    const description =
      release.description ?? defaultDescription({ ...release, build: release.build ?? release.s3Key.split('/').pop() ?? release.s3Key });
    try {
      const { version } = await code.publishVersion(functionName, { codeSha256: state.codeSha256, revisionId: state.revisionId || undefined, description });
      return { status: 'Published', version, codeSha256: state.codeSha256 };
    } catch (error) {
      if (error instanceof DriftError) {
        return refusedPublish(`CodeSha256 mismatch on ${name}: $LATEST no longer holds the code our update set (${state.codeSha256}); someone else changed it, so no version was published (${error.message})`);
      }
      throw error;
    }
  }

  return async function releaseTask(event: ReleaseEvent): Promise<ReleaseResult> {
    const parsed = ReleaseEventSchema.safeParse(event, { reportInput: true });
    if (!parsed.success) throw new InvalidInputError(toFieldIssues(parsed.error.issues));
    const e = parsed.data;
    switch (e.action) {
      case 'update':
        return update(e.functionName, e.release, e.input);
      case 'status':
        return status(e.functionName, e.code, e.maxWaitSeconds);
      case 'publish':
        return publish(e.functionName, e.release, e.code);
    }
  };
}
