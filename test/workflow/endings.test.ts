/**
 * Every ending the new paths can reach leaves the alias whole (the target after a promotion, the
 * baseline otherwise), the lock free, and nothing provisioned that the rollout added.
 */
import { describe, expect, it } from 'vitest';
import { crashing, healthy, type LifecycleRun, runLifecycle } from '../support/lifecycle.js';

const degradingAfterPromotion = { ...healthy, changes: [{ atSeconds: 420, errorRate: 0.5 }] };

const endings: [string, LifecycleRun, 'SUCCEEDED' | string][] = [
  ['preTraffic refuses', { hooks: { preTraffic: { answer: 'fail' } } }, 'RolloutRefused'],
  ['beforeStep fails before traffic', { hooks: { beforeStep: { answer: 'fail' } } }, 'RolloutRefused'],
  ['beforeStep fails after traffic', { hooks: { beforeStep: { answer: 'timeout', timeoutSeconds: 60, passFirst: 1 } } }, 'RolloutRolledBack'],
  ['postTraffic fails', { hooks: { postTraffic: { answer: 'fail' } } }, 'RolloutRolledBack'],
  ['onRollback fails', { world: { target: crashing }, hooks: { onRollback: { answer: 'fail' } } }, 'RolloutRolledBack'],
  ['every hook passes', { hooks: { preTraffic: { answer: 'succeed' }, beforeStep: { answer: 'succeed' }, postTraffic: { answer: 'callback', afterSeconds: 10 } } }, 'SUCCEEDED'],
  ['a gate approved', { input: { gates: [{ before: 'promotion' }] }, acts: [{ atSeconds: 450, action: 'approve' }] }, 'SUCCEEDED'],
  ['a gate rejected', { input: { gates: [{ before: 'promotion' }] }, acts: [{ atSeconds: 450, action: 'reject', body: { reason: 'no' } }] }, 'RolloutRolledBack'],
  ['a gate timed out', { input: { gates: [{ before: 'promotion', timeoutSeconds: 120 }] } }, 'RolloutRolledBack'],
  ['paused and resumed', { acts: [{ atSeconds: 10, action: 'pause' }, { atSeconds: 500, action: 'resume' }] }, 'SUCCEEDED'],
  ['promoted by a person', { acts: [{ atSeconds: 10, action: 'promote' }] }, 'SUCCEEDED'],
  ['a healthy final bake', { input: { finalBakeSeconds: 300 }, world: { historySeconds: 3600 } }, 'SUCCEEDED'],
  ['an unhealthy final bake', { input: { finalBakeSeconds: 600 }, world: { historySeconds: 3600, target: degradingAfterPromotion } }, 'RolloutRolledBack'],
];

describe('every ending leaves the alias whole, the lock free and no provisioned concurrency behind', () => {
  it.each(endings)('%s', async (_, run, ending) => {
    const result = await runLifecycle({ ...run, setup: (w) => w.lambda.provision('orders', 'live', 10) });
    expect(result.result.status === 'SUCCEEDED' ? 'SUCCEEDED' : result.result.error?.Error).toBe(ending);
    expect(result.alias.routing).toEqual({});
    expect(result.alias.functionVersion).toBe(ending === 'SUCCEEDED' ? '2' : '1');
    expect(await result.lock()).toBeUndefined();
    expect(result.world.lambda.peekProvisioned('orders', '2')).toBeUndefined();
  });
});
