/**
 * The health judge: is the target version's error rate acceptable next to the baseline's, over
 * the same alias and the same minutes? Returns healthy, unhealthy or inconclusive with the
 * numbers; too little evidence is inconclusive, never healthy.
 */
import { z } from 'zod';

export const HealthPolicySchema = z
  .strictObject({
    /** Target invocations needed before a check may call the target healthy. */
    minRequests: z
      .number({ error: 'must be a whole number of at least 1' })
      .int({ error: 'must be a whole number of at least 1' })
      .min(1, { error: 'must be a whole number of at least 1' })
      .default(100),
    /** How far the target's error rate may exceed the baseline's, in absolute terms (0.01 = 1 point). */
    maxErrorRateIncrease: z
      .number({ error: 'must be a fraction from 0 to 1 (0.01 = 1 point)' })
      .min(0, { error: 'must be a fraction from 0 to 1 (0.01 = 1 point)' })
      .max(1, { error: 'must be a fraction from 0 to 1 (0.01 = 1 point)' })
      .default(0.01),
    /** An absolute ceiling on the target's error rate, whatever the baseline does. Default: none. */
    maxErrorRate: z
      .number({ error: 'must be a fraction from 0 to 1' })
      .min(0, { error: 'must be a fraction from 0 to 1' })
      .max(1, { error: 'must be a fraction from 0 to 1' })
      .optional(),
    /** What to do while evidence is short of `minRequests`. */
    insufficientData: z
      .strictObject({
        /** Each hold extends the bake by this much. Default 60 s. */
        holdSeconds: z
          .number({ error: 'must be a whole number of seconds, at least 60' })
          .int({ error: 'must be a whole number of seconds, at least 60' })
          .min(60, { error: 'must be a whole number of seconds, at least 60' })
          .default(60),
        /** The most a step may be held in total. Default 600 s; 0 never holds. */
        maxHoldSeconds: z
          .number({ error: 'must be a whole number of seconds, 0 or more' })
          .int({ error: 'must be a whole number of seconds, 0 or more' })
          .min(0, { error: 'must be a whole number of seconds, 0 or more' })
          .default(600),
        /**
         * When holding is over: `rollback` (default), or `proceed` as if healthy, which only an
         * operator who accepts promoting untested code should choose.
         */
        then: z
          .enum(['rollback', 'proceed'], { error: 'must be "rollback" or "proceed"' })
          .default('rollback'),
      })
      .prefault({}),
  })
  .prefault({});

export type HealthPolicy = z.output<typeof HealthPolicySchema>;

/** Invocations and errors one version served through the alias. */
export interface Counts {
  readonly invocations: number;
  readonly errors: number;
}

export type VerdictKind = 'healthy' | 'unhealthy' | 'inconclusive';

export interface Verdict {
  readonly verdict: VerdictKind;
  /** One line, with the numbers. */
  readonly reason: string;
  readonly target: Counts;
  readonly baseline: Counts;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const rate = (c: Counts) => (c.invocations > 0 ? c.errors / c.invocations : 0);
const show = (c: Counts) => `${pct(rate(c))} (${c.errors}/${c.invocations})`;

/**
 * Judges the target against the baseline.
 *
 * - Fewer than `minRequests` target invocations: inconclusive, unless the errors seen already
 *   break the limit even if every missing request succeeded (a crash is caught early).
 * - Unhealthy when the target's error rate exceeds the baseline's by more than
 *   `maxErrorRateIncrease`, or exceeds `maxErrorRate`.
 * - A baseline with no traffic counts as error-free, which makes the limit stricter, not looser.
 *
 * @example
 * judgeErrorRate(policy, { invocations: 1000, errors: 50 }, { invocations: 9000, errors: 9 }).verdict
 * // 'unhealthy'
 */
export function judgeErrorRate(policy: HealthPolicy, target: Counts, baseline: Counts): Verdict {
  const limit = Math.min(rate(baseline) + policy.maxErrorRateIncrease, policy.maxErrorRate ?? 1);
  const vs = `target ${show(target)} vs baseline ${show(baseline)}`;
  const verdict = (v: VerdictKind, why: string): Verdict => ({ verdict: v, reason: `${why}: ${vs}`, target, baseline });

  if (target.invocations < policy.minRequests) {
    if (target.errors > 0 && target.errors / policy.minRequests > limit) {
      return verdict('unhealthy', `error rate over ${pct(limit)} however the remaining requests go`);
    }
    return verdict('inconclusive', `not enough traffic: ${target.invocations} of ${policy.minRequests} requests`);
  }
  if (rate(target) > limit) {
    return verdict('unhealthy', `error rate over the limit of ${pct(limit)}`);
  }
  return verdict('healthy', `error rate within the limit of ${pct(limit)}`);
}
