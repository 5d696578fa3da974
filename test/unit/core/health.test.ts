import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CustomMetricSchema, HealthPolicySchema, combine, judgeAlarms, judgeCustomMetric, judgeErrors, judgeLatency, judgeProbes, judgeThrottles } from '../../../functions/core/health.js';
import type { MinuteEvidence } from '../../../functions/core/judge.js';
import { EMPTY_TALLY, type Tally, tallyOf, withLatencyThresholds } from '../../../functions/core/tally.js';

const policy = HealthPolicySchema.parse({});
/** Minutes of a 10% canary: target and baseline invocations and errors per minute. */
const minuteList = (count: number, t: [number, number], b: [number, number], throttles: [number, number] = [0, 0]): MinuteEvidence[] =>
  Array.from({ length: count }, (_, i) => ({
    at: i * 60_000,
    target: { invocations: t[0], errors: t[1], throttles: throttles[0] },
    baseline: { invocations: b[0], errors: b[1], throttles: throttles[1] },
  }));
/** The same minutes, as the tally a check carries. */
const minutes = (count: number, t: [number, number], b: [number, number], throttles: [number, number] = [0, 0]): Tally => tallyOf(minuteList(count, t, b, throttles));

describe('judgeErrors (sequential, 1% false-rollback bound)', () => {
  it.each([
    ['no traffic at all', minutes(0, [0, 0], [0, 0]), 'inconclusive', 'not enough traffic: 0 of 100 requests'],
    ['too little traffic, no errors', minutes(1, [60, 0], [540, 1]), 'inconclusive', 'not enough traffic: 60 of 100 requests'],
    ['a crash, caught before minimum evidence', minutes(1, [30, 30], [270, 0]), 'unhealthy', 'most requests fail'],
    ['a partial crash, by the sequential test', minutes(1, [60, 20], [540, 1]), 'unhealthy', "the baseline's rate (likelihood ratio"],
    ['same error rate as the baseline', minutes(5, [600, 1], [5400, 5]), 'healthy', "error rate no worse than the baseline's: target 0.17% (5/3000) vs baseline 0.09% (25/27000)"],
    ['0.1% to 1%, enough evidence', minutes(2, [600, 6], [5400, 5]), 'unhealthy', 'likelihood ratio'],
    ['an incident that raises both versions is not blamed on the target', minutes(3, [600, 30], [5400, 270]), 'healthy', 'no worse'],
    ['worse with confidence, but by less than the tolerance', minutes(5, [6000, 8], [54000, 36]), 'healthy', 'no worse'],
    ['a crash with no baseline to compare with', minutes(1, [100, 100], [0, 0]), 'unhealthy', 'most requests fail'],
    ['a baseline too quiet to compare with', minutes(1, [200, 0], [20, 0]), 'inconclusive', 'the baseline had too little traffic to compare with: 20 of 100'],
  ] as const)('%s', (_, m, verdict, reason) => {
    const s = judgeErrors(policy, m);
    expect(s.verdict).toBe(verdict);
    expect(s.reason).toContain(reason);
  });

  it('an absolute ceiling applies whatever the baseline does', () => {
    const strict = HealthPolicySchema.parse({ errors: { maxRate: 0.02 } });
    expect(judgeErrors(strict, minutes(2, [600, 18], [5400, 160])).reason).toContain('error rate above the ceiling of 2.00%');
  });

  it('the fixed-sample test rejects on a single z-test', () => {
    const fixed = HealthPolicySchema.parse({ errors: { test: 'fixed-sample' } });
    expect(judgeErrors(fixed, minutes(1, [600, 4], [5400, 5])).verdict).toBe('unhealthy');
    expect(judgeErrors(policy, minutes(1, [600, 4], [5400, 5])).verdict).toBe('healthy');
  });

  it('"none" skips errors but still needs traffic for the adaptive advance', () => {
    const none = HealthPolicySchema.parse({ errors: { test: 'none' } });
    expect(judgeErrors(none, minutes(1, [600, 600], [5400, 0])).verdict).toBe('skipped');
  });

  it('says "no worse" only with enough clean evidence', () => {
    expect(judgeErrors(policy, minutes(1, [600, 0], [5400, 5])).noWorse).toBe(true);
    expect(judgeErrors(policy, minutes(1, [90, 0], [810, 1])).noWorse).toBe(false);
    expect(judgeErrors(policy, minutes(1, [600, 6], [5400, 54])).noWorse).toBe(false);
  });

  it('property: no data is never healthy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 100 }), (n, e) => {
        expect(judgeErrors(policy, minutes(1, [0, 0], [n, Math.min(e, n)])).verdict).not.toBe('healthy');
      }),
    );
  });

  it('property: a target failing every request is never healthy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 50_000 }), (n, b) => {
        expect(judgeErrors(policy, minutes(1, [n, n], [b, Math.floor(b / 1000)])).verdict).not.toBe('healthy');
      }),
    );
  });
});

