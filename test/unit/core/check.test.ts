import { describe, expect, it } from 'vitest';
import { assessCheck, evidenceWindow, MAX_SIGNAL_REASON_CHARS } from '../../../functions/core/check.js';
import { startBake, firstCursor } from '../../../functions/core/decide.js';
import { HealthPolicySchema } from '../../../functions/core/health.js';
import { toPlan } from '../../../functions/core/strategy.js';
import { MAX_REASON_CHARS, type RolloutState } from '../../../functions/core/state.js';

const T = Date.UTC(2026, 0, 5, 10, 0, 30);
const plan = toPlan('Canary10Percent5Minutes');
const health = HealthPolicySchema.parse({ probes: { count: 2, countAsEvidence: true } });
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
const none = { alarms: [], metrics: [] };
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
    expect(again.history[0]?.probes).toEqual({ sent: 4, passed: 4, lastAt: T + 300_000 });
    expect(again.history[0]).toMatchObject({ verdict: 'healthy', reason: expect.stringMatching(/^judged on probes: 4 passing probes and 97 requests/) });
  });

  it('records which complete minutes and weights it judged, and how many were served entirely at the weight', () => {
    // Shifted at 10:00:30: the minute 10:00 is partly before the shift, 10:01 entirely at 10%.
    const next = assessCheck(state, { ...none, minutes: [minute(M0, [30, 0], [270, 0]), minute(M0 + 60_000, [61, 0], [539, 1])] }, T + 210_000).state;
    expect(next.history[0]?.judged).toEqual({ from: M0, to: M0 + 120_000, weights: [10], atWeight: 1 });
    expect(next.tally).toMatchObject({ from: M0, through: M0 + 120_000, atWeight: { weightPercent: 10, minutes: 1, target: { invocations: 61 } } });
  });

  it('folds each minute into the tally once, however often it is read', () => {
    const once = assessCheck(state, { ...none, minutes: [minute(M0, [30, 0], [270, 0])] }, T + 150_000).state;
    const twice = assessCheck(once, { ...none, minutes: [minute(M0, [30, 0], [270, 0]), minute(M0 + 60_000, [60, 0], [540, 0])] }, T + 210_000).state;
    expect(twice.tally?.target.invocations).toBe(90);
    expect(twice.history[0]?.target).toMatchObject({ invocations: 90 });
  });

  it('fixes the slow thresholds from the baseline reference, for the minutes after it', () => {
    const next = assessCheck(state, { ...none, minutes: [minute(M0, [300, 0], [2700, 0])], reference: { p99: 200, p90: 100, samples: 2700 } }, T + 150_000).state;
    expect(next.tally?.latency).toMatchObject({ from: M0 + 60_000, p99: { thresholdMs: 300 }, p90: { thresholdMs: 150 } });
  });

  it('on schedule, says what it judged and what not yet', () => {
    const schedule = { ...state, rollout: { ...state.rollout, health: HealthPolicySchema.parse({ advance: 'schedule' }) } };
    const next = assessCheck(schedule, { ...none, minutes: [minute(M0, [300, 0], [2700, 1])] }, T + 150_000).state;
    expect(next.history[0]?.reason).toMatch(/\(judged minutes 10:00-10:01 at 10%; none yet at 10%\)$/);
  });
});

