/**
 * Rollback: puts the alias wholly back on the baseline. Idempotent: an alias already there is left
 * alone. An alias someone else changed (its RevisionId is not the one this rollout last saw) is
 * never overwritten: the outcome is drift, for people to resolve.
 */
import { causeMessage, DriftError } from '../core/errors.js';
import { describeRouting, routesAs } from '../core/lambda-model.js';
import { asRolloutState, type OutcomeStatus, type RolloutState } from '../core/state.js';
import type { Clock, LambdaControl } from '../ports.js';
import { awsPorts } from '../aws/index.js';
import { withAlias } from './alias-writer.js';
import { lambdaHandler } from './middleware.js';

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
    const desired = { functionVersion: rollout.baselineVersion, routing: {} };
    const end = (status: OutcomeStatus, reason: string, alias = state.alias): RolloutState => ({
      ...withAlias(state, alias),
      outcome: { status, reason, at: new Date(clock.now()).toISOString(), finalVersion: alias.functionVersion },
    });
    const drift = (current: { functionVersion: string; routing: Record<string, number>; revisionId: string }) =>
      end(
        'drift',
        `alias ${rollout.alias} was changed by someone else (revision ${current.revisionId}, this rollout last saw ${state.alias.revisionId}); it now routes ${describeRouting(current)} and was left as it is. Rollback was needed because: ${rollbackReason(state)}`,
        current,
      );

    const current = await lambda.getAlias(rollout.functionName, rollout.alias);
    if (routesAs(current, desired)) return end('rolled_back', rollbackReason(state), current);
    if (current.revisionId !== state.alias.revisionId) return drift({ ...current, routing: { ...current.routing } });
    try {
      const written = await lambda.updateAlias({ functionName: rollout.functionName, alias: rollout.alias, ...desired, revisionId: current.revisionId });
      return end('rolled_back', rollbackReason(state), written);
    } catch (error) {
      if (!(error instanceof DriftError)) throw error;
      const now = await lambda.getAlias(rollout.functionName, rollout.alias);
      if (routesAs(now, desired)) return end('rolled_back', rollbackReason(state), now);
      return drift({ ...now, routing: { ...now.routing } });
    }
  };
}

export const handler = lambdaHandler(makeRollback(awsPorts()));
