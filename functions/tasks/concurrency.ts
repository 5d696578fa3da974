/**
 * Concurrency: the target version's provisioned concurrency, in three actions the workflow calls.
 * `add` requests it before the first shift (what and whether were decided by Prepare); `status`
 * follows it to READY while the workflow waits in a Wait state, and refuses the rollout when it
 * fails or takes too long (no traffic has moved); `remove` deletes it at every ending (after
 * promotion the alias's own configuration provisions the target; after a rollback nothing should).
 * The rules are `core/concurrency.ts`'s.
 */
import { provisioningProgress, requested } from '../core/concurrency.js';
import { NotFoundError, RejectedError, refusal } from '../core/errors.js';
import { asRolloutState, type CaughtError, type RolloutState } from '../core/state.js';
import type { Clock, ConcurrencyControl } from '../ports.js';

export interface ConcurrencyEvent {
  readonly action: 'add' | 'status' | 'remove';
  readonly state: unknown;
}

/** The state with the concurrency's progress; with a refusal when it cannot be had. */
export type ConcurrencyResult = RolloutState & { readonly refusal?: CaughtError };

/** Concurrency over its ports. */
export function makeConcurrency({ concurrency, clock }: { concurrency: ConcurrencyControl; clock: Clock }) {
  return async function concurrencyTask(event: ConcurrencyEvent): Promise<ConcurrencyResult> {
    const state = asRolloutState(event.state);
    const wanted = state.concurrency;
    if (!wanted) return state;
    const { functionName, targetVersion } = state.rollout;
    const now = clock.now();
    switch (event.action) {
      case 'add':
        try {
          const config = await concurrency.putProvisioned(functionName, targetVersion, wanted.executions);
          return { ...state, concurrency: requested(wanted, config, now) };
        } catch (error) {
          // Lambda refused the configuration: nothing was provisioned, nothing moved.
          if (!(error instanceof RejectedError || error instanceof NotFoundError)) throw error;
          return {
            ...state,
            concurrency: { ...wanted, status: 'failed', note: error.message },
            refusal: refusal(`provisioned concurrency of ${wanted.executions} on version ${targetVersion} was refused: ${error.message}`),
          };
        }
      case 'status': {
        const progress = provisioningProgress(wanted, await concurrency.getProvisioned(functionName, targetVersion), now, targetVersion);
        return { ...state, concurrency: progress.concurrency, ...(progress.refusal ? { refusal: refusal(`${progress.refusal}; no traffic was moved`) } : {}) };
      }
      case 'remove':
        await concurrency.deleteProvisioned(functionName, targetVersion);
        return { ...state, concurrency: { ...wanted, status: 'removed' } };
    }
  };
}
