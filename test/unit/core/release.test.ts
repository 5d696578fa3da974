import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/core/errors.js';
import {
  changedCodeRefusal,
  checkReleaseInput,
  type CodeState,
  CodeStateSchema,
  type CodeStatus,
  DEFAULT_MAX_UPDATE_SECONDS,
  judgeCodeStatus,
  lockRefusal,
  parseReleaseEvent,
  publishRefusal,
  publishRequest,
  refusedPublish,
  refusedUpdate,
  startedUpdate,
  updateRefusal,
} from '../../../functions/core/release.js';

describe('judgeCodeStatus', () => {
  const T0 = Date.UTC(2026, 0, 5, 10);
  const code: CodeState = { status: 'InProgress', codeSha256: 'ours=', revisionId: 'r1', startedAt: T0, checkedAt: T0, checks: 0 };
  const seen = (over: Partial<CodeStatus>): CodeStatus => ({ state: 'Active', lastUpdateStatus: 'Successful', codeSha256: 'ours=', revisionId: 'r2', ...over });
  const opts = { functionName: 'orders' };

  it.each<[string, Partial<CodeStatus>, number, Partial<CodeState>]>([
    ['InProgress stays InProgress', { lastUpdateStatus: 'InProgress' }, 10_000, { status: 'InProgress', revisionId: 'r2', checks: 1, checkedAt: T0 + 10_000 }],
    ['Pending waits', { state: 'Pending' }, 10_000, { status: 'InProgress' }],
    ['Successful with our code is Successful, with the new RevisionId', {}, 20_000, { status: 'Successful', revisionId: 'r2', codeSha256: 'ours=' }],
  ])('%s', (_, observed, after, expected) => {
    const next = judgeCodeStatus(code, seen(observed), T0 + after, opts);
    expect(next).toMatchObject(expected);
    expect(next.reason).toBeUndefined();
    expect(next.refusal).toBeUndefined();
  });

  it.each<[string, Partial<CodeStatus>, number, string]>([
    ['a failed update', { lastUpdateStatus: 'Failed', reason: 'InvalidZipFileException: Could not unzip uploaded file' }, 10_000,
      'the code update of orders failed, Lambda kept the previous code: InvalidZipFileException: Could not unzip uploaded file'],
    ['a failed update without a reason', { lastUpdateStatus: 'Failed' }, 10_000, 'no reason given'],
    ['another CodeSha256 after success', { codeSha256: 'theirs=' }, 10_000,
      'CodeSha256 mismatch on orders: our update set ours= but $LATEST now has theirs=; someone else changed the code, so no version is published'],
    ['an update InProgress past the limit', { lastUpdateStatus: 'InProgress' }, (DEFAULT_MAX_UPDATE_SECONDS + 1) * 1000,
      `the code update of orders is still InProgress after ${DEFAULT_MAX_UPDATE_SECONDS + 1} s (limit ${DEFAULT_MAX_UPDATE_SECONDS} s)`],
    ['an unknown status', { lastUpdateStatus: 'Weird' }, 1000, "LastUpdateStatus 'Weird'"],
  ])('refuses %s in one line', (_, observed, after, reason) => {
    const next = judgeCodeStatus(code, seen(observed), T0 + after, opts);
    expect(next.status).toBe('Failed');
    expect(next.reason).toContain(reason);
    expect(next.reason).not.toContain('\n');
    expect(next.refusal).toEqual({ Error: ErrorName.Refused, Cause: next.reason });
    expect(next.codeSha256).toBe('ours=');
  });

  it('honours a shorter limit', () => {
    expect(judgeCodeStatus(code, seen({ lastUpdateStatus: 'InProgress' }), T0 + 61_000, { ...opts, maxWaitSeconds: 60 }).status).toBe('Failed');
  });

  it('leaves a Failed state as it is', () => {
    const failed: CodeState = { ...code, status: 'Failed', reason: 'x', refusal: { Error: ErrorName.Refused, Cause: 'x' } };
    expect(judgeCodeStatus(failed, seen({}), T0 + 1000, opts)).toBe(failed);
  });
});

