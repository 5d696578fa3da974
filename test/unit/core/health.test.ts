import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HealthPolicySchema, judgeErrorRate } from '../../../functions/core/health.js';

const policy = HealthPolicySchema.parse({});
const c = (invocations: number, errors: number) => ({ invocations, errors });

describe('judgeErrorRate (default policy: 100 requests, +1 point)', () => {
  it.each([
    ['no traffic at all', c(0, 0), c(0, 0), 'inconclusive', 'not enough traffic: 0 of 100 requests'],
    ['too little traffic, no errors', c(99, 0), c(900, 1), 'inconclusive', 'not enough traffic: 99 of 100 requests'],
    ['a crash before enough traffic', c(20, 20), c(200, 0), 'unhealthy', 'however the remaining requests go'],
    ['one error in the first few requests is not yet damning', c(20, 1), c(200, 0), 'inconclusive', 'not enough traffic'],
    ['same error rate as the baseline', c(1000, 1), c(9000, 9), 'healthy', 'within the limit of 1.10%'],
    ['slightly worse, within tolerance', c(1000, 10), c(9000, 9), 'healthy', 'target 1.00% (10/1000) vs baseline 0.10% (9/9000)'],
    ['5% against 0.1%', c(1000, 50), c(9000, 9), 'unhealthy', 'error rate over the limit of 1.10%'],
    ['baseline without traffic counts as error-free', c(1000, 11), c(0, 0), 'unhealthy', 'over the limit of 1.00%'],
    ['a noisy baseline raises the limit', c(1000, 40), c(9000, 300), 'healthy', 'within the limit of 4.33%'],
  ] as const)('%s', (_, target, baseline, verdict, reason) => {
    const v = judgeErrorRate(policy, target, baseline);
    expect(v.verdict).toBe(verdict);
    expect(v.reason).toContain(reason);
    expect(v.target).toEqual(target);
    expect(v.baseline).toEqual(baseline);
  });

  it('an absolute ceiling applies whatever the baseline does', () => {
    const strict = HealthPolicySchema.parse({ maxErrorRate: 0.02 });
    expect(judgeErrorRate(strict, c(1000, 30), c(9000, 900)).verdict).toBe('unhealthy');
  });

  it('property: no data is never healthy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 100 }), (n, e) => {
        expect(judgeErrorRate(policy, c(0, 0), c(n, Math.min(e, n))).verdict).not.toBe('healthy');
      }),
    );
  });

  it('property: a version where every request fails is never healthy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (n, b) => {
        expect(judgeErrorRate(policy, c(n, n), c(b, 0)).verdict).not.toBe('healthy');
      }),
    );
  });
});