describe('assessCheck when evidence could not be read after the retries', () => {
  const watched: RolloutState = {
    ...state,
    rollout: { ...state.rollout, health: HealthPolicySchema.parse({ alarms: { names: ['orders-errors'] }, metrics: [{ name: 'orders', namespace: 'Shop', metricName: 'Orders', stat: 'Sum', compare: 'threshold', threshold: 1, worseWhen: 'below', missingData: 'unhealthy' }] }) },
  };
  const judged = assessCheck(watched, { ...none, minutes: [minute(M0, [300, 0], [2700, 0])], alarms: [{ name: 'orders-errors', state: 'OK' }], metrics: [{ target: 5 }] }, T + 150_000).state;
  const throttled = 'Throttled: GetMetricData: Rate exceeded';
  const detail = (...args: Parameters<typeof assessCheck>) => assessCheck(...args).check?.signals ?? [];

  it('unreadable metrics: inconclusive, saying why, and the numbers the last check read are kept', () => {
    const next = assessCheck(judged, { ...none, minutes: [], alarms: [{ name: 'orders-errors', state: 'OK' }], metrics: [{}], unreadable: { metrics: throttled } }, T + 210_000).state;
    expect(next.history[0]).toMatchObject({ checks: 2, verdict: 'inconclusive', reason: `could not read the metrics: ${throttled}`, target: judged.history[0]?.target, baseline: judged.history[0]?.baseline });
    // The custom metric's "missing data is unhealthy" is for no data, not for an unreadable CloudWatch.
    expect(detail(judged, { ...none, minutes: [], alarms: [{ name: 'orders-errors', state: 'OK' }], metrics: [{}], unreadable: { metrics: throttled } }, T + 210_000).find((s) => s.name === 'metric orders')).toEqual({ name: 'metric orders', verdict: 'inconclusive', reason: `could not read the metrics: ${throttled}` });
    expect(next.cursor).toMatchObject({ next: 'bake' });
  });

  it('unreadable alarms are inconclusive, not missing alarms (which are unhealthy)', () => {
    const next = assessCheck(judged, { ...none, minutes: [minute(M0, [300, 0], [2700, 0])], alarms: [], metrics: [{ target: 5 }], unreadable: { alarms: 'TransientAwsError: DescribeAlarms: 503' } }, T + 210_000).state;
    expect(detail(judged, { ...none, minutes: [minute(M0, [300, 0], [2700, 0])], alarms: [], metrics: [{ target: 5 }], unreadable: { alarms: 'TransientAwsError: DescribeAlarms: 503' } }, T + 210_000).find((s) => s.name === 'alarm orders-errors')).toEqual({ name: 'alarm orders-errors', verdict: 'inconclusive', reason: 'could not read the alarms: TransientAwsError: DescribeAlarms: 503' });
    expect(next.cursor.next).toBe('bake');
  });

  it('at the end of the bake it holds within the budget, then rolls back; proceed never applies to no evidence', () => {
    const proceed: RolloutState = { ...judged, rollout: { ...judged.rollout, health: { ...judged.rollout.health, insufficientData: { holdSeconds: 60, maxHoldSeconds: 120, then: 'proceed' } } } };
    const blind = (s: RolloutState, at: number) => assessCheck(s, { ...none, minutes: [], alarms: [], metrics: [{}], unreadable: { metrics: throttled, alarms: throttled } }, at).state;
    const end = judged.cursor.bakeEndsAt as number;
    const first = blind(proceed, end);
    expect(first.cursor).toMatchObject({ next: 'hold', heldSeconds: 60, announce: 'held' });
    const second = blind(first, end + 60_000);
    expect(second.cursor).toMatchObject({ next: 'hold', heldSeconds: 120 });
    expect(blind(second, end + 120_000).cursor).toMatchObject({ next: 'rollback', reason: `could not read the metrics: ${throttled}` });
  });

  it('an unhealthy source that could be read still rolls back at once', () => {
    const next = assessCheck(judged, { ...none, minutes: [minute(M0, [300, 0], [2700, 0])], alarms: [{ name: 'orders-errors', state: 'ALARM', reason: 'Threshold Crossed' }], metrics: [{}], unreadable: { metrics: throttled } }, T + 210_000).state;
    expect(next.cursor).toMatchObject({ next: 'rollback', reason: 'alarm orders-errors is in ALARM: Threshold Crossed' });
  });

  it('probes that got no answer make the check inconclusive and stay due', () => {
    const next = assessCheck(state, { ...none, minutes: [minute(M0, [300, 0], [2700, 0])], unreadable: { probes: '2 probes, every Invoke failed (Throttled: Rate exceeded)' } }, T + 150_000).state;
    expect(next.history[0]).toMatchObject({ verdict: 'inconclusive', reason: 'no probe answered: 2 probes, every Invoke failed (Throttled: Rate exceeded)' });
    expect(next.history[0]?.probes).toBeUndefined();
  });
});
