/**
 * How a rollout ends, as the state records it: promoted by Finalize, rolled back (or left as
 * someone else set the alias) by Rollback, or as the guard found the alias after the execution
 * stopped. Each rule takes the alias as it was written or found, so the outcome tells how the
 * alias was really left.
 */
import { describeRouting, isSplit, type Restoration } from './alias.js';
import { causeMessage, oneLine } from './errors.js';
import type { AliasState } from './lambda-model.js';
import { type Outcome, type RolloutState, withAlias } from './state.js';

const iso = (now: number) => new Date(now).toISOString();

/**
 * The state once Finalize made the target the alias's version: the cursor at 100% and the outcome
 * `promoted`, with the last check's reason.
 *
 * @example promotedState(state, written, now).outcome // { status: 'promoted', reason: 'v8 serves 100% of live (last check: ...)', ... }
 */
export function promotedState(state: RolloutState, written: Pick<AliasState, 'functionVersion' | 'routing' | 'revisionId'>, now: number): RolloutState {
  const { rollout } = state;
  const last = state.history.at(-1);
  return {
    ...withAlias(state, written),
    cursor: { ...state.cursor, next: 'promote', weightPercent: 100, bakeSeconds: 0 },
    outcome: {
      status: 'promoted',
      reason: `v${rollout.targetVersion} serves 100% of ${rollout.alias}${state.cursor.promotion ? `: ${state.cursor.reason}` : last?.reason ? ` (last check: ${last.reason})` : ''}`,
      at: iso(now),
      finalVersion: rollout.targetVersion,
    },
  };
}

/**
 * Why the rollout is being rolled back, in one line: the check's reason, else the caught error.
 *
 * @example rollbackReason({ ...state, cursor: { ...state.cursor, next: 'rollback', reason: 'errors 5x the baseline' } }) // 'errors 5x the baseline'
 */
export function rollbackReason(state: RolloutState): string {
  if (state.cursor.next === 'rollback' && state.cursor.reason) return state.cursor.reason;
  if (state.error) return oneLine(`${state.error.Error}: ${causeMessage(state.error.Cause)}`);
  return state.cursor.reason ?? 'rolled back';
}

/**
 * The state once Rollback restored the baseline: `rolled_back` with the reason, or `drift` when
 * the alias is someone else's (split by them, or wholly on another version than the baseline),
 * saying how it routes.
 *
 * @example rolledBackState(state, restored(state, written), now).outcome?.status // 'rolled_back'
 */
export function rolledBackState(state: RolloutState, restoration: Restoration, now: number): RolloutState {
  const { rollout } = state;
  const alias = restoration.alias;
  // Wholly on another version than the baseline is someone else's doing too: left as it is.
  const drift = restoration.action === 'drift' || alias.functionVersion !== rollout.baselineVersion;
  const reason = drift
    ? `${restoration.action === 'drift' ? restoration.note : `alias ${rollout.alias} was changed by someone else and was left as it is`}; it routes ${describeRouting(alias)}. Rollback was needed because: ${rollbackReason(state)}`
    : rollbackReason(state);
  return {
    ...withAlias(state, alias),
    outcome: { status: drift ? 'drift' : 'rolled_back', reason, at: iso(now), finalVersion: alias.functionVersion },
  };
}

/**
 * The outcome a state gets when the guard ends it, so notifications show how the alias was left.
 *
 * @example guardOutcome(state, { functionVersion: '7', routing: {} }, reason, now).status // 'rolled_back'
 */
export function guardOutcome(state: RolloutState, alias: Pick<AliasState, 'functionVersion' | 'routing'>, reason: string, now: number): Outcome {
  const whole = !isSplit(alias);
  const status = !whole ? 'drift' : alias.functionVersion === state.rollout.targetVersion ? 'promoted' : 'rolled_back';
  return { status, reason, at: iso(now), finalVersion: alias.functionVersion };
}
