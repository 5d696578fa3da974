/** Finalize: makes the target the alias's version and clears the routing, with the RevisionId last seen. */
import { asRolloutState, type RolloutState } from '../core/state.js';
import type { Clock, LambdaControl } from '../ports.js';
import { writeAlias, withAlias } from './alias-writer.js';

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
    const last = state.history.at(-1);
    return {
      ...withAlias(state, written),
      cursor: { ...state.cursor, next: 'promote', weightPercent: 100, bakeSeconds: 0 },
      outcome: {
        status: 'promoted',
        reason: `v${rollout.targetVersion} serves 100% of ${rollout.alias}${last?.reason ? ` (last check: ${last.reason})` : ''}`,
        at: new Date(clock.now()).toISOString(),
        finalVersion: rollout.targetVersion,
      },
    };
  };
}
