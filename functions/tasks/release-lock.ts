/**
 * ReleaseLock: writes the rollout's final record (outcome, reason, every step) and releases the
 * alias's lock if this rollout holds it. Idempotent: a record that already ended is left as it
 * is, and another rollout's lock is never touched. Returns its input unchanged, so the workflow
 * ends the execution (HowItEnded) from the same data. The workflow does not call it after a
 * failed rollback: the alias may be split, and the guard releases the lock once it is whole.
 */
import { endingOf, type EndedState } from '../core/registry.js';
import { asRolloutState } from '../core/state.js';
import type { Clock, RolloutRegistry } from '../ports.js';
import { logger } from '../logger.js';

/** ReleaseLock over its ports. */
export function makeReleaseLock({ registry, clock }: { registry: Pick<RolloutRegistry, 'finish' | 'release'>; clock: Clock }) {
  return async function releaseLock<E>(event: E): Promise<E> {
    let state: EndedState;
    try {
      state = asRolloutState(event);
    } catch (error) {
      // Prepare refused before there was a rollout: nothing was locked by the workflow, and a
      // lock the API took for this execution is released by the guard when the execution fails.
      logger.info('nothing to release: not a rollout state', { error: error as Error });
      return event;
    }
    const { rollout } = state;
    await registry.finish(endingOf(state, clock.now()));
    await registry.release({ functionName: rollout.functionName, alias: rollout.alias, rolloutId: rollout.id, executionArn: rollout.executionArn });
    return event;
  };
}
