import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ERROR_RATIO_GRID, errorEvidence, errorOriginLogRatio, type MinuteEvidence, wilsonLower, wilsonUpper } from '../../../functions/core/judge.js';
import { HealthPolicySchema, judgeErrors } from '../../../functions/core/health.js';
import { tallyOf } from '../../../functions/core/tally.js';
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
    expect(logLikelihoodRatio).toBeGreaterThanOrEqual(Math.max(...logs) - Math.log(ERROR_RATIO_GRID.length));
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
