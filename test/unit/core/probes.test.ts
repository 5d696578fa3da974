/** Synthetic probes: when they are due, and what their answers add up to. */
import { describe, expect, it } from 'vitest';
import { judgeProbeAnswer, probesDue, tallyProbes, verifiedState } from '../../../functions/core/probes.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { runningState } from '../support/rollouts.js';

describe('probesDue', () => {
  const policy = { payload: { ping: true }, count: 3, countAsEvidence: false, expect: {} };
  const probing = (p: typeof policy & { everySeconds?: number }): RolloutState => ({ ...runningState(), rollout: { ...runningState().rollout, health: { ...runningState().rollout.health, probes: p } } });
  const sentAt = (state: RolloutState, lastAt: number): RolloutState => ({ ...state, history: [...state.history.slice(0, -1), { ...state.history[2]!, probes: { sent: 3, passed: 3, lastAt } }] });
  it('once per step by default, when the policy has probes', () => {
    expect(probesDue(runningState(), 0)).toBeUndefined();
    expect(probesDue(probing(policy), 0)).toBe(policy);
    expect(probesDue(sentAt(probing(policy), 0), 3_600_000)).toBeUndefined();
  });
  it('again every everySeconds when the policy sets a cadence', () => {
    const every = { ...policy, everySeconds: 120 };
    expect(probesDue(sentAt(probing(every), 0), 60_000)).toBeUndefined();
    expect(probesDue(sentAt(probing(every), 0), 120_000)).toBe(every);
  });
});

describe('verifiedState', () => {
  it('refuses a target that fails its probes before any traffic, naming the failure', () => {
    const refused = verifiedState(runningState(), { sent: 3, passed: 0, failure: 'function error (Unhandled): boom' });
    expect(refused.refusal).toEqual({ Error: 'RolloutRefused', Cause: 'version 8 failed its probes before any traffic moved: 3 of 3 failed: function error (Unhandled): boom' });
  });
  it('tallies passing probes and lets the rollout go on', () => {
    const ok = verifiedState(runningState(), { sent: 3, passed: 3 });
    expect(ok.refusal).toBeUndefined();
    expect(ok.tally?.probes).toEqual({ sent: 3, passed: 3 });
  });
});

describe('judgeProbeAnswer', () => {
  const expectOk = { field: 'body.ok', equals: true };
  it('names what was wrong with an answer', () => {
    expect(judgeProbeAnswer({ statusCode: 200, payload: '{"body":{"ok":false}}' }, expectOk)).toEqual({ ok: false, failure: 'body.ok was false, expected true' });
    expect(judgeProbeAnswer({ statusCode: 200, payload: '{"body":{"ok":true}}' }, expectOk)).toEqual({ ok: true });
  });
  it('quotes at most 120 characters of an answer, however large: the failure is carried in the state', () => {
    const huge = 'x'.repeat(1_000_000);
    for (const answer of [
      { statusCode: 200, payload: JSON.stringify({ body: { ok: huge } }) },
      { statusCode: 200, payload: huge },
      { statusCode: 200, functionError: huge, payload: huge },
    ]) {
      expect(judgeProbeAnswer(answer, expectOk).failure?.length).toBeLessThan(300);
    }
  });
});

describe('tallyProbes', () => {
  it.each([
    [[], { sent: 0, passed: 0, failure: undefined }],
    [[{ ok: true }, { ok: true }], { sent: 2, passed: 2, failure: undefined }],
    [[{ ok: true }, { ok: false, failure: 'invoke status 500' }, { ok: false, failure: 'later' }], { sent: 3, passed: 1, failure: 'invoke status 500' }],
  ])('%j', (judged, expected) => expect(tallyProbes(judged)).toEqual(expected));
});
