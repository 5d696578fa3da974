/**
 * Rollback: puts the alias wholly back on the baseline. Idempotent: an alias already there is left
 * alone. An alias someone else changed is never overwritten: the outcome is drift, for people to
 * resolve. A shift that landed but whose answer was lost is recognised as this rollout's own.
 */
import { rolledBackState } from '../core/outcome.js';
import { asRolloutState, type RolloutState } from '../core/state.js';
import type { Clock, LambdaControl } from '../ports.js';
import { restoreBaseline } from './alias-writer.js';

/** Rollback over its ports. */
export function makeRollback({ lambda, clock }: { lambda: LambdaControl; clock: Clock }) {
  return async function rollback(event: unknown): Promise<RolloutState> {
    const state = asRolloutState(event);
    const restoration = await restoreBaseline(lambda, state);
    return rolledBackState(state, restoration, clock.now());
  };
}
