/** Alias writes shared by the tasks that move traffic. */
import { DriftError } from '../core/errors.js';
import { type AliasState, type AliasUpdate, routesAs } from '../core/lambda-model.js';
import { aliasVerdict } from '../core/registry.js';
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

/** What restoring the baseline did to the alias. */
export interface Restoration {
  /** restored: this run wrote the baseline; already_whole: nothing to undo; drift: someone else's change, left alone. */
  readonly action: 'restored' | 'already_whole' | 'drift';
  readonly alias: Pick<AliasState, 'functionVersion' | 'routing' | 'revisionId'>;
  /** One line: how the alias was left. */
  readonly note: string;
}

/**
 * Puts the alias wholly back on the baseline when this rollout left it split, with the RevisionId
 * it last saw (or the one its in-flight shift produced), and never over someone else's change.
 * Rollback and the guard share it, so both judge "ours or someone else's" the same way.
 */
export async function restoreBaseline(lambda: LambdaControl, state: RolloutState): Promise<Restoration> {
  const r = state.rollout;
  const current = await lambda.getAlias(r.functionName, r.alias);
  const verdict = aliasVerdict(state, current);
  if (verdict.kind === 'whole') return { action: 'already_whole', alias: current, note: `alias ${r.alias} routes wholly to v${verdict.version}` };
  if (verdict.kind === 'drift') return { action: 'drift', alias: current, note: verdict.reason };
  try {
    const written = await writeAlias(lambda, { functionName: r.functionName, alias: r.alias, functionVersion: r.baselineVersion, routing: {}, revisionId: verdict.revisionId });
    return { action: 'restored', alias: written, note: `alias ${r.alias} restored to v${r.baselineVersion}` };
  } catch (error) {
    if (!(error instanceof DriftError)) throw error;
    const changed = await lambda.getAlias(r.functionName, r.alias);
    return { action: 'drift', alias: changed, note: `alias ${r.alias} was changed by someone else while it was being restored (revision ${changed.revisionId}) and was left as it is` };
  }
}
