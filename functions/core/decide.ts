/**
 * `decide`: given the plan, where the rollout is and the latest verdict, what happens next.
 * A pure function of its arguments, so every path is a table-driven test.
 */
import type { HealthPolicy, Verdict } from './health.js';
import type { Cursor } from './state.js';
import type { Plan } from './strategy.js';

/**
 * The cursor a rollout starts with: the first step, or promotion at once for an empty plan.
 *
 * @example firstCursor(toPlan('AllAtOnce')).next // 'promote'
 */
export function firstCursor(plan: Plan): Cursor {
  const first = plan.steps[0];
  if (!first) return { step: -1, weightPercent: 0, bakeSeconds: 0, next: 'promote', heldSeconds: 0, reason: 'all at once' };
  return { step: 0, weightPercent: first.weightPercent, bakeSeconds: first.bakeSeconds, next: 'shift', heldSeconds: 0 };
}

/**
 * The next move after a check.
 *
 * - unhealthy: roll back, with the verdict's reason;
 * - healthy: the next step, or promotion after the last one;
 * - inconclusive: hold (bake again) while the step's holds stay within `maxHoldSeconds`, then
 *   roll back, or proceed as if healthy when the policy says so.
 *
 * @example
 * decide(plan, { ...cursor, step: 0 }, { verdict: 'healthy', ... }, policy).next // 'shift' (step 1)
 */
export function decide(plan: Plan, cursor: Cursor, verdict: Verdict, policy: HealthPolicy): Cursor {
  const advance = (why: string): Cursor => {
    const next = plan.steps[cursor.step + 1];
    if (!next) return { ...cursor, next: 'promote', bakeSeconds: 0, reason: why };
    return {
      step: cursor.step + 1,
      weightPercent: next.weightPercent,
      bakeSeconds: next.bakeSeconds,
      next: 'shift',
      heldSeconds: 0,
      reason: why,
    };
  };

  switch (verdict.verdict) {
    case 'unhealthy':
      return { ...cursor, next: 'rollback', bakeSeconds: 0, reason: verdict.reason };
    case 'healthy':
      return advance(verdict.reason);
    case 'inconclusive': {
      const { holdSeconds, maxHoldSeconds, then } = policy.insufficientData;
      if (cursor.heldSeconds + holdSeconds <= maxHoldSeconds) {
        return {
          ...cursor,
          next: 'hold',
          bakeSeconds: holdSeconds,
          heldSeconds: cursor.heldSeconds + holdSeconds,
          reason: `${verdict.reason}; holding ${holdSeconds}s for more evidence`,
        };
      }
      if (then === 'proceed') return advance(`${verdict.reason}; proceeding as the policy allows`);
      return { ...cursor, next: 'rollback', bakeSeconds: 0, reason: verdict.reason };
    }
  }
}
