/** The service paths of the real workflow: artifacts deployed first, and the one-rollout-per-alias lock. */
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../functions/core/errors.js';
import { SimWorld } from '../../sim/world.js';
import { iso, lockRequest } from '../unit/support/rollouts.js';

const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const world = (codeUpdateSeconds = 5) => new SimWorld({ rate: 50, baseline: steady, target: steady, metricDelaySeconds: 0, codeUpdateSeconds });
const release = { s3Bucket: 'artifacts-bucket', s3Key: 'releases/orders/live/build-417.zip', s3ObjectVersion: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY', build: 'build-417' };
const fromArtifact = { functionName: 'orders', alias: 'live', strategy: 'Canary10Percent5Minutes', health: { metricDelaySeconds: 0 }, release };
/** Another rollout, build-416, running on orders:live when the world starts. */
const otherRollout = (w: SimWorld) => lockRequest('build-416', { targetVersion: '2', baselineVersion: '1', startedAt: iso(w.startTime), at: iso(w.startTime) });

describe('a rollout started from an uploaded artifact', () => {
  it('updates the code, waits in the state machine while Lambda applies it, publishes it, and rolls it out', async () => {
    const w = world(40);
    const run = await w.rehearse(fromArtifact);
    expect(run.status).toBe('SUCCEEDED');
    const waits = run.events.filter((e) => e.type === 'StateEntered' && (e as { state: { name: string } }).state.name === 'WaitForCode');
    expect(waits.length).toBeGreaterThanOrEqual(8);
    expect(w.code.published).toEqual([expect.objectContaining({ functionName: 'orders', version: '3' })]);
    expect(w.code.calls.find((c) => c.op === 'updateCode')?.args).toMatchObject({ s3Bucket: 'artifacts-bucket', s3Key: release.s3Key, s3ObjectVersion: release.s3ObjectVersion });
    expect(w.code.calls.find((c) => c.op === 'publishVersion')?.args).toMatchObject({ codeSha256: w.code.published[0]!.codeSha256 });
    expect(run.output).toMatchObject({ outcome: 'promoted', baselineVersion: '1', targetVersion: '3' });
    expect(w.aliasState).toMatchObject({ functionVersion: '3', routing: {} });
  });

  it('a failed update is refused with Lambda\'s reason; nothing is published and the alias is untouched', async () => {
    const w = world();
    w.code.failNextUpdate('InvalidZipFileException: Could not unzip uploaded file');
    const run = await w.rehearse(fromArtifact);
    expect(run.error?.Error).toBe('RolloutRefused');
    expect(run.error?.Cause).toContain('InvalidZipFileException: Could not unzip uploaded file');
    expect(w.code.published).toEqual([]);
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout')).toEqual([]);
    expect(w.notifier.published.map((n) => n.type)).toEqual(['refused']);
  });

  it('a PublishVersion whose answer was lost is retried, and the version it published is the one rolled out', async () => {
    const w = world();
    const publishVersion = w.code.publishVersion.bind(w.code);
    let attempts = 0;
    w.code.publishVersion = async (...args) => {
      const published = await publishVersion(...args);
      attempts += 1;
      if (attempts === 1) throw new TransientError('PublishVersion orders: socket hang up');
      return published;
    };
    const run = await w.rehearse(fromArtifact);
    expect(run.status).toBe('SUCCEEDED');
    expect(w.code.published.map((p) => p.version)).toEqual(['3']);
    expect(run.output).toMatchObject({ outcome: 'promoted', targetVersion: '3' });
    expect(w.aliasState).toMatchObject({ functionVersion: '3', routing: {} });
  });

  it('code changed by someone else during the update is never published', async () => {
    const w = world(30);
    let changed = false;
    const run = await w.rehearse(fromArtifact, {
      wrapTask: (name, handler) =>
        name === 'CheckCode'
          ? async (input) => {
              if (!changed) w.code.changeCodeExternally('orders', 'c29tZW9uZSBlbHNl');
              changed = true;
              return handler(input);
            }
          : handler,
    });
    expect(run.error?.Error).toBe('RolloutRefused');
    expect(w.code.published).toEqual([]);
    expect(w.aliasState).toMatchObject({ functionVersion: '1', routing: {} });
  });
});

describe('one rollout per alias', () => {
  it('a rollout while another holds the alias is refused naming it, and changes nothing', async () => {
    const w = world();
    await w.registry.acquire(otherRollout(w));
    const run = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', health: { metricDelaySeconds: 0 } });
    expect(run.error?.Error).toBe('RolloutRefused');
    expect(run.error?.Cause).toContain('rollout build-416 is already running on orders:live');
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout')).toEqual([]);
    expect((await w.registry.getLock('orders', 'live'))?.rolloutId).toBe('build-416');
  });

  it.each([
    ['promoted', steady, 'SUCCEEDED', 'healthy'],
    ['rolled_back', { ...steady, errorRate: 1 }, 'FAILED', 'unhealthy'],
  ] as const)('ending %s releases the lock and keeps the history', async (status, target, runStatus, verdict) => {
    const w = new SimWorld({ rate: 50, baseline: steady, target, metricDelaySeconds: 0 });
    const run = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', rolloutId: 'r-1', health: { metricDelaySeconds: 0 } });
    expect(run.status).toBe(runStatus);
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
    expect(await w.registry.get('r-1')).toMatchObject({ rolloutId: 'r-1', status });
    expect((await w.registry.get('r-1'))?.progress?.steps[0]).toMatchObject({ weightPercent: 10, verdict });
  });
});

describe('an artifact refused before anything changes', () => {
  it('while another rollout holds the alias: no code update, no version', async () => {
    const w = world();
    await w.registry.acquire(otherRollout(w));
    const run = await w.rehearse(fromArtifact);
    expect(run.error?.Error).toBe('RolloutRefused');
    expect(run.error?.Cause).toContain('rollout build-416 is already running on orders:live');
    expect(w.code.calls).toEqual([]);
    expect(w.code.published).toEqual([]);
  });

  it('with a bad strategy: no code update, the field named', async () => {
    const w = world();
    const run = await w.rehearse({ ...fromArtifact, strategy: 'Canary50Percent' });
    expect(run.error?.Cause).toContain('strategy: "Canary50Percent" is not a preset');
    expect(w.code.calls).toEqual([]);
  });
});

describe('only the allowed functions, where the service runs', () => {
  it.each([
    ['a function not on the allow-list', 'inventory', 'function inventory is not one of the allowed functions (orders); the service may only roll out those'],
    ["another account's ARN", 'arn:aws:lambda:us-east-1:999999999999:function:orders', 'must name a function where this service runs (partition aws, region us-east-1, account 123456789012); this ARN names account 999999999999'],
  ])('Prepare refuses %s before reading or locking anything', async (_, functionName, rule) => {
    const w = world();
    const run = await w.rehearse({ functionName, alias: 'live', targetVersion: '2', rolloutId: 'r-1', health: { metricDelaySeconds: 0 } });
    expect(run.error).toEqual({ Error: 'InvalidRolloutInput', Cause: `Invalid rollout input: functionName: ${rule}` });
    expect(w.lambda.calls).toEqual([]);
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
    expect(await w.registry.get('r-1')).toBeUndefined();
  });

  it('a release for a function outside the allow-list is refused before any code changes', async () => {
    const w = world();
    const run = await w.rehearse({ ...fromArtifact, functionName: 'arn:aws:lambda:us-east-1:123456789012:function:inventory' });
    expect(run.error?.Error).toBe('RolloutRefused');
    expect(run.error?.Cause).toBe('Invalid rollout input: functionName: function inventory is not one of the allowed functions (orders); the service may only roll out those');
    expect(w.code.calls).toEqual([]);
    expect(w.lambda.calls).toEqual([]);
  });
});
