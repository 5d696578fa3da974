/**
 * The release task over the in-memory twin (sim/code-release.ts on sim/lambda.ts): update, wait while
 * InProgress, publish exactly our code; every refusal changes nothing further.
 */
import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/core/errors.js';
import type { CodeState, PublishResult } from '../../../functions/core/release.js';
import { makeRelease } from '../../../functions/tasks/release.js';
import { SimCodeRelease } from '../../../sim/code-release.js';
import { SimLambda } from '../../../sim/lambda.js';
import { T0 } from '../../support/fakes.js';

const RELEASE = {
  s3Bucket: 'artifacts',
  s3Key: 'releases/orders/live/42.zip',
  s3ObjectVersion: 'v-42',
  build: '42',
  description: 'lambda-rollout build 42 from s3://artifacts/releases/orders/live/42.zip (version v-42)',
};

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1';

function world(updateMs = 12_000) {
  let now = T0;
  const clock = { now: () => now };
  const lambda = new SimLambda({ now: clock.now });
  lambda.createFunction('orders', { codeSha256: 'old=' });
  lambda.publishVersion('orders', { codeSha256: 'old=' });
  lambda.addAlias('orders', 'live', '1');
  const code = new SimCodeRelease(lambda, { now: clock.now, updateMs, codeSha256Of: () => 'new=' });
  const task = makeRelease({ code, clock, allowedFunctions: ['orders', 'inventory'] });
  const advance = (ms: number) => {
    now += ms;
  };
  return { lambda, code, task, advance, clock };
}

/** Runs UpdateCode, then Wait/CheckCode every `waitMs` until the status is no longer InProgress, like the workflow. */
async function updateAndWait(w: ReturnType<typeof world>, waitMs = 5_000, maxWaitSeconds?: number) {
  let state = (await w.task({ action: 'update', functionName: 'orders', executionArn: EXECUTION, release: RELEASE })) as CodeState;
  const seen: string[] = [state.status];
  for (let i = 0; i < 50; i++) {
    w.advance(waitMs);
    state = (await w.task({ action: 'status', functionName: 'orders', code: state, ...(maxWaitSeconds ? { maxWaitSeconds } : {}) })) as CodeState;
    seen.push(state.status);
    if (state.status !== 'InProgress') break;
  }
  return { state, seen };
}

describe('release: update, status, publish', () => {
  it('waits while the update is InProgress, then publishes a version of exactly our code', async () => {
    const w = world(12_000);
    const { state, seen } = await updateAndWait(w);

    expect(seen).toEqual(['InProgress', 'InProgress', 'InProgress', 'Successful']);
    expect(state).toMatchObject({ status: 'Successful', codeSha256: 'new=', checks: 3, startedAt: T0 });
    expect(w.code.calls.filter((c) => c.op === 'updateCode').map((c) => c.args)).toEqual([
      { s3Bucket: 'artifacts', s3Key: 'releases/orders/live/42.zip', s3ObjectVersion: 'v-42', build: '42', description: RELEASE.description },
    ]);

    const published = (await w.task({ action: 'publish', functionName: 'orders', release: RELEASE, code: state })) as PublishResult;

    expect(published).toEqual({ status: 'Published', version: '2', codeSha256: 'new=' });
    expect(w.code.published).toEqual([{ functionName: 'orders', version: '2', codeSha256: 'new=', description: RELEASE.description }]);
    expect((await w.lambda.getVersion('orders', '2')).codeSha256).toBe('new=');
    // The alias is the rollout's business, not the release's.
    expect(w.lambda.peekAlias('orders', 'live').functionVersion).toBe('1');
  });

  it('publishes with the CodeSha256 and the RevisionId seen when the update succeeded', async () => {
    const w = world(1_000);
    const { state } = await updateAndWait(w);
    await w.task({ action: 'publish', functionName: 'orders', release: RELEASE, code: state });
    expect(w.code.calls.find((c) => c.op === 'publishVersion')?.args).toEqual({ codeSha256: 'new=', revisionId: state.revisionId, description: RELEASE.description });
  });

  it('uses a default description when the release has none', async () => {
    const w = world(1_000);
    const { state } = await updateAndWait(w);
    const { description: _, ...bare } = RELEASE;
    await w.task({ action: 'publish', functionName: 'orders', release: bare, code: state });
    expect(w.code.published[0]?.description).toBe('lambda-rollout build 42 from s3://artifacts/releases/orders/live/42.zip (version v-42)');
  });
});

