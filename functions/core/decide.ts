/**
 * `decide`: given the plan, where the rollout is, the latest verdict and the time, what happens
 * next. A pure function of its arguments, so every path is a table-driven test.
 */
import type { HealthPolicy, Verdict } from './health.js';
import type { Cursor } from './state.js';
import type { Plan } from './strategy.js';

const MINUTE = 60_000;

/** "10:04" for an epoch ms (UTC, as CloudWatch shows minutes). */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/**
 * The first complete metric minute served entirely at the cursor's weight (it starts at or after
 * the shift took effect), and when CloudWatch has it (`metricDelaySeconds` after it ends).
 *
 * @example firstWholeMinute({ ...cursor, shiftedAt: Date.UTC(2026, 0, 5, 10, 0, 30) }, policy) // 10:01-10:02, readable at 10:04 with a 120 s delay
 */
export function firstWholeMinute(cursor: Pick<Cursor, 'shiftedAt'>, policy: Pick<HealthPolicy, 'metricDelaySeconds'>): { from: number; to: number; readableAt: number } | undefined {
  if (cursor.shiftedAt === undefined) return undefined;
  const from = Math.ceil(cursor.shiftedAt / MINUTE) * MINUTE;
  return { from, to: from + MINUTE, readableAt: from + MINUTE + policy.metricDelaySeconds * 1000 };
}

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

/** A weight that has baked this long is checked every `longBakeCheckEverySeconds` from then on. */
export const LONG_BAKE_AFTER_SECONDS = 60 * 60;

/**
 * Seconds between checks of a weight that took effect at `shiftedAt`: `checkEverySeconds` in its
 * first hour, then `longBakeCheckEverySeconds`, never more often than `checkEverySeconds`.
 *
 * @example checkInterval(policy, shiftedAt, shiftedAt + 2 * 3_600_000) // 900 with the defaults
 */
export function checkInterval(policy: Pick<HealthPolicy, 'checkEverySeconds' | 'longBakeCheckEverySeconds'>, shiftedAt: number, now: number): number {
  if (now - shiftedAt < LONG_BAKE_AFTER_SECONDS * 1000) return policy.checkEverySeconds;
  return Math.max(policy.checkEverySeconds, policy.longBakeCheckEverySeconds);
}

/**
 * The cursor right after a shift took effect at `now`: bake, checking every `checkEverySeconds`.
 */
export function startBake(cursor: Cursor, now: number, policy: HealthPolicy): Cursor {
  return {
    ...cursor,
    next: 'bake',
    shiftedAt: now,
    heldSeconds: 0,
    bakeEndsAt: now + cursor.bakeSeconds * 1000,
    waitSeconds: Math.min(checkInterval(policy, now, now), cursor.bakeSeconds),
  };
}

/**
 * The next move after a check at `now`.
 *
 * - unhealthy: roll back at once, with the verdict's reason, even mid-bake;
 * - mid-bake: bake on and check again (every `checkEverySeconds`, every
 *   `longBakeCheckEverySeconds` after a weight's first hour), unless the adaptive strategy may
 *   advance early (the minimum bake is over, the evidence says the target is no worse, and a
 *   complete minute at this weight has been judged);
 * - bake over, but no complete metric minute served entirely at this weight judged yet (unless
 *   `advance` is "schedule"): wait for it, checking as usual; the wait says which minute and when
 *   CloudWatch has it;
 * - bake over and healthy: the next step, or promotion after the last one;
 * - bake over and inconclusive: hold (bake longer) while the step's holds stay within
 *   `maxHoldSeconds`, then roll back, or proceed as if healthy when the policy says so.
 *
 * @example decide(plan, cursor, healthyVerdict, policy, cursor.bakeEndsAt).next // 'shift'
 */
export function decide(plan: Plan, cursor: Cursor, verdict: Verdict, policy: HealthPolicy, now: number): Cursor {
  const advance = (why: string): Cursor => {
    const next = plan.steps[cursor.step + 1];
    if (!next) return { ...cursor, next: 'promote', waitSeconds: 0, reason: why, announce: 'verdict', awaiting: undefined };
    return { step: cursor.step + 1, weightPercent: next.weightPercent, bakeSeconds: next.bakeSeconds, next: 'shift', heldSeconds: 0, reason: why, announce: 'verdict' };
  };
  const bakeEndsAt = cursor.bakeEndsAt ?? now;
  const wait = (next: 'bake' | 'hold', until: number, why: string, held = cursor.heldSeconds): Cursor => ({
    ...cursor,
    next,
    announce: next === 'hold' && cursor.next !== 'hold' ? 'held' : undefined,
    awaiting: undefined,
    bakeEndsAt: until,
    heldSeconds: held,
    waitSeconds: Math.max(1, Math.min(checkInterval(policy, cursor.shiftedAt ?? now, now), Math.ceil((until - now) / 1000))),
    reason: why,
  });

  if (verdict.verdict === 'unhealthy') return { ...cursor, next: 'rollback', waitSeconds: 0, reason: verdict.reason, announce: undefined, awaiting: undefined };

  const whole = policy.advance === 'schedule' ? undefined : firstWholeMinute(cursor, policy);
  const seen = whole === undefined || now >= whole.readableAt;
  if (whole && !seen && (now >= bakeEndsAt || cursor.awaiting !== undefined)) {
    const why = `bake over; waiting for the first complete minute at ${cursor.weightPercent}% (${clockTime(whole.from)}-${clockTime(whole.to)}), in CloudWatch at about ${clockTime(whole.readableAt)}`;
    return { ...wait('bake', whole.readableAt, why), awaiting: whole.readableAt };
  }
  if (now < bakeEndsAt) {
    const minBake = plan.minBakeSeconds;
    const sinceShift = now - (cursor.shiftedAt ?? now);
    if (minBake !== undefined && sinceShift >= minBake * 1000 && verdict.noWorse && seen) {
      return advance(`${verdict.reason}; no worse than the baseline after ${Math.round(sinceShift / 1000)}s, advancing early`);
    }
    return wait(cursor.next === 'hold' ? 'hold' : 'bake', bakeEndsAt, verdict.reason);
  }

  if (verdict.verdict === 'healthy') return advance(verdict.reason);

  const { holdSeconds, maxHoldSeconds, then } = policy.insufficientData;
  if (cursor.heldSeconds + holdSeconds <= maxHoldSeconds) {
    return wait('hold', now + holdSeconds * 1000, `${verdict.reason}; holding ${holdSeconds}s for more evidence`, cursor.heldSeconds + holdSeconds);
  }
  if (then === 'proceed') return advance(`${verdict.reason}; proceeding as the policy allows`);
  return { ...cursor, next: 'rollback', waitSeconds: 0, reason: verdict.reason, announce: undefined, awaiting: undefined };
}
