/**
 * Finalize: makes the target the alias's version and clears the routing, with the RevisionId last
 * seen. When the promotion is still to be verified (a postTraffic hook, a final bake), the state
 * says so, and a rollback until then puts the baseline back.
 */
import { finalBakeSeconds, verifyingState } from '../core/final-bake.js';
import { promotedState } from '../core/outcome.js';
import { asRolloutState, type RolloutState } from '../core/state.js';
import type { Clock, LambdaControl } from '../ports.js';
import { writeAlias } from './alias-writer.js';

/** Finalize over its ports. */
export function makeFinalize({ lambda, clock }: { lambda: LambdaControl; clock: Clock }) {
  return async function finalize(event: unknown): Promise<RolloutState> {
    const state = asRolloutState(event);
    const { rollout } = state;
    const written = await writeAlias(lambda, {
      functionName: rollout.functionName,
      alias: rollout.alias,
      functionVersion: rollout.targetVersion,
      routing: {},
      revisionId: state.alias.revisionId,
    });
    const now = clock.now();
    return verifyingState(promotedState(state, written, now), finalBakeSeconds(state, now), now);
  };
}
