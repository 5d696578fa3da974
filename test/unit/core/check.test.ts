import { describe, expect, it } from 'vitest';
import { assessCheck, evidenceWindow, MAX_SIGNAL_REASON_CHARS } from '../../../functions/core/check.js';
import { startBake, firstCursor } from '../../../functions/core/decide.js';
import { HealthPolicySchema } from '../../../functions/core/health.js';
import { toPlan } from '../../../functions/core/strategy.js';
import { MAX_REASON_CHARS, type RolloutState } from '../../../functions/core/state.js';

const T = Date.UTC(2026, 0, 5, 10, 0, 30);
const plan = toPlan('Canary10Percent5Minutes');
const health = HealthPolicySchema.parse({ probes: { count: 2 } });
const state: RolloutState = {
  rollout: { id: 'r', executionArn: 'arn', functionName: 'orders', alias: 'live', baselineVersion: '1', targetVersion: '2', plan, health, notifications: {}, startedAt: new Date(T).toISOString() },
  alias: { functionVersion: '1', routing: { '2': 10 }, revisionId: 'r1' },
  cursor: startBake(firstCursor(plan), T, health),
  history: [{ step: 0, weightPercent: 10, shiftedAt: T, revisionId: 'r1', checks: 0 }],
};
const minute = (at: number, t: [number, number], b: [number, number]) => ({
  at,
  target: { invocations: t[0], errors: t[1], throttles: 0 },
  baseline: { invocations: b[0], errors: b[1], throttles: 0 },
});
const none = { latency: { target: {}, baseline: {} }, alarms: [], metrics: [] };
const M0 = Date.UTC(2026, 0, 5, 10, 0, 0);

describe('evidenceWindow', () => {
  it.each([
    ['a minute after the shift: nothing complete yet', T + 60_000, M0, M0 - 60_000],
    ['two and a half minutes after: the shift minute is complete', T + 150_000, M0, M0 + 60_000],
    ['five minutes after: three minutes complete', T + 300_000, M0, M0 + 180_000],
  ])('%s', (_, now, start, end) => {
    expect(evidenceWindow(state, now)).toEqual({ start, end });
  });
});

describe('assessCheck', () => {
  it('before any complete minute: inconclusive, said plainly, and the bake goes on', () => {
    const next = assessCheck(state, { ...none, minutes: [] }, T + 60_000).state;
    expect(next.history[0]).toMatchObject({ checks: 1, verdict: 'inconclusive', reason: expect.stringMatching(/^no complete metric minute yet/) });
    expect(next.cursor).toMatchObject({ next: 'bake', waitSeconds: 60 });
  });

  it('records the verdict with its numbers and the observed split, and returns every signal apart', () => {
    const { state: next, check } = assessCheck(state, { ...none, minutes: [minute(M0, [30, 0], [270, 0]), minute(M0 + 60_000, [61, 0], [539, 1])] }, T + 210_000);
    expect(next.history[0]).toMatchObject({
      verdict: 'inconclusive',
      target: { invocations: 91, errors: 0 },
      baseline: { invocations: 809, errors: 1 },
      observedSplitPercent: 10.17,
      reason: 'not enough traffic: 91 of 100 requests: target 0.00% (0/91) vs baseline 0.12% (1/809) (observed split 10.17% at a 10% weight)',
    });
    expect(next.history[0]).not.toHaveProperty('signals');
    expect(check).toMatchObject({ at: T + 210_000, step: 0, weightPercent: 10, verdict: 'inconclusive', next: 'bake', target: { invocations: 91, errors: 0 } });
    expect(check?.signals.map((s) => `${s.name}:${s.verdict}`)).toEqual(['errors:inconclusive', 'latency p99:skipped', 'latency p90:skipped', 'throttles:skipped']);
  });

  it('keeps a short reason in the state however long the signals are; the detail keeps each signal, cut to a bound', () => {
    const names = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}-${'a'.repeat(251)}`);
    const watched: RolloutState = { ...state, rollout: { ...state.rollout, health: HealthPolicySchema.parse({ alarms: { names } }) } };
    const alarms = names.map((name) => ({ name, state: 'ALARM', reason: `Threshold Crossed: ${'x'.repeat(1000)}` }));
    const { state: next, check } = assessCheck(watched, { ...none, alarms, minutes: [minute(M0, [300, 0], [2700, 0])] }, T + 150_000);
    expect(next.cursor.next).toBe('rollback');
    expect(next.cursor.reason).toHaveLength(MAX_REASON_CHARS);
    expect(next.cursor.reason).toMatch(/^alarm 000-a+ is in ALARM: Threshold Crossed: x+…$/);
    expect(next.history[0]?.reason).toBe(next.cursor.reason);
    expect(check?.signals.filter((s) => s.name.startsWith('alarm '))).toHaveLength(100);
    expect(Math.max(...(check?.signals ?? []).map((s) => s.reason.length))).toBe(MAX_SIGNAL_REASON_CHARS);
  });

  it('a crash rolls back at once, mid-bake', () => {
    const next = assessCheck(state, { ...none, minutes: [minute(M0, [30, 30], [270, 0])] }, T + 150_000).state;
    expect(next.cursor).toMatchObject({ next: 'rollback', reason: expect.stringMatching(/^most requests fail/) });
  });

  it('probes add up within a step and count towards the minimum evidence', () => {
    const probed = assessCheck(state, { ...none, minutes: [minute(M0, [97, 0], [873, 0])], probes: { sent: 2, passed: 2 } }, T + 150_000).state;
    expect(probed.history[0]).toMatchObject({ probes: { sent: 2, passed: 2 }, verdict: 'inconclusive' });
    const again = assessCheck(probed, { ...none, minutes: [minute(M0, [97, 0], [873, 0])], probes: { sent: 2, passed: 2 } }, T + 300_000).state;
    expect(again.history[0]?.probes).toEqual({ sent: 4, passed: 4 });
    expect(again.history[0]?.verdict).toBe('healthy');
  });
});
