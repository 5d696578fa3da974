/**
 * Rollback: puts the alias wholly back on the baseline. Idempotent: an alias already there is left
 * alone. An alias someone else changed is never overwritten: the outcome is drift, for people to
 * resolve. A shift that landed but whose answer was lost is recognised as this rollout's own.
 */
import { causeMessage } from '../core/errors.js';
import { describeRouting } from '../core/lambda-model.js';
import { asRolloutState, type RolloutState } from '../core/state.js';
import type { Clock, LambdaControl } from '../ports.js';
import { restoreBaseline, withAlias } from './alias-writer.js';

/** Why the rollout is being rolled back, in one line. */
export function rollbackReason(state: RolloutState): string {
  if (state.cursor.next === 'rollback' && state.cursor.reason) return state.cursor.reason;
  if (state.error) return `${state.error.Error}: ${causeMessage(state.error.Cause)}`.replace(/\s+/g, ' ').trim();
  return state.cursor.reason ?? 'rolled back';
}

/** Rollback over its ports. */
export function makeRollback({ lambda, clock }: { lambda: LambdaControl; clock: Clock }) {
  return async function rollback(event: unknown): Promise<RolloutState> {
    const state = asRolloutState(event);
    const { rollout } = state;
    const restored = await restoreBaseline(lambda, state);
    const alias = restored.alias;
    // Wholly on another version than the baseline is someone else's doing too: left as it is.
    const drift = restored.action === 'drift' || alias.functionVersion !== rollout.baselineVersion;
    const reason = drift
      ? `${restored.action === 'drift' ? restored.note : `alias ${rollout.alias} was changed by someone else and was left as it is`}; it routes ${describeRouting(alias)}. Rollback was needed because: ${rollbackReason(state)}`
      : rollbackReason(state);
    return {
      ...withAlias(state, alias),
      outcome: { status: drift ? 'drift' : 'rolled_back', reason, at: new Date(clock.now()).toISOString(), finalVersion: alias.functionVersion },
    };
  };
}
