/**
 * Alias writes shared by the tasks that move traffic. Core decides (does the alias already route
 * as asked, whose is a split, what restoring takes); these functions do the reads and writes.
 */
import { changedWhileRestoring, planRestore, type Restoration, refusedWrite, restored } from '../core/alias.js';
import { ConfirmedDriftError, DriftError, TransientError } from '../core/errors.js';
import type { AliasUpdate } from '../core/lambda-model.js';
import type { RolloutState } from '../core/state.js';
import type { LambdaControl } from '../ports.js';

/**
 * UpdateAlias with the RevisionId this rollout last saw. A refusal (412) is judged by reading the
 * alias (`refusedWrite`): when it already routes exactly as asked, that is this rollout's own
 * earlier write whose answer was lost (a retried task), and the alias is taken as it is; when it
 * still carries the revision sent, nobody changed it, and a TransientError has the workflow try
 * again; only otherwise is it drift, confirmed with the alias as read (ConfirmedDriftError).
 */
export async function writeAlias(lambda: LambdaControl, update: AliasUpdate) {
  try {
    return await lambda.updateAlias(update);
  } catch (error) {
    if (!(error instanceof DriftError)) throw error;
    const current = await lambda.getAlias(update.functionName, update.alias);
    const judged = refusedWrite(update, current);
    if (judged.kind === 'landed') return current;
    if (judged.kind === 'unchanged') throw new TransientError(judged.reason, { cause: error });
    throw new ConfirmedDriftError(judged.reason, current, { cause: error });
  }
}

/**
 * Puts the alias wholly back on the baseline when this rollout left it split, with the RevisionId
 * it last saw (or the one its in-flight shift produced), and never over someone else's change.
 * Rollback and the guard share it, so both judge "ours or someone else's" the same way.
 */
export async function restoreBaseline(lambda: LambdaControl, state: RolloutState): Promise<Restoration> {
  const { functionName, alias } = state.rollout;
  const plan = planRestore(state, await lambda.getAlias(functionName, alias));
  if (plan.kind === 'settled') return plan.restoration;
  try {
    return restored(state, await writeAlias(lambda, plan.update));
  } catch (error) {
    if (!(error instanceof ConfirmedDriftError)) throw error;
    return changedWhileRestoring(state, error.current);
  }
}