describe('judgeLatency (slow requests, by the origin test)', () => {
  /** Thresholds fixed from a baseline p99 of 200 ms and p90 of 100 ms, then `count` minutes of slow counts. */
  const slowMinutes = (count: number, t: { n: number; s99: number; s90: number }, b: { n: number; s99: number; s90: number }): Tally => {
    const fixed = withLatencyThresholds(EMPTY_TALLY, policy, { p99: 200, p90: 100, samples: 5400 }, 0);
    return tallyOf(
      Array.from({ length: count }, (_, i) => ({
        at: i * 60_000,
        target: { invocations: t.n, errors: 0, throttles: 0 },
        baseline: { invocations: b.n, errors: 0, throttles: 0 },
        slow: { p99: { target: { events: t.s99, trials: t.n }, baseline: { events: b.s99, trials: b.n } }, p90: { target: { events: t.s90, trials: t.n }, baseline: { events: b.s90, trials: b.n } } },
      })),
      undefined,
      fixed,
    );
  };
  it('fixes each threshold from the baseline: its percentile times maxRatio, and at least maxIncreaseMs more', () => {
    const fixed = withLatencyThresholds(EMPTY_TALLY, policy, { p99: 200, p90: 30, samples: 5400 }, 0).latency;
    expect(fixed?.p99.thresholdMs).toBe(300);
    expect(fixed?.p90.thresholdMs).toBe(55);
  });
  it('waits for enough baseline samples before fixing a threshold', () => {
    expect(withLatencyThresholds(EMPTY_TALLY, policy, { p99: 200, p90: 100, samples: 499 }, 0).latency).toBeUndefined();
    expect(judgeLatency(policy, EMPTY_TALLY)[0]).toMatchObject({ verdict: 'skipped', reason: expect.stringMatching(/^p99 not judged yet/) });
  });
  it('flags a target whose slow requests outnumber its share, beyond what the percentile allows', () => {
    const [p99] = judgeLatency(policy, slowMinutes(2, { n: 300, s99: 6, s90: 30 }, { n: 2700, s99: 3, s90: 270 }));
    expect(p99).toMatchObject({ name: 'latency p99', verdict: 'unhealthy' });
    expect(p99?.reason).toContain('target 2.00% (12/600) vs baseline 0.11% (6/5400) slower than 300 ms');
  });
  it('a target as fast as the baseline is healthy, and so is one slower but within its percentile', () => {
    expect(judgeLatency(policy, slowMinutes(5, { n: 300, s99: 1, s90: 30 }, { n: 2700, s99: 9, s90: 270 })).map((s) => s.verdict)).toEqual(['healthy', 'healthy']);
    expect(judgeLatency(policy, slowMinutes(20, { n: 300, s99: 2, s90: 20 }, { n: 2700, s99: 1, s90: 100 })).map((s) => s.verdict)).toEqual(['healthy', 'healthy']);
  });
  it('does not call latency healthy on few samples', () => {
    expect(judgeLatency(policy, slowMinutes(1, { n: 100, s99: 0, s90: 10 }, { n: 900, s99: 9, s90: 90 }))[0]).toMatchObject({ verdict: 'skipped', reason: expect.stringMatching(/^p99 not judged yet: 100 of 500 target samples/) });
  });
});

describe('judgeThrottles', () => {
  it('flags a target throttled more than the baseline', () => {
    expect(judgeThrottles(policy, minutes(1, [500, 0], [5400, 0], [100, 0])).verdict).toBe('unhealthy');
    expect(judgeThrottles(policy, minutes(1, [500, 0], [5400, 0], [1, 10])).verdict).toBe('healthy');
  });
  it('needs the sequential evidence, not one unlucky throttle', () => {
    expect(judgeThrottles(policy, minutes(1, [100, 0], [900, 0], [2, 0])).verdict).toBe('healthy');
  });
});

