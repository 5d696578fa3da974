/**
 * The alias rules: whether an alias is split, whether it already routes as a write asks, and whose
 * a split is: this rollout's (put it back on the baseline) or someone else's (drift, never
 * overwritten). Rollback and the guard both restore through these rules, so they judge alike.
 */
import type { AliasState, AliasUpdate } from './lambda-model.js';
import type { RolloutState } from './state.js';

/**
 * True when the alias sends any traffic to a version other than its primary.
 *
 * @example isSplit({ routing: { '8': 10 } }) // true
 */
export function isSplit(alias: Pick<AliasState, 'routing'>): boolean {
  return Object.values(alias.routing).some((w) => w > 0);
}

/**
 * True when the alias already routes exactly as `want` asks: same primary version and same
 * weights. Lets a retried write recognise its own earlier success.
 *
 * @example routesAs({ functionVersion: '2', routing: {} }, { functionVersion: '2', routing: {} }) // true
 */
export function routesAs(
  alias: Pick<AliasState, 'functionVersion' | 'routing'>,
  want: Pick<AliasUpdate, 'functionVersion' | 'routing'>,
): boolean {
  if (alias.functionVersion !== want.functionVersion) return false;
  const a = Object.entries(alias.routing).filter(([, w]) => w > 0);
  const b = Object.entries(want.routing).filter(([, w]) => w > 0);
  return a.length === b.length && b.every(([v, w]) => Math.abs((alias.routing[v] ?? 0) - w) < 1e-9);
}

/**
 * Describes an alias's routing in words.
 *
 * @example describeRouting({ functionVersion: '3', routing: { '4': 10 } }) // 'v3 90% + v4 10%'
 */
export function describeRouting(alias: Pick<AliasState, 'functionVersion' | 'routing'>): string {
  const extra = Object.entries(alias.routing).filter(([, w]) => w > 0);
  const rest = 100 - extra.reduce((t, [, w]) => t + w, 0);
  return [`v${alias.functionVersion} ${+rest.toFixed(2)}%`, ...extra.map(([v, w]) => `v${v} ${w}%`)].join(' + ');
}

/**
 * What a refused alias write (HTTP 412, RevisionId mismatch) means, from the alias read right
 * after it: the write is in place after all (a retry of a write whose answer was lost), the
 * alias still carries the revision this rollout wrote (nobody changed it: the refusal was not a
 * change, and the write may be tried again), or someone else changed it (drift, with how it
 * routes now and which revision this rollout had written).
 */
export type RefusedWrite =
  | { readonly kind: 'landed' }
  | { readonly kind: 'unchanged'; readonly reason: string }
  | { readonly kind: 'drift'; readonly reason: string };

/**
 * Judges a refused alias write by the alias as it is now, compared with what this rollout wrote.
 * Drift is never announced on a 412 alone: only when the alias read afterwards carries another
 * revision and does not route as the write asked.
 *
 * @example refusedWrite(update, { ...current, revisionId: update.revisionId }).kind // 'unchanged'
 */
export function refusedWrite(sent: AliasUpdate, current: Pick<AliasState, 'functionVersion' | 'routing' | 'revisionId'>): RefusedWrite {
  if (routesAs(current, sent)) return { kind: 'landed' };
  if (current.revisionId === sent.revisionId) {
    return { kind: 'unchanged', reason: `UpdateAlias ${sent.functionName}:${sent.alias} was refused (412), but the alias still has revision ${sent.revisionId}, as this rollout last wrote it, and routes ${describeRouting(current)}; nobody changed it` };
  }
  return {
    kind: 'drift',
    reason: `alias ${sent.alias} was changed by someone else: it routes ${describeRouting(current)} at revision ${current.revisionId}, while this rollout last wrote revision ${sent.revisionId}`,
  };
}

/** What to do with an alias after a rollout stopped: nothing (whole), restore it, or leave it (drift). */
export type AliasVerdict =
  | { readonly kind: 'whole'; readonly version: string }
  | { readonly kind: 'restore'; readonly revisionId: string }
  | { readonly kind: 'drift'; readonly reason: string };

/**
 * True while a promotion is being verified: Finalize made the target the alias's version and the
 * postTraffic hook or the final bake has not passed yet. A rollback then undoes the promotion.
 *
 * @example verifyingPromotion({ ...state, cursor: { ...state.cursor, final: true, next: 'bake' } }) // true
 */
export function verifyingPromotion(state: RolloutState): boolean {
  return state.cursor.final === true && state.cursor.next !== 'promote';
}

