import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ERROR_RATIO_GRID, ERROR_RATIO_WEIGHTS, errorEvidence, errorOriginLogRatio, type MinuteEvidence, wilsonLower, wilsonUpper } from '../../../functions/core/judge.js';
import { HealthPolicySchema, judgeErrors, judgeLatency, judgeThrottles } from '../../../functions/core/health.js';
import { EMPTY_TALLY, foldMinutes, tallyOf, withLatencyThresholds } from '../../../functions/core/tally.js';
import { Random } from '../../../sim/random.js';

const minute = (t: [number, number], b: [number, number], at = 0): MinuteEvidence => ({
  at,
  target: { invocations: t[0], errors: t[1], throttles: 0 },
  baseline: { invocations: b[0], errors: b[1], throttles: 0 },
});

describe('the error-origin likelihood ratio', () => {
  it.each([
    ['no errors: no evidence either way', [minute([600, 0], [5400, 0])], 0],
    ['errors split exactly as the traffic: evidence against a worse target', [minute([600, 1], [5400, 9])], -1],
    ['every error from a 10% canary: strong evidence', [minute([600, 10], [5400, 0])], 1],
  ] as const)('%s', (_, minutes, sign) => {
    const log = errorOriginLogRatio(minutes, 10);
    if (sign === 0) expect(log).toBe(0);
    else expect(Math.sign(log)).toBe(sign);
  });

  it('a minute where one version had no traffic carries no evidence', () => {
    expect(errorOriginLogRatio([minute([600, 30], [0, 0])], 10)).toBe(0);
  });

  it('the grid average sits between the worst and best components', () => {
    const m = [minute([600, 5], [5400, 5])];
    const { logLikelihoodRatio } = errorEvidence(m);
    const logs = ERROR_RATIO_GRID.map((r) => errorOriginLogRatio(m, r));
    expect(logLikelihoodRatio).toBeLessThanOrEqual(Math.max(...logs));
    expect(logLikelihoodRatio).toBeGreaterThanOrEqual(Math.max(...logs) + Math.log(Math.min(...ERROR_RATIO_WEIGHTS)));
  });

  it('the grid weights add up to one, so the average is a martingale under the null', () => {
    expect(ERROR_RATIO_WEIGHTS).toHaveLength(ERROR_RATIO_GRID.length);
    expect(ERROR_RATIO_WEIGHTS.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('Wilson bounds bracket the observed rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const x = Math.round(n * f);
        expect(wilsonLower(x, n, 1.96)).toBeLessThanOrEqual(x / n + 1e-12);
        expect(wilsonUpper(x, n, 1.96)).toBeGreaterThanOrEqual(x / n - 1e-12);
      }),
    );
  });
});

describe('the false-rollback bound holds on simulated healthy data, however often it looks', () => {
  const policy = HealthPolicySchema.parse({});
  /** Healthy: both versions fail at `rate`; checked after every minute for `minutes` minutes. */
  function rolledBack(seed: number, rate: number, rps: number, weight: number, minutes: number): boolean {
    const rnd = new Random(seed);
    const evidence: MinuteEvidence[] = [];
    for (let m = 0; m < minutes; m++) {
      const n = rnd.poisson(rps * 60);
      const nt = rnd.binomial(n, weight);
      evidence.push(minute([nt, rnd.binomial(nt, rate)], [n - nt, rnd.binomial(n - nt, rate)], m * 60_000));
      if (judgeErrors(policy, tallyOf(evidence)).verdict === 'unhealthy') return true;
    }
    return false;
  }

  it.each([
    [0.001, 100, 0.1],
    [0.01, 100, 0.1],
    [0.01, 10, 0.5],
    [0.05, 50, 0.25],
  ])('errors %f at %i rps, %f to the target, 30 looks: at most 1% rolled back (400 seeds)', (rate, rps, weight) => {
    let count = 0;
    for (let seed = 1; seed <= 400; seed++) if (rolledBack(seed, rate, rps, weight, 30)) count += 1;
    // 1% of 400 is 4; allow binomial noise (P[X > 10 | p = 0.01] < 0.003).
    expect(count).toBeLessThanOrEqual(10);
  });
});

describe('latency and throttles keep the same bound, however often they look', () => {
  const policy = HealthPolicySchema.parse({});
  /** Both versions equally slow (and throttled): `share` of requests over the thresholds; checked after every minute. */
  function rolledBack(seed: number, share: number, rps: number, weight: number, minutes: number): { latency: boolean; throttles: boolean } {
    const rnd = new Random(seed);
    let tally = withLatencyThresholds(EMPTY_TALLY, policy, { p99: 200, p90: 100, samples: 5000 }, 0);
    const fired = { latency: false, throttles: false };
    for (let m = 0; m < minutes; m++) {
      const n = rnd.poisson(rps * 60);
      const nt = rnd.binomial(n, weight);
      const slow = (k: number, p: number) => ({ events: rnd.binomial(k, p), trials: k });
      const at = m * 60_000;
      const throttled = [rnd.binomial(nt, share), rnd.binomial(n - nt, share)] as const;
      tally = foldMinutes(
        tally,
        [{
          at,
          target: { invocations: nt - throttled[0], errors: 0, throttles: throttled[0] },
          baseline: { invocations: n - nt - throttled[1], errors: 0, throttles: throttled[1] },
          // Thresholds near the percentiles: more than 1% (10%) of both versions over them, so only the test stands between them and a rollback.
          slow: { p99: { target: slow(nt, 0.02), baseline: slow(n - nt, 0.02) }, p90: { target: slow(nt, 0.15), baseline: slow(n - nt, 0.15) } },
        }],
        { from: at, to: at + 60_000 },
        [{ weightPercent: weight * 100, shiftedAt: 0 }],
      );
      fired.latency ||= judgeLatency(policy, tally).some((s) => s.verdict === 'unhealthy');
      fired.throttles ||= judgeThrottles(HealthPolicySchema.parse({ throttles: { maxIncrease: 0 } }), tally).verdict === 'unhealthy';
    }
    return fired;
  }

  it.each([
    [0.005, 100, 0.1],
    [0.02, 10, 0.5],
  ])('%f throttled at %i rps, %f to the target, 30 looks: at most 1% rolled back for latency or throttles (400 seeds)', (share, rps, weight) => {
    const count = { latency: 0, throttles: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const fired = rolledBack(seed, share, rps, weight, 30);
      if (fired.latency) count.latency += 1;
      if (fired.throttles) count.throttles += 1;
    }
    expect(count.latency).toBeLessThanOrEqual(10);
    expect(count.throttles).toBeLessThanOrEqual(10);
  });
});

describe('a crash is always caught', () => {
  const policy = HealthPolicySchema.parse({});
  it('property: a target failing every request is unhealthy as soon as one complete minute has 10 requests', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 50_000 }), fc.integer({ min: 0, max: 500_000 }), fc.double({ min: 0, max: 0.05, noNaN: true }), (nt, nb, rate) => {
        const verdict = judgeErrors(policy, tallyOf([minute([nt, nt], [nb, Math.floor(nb * rate)])])).verdict;
        expect(verdict).toBe('unhealthy');
      }),
    );
  });
});
