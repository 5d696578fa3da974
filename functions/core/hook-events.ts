/**
 * Hooks and the rollout: the event a hook receives (the documented contract), and what a hook's
 * failure or silence does. preTraffic refuses the rollout (no traffic moved); beforeStep holds at
 * the current weight and asks again while the step's holds allow, then rolls back; postTraffic
 * rolls back the promotion; onRollback is only reported.
 */
import { LOOP_EVENTS } from './continuation.js';
import { refusal } from './errors.js';
import { type HookKind, type HookSpec, hookFailureReason } from './hooks.js';
import { positionOf, type CaughtError, type RolloutState } from './state.js';

/** What a hook function is invoked with. */
export interface HookEvent {
  readonly hook: HookKind;
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly functionName: string;
  readonly alias: string;
  readonly baselineVersion: string;
  readonly targetVersion: string;
  /** Qualified ARNs, ready for Invoke. */
  readonly baselineVersionArn: string;
  readonly targetVersionArn: string;
  /** Steps shifted so far, and how many the plan has. */
  readonly step: number;
  readonly totalSteps: number;
  /** The target's weight now. */
  readonly weightPercent: number;
  /** beforeStep only: the weight about to be routed to the target (100: promotion). */
  readonly nextWeightPercent?: number;
  /** onRollback only: why the rollout was rolled back. */
  readonly reason?: string;
  /** For SendTaskSuccess / SendTaskFailure, when the hook answers later (`{"status": "Pending"}`). */
  readonly taskToken: string;
  /** ISO timestamp: the hook must have answered by then, or it counts as failed. */
  readonly deadline: string;
  /** The hook's `payload` from the rollout input. */
  readonly payload?: unknown;
}

/**
 * The hook `kind` of the rollout, which the workflow only runs when the input has it.
 *
 * @example hookOf(state, 'preTraffic') // { function: 'smoke', timeoutSeconds: 3600 }
 */
export function hookOf(state: RolloutState, kind: HookKind): HookSpec {
  const spec = state.rollout.hooks?.[kind];
  if (!spec) throw new TypeError(`the rollout has no ${kind} hook`);
  return spec;
}

/**
 * The event for the hook `kind` at this point of the rollout.
 *
 * @example hookEvent('preTraffic', state, 'token', now) // { hook: 'preTraffic', targetVersionArn: 'arn:...:function:orders:8', step: 0, weightPercent: 0, taskToken: 'token', ... }
 */
export function hookEvent(kind: HookKind, state: RolloutState, taskToken: string, now: number): HookEvent {
  const { rollout, cursor } = state;
  const spec = hookOf(state, kind);
  const arn = rollout.functionArn ?? rollout.functionName;
  const position = positionOf(state);
  return {
    hook: kind,
    rolloutId: rollout.id,
    executionArn: rollout.executionArn,
    functionName: rollout.functionName,
    alias: rollout.alias,
    baselineVersion: rollout.baselineVersion,
    targetVersion: rollout.targetVersion,
    baselineVersionArn: `${arn}:${rollout.baselineVersion}`,
    targetVersionArn: `${arn}:${rollout.targetVersion}`,
    step: position.currentStep,
    totalSteps: position.totalSteps,
    weightPercent: position.weightPercent,
    ...(kind === 'beforeStep' ? { nextWeightPercent: cursor.next === 'promote' ? 100 : cursor.weightPercent } : {}),
    ...(kind === 'onRollback' && state.outcome ? { reason: state.outcome.reason } : {}),
    taskToken,
    deadline: new Date(now + spec.timeoutSeconds * 1000).toISOString(),
    ...(spec.payload !== undefined ? { payload: spec.payload } : {}),
  };
}

/**
 * The state after the hook `kind` failed, timed out or could not be run:
 * - preTraffic: refused (the alias never changed);
 * - beforeStep: before any traffic moved, rolled back (nothing to undo); else held at the current
 *   weight for `holdSeconds`, checks going on, and asked again, while the step's hook holds stay
 *   within `maxHoldSeconds`; then rolled back;
 * - postTraffic: rolled back (the promotion is undone);
 * - onRollback: the failure is noted for the ending's notification; the rollback stands.
 *
 * @example afterHookFailure('preTraffic', state, { Error: 'States.Timeout' }, now).refusal?.Cause // 'the preTraffic hook smoke gave no answer within 3600s; no traffic was moved'
 */
export function afterHookFailure(kind: HookKind, state: RolloutState, failure: CaughtError, now: number): RolloutState & { refusal?: CaughtError } {
  const reason = hookFailureReason(kind, hookOf(state, kind), failure);
  const rollback = (why: string): RolloutState => ({ ...state, cursor: { ...state.cursor, next: 'rollback', waitSeconds: 0, reason: why, announce: undefined } });
  switch (kind) {
    case 'preTraffic':
      return { ...state, refusal: refusal(`${reason}; no traffic was moved`) };
    case 'postTraffic':
      return rollback(`after promotion: ${reason}`);
    case 'onRollback':
      return { ...state, notes: [...(state.notes ?? []), `${reason}; the rollback stands`] };
    case 'beforeStep':
      // Before the first shift, no traffic has moved: a refusal, like a failed preTraffic hook.
      return state.history.length === 0 ? { ...state, refusal: refusal(`${reason}; no traffic was moved`) } : holdOrRollBack(state, reason, now, rollback);
  }
}

function holdOrRollBack(state: RolloutState, reason: string, now: number, rollback: (why: string) => RolloutState): RolloutState {
  const { rollout } = state;
  const last = state.history.at(-1);
  if (!last || last.final) return rollback(reason);
  const { holdSeconds, maxHoldSeconds } = rollout.health.insufficientData;
  const failures = (last.hookFailures ?? 0) + 1;
  if (failures * holdSeconds > maxHoldSeconds) return rollback(`${reason} (${failures} times; holding no longer)`);
  const history = [...state.history.slice(0, -1), { ...last, hookFailures: failures }];
  return {
    ...state,
    history,
    cursor: {
      // What the cursor carries across moves: the history's estimate (with this failure's events),
      // a person's promote request and the gate it waits at.
      ...(state.cursor.historyEvents === undefined ? {} : { historyEvents: state.cursor.historyEvents + LOOP_EVENTS.hookFailed }),
      ...(state.cursor.promotion ? { promotion: state.cursor.promotion } : {}),
      ...(state.cursor.gate ? { gate: state.cursor.gate } : {}),
      step: last.step,
      weightPercent: last.weightPercent,
      bakeSeconds: rollout.plan.steps[last.step]?.bakeSeconds ?? 0,
      next: 'hold',
      heldSeconds: failures * holdSeconds,
      shiftedAt: last.shiftedAt,
      bakeEndsAt: now + holdSeconds * 1000,
      waitSeconds: Math.min(rollout.health.checkEverySeconds, holdSeconds),
      reason: `${reason}; holding ${holdSeconds}s at ${last.weightPercent}% before asking it again`,
      announce: 'held',
    },
  };
}