describe('release: refusals change nothing further', () => {
  it('refuses a failed update with Lambda\'s reason, and publishes nothing', async () => {
    const w = world(8_000);
    w.code.failNextUpdate('InvalidZipFileException: Could not unzip uploaded file. Check your file, then try to upload again.');
    const { state, seen } = await updateAndWait(w);

    expect(seen).toEqual(['InProgress', 'InProgress', 'Failed']);
    expect(state.reason).toBe(
      'the code update of orders failed, Lambda kept the previous code: InvalidZipFileException: Could not unzip uploaded file. Check your file, then try to upload again.',
    );
    expect(state.refusal).toEqual({ Error: ErrorName.Refused, Cause: state.reason });
    expect((await w.lambda.getVersion('orders', '$LATEST')).codeSha256).toBe('old=');

    const published = (await w.task({ action: 'publish', functionName: 'orders', release: RELEASE, code: state })) as PublishResult;
    expect(published).toEqual({ status: 'Failed', reason: state.reason, refusal: { Error: ErrorName.Refused, Cause: state.reason } });
    expect(w.code.calls.filter((c) => c.op === 'publishVersion')).toEqual([]);
    expect(w.code.published).toEqual([]);
  });

  it('returns a Failed state unchanged without calling AWS', async () => {
    const w = world(1_000);
    w.code.failNextUpdate();
    const { state } = await updateAndWait(w);
    const calls = w.code.calls.length;
    expect(await w.task({ action: 'status', functionName: 'orders', code: state })).toEqual(state);
    expect(w.code.calls.length).toBe(calls);
  });

  it('refuses when someone else changed the code before our update finished (CodeSha256 mismatch)', async () => {
    const w = world(20_000);
    let state = (await w.task({ action: 'update', functionName: 'orders', executionArn: EXECUTION, release: RELEASE })) as CodeState;
    w.advance(25_000);
    state = (await w.task({ action: 'status', functionName: 'orders', code: state })) as CodeState;
    expect(state.status).toBe('Successful');
    w.code.changeCodeExternally('orders', 'theirs=');
    // Their change shows on the next check, or at publish: either way nothing of theirs is published.
    const checked = (await w.task({ action: 'status', functionName: 'orders', code: { ...state, status: 'InProgress' } })) as CodeState;
    expect(checked).toMatchObject({ status: 'Failed', reason: expect.stringContaining('CodeSha256 mismatch on orders: our update set new= but $LATEST now has theirs=') });

    const published = (await w.task({ action: 'publish', functionName: 'orders', release: RELEASE, code: state })) as PublishResult;
    expect(published.status).toBe('Failed');
    if (published.status === 'Failed') {
      expect(published.reason).toMatch(/^CodeSha256 mismatch on orders: \$LATEST no longer holds the code our update set \(new=\); someone else changed it, so no version was published/);
      expect(published.reason).not.toContain('\n');
    }
    expect(w.code.published).toEqual([]);
    expect((await w.lambda.getVersion('orders', '$LATEST')).codeSha256).toBe('theirs=');
  });

  it('a retried publish whose first answer was lost finds the version it published, instead of blaming someone else', async () => {
    const w = world(1_000);
    const { state } = await updateAndWait(w);
    const publishVersion = w.code.publishVersion.bind(w.code);
    let attempt = 0;
    w.code.publishVersion = async (...args) => {
      const published = await publishVersion(...args);
      attempt += 1;
      if (attempt === 1) throw Object.assign(new Error('socket hang up'), { name: ErrorName.Transient });
      return published;
    };
    await expect(w.task({ action: 'publish', functionName: 'orders', release: RELEASE, code: state })).rejects.toMatchObject({ name: ErrorName.Transient });
    // The workflow retries: PublishVersion now meets the RevisionId its own publish moved on.
    const retried = (await w.task({ action: 'publish', functionName: 'orders', release: RELEASE, code: state })) as PublishResult;
    expect(retried).toEqual({ status: 'Published', version: '2', codeSha256: 'new=' });
    expect(w.code.published.map((p) => p.version)).toEqual(['2']);
  });

  it('a refused publish with no version of our code and description is someone else\'s change', async () => {
    const w = world(1_000);
    const { state } = await updateAndWait(w);
    // Someone published our code under another description, then changed the code: neither version is ours.
    w.lambda.publishVersion('orders', { codeSha256: 'new=', description: 'hand-made' });
    w.code.changeCodeExternally('orders', 'theirs=');
    const published = (await w.task({ action: 'publish', functionName: 'orders', release: RELEASE, code: state })) as PublishResult;
    expect(published).toMatchObject({ status: 'Failed', reason: expect.stringContaining('someone else changed it, so no version was published') });
    expect(w.code.calls.at(-1)).toMatchObject({ op: 'findVersion', args: { codeSha256: 'new=', description: RELEASE.description } });
  });

  it('gives up on an update that stays InProgress past maxWaitSeconds', async () => {
    const w = world(3_600_000);
    const { state, seen } = await updateAndWait(w, 30_000, 120);
    expect(seen.at(-1)).toBe('Failed');
    expect(seen.slice(0, -1).every((s) => s === 'InProgress')).toBe(true);
    expect(state.reason).toMatch(/^the code update of orders is still InProgress after 150 s \(limit 120 s\); no version is published$/);
  });

  it('refuses an update Lambda rejects (missing function) as Failed, with the reason', async () => {
    const w = world();
    const state = (await w.task({ action: 'update', functionName: 'inventory', executionArn: EXECUTION, release: RELEASE })) as CodeState;
    expect(state).toMatchObject({ status: 'Failed', refusal: { Error: ErrorName.Refused } });
    expect(state.reason).toContain('the code update of inventory from s3://artifacts/releases/orders/live/42.zip (version v-42) was refused: Function not found');
  });

  it('throws AliasUpdateInProgress while another update runs, for the workflow to retry', async () => {
    const w = world(60_000);
    await w.task({ action: 'update', functionName: 'orders', executionArn: EXECUTION, release: RELEASE });
    await expect(w.task({ action: 'update', functionName: 'orders', executionArn: EXECUTION, release: RELEASE })).rejects.toMatchObject({ name: ErrorName.UpdateInProgress });
  });

  it('refuses bad input naming the field', async () => {
    const w = world();
    await expect(w.task({ action: 'update', functionName: 'orders', executionArn: EXECUTION, release: { ...RELEASE, s3ObjectVersion: '' } })).rejects.toMatchObject({
      name: ErrorName.InvalidInput,
      message: expect.stringContaining('release.s3ObjectVersion: must be an object version id'),
    });
    await expect(w.task({ action: 'deploy', functionName: 'orders' } as never)).rejects.toMatchObject({
      name: ErrorName.InvalidInput,
      message: expect.stringContaining('action must be update, status or publish'),
    });
    await expect(w.task({ action: 'status', functionName: 'orders:live', code: {} } as never)).rejects.toMatchObject({
      message: expect.stringMatching(/functionName: must be a function name.*code\.status/),
    });
    expect(w.code.calls).toEqual([]);
  });
});
