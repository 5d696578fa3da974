/**
 * Failures before any traffic moved, in the real workflow: whatever outlasts its retries before
 * the first shift (throttling, 5xx, 409, a timeout, a stray 412) ends as a refusal that says in one
 * line what happened, and the execution, the notification and the registry record say the same.
 */
import { describe, expect, it } from 'vitest';
import { DriftError, ThrottledError, TransientError, UpdateInProgressError } from '../../functions/core/errors.js';
import { attemptsBeforeGivingUp } from '../../functions/core/refusal.js';
import type { TaskHandler } from '../../sim/tasks.js';
import { SimWorld } from '../../sim/world.js';

const healthy = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const input = { functionName: 'orders', alias: 'live', targetVersion: '2', rolloutId: 'r-1', strategy: 'Canary10Percent5Minutes', health: { metricDelaySeconds: 0 } };
const world = () => new SimWorld({ rate: 200, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
const hang = (): Promise<never> => new Promise(() => {});

const failures = [
  ['Throttled', 'AWS kept throttling', () => new ThrottledError('GetAlias orders:live: Rate exceeded (TooManyRequestsException, HTTP 429)')],
  ['TransientAwsError', 'AWS kept failing', () => new TransientError('GetAlias orders:live: Service unavailable (ServiceException, HTTP 503)')],
  ['AliasUpdateInProgress', 'Lambda kept answering that an update of the function is in progress', () => new UpdateInProgressError('GetAlias orders:live: an update is in progress (ResourceConflictException, HTTP 409)')],
  ['AliasDrift', 'the alias or the code changed while the rollout was being prepared', () => new DriftError('GetAlias orders:live: precondition failed (PreconditionFailedException, HTTP 412)')],
] as const;

describe('a failure before any traffic moved is a refusal that says what happened', () => {
  it.each(failures)('%s at Prepare, after every retry', async (error, what, fault) => {
    const w = world();
    w.lambda.injectFault('getAlias', () => fault(), 1000);
    const run = await w.rehearse(input);
    const attempts = attemptsBeforeGivingUp(error);
    const cause = `could not start the rollout of orders:live: ${what} (${error}: ${fault().message})${attempts ? ` after ${attempts} attempts` : ''}; nothing was changed`;
    expect(run.error).toEqual({ Error: 'RolloutRefused', Cause: cause });
    expect(w.notifier.published.map((n) => [n.type, n.body.reason])).toEqual([['refused', cause]]);
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout')).toEqual([]);
  });

  it('a task that keeps timing out (States.Timeout) at AcquireLock: refused, the record and the notification agree, the lock is free', async () => {
    const w = world();
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler => (name === 'AcquireLock' ? hang : handler);
    const run = await w.rehearse(input, { wrapTask });
    const cause = `could not start the rollout of orders:live: a task kept timing out (States.Timeout) after ${attemptsBeforeGivingUp('States.Timeout')} attempts; nothing was changed`;
    expect(run.error).toEqual({ Error: 'RolloutRefused', Cause: cause });
    expect(w.notifier.published.map((n) => [n.type, n.body.reason])).toEqual([['refused', cause]]);
    expect(await w.registry.get('r-1')).toMatchObject({ status: 'refused', reason: cause });
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
  });

  it('a registry that keeps throttling at AcquireLock: refused after every retry, and the lock taken by a lost answer is given back', async () => {
    const w = world();
    const acquire = w.registry.acquire.bind(w.registry);
    w.registry.acquire = async (request) => {
      await acquire(request);
      throw new ThrottledError('TransactWriteItems acquire orders:live for r-1: Rate exceeded (ThrottlingException, HTTP 400)');
    };
    const run = await w.rehearse(input);
    expect(run.error?.Error).toBe('RolloutRefused');
    expect(run.error?.Cause).toMatch(/^could not start the rollout of orders:live: AWS kept throttling \(Throttled: TransactWriteItems .*\) after \d+ attempts; nothing was changed$/);
    expect(await w.registry.get('r-1')).toMatchObject({ status: 'refused', reason: run.error?.Cause });
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
  });

  it('a 409 that outlasts the retries of PublishVersion: refused, and it says the alias was not changed though the code was', async () => {
    const w = world();
    const release = { s3Bucket: 'artifacts-bucket', s3Key: 'releases/orders/live/build-417.zip', s3ObjectVersion: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' };
    w.code.publishVersion = async () => {
      throw new UpdateInProgressError('PublishVersion orders: The operation cannot be performed at this time (ResourceConflictException, HTTP 409)');
    };
    const run = await w.rehearse({ functionName: 'orders', alias: 'live', health: { metricDelaySeconds: 0 }, release });
    expect(run.error).toEqual({
      Error: 'RolloutRefused',
      Cause: `could not start the rollout of orders:live: Lambda kept answering that an update of the function is in progress (AliasUpdateInProgress: PublishVersion orders: The operation cannot be performed at this time (ResourceConflictException, HTTP 409)) after ${attemptsBeforeGivingUp('AliasUpdateInProgress')} attempts; the alias was not changed (the function's code had been updated; no version was rolled out)`,
    });
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout')).toEqual([]);
  });

  it('an input over the size limit is refused naming (input) and the limit, before anything is read', async () => {
    const w = world();
    const run = await w.rehearse({ ...input, health: { probes: { payload: { blob: 'x'.repeat(40_000) } } } });
    expect(run.error).toEqual({ Error: 'InvalidRolloutInput', Cause: expect.stringMatching(/^Invalid rollout input: \(input\): must be at most 32768 bytes as JSON; this is 40\d{3}$/) });
    expect(w.lambda.calls).toEqual([]);
  });

  it('a null input is refused naming (input), like any input that is not a JSON object', async () => {
    for (const value of [null, 'orders', [1], 7]) {
      const w = world();
      const run = await w.rehearse(value);
      expect(run.error, JSON.stringify(value)).toEqual({ Error: 'InvalidRolloutInput', Cause: 'Invalid rollout input: (input): must be a JSON object' });
      expect(w.notifier.published.map((n) => n.type)).toEqual(['refused']);
    }
  });
});
