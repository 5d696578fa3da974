/**
 * Release: deploys a build artifact as a new published version before the rollout shifts traffic to
 * it. One task function, three actions (update, status, publish); the event's contract, the code
 * state it carries and every rule are core's (`core/release.ts`, `ReleaseEventSchema`). A failed
 * update and a CodeSha256 mismatch are refusals, returned as data with a one-line reason; after one,
 * nothing further changes (no version is published, no alias is touched). A refused PublishVersion is
 * a mismatch only when no version with this release's code and description exists: one that does
 * was published by this release, its answer lost. Transient AWS errors are thrown for the workflow's Retry.
 */
import { DriftError, NotFoundError, RejectedError } from '../core/errors.js';
import { functionNameOf } from '../core/function-ref.js';
import {
  changedCodeRefusal,
  checkReleaseInput,
  type CodeState,
  DEFAULT_MAX_UPDATE_SECONDS,
  judgeCodeStatus,
  lockRefusal,
  parseReleaseEvent,
  publishRefusal,
  publishRequest,
  type PublishResult,
  refusedPublish,
  refusedUpdate,
  type ReleaseEvent,
  type ReleaseSource,
  startedUpdate,
  updateRefusal,
} from '../core/release.js';
import { homeOf, scopeRefusal } from '../core/scope.js';
import type { Clock, CodeRelease, RolloutRegistry } from '../ports.js';

export type ReleaseResult = CodeState | PublishResult;

export interface ReleasePorts {
  readonly code: CodeRelease;
  readonly clock: Clock;
  readonly registry?: Pick<RolloutRegistry, 'getLock'> | undefined;
  /** The construct's allowedFunctions; the function must also be where the execution runs. */
  readonly allowedFunctions: readonly string[];
}

/** Release over its ports. */
export function makeRelease({ code, clock, registry, allowedFunctions }: ReleasePorts) {
  /**
   * Why the release must not start, before anything changes: a function the service may not touch,
   * a broken rule of the rollout input, or another rollout's lock.
   */
  async function refusalBefore(functionName: string, executionArn: string, input: unknown): Promise<string | undefined> {
    const home = homeOf(executionArn);
    const outside = home ? scopeRefusal(functionName, { allowedFunctions, home }) : `the execution ARN ${executionArn} is not an ARN`;
    if (outside) return `Invalid rollout input: functionName: ${outside}`;
    if (input === undefined) return undefined;
    const checked = checkReleaseInput(input);
    if ('refusal' in checked) return checked.refusal;
    return lockRefusal(checked.input, await registry?.getLock(checked.input.functionName, checked.input.alias));
  }

  async function update(functionName: string, executionArn: string, release: ReleaseSource, input: unknown): Promise<CodeState> {
    const now = clock.now();
    const refused = await refusalBefore(functionName, executionArn, input);
    if (refused) return refusedUpdate(refused, now);
    try {
      return startedUpdate(await code.updateCode(functionName, release), now);
    } catch (error) {
      // Lambda refused the update itself: nothing changed, and retrying would not help.
      if (error instanceof NotFoundError || error instanceof RejectedError) return refusedUpdate(updateRefusal(functionName, release, error.message), now);
      throw error;
    }
  }

  async function status(functionName: string, state: CodeState, maxWaitSeconds: number | undefined): Promise<CodeState> {
    if (state.status === 'Failed') return state;
    const observed = await code.getCodeStatus(functionName);
    return judgeCodeStatus(state, observed, clock.now(), { functionName: functionNameOf(functionName), maxWaitSeconds: maxWaitSeconds ?? DEFAULT_MAX_UPDATE_SECONDS });
  }

  async function publish(functionName: string, release: ReleaseSource, state: CodeState): Promise<PublishResult> {
    const refused = publishRefusal(functionName, state);
    if (refused) return refusedPublish(refused);
    const request = publishRequest(release, state);
    try {
      const { version } = await code.publishVersion(functionName, request);
      return { status: 'Published', version, codeSha256: state.codeSha256 };
    } catch (error) {
      if (!(error instanceof DriftError)) throw error;
      // A retried PublishVersion whose first attempt published (its answer lost) is refused too:
      // publishing moved the RevisionId on. The version with our code and description is ours.
      const ours = await code.findVersion(functionName, { codeSha256: request.codeSha256, description: request.description });
      if (ours !== undefined) return { status: 'Published', version: ours, codeSha256: state.codeSha256 };
      return refusedPublish(changedCodeRefusal(functionName, state, error.message));
    }
  }

  return async function releaseTask(event: ReleaseEvent): Promise<ReleaseResult> {
    const e = parseReleaseEvent(event);
    switch (e.action) {
      case 'update':
        return update(e.functionName, e.executionArn, e.release, e.input);
      case 'status':
        return status(e.functionName, e.code, e.maxWaitSeconds);
      case 'publish':
        return publish(e.functionName, e.release, e.code);
    }
  };
}
