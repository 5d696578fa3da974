/**
 * `decide`: given the plan, where the rollout is, the latest verdict, what people asked for (gates,
 * pause, promote) and the time, what happens next. A pure function of its arguments, so every path
 * is a table-driven test.
 */
import { type Gate, gateId, type OpenGate, type RolloutControl } from './control.js';
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

/** What people asked for, as `decide` weighs it: the rollout's gates and its control record. */
export interface Controls {
  readonly gates?: readonly Gate[] | undefined;
  readonly control?: RolloutControl | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The next move after a check at `now`.
 *
 * - unhealthy: roll back at once, with the verdict's reason, even mid-bake, paused or at a gate;
 * - a gate a person rejected: roll back, saying who and why;
 * - a person asked to promote: promote now, skipping the remaining steps and gates;
 * - mid-bake: bake on and check again (every `checkEverySeconds`, every
 *   `longBakeCheckEverySeconds` after a weight's first hour), unless the adaptive strategy may
 *   advance early (the minimum bake is over, the evidence says the target is no worse, and a
 *   complete minute at this weight has been judged; never in the final bake);
 * - bake over, but no complete metric minute served entirely at this weight judged yet (unless
 *   `advance` is "schedule"): wait for it, checking as usual; the wait says which minute and when
 *   CloudWatch has it (in the final bake: a minute served wholly by the target after promotion);
 * - bake over and healthy: the next step, or promotion after the last one (after the final bake:
 *   done), unless the rollout is paused, or a gate before that move waits for approval: then await
 *   (checks go on), until approved, rejected, or timed out (roll back, or proceed if the gate says so);
 * - bake over and inconclusive: hold (bake longer) while the step's holds stay within
 *   `maxHoldSeconds`, then roll back, or proceed as if healthy when the policy says so.
 *
 * @example decide(plan, cursor, healthyVerdict, policy, cursor.bakeEndsAt).next // 'shift'
 */
export function decide(plan: Plan, cursor: Cursor, verdict: Verdict, policy: HealthPolicy, now: number, controls: Controls = {}): Cursor {
  const control = controls.control;
  const after = cursor.final ? 'after promotion, during the final bake: ' : '';
  const rollback = (why: string): Cursor => ({ ...cursor, next: 'rollback', waitSeconds: 0, reason: why, announce: undefined, awaiting: undefined });

  if (verdict.verdict === 'unhealthy') return rollback(`${after}${verdict.reason}`);
  const rejected = cursor.gate ? control?.decisions[cursor.gate.id] : undefined;
  if (cursor.gate && rejected?.decision === 'rejected') {
    return rollback(`gate ${cursor.gate.id} was rejected by ${rejected.by}${rejected.reason ? `: ${rejected.reason}` : ''}`);
  }
  if (!cursor.final && !cursor.promotion && control?.promote) {
    const { promote } = control;
    const rest = promote.full ? 'skipping the remaining steps' : 'the remaining checks run at 100%';
    return {
      ...cursor,
      next: 'promote',
      promotion: promote,
      gate: undefined,
      paused: undefined,
      awaiting: undefined,
      waitSeconds: 0,
      announce: undefined,
      reason: `promoted by ${promote.by}${promote.reason ? ` (${promote.reason})` : ''}; ${rest}`,
    };
  }

  const planned = byEvidence(plan, cursor, verdict, policy, now);
  if (planned.next !== 'shift' && planned.next !== 'promote') return planned;

  if (control?.pause) {
    // A gate already open stays open (and keeps its timeout): it may be decided while paused.
    return {
      ...cursor,
      next: 'await',
      paused: true,
      awaiting: undefined,
      waitSeconds: policy.checkEverySeconds,
      announce: cursor.paused ? undefined : 'paused',
      reason: `paused by ${control.pause.by}${control.pause.reason ? ` (${control.pause.reason})` : ''}; ${verdict.reason}`,
    };
  }
  const gate = cursor.final ? undefined : gateBefore(controls.gates ?? [], planned);
  if (!gate) return planned;
  const id = gateId(gate.before);
  const decision = control?.decisions[id];
  if (decision?.decision === 'approved') return { ...planned, reason: `${planned.reason}; gate ${id} approved by ${decision.by}` };
  if (decision?.decision === 'rejected') return rollback(`gate ${id} was rejected by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`);

  const open: OpenGate =
    cursor.gate?.id === id
      ? cursor.gate
      : { id, openedAt: iso(now), timesOutAt: iso(now + gate.timeoutSeconds * 1000), onTimeout: gate.onTimeout, weightPercent: cursor.weightPercent };
  const timesOutAt = Date.parse(open.timesOutAt);
  if (now >= timesOutAt) {
    const waited = `gate ${id} was not decided within ${gate.timeoutSeconds}s`;
    return gate.onTimeout === 'proceed' ? { ...planned, reason: `${planned.reason}; ${waited}, proceeding as the gate says` } : rollback(waited);
  }
  return {
    ...cursor,
    next: 'await',
    gate: open,
    paused: undefined,
    awaiting: undefined,
    waitSeconds: Math.max(1, Math.min(policy.checkEverySeconds, Math.ceil((timesOutAt - now) / 1000))),
    announce: cursor.gate?.id === id ? undefined : 'gate',
    reason: `waiting for approval of gate ${id} (until ${open.timesOutAt}); ${verdict.reason}`,
  };
}

/** The gate before the move `planned` makes, if the rollout has one. */
function gateBefore(gates: readonly Gate[], planned: Cursor): Gate | undefined {
  const before = planned.next === 'promote' ? 'promotion' : planned.step + 1;
  return gates.find((g) => g.before === before);
}

/** The next move on the evidence alone: bake, hold, advance (shift or promote) or roll back. */
function byEvidence(plan: Plan, cursor: Cursor, verdict: Verdict, policy: HealthPolicy, now: number): Cursor {
  const advance = (why: string): Cursor => {
    const next = cursor.final ? undefined : plan.steps[cursor.step + 1];
    if (!next) return { ...cursor, next: 'promote', gate: undefined, paused: undefined, waitSeconds: 0, reason: why, announce: 'verdict', awaiting: undefined };
    return { step: cursor.step + 1, weightPercent: next.weightPercent, bakeSeconds: next.bakeSeconds, next: 'shift', heldSeconds: 0, reason: why, announce: 'verdict' };
  };
  const bakeEndsAt = cursor.bakeEndsAt ?? now;
  const wait = (next: 'bake' | 'hold', until: number, why: string, held = cursor.heldSeconds): Cursor => ({
    ...cursor,
    next,
    gate: undefined,
    paused: undefined,
    announce: next === 'hold' && cursor.next !== 'hold' ? 'held' : undefined,
    awaiting: undefined,
    bakeEndsAt: until,
    heldSeconds: held,
    waitSeconds: Math.max(1, Math.min(checkInterval(policy, cursor.shiftedAt ?? now, now), Math.ceil((until - now) / 1000))),
    reason: why,
  });
  const after = cursor.final ? 'after promotion, during the final bake: ' : '';

  const whole = policy.advance === 'schedule' ? undefined : firstWholeMinute(cursor, policy);
  const seen = whole === undefined || now >= whole.readableAt;
  if (whole && !seen && (now >= bakeEndsAt || cursor.awaiting !== undefined)) {
    const why = `bake over; waiting for the first complete minute at ${cursor.weightPercent}% (${clockTime(whole.from)}-${clockTime(whole.to)}), in CloudWatch at about ${clockTime(whole.readableAt)}`;
    return { ...wait('bake', whole.readableAt, why), awaiting: whole.readableAt };
  }
  if (now < bakeEndsAt) {
    const minBake = plan.minBakeSeconds;
    const sinceShift = now - (cursor.shiftedAt ?? now);
    if (!cursor.final && minBake !== undefined && sinceShift >= minBake * 1000 && verdict.noWorse && seen) {
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
  return { ...cursor, next: 'rollback', waitSeconds: 0, reason: `${after}${verdict.reason}`, announce: undefined, awaiting: undefined };
}
