/**
 * AcquireLock: takes the function alias's lock for this rollout, so that one rollout at a time
 * moves an alias. A lock the API took for this very rollout is confirmed. Another rollout's lock
 * is a refusal, returned as data (`refusal`) for the workflow to report, like Prepare's: nothing
 * was changed.
 */
import { refusalOf } from '../core/errors.js';
import { lockRequestFor } from '../core/registry.js';
import { asRolloutState, type CaughtError, type RolloutState } from '../core/state.js';
import type { Clock, RolloutRegistry } from '../ports.js';

/** The state unchanged when the lock is this rollout's; with `refusal` when another rollout holds it. */
export type AcquireLockResult = RolloutState & { readonly refusal?: CaughtError };

/** AcquireLock over its ports. */
export function makeAcquireLock({ registry, clock }: { registry: Pick<RolloutRegistry, 'acquire'>; clock: Clock }) {
  return async function acquireLock(event: unknown): Promise<AcquireLockResult> {
    const state = asRolloutState(event);
    try {
      await registry.acquire(lockRequestFor(state, clock.now()));
      return state;
    } catch (error) {
      // LockHeldError and RolloutIdTakenError are refusals; throttling and the like are thrown for Retry.
      const refused = refusalOf(error);
      if (refused) return { ...state, refusal: refused };
      throw error;
    }
  };
}