describe('judgeAlarms', () => {
  const watch = (insufficientData: 'hold' | 'rollback' | 'ok') => HealthPolicySchema.parse({ alarms: { names: ['orders-5xx'], insufficientData } });
  it.each([
    ['hold', 'ALARM', 'unhealthy', 'alarm orders-5xx is in ALARM: Threshold Crossed'],
    ['hold', 'OK', 'healthy', 'alarm orders-5xx is OK'],
    ['hold', 'INSUFFICIENT_DATA', 'inconclusive', 'alarm orders-5xx has insufficient data'],
    ['rollback', 'INSUFFICIENT_DATA', 'unhealthy', 'alarm orders-5xx has insufficient data'],
    ['ok', 'INSUFFICIENT_DATA', 'healthy', 'counted as OK as the policy says'],
  ] as const)('with insufficientData %s, %s is %s', (mode, state, verdict, reason) => {
    const [s] = judgeAlarms(watch(mode), [{ name: 'orders-5xx', state, reason: 'Threshold Crossed' }]);
    expect(s?.verdict).toBe(verdict);
    expect(s?.reason).toContain(reason);
  });
  it('an alarm that disappeared is unhealthy, never silently OK', () => {
    expect(judgeAlarms(watch('hold'), [])[0]?.verdict).toBe('unhealthy');
  });
});

describe('custom metrics', () => {
  const threshold = CustomMetricSchema.parse({ name: 'checkout', namespace: 'Shop', metricName: 'CheckoutFailures', stat: 'Sum', compare: 'threshold', threshold: 5 });
  const versus = CustomMetricSchema.parse({ name: 'orders placed', namespace: 'Shop', metricName: 'OrdersPlaced', dimensions: { Version: '${version}' }, stat: 'Average', compare: 'baseline', worseWhen: 'below' });
  it.each([
    [threshold, { target: 9 }, 'unhealthy', 'checkout 9 is above the threshold 5'],
    [threshold, { target: 2 }, 'healthy', 'within the threshold'],
    [threshold, {}, 'inconclusive', 'checkout: no data'],
    [versus, { target: 70, baseline: 100 }, 'unhealthy', 'worse by more than 20%'],
    [versus, { target: 90, baseline: 100 }, 'healthy', 'within 20%'],
  ] as const)('%#', (metric, evidence, verdict, reason) => {
    const s = judgeCustomMetric(metric, evidence);
    expect(s.verdict).toBe(verdict);
    expect(s.reason).toContain(reason);
  });
  it('refuses a baseline comparison whose dimensions cannot tell the versions apart', () => {
    const r = CustomMetricSchema.safeParse({ name: 'x', namespace: 'N', metricName: 'M', stat: 'Sum', compare: 'baseline' });
    expect(r.success).toBe(false);
  });
});

describe('combine', () => {
  it('unhealthy wins, then inconclusive, else healthy', () => {
    const m = minutes(2, [600, 0], [5400, 5]);
    const ok = { name: 'a', verdict: 'healthy' as const, reason: 'fine' };
    expect(combine(policy, m, [ok, { name: 'b', verdict: 'inconclusive', reason: 'wait' }], true)).toMatchObject({ verdict: 'inconclusive', reason: 'wait', noWorse: false });
    expect(combine(policy, m, [ok, { name: 'c', verdict: 'unhealthy', reason: 'bad' }, { name: 'b', verdict: 'inconclusive', reason: 'wait' }], true)).toMatchObject({ verdict: 'unhealthy', reason: 'bad' });
    expect(combine(policy, m, [ok, { name: 'd', verdict: 'skipped', reason: 'n/a' }], true)).toMatchObject({ verdict: 'healthy', noWorse: true, target: { invocations: 1200, errors: 0 } });
  });
  it('passing probes make up for a quiet function when the policy says they count, and the verdict says so', () => {
    const counted = HealthPolicySchema.parse({ probes: { count: 20, countAsEvidence: true } });
    const m = (passed: number) => ({ ...minutes(1, [20, 0], [180, 0]), probes: { sent: passed, passed } });
    const errors = judgeErrors(counted, m(0));
    expect(combine(counted, m(80), [errors], false)).toMatchObject({ verdict: 'healthy', reason: expect.stringMatching(/^judged on probes: 80 passing probes and 20 requests/) });
    expect(combine(counted, m(79), [errors], false).verdict).toBe('inconclusive');
  });
  it('by default probes never stand in for traffic', () => {
    const probed = HealthPolicySchema.parse({ probes: { count: 20 } });
    const m = { ...minutes(1, [20, 0], [180, 0]), probes: { sent: 500, passed: 500 } };
    expect(combine(probed, m, [judgeErrors(probed, m)], false).verdict).toBe('inconclusive');
  });
  it('probes that fail are unhealthy', () => {
    expect(judgeProbes({ sent: 3, passed: 2, failure: 'function error (Unhandled)' })).toMatchObject({ verdict: 'unhealthy', reason: 'probes: 1 of 3 failed: function error (Unhandled)' });
  });
});
