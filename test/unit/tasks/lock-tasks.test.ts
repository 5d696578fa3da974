/** AcquireLock and ReleaseLock: the workflow's side of one rollout per alias, and the history it leaves. */
import { describe, expect, it } from 'vitest';
import { ErrorName, ThrottledError } from '../../../functions/core/errors.js';
import { STARTED_OUTSIDE_API } from '../../../functions/core/registry.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { makeAcquireLock } from '../../../functions/tasks/acquire-lock.js';
import { makeReleaseLock } from '../../../functions/tasks/release-lock.js';
import { InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { CALLER, executionArn, iso, lockRequest, runningState, T0 } from '../support/rollouts.js';

const clock = { now: () => T0 + 5000 };
const state = runningState({ id: 'r2' });
const key = { functionName: 'orders', alias: 'live' };

describe('AcquireLock', () => {
  it('takes a free alias and passes the state on unchanged', async () => {
    const registry = new InMemoryRolloutRegistry();
    const out = await makeAcquireLock({ registry, clock })(state);
    expect(out).toEqual(state);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'r2', executionArn: executionArn('r2'), status: 'running', startedBy: STARTED_OUTSIDE_API });
    expect(await registry.get('r2')).toMatchObject({ status: 'running', baselineVersion: '7', strategy: 'Linear10PercentEvery1Minute' });
  });

  it("confirms the lock the API took for this rollout, keeping the API's caller", async () => {
    const registry = new InMemoryRolloutRegistry();
    await registry.acquire(lockRequest('r2', { status: 'pending', baselineVersion: undefined }));
    expect(await makeAcquireLock({ registry, clock })(state)).toEqual(state);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'r2', status: 'running', startedBy: CALLER, baselineVersion: '7' });
  });

  it('refuses, as data, when another rollout holds the alias, naming it', async () => {
    const registry = new InMemoryRolloutRegistry();
    await registry.acquire(lockRequest('r1'));
    const out = await makeAcquireLock({ registry, clock })(state);
    expect(out).toEqual({
      ...state,
      refusal: { Error: ErrorName.Refused, Cause: `rollout r1 is already running on orders:live (execution ${executionArn('r1')}, since ${iso(T0)})` },
    });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'r1' });
  });

  it('throws what the workflow should retry', async () => {
    const registry = { acquire: async () => Promise.reject(new ThrottledError('Rate exceeded')) };
    await expect(makeAcquireLock({ registry, clock })(state)).rejects.toMatchObject({ name: ErrorName.Throttled });
  });

  it('fails loudly on something that is not a rollout state', async () => {
    await expect(makeAcquireLock({ registry: new InMemoryRolloutRegistry(), clock })({ functionName: 'orders' })).rejects.toThrow('Not a rollout state');
  });
});

describe('ReleaseLock', () => {
  async function held() {
    const registry = new InMemoryRolloutRegistry();
    await makeAcquireLock({ registry, clock })(state);
    return registry;
  }

  it('writes the final record with every step and releases the lock; returns its input', async () => {
    const registry = await held();
    const promoted: RolloutState = { ...state, outcome: { status: 'promoted', reason: 'v8 serves 100% of live', at: iso(T0 + 600_000), finalVersion: '8' } };
    const out = await makeReleaseLock({ registry, clock })(promoted);
    expect(out).toBe(promoted);
    expect(await registry.getLock('orders', 'live')).toBeUndefined();
    expect(await registry.get('r2')).toMatchObject({
      status: 'promoted',
      reason: 'v8 serves 100% of live',
      finalVersion: '8',
      endedAt: iso(T0 + 5000),
      progress: { currentStep: 3, steps: [{ revisionId: 'r1', verdict: 'healthy' }, { revisionId: 'r2' }, { revisionId: 'r3' }] },
    });
  });

  it('is idempotent: a retry changes nothing and the first ending stands', async () => {
    const registry = await held();
    const rolledBack: RolloutState = { ...state, outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at: iso(T0), finalVersion: '7' } };
    await makeReleaseLock({ registry, clock })(rolledBack);
    await makeReleaseLock({ registry, clock: { now: () => T0 + 9999 } })(rolledBack);
    expect(await registry.get('r2')).toMatchObject({ status: 'rolled_back', endedAt: iso(T0 + 5000) });
  });

  it("records a refusal without touching the lock of the rollout that refused it", async () => {
    const registry = new InMemoryRolloutRegistry();
    await registry.acquire(lockRequest('r1'));
    const refused = await makeAcquireLock({ registry, clock })(state);
    await makeReleaseLock({ registry, clock })(refused);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'r1' });
    expect(await registry.get('r2')).toMatchObject({ status: 'refused', reason: expect.stringContaining('rollout r1 is already running on orders:live'), finalVersion: '7' });
    expect(await registry.get('r1')).toMatchObject({ status: 'running' });
  });

  it('records a failed rollback as failed, with the error, and still releases the lock', async () => {
    const registry = await held();
    const failed: RolloutState = { ...state, error: { Error: 'RollbackFailed', Cause: '{"errorType":"Throttled","errorMessage":"Rate exceeded"}' } };
    await makeReleaseLock({ registry, clock })(failed);
    expect(await registry.get('r2')).toMatchObject({ status: 'failed', reason: 'RollbackFailed: Rate exceeded' });
    expect(await registry.release({ ...key, rolloutId: 'r2', executionArn: executionArn('r2') })).toBe(false);
  });

  it("passes a refusal from before the rollout existed through, writing nothing", async () => {
    const registry = new InMemoryRolloutRegistry();
    const prepareRefusal = { refusal: { Error: 'RolloutRefused', Cause: 'version 9 is not published' }, functionName: 'orders' };
    expect(await makeReleaseLock({ registry, clock })(prepareRefusal)).toBe(prepareRefusal);
    expect(registry.allRecords).toEqual([]);
  });
});
