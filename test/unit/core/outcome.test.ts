/** How a rollout ends: the outcome Finalize, Rollback and the guard give a state. Table-driven. */
import { describe, expect, it } from 'vitest';
import type { Restoration } from '../../../functions/core/alias.js';
import { guardOutcome, promotedState, rollbackReason, rolledBackState } from '../../../functions/core/outcome.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { iso, runningState, T0 } from '../support/rollouts.js';

const NOW = T0 + 300_000;
const state = runningState();

describe('promotedState', () => {
  it('is wholly on the target at 100%, with the last check as the reason', () => {
    const checked: RolloutState = { ...state, history: [...state.history.slice(0, -1), { ...state.history[2]!, verdict: 'healthy', reason: 'no worse than the baseline' }] };
    const done = promotedState(checked, { functionVersion: '8', routing: {}, revisionId: 'r9' }, NOW);
    expect(done.alias).toEqual({ functionVersion: '8', routing: {}, revisionId: 'r9' });
    expect(done.cursor).toMatchObject({ next: 'promote', weightPercent: 100, bakeSeconds: 0 });
    expect(done.outcome).toEqual({ status: 'promoted', reason: 'v8 serves 100% of live (last check: no worse than the baseline)', at: iso(NOW), finalVersion: '8' });
  });

  it('says nothing of a check when the last step had none', () => {
    expect(promotedState(state, { functionVersion: '8', routing: {}, revisionId: 'r9' }, NOW).outcome?.reason).toBe('v8 serves 100% of live');
  });
});

describe('rollbackReason', () => {
  it.each<[string, Partial<RolloutState>, string]>([
    ["the check's reason", { cursor: { ...state.cursor, next: 'rollback', reason: 'errors 5x the baseline' } }, 'errors 5x the baseline'],
    ['a caught error, on one line', { error: { Error: 'TransientAwsError', Cause: '{"errorType":"TransientAwsError","errorMessage":"GetMetricData: InternalError\\n(retried)"}' } }, 'TransientAwsError: GetMetricData: InternalError (retried)'],
    ['the cursor reason otherwise', { cursor: { ...state.cursor, reason: 'bake ended' } }, 'bake ended'],
    ['nothing known', {}, 'rolled back'],
  ])('%s', (_, over, expected) => expect(rollbackReason({ ...state, ...over })).toBe(expected));
});

describe('rolledBackState', () => {
  const failing: RolloutState = { ...state, cursor: { ...state.cursor, next: 'rollback', reason: 'unhealthy' } };
  const restoration = (action: Restoration['action'], functionVersion: string, routing: Record<string, number> = {}, note = 'note'): Restoration => ({
    action,
    alias: { functionVersion, routing, revisionId: 'r9' },
    note,
  });
  it.each<[string, Restoration, { status: string; reason: string }]>([
    ['restored to the baseline', restoration('restored', '7'), { status: 'rolled_back', reason: 'unhealthy' }],
    ['already on the baseline', restoration('already_whole', '7'), { status: 'rolled_back', reason: 'unhealthy' }],
    [
      'split by someone else',
      restoration('drift', '7', { '8': 50 }, 'alias live was changed by someone else'),
      { status: 'drift', reason: 'alias live was changed by someone else; it routes v7 50% + v8 50%. Rollback was needed because: unhealthy' },
    ],
    [
      'wholly on another version',
      restoration('already_whole', '8'),
      { status: 'drift', reason: 'alias live was changed by someone else and was left as it is; it routes v8 100%. Rollback was needed because: unhealthy' },
    ],
  ])('%s', (_, restored, expected) => {
    const done = rolledBackState(failing, restored, NOW);
    expect(done.outcome).toEqual({ ...expected, at: iso(NOW), finalVersion: restored.alias.functionVersion });
    expect(done.alias).toEqual(restored.alias);
  });
});

describe('guardOutcome', () => {
  it.each([
    [{ functionVersion: '7', routing: {} }, 'rolled_back'],
    [{ functionVersion: '8', routing: {} }, 'promoted'],
    [{ functionVersion: '7', routing: { '8': 30 } }, 'drift'],
  ])('%j: %s', (alias, status) => {
    expect(guardOutcome(state, alias, 'why', NOW)).toEqual({ status, reason: 'why', at: iso(NOW), finalVersion: alias.functionVersion });
  });
});
