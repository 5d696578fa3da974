/** Finalize: makes the target the alias's version and clears the routing, with the RevisionId last seen. */
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
    return promotedState(state, written, clock.now());
  };
}
