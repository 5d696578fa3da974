/** Alias writes shared by the tasks that move traffic. */
import { DriftError } from '../core/errors.js';
import { type AliasUpdate, routesAs } from '../core/lambda-model.js';
import type { LambdaControl } from '../ports.js';
import type { RolloutState } from '../core/state.js';

/**
 * UpdateAlias with the RevisionId this rollout last saw. A RevisionId mismatch is drift, except
 * when the alias already routes exactly as asked: that is this rollout's own earlier write whose
 * answer was lost (a retried task), and the alias is taken as it is.
 */
export async function writeAlias(lambda: LambdaControl, update: AliasUpdate) {
  try {
    return await lambda.updateAlias(update);
  } catch (error) {
    if (!(error instanceof DriftError)) throw error;
    const current = await lambda.getAlias(update.functionName, update.alias);
    if (routesAs(current, update)) return current;
    throw error;
  }
}

/** The state with the alias as written. */
export function withAlias(state: RolloutState, alias: { functionVersion: string; routing: Readonly<Record<string, number>>; revisionId: string }): RolloutState {
  return { ...state, alias: { functionVersion: alias.functionVersion, routing: { ...alias.routing }, revisionId: alias.revisionId } };
}