/**
 * Whether a stopped rollout left the alias split, or, while its promotion is being verified, on the
 * target. The alias is this rollout's when it routes the baseline plus the target and carries the
 * RevisionId the rollout last saw, or routes exactly as the shift that was in flight when the
 * rollout stopped (that write landed but its answer never reached the state), and the rollout has
 * no outcome yet; or when it is whole on the target exactly as Finalize wrote it while the
 * promotion is still being verified. Anything else is someone else's change:
 * drift, never overwritten.
 *
 * @example aliasVerdict(state, { functionVersion: '7', routing: { '8': 10 }, revisionId: state.alias.revisionId }) // { kind: 'restore', ... }
 */
export function aliasVerdict(state: RolloutState, alias: Pick<AliasState, 'functionVersion' | 'routing' | 'revisionId'>): AliasVerdict {
  const r = state.rollout;
  if (!isSplit(alias)) {
    // A promotion still being verified (postTraffic hook, final bake) is this rollout's to undo,
    // while the alias is exactly as Finalize wrote it.
    const ourPromotion = verifyingPromotion(state) && alias.functionVersion === r.targetVersion && alias.revisionId === state.alias.revisionId;
    return ourPromotion ? { kind: 'restore', revisionId: alias.revisionId } : { kind: 'whole', version: alias.functionVersion };
  }
  // A rollout with an outcome left the alias whole, or (drift) as someone else set it, which its
  // state then records as last seen: a split now is never its own to undo.
  if (state.outcome) {
    return { kind: 'drift', reason: `alias ${r.alias} routes ${describeRouting(alias)} (revision ${alias.revisionId}) after this rollout ended ${state.outcome.status}: the split is someone else's, and was left as it is` };
  }
  const ours =
    alias.functionVersion === r.baselineVersion && Object.entries(alias.routing).every(([v, w]) => v === r.targetVersion || w <= 0);
  const inFlight =
    state.cursor.next === 'shift' &&
    routesAs(alias, { functionVersion: r.baselineVersion, routing: { [r.targetVersion]: state.cursor.weightPercent } });
  if (ours && (alias.revisionId === state.alias.revisionId || inFlight)) return { kind: 'restore', revisionId: alias.revisionId };
  return {
    kind: 'drift',
    reason: `alias ${r.alias} was changed by someone else (revision ${alias.revisionId}, this rollout last saw ${state.alias.revisionId}) and was left as it is`,
  };
}

/** How restoring the baseline left the alias. */
export interface Restoration {
  /**
   * restored: the baseline was written; already_whole: nothing to undo; drift: someone else's
   * change, left alone; untouched: not this rollout's alias to undo (it never took the lock), left alone.
   */
  readonly action: 'restored' | 'already_whole' | 'drift' | 'untouched';
  readonly alias: Pick<AliasState, 'functionVersion' | 'routing' | 'revisionId'>;
  /** One line: how the alias was left. */
  readonly note: string;
}

/** Either the alias needs no write (its restoration is settled), or the write that puts the baseline back. */
export type RestorePlan = { readonly kind: 'settled'; readonly restoration: Restoration } | { readonly kind: 'write'; readonly update: AliasUpdate };

/**
 * What restoring the baseline takes, given the alias as it is now: nothing when it is whole or
 * someone else's, else a write of the baseline with the RevisionId that makes the split ours.
 *
 * @example planRestore(state, { name: 'live', functionVersion: '7', routing: {}, revisionId: 'r9' }).kind // 'settled'
 */
export function planRestore(state: RolloutState, current: Pick<AliasState, 'functionVersion' | 'routing' | 'revisionId'>): RestorePlan {
  const r = state.rollout;
  const verdict = aliasVerdict(state, current);
  switch (verdict.kind) {
    case 'whole':
      return { kind: 'settled', restoration: { action: 'already_whole', alias: current, note: `alias ${r.alias} routes wholly to v${verdict.version}` } };
    case 'drift':
      return { kind: 'settled', restoration: { action: 'drift', alias: current, note: verdict.reason } };
    case 'restore':
      return {
        kind: 'write',
        update: { functionName: r.functionName, alias: r.alias, functionVersion: r.baselineVersion, routing: {}, revisionId: verdict.revisionId },
      };
  }
}

/**
 * The restoration once the baseline write landed.
 *
 * @example restored(state, written).note // 'alias live restored to v7'
 */
export function restored(state: RolloutState, written: Restoration['alias']): Restoration {
  return { action: 'restored', alias: written, note: `alias ${state.rollout.alias} restored to v${state.rollout.baselineVersion}` };
}

/**
 * The restoration when someone else changed the alias between the read and the write: drift.
 *
 * @example changedWhileRestoring(state, changed).action // 'drift'
 */
export function changedWhileRestoring(state: RolloutState, changed: Restoration['alias']): Restoration {
  return {
    action: 'drift',
    alias: changed,
    note: `alias ${state.rollout.alias} was changed by someone else while it was being restored (revision ${changed.revisionId}) and was left as it is`,
  };
}
