/** Synthetic probes: when they are due, and what their answers add up to. */
import { describe, expect, it } from 'vitest';
import { probesDue, tallyProbes } from '../../../functions/core/probes.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { runningState } from '../support/rollouts.js';

describe('probesDue', () => {
  const policy = { payload: { ping: true }, count: 3, expect: {} };
  const withProbes: RolloutState = { ...runningState(), rollout: { ...runningState().rollout, health: { ...runningState().rollout.health, probes: policy } } };
  it('once per step, when the policy has probes', () => {
    expect(probesDue(runningState())).toBeUndefined();
    expect(probesDue(withProbes)).toBe(policy);
    const sent = { ...withProbes, history: [...withProbes.history.slice(0, -1), { ...withProbes.history[2]!, probes: { sent: 3, passed: 3 } }] };
    expect(probesDue(sent)).toBeUndefined();
  });
});

describe('tallyProbes', () => {
  it.each([
    [[], { sent: 0, passed: 0, failure: undefined }],
    [[{ ok: true }, { ok: true }], { sent: 2, passed: 2, failure: undefined }],
    [[{ ok: true }, { ok: false, failure: 'invoke status 500' }, { ok: false, failure: 'later' }], { sent: 3, passed: 1, failure: 'invoke status 500' }],
  ])('%j', (judged, expected) => expect(tallyProbes(judged)).toEqual(expected));
});