describe('the release event and its code state', () => {
  const T0 = Date.UTC(2026, 0, 5, 10);
  const code = { status: 'InProgress', codeSha256: 'ours=', revisionId: 'r1', startedAt: T0, checkedAt: T0, checks: 0 };
  const release = { s3Bucket: 'artifacts', s3Key: 'releases/orders/live/42.zip', s3ObjectVersion: 'v1' };

  it('parses each action', () => {
    expect(parseReleaseEvent({ action: 'update', functionName: 'orders', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1', release }).action).toBe('update');
    expect(parseReleaseEvent({ action: 'status', functionName: 'orders', code, maxWaitSeconds: 60 })).toMatchObject({ action: 'status', code, maxWaitSeconds: 60 });
    expect(parseReleaseEvent({ action: 'publish', functionName: 'orders', release, code: { ...code, status: 'Successful' } }).action).toBe('publish');
  });

  it.each([
    ['an unknown action', { action: 'deploy', functionName: 'orders' }, 'action must be update, status or publish'],
    ['a code state with a bad status', { action: 'status', functionName: 'orders', code: { ...code, status: 'Done' } }, 'code.status: must be InProgress, Successful or Failed'],
    ['a code state without a CodeSha256', { action: 'status', functionName: 'orders', code: { ...code, codeSha256: '' } }, 'code.codeSha256: must not be empty'],
    ['an unversioned object', { action: 'update', functionName: 'orders', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1', release: { ...release, s3ObjectVersion: 'null' } }, 'release.s3ObjectVersion'],
  ])('refuses %s, naming the field', (_, event, message) => {
    expect(() => parseReleaseEvent(event)).toThrow(expect.objectContaining({ name: ErrorName.InvalidInput, message: expect.stringContaining(message) }));
  });

  it('one schema gives the code state its type and its check', () => {
    const parsed: CodeState = CodeStateSchema.parse({ ...code, extra: 'dropped' });
    expect(parsed).toEqual(code);
  });
});

describe('before the code changes', () => {
  it.each([
    ['a valid input', { functionName: 'orders', alias: 'live' }, undefined],
    ['a broken rule', { functionName: 'orders', alias: 'live', strategy: 'Canary50Percent' }, 'Invalid rollout input: strategy: "Canary50Percent" is not a preset'],
  ])('checks the rollout input except its target: %s', (_, input, refusal) => {
    const checked = checkReleaseInput(input);
    if (refusal) expect(checked).toEqual({ refusal: expect.stringContaining(refusal) });
    else expect(checked).toMatchObject({ input: { functionName: 'orders', alias: 'live', targetVersion: '1' } });
  });

  const input = { functionName: 'orders', alias: 'live', rolloutId: 'build-42' };
  const lock = { rolloutId: 'r0', executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:lambda-rollout:r0', startedAt: '2026-01-05T09:00:00.000Z' };
  it.each([
    ['a free alias', undefined, undefined],
    ["this rollout's own lock", { ...lock, rolloutId: 'build-42' }, undefined],
    ["another rollout's lock", lock, `rollout r0 is already running on orders:live (execution ${lock.executionArn}, since ${lock.startedAt}); the artifact was not deployed`],
  ])('refuses on the lock: %s', (_, held, expected) => expect(lockRefusal(input, held)).toBe(expected));

  it('refuses what Lambda refused, naming the object version', () => {
    const reason = updateRefusal('arn:aws:lambda:eu-west-1:123456789012:function:orders', { s3Bucket: 'b', s3Key: 'k.zip', s3ObjectVersion: 'v1' }, 'no such key');
    expect(reason).toBe('the code update of orders from s3://b/k.zip (version v1) was refused: no such key');
    expect(refusedUpdate(reason, 5)).toEqual({ status: 'Failed', codeSha256: 'none', revisionId: '', startedAt: 5, checkedAt: 5, checks: 0, reason, refusal: { Error: ErrorName.Refused, Cause: reason } });
  });

  it('starts InProgress with the CodeSha256 and RevisionId Lambda answered', () => {
    expect(startedUpdate({ codeSha256: 'abc=', revisionId: 'r1' }, 5)).toEqual({ status: 'InProgress', codeSha256: 'abc=', revisionId: 'r1', startedAt: 5, checkedAt: 5, checks: 0 });
  });
});

describe('publishing', () => {
  const done: CodeState = { status: 'Successful', codeSha256: 'ours=', revisionId: 'r2', startedAt: 0, checkedAt: 1, checks: 1 };
  const release = { s3Bucket: 'b', s3Key: 'releases/orders/live/42.zip', s3ObjectVersion: 'v1' };

  it.each<[string, CodeState, string | undefined]>([
    ['a successful update', done, undefined],
    ['an update still in progress', { ...done, status: 'InProgress' }, 'cannot publish orders: its code update is InProgress, not Successful'],
    ['a failed update, with its reason', { ...done, status: 'Failed', reason: 'the code update of orders failed' }, 'the code update of orders failed'],
  ])('publishes only %s', (_, code, expected) => expect(publishRefusal('orders', code)).toBe(expected));

  it.each([
    ['the release description', { ...release, description: 'hotfix' }, 'hotfix'],
    ['the build', { ...release, build: '42' }, 'lambda-rollout build 42 from s3://b/releases/orders/live/42.zip (version v1)'],
    ["the key's file name", release, 'lambda-rollout build 42.zip from s3://b/releases/orders/live/42.zip (version v1)'],
  ])('asks for exactly our code, described by %s', (_, source, description) => {
    expect(publishRequest(source, done)).toEqual({ codeSha256: 'ours=', revisionId: 'r2', description });
  });

  it('asks without a revision when none was seen', () => {
    expect(publishRequest(release, { ...done, revisionId: '' }).revisionId).toBeUndefined();
  });

  it('refuses when $LATEST no longer holds our code', () => {
    const reason = changedCodeRefusal('orders', done, 'precondition failed');
    expect(reason).toBe('CodeSha256 mismatch on orders: $LATEST no longer holds the code our update set (ours=); someone else changed it, so no version was published (precondition failed)');
    expect(refusedPublish(reason)).toEqual({ status: 'Failed', reason, refusal: { Error: ErrorName.Refused, Cause: reason } });
  });
});
