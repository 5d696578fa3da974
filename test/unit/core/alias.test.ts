/** The alias rules: split or whole, routing as asked, whose a split is, and what restoring it takes. Table-driven. */
import { describe, expect, it } from 'vitest';
import { aliasVerdict, changedWhileRestoring, describeRouting, isSplit, planRestore, refusedWrite, restored, routesAs } from '../../../functions/core/alias.js';
import { runningState } from '../support/rollouts.js';

describe('isSplit', () => {
  it.each([
    [{}, false],
    [{ '8': 0 }, false],
    [{ '8': 10 }, true],
    [{ '8': 0, '9': 0.5 }, true],
  ])('%j is split: %s', (routing, expected) => expect(isSplit({ routing })).toBe(expected));
});

describe('routesAs', () => {
  it.each([
    ['the same whole alias', { functionVersion: '2', routing: {} }, { functionVersion: '2', routing: {} }, true],
    ['another primary', { functionVersion: '2', routing: {} }, { functionVersion: '3', routing: {} }, false],
    ['the same split', { functionVersion: '1', routing: { '2': 10 } }, { functionVersion: '1', routing: { '2': 10 } }, true],
    ['another weight', { functionVersion: '1', routing: { '2': 10 } }, { functionVersion: '1', routing: { '2': 20 } }, false],
    ['a zero weight as no weight', { functionVersion: '1', routing: { '2': 0 } }, { functionVersion: '1', routing: {} }, true],
    ['a split against whole', { functionVersion: '1', routing: { '2': 10 } }, { functionVersion: '1', routing: {} }, false],
  ])('%s: %s', (_, alias, want, expected) => expect(routesAs(alias, want)).toBe(expected));
});

describe('describeRouting', () => {
  it.each([
    [{ functionVersion: '3', routing: {} }, 'v3 100%'],
    [{ functionVersion: '3', routing: { '4': 10 } }, 'v3 90% + v4 10%'],
    [{ functionVersion: '3', routing: { '4': 33.33 } }, 'v3 66.67% + v4 33.33%'],
  ])('%j reads %s', (alias, expected) => expect(describeRouting(alias)).toBe(expected));
});

describe('refusedWrite: a 412 judged by the alias read after it', () => {
  const sent = { functionName: 'orders', alias: 'live', functionVersion: '7', routing: { '8': 40 }, revisionId: 'r3' };
  it.each([
    ['routes as the write asked, at a new revision: our own write, its answer lost', { functionVersion: '7', routing: { '8': 40 }, revisionId: 'r4' }, 'landed'],
    ['still at the revision sent: nobody changed it', { functionVersion: '7', routing: { '8': 30 }, revisionId: 'r3' }, 'unchanged'],
    ['another revision, routed otherwise: someone else', { functionVersion: '7', routing: {}, revisionId: 'r9' }, 'drift'],
  ])('%s', (_, current, kind) => expect(refusedWrite(sent, current).kind).toBe(kind));

  it('says how the alias routes now and which revision this rollout last wrote', () => {
    expect(refusedWrite(sent, { functionVersion: '6', routing: {}, revisionId: 'r9' })).toEqual({
      kind: 'drift',
      reason: 'alias live was changed by someone else: it routes v6 100% at revision r9, while this rollout last wrote revision r3',
    });
  });
});

describe('aliasVerdict', () => {
  const state = runningState();
  it("after the rollout ended, a split is never its own, even at the revision it recorded (someone else's, seen at drift)", () => {
    const ended = { ...state, outcome: { status: 'drift' as const, reason: 'changed by someone else', at: '2026-01-05T10:05:00.000Z', finalVersion: '7' } };
    expect(aliasVerdict(ended, { functionVersion: '7', routing: { '8': 30 }, revisionId: 'r3' })).toMatchObject({ kind: 'drift', reason: expect.stringContaining('after this rollout ended drift') });
  });

  it.each([
    ['whole on the baseline', { functionVersion: '7', routing: {}, revisionId: 'x' }, { kind: 'whole', version: '7' }],
    ['whole on the target', { functionVersion: '8', routing: {}, revisionId: 'x' }, { kind: 'whole', version: '8' }],
    ['split by this rollout, as last seen', { functionVersion: '7', routing: { '8': 30 }, revisionId: 'r3' }, { kind: 'restore', revisionId: 'r3' }],
    ['split by this rollout at another weight, revision moved', { functionVersion: '7', routing: { '8': 50 }, revisionId: 'r9' }, { kind: 'drift' }],
    ['split towards another version', { functionVersion: '7', routing: { '9': 30 }, revisionId: 'r3' }, { kind: 'drift' }],
    ['split on another primary', { functionVersion: '6', routing: { '8': 30 }, revisionId: 'r3' }, { kind: 'drift' }],
  ])('%s', (_, alias, expected) => {
    expect(aliasVerdict(state, alias)).toMatchObject(expected);
  });

  it('takes the in-flight shift as ours: the write landed, its answer did not', () => {
    const shifting = runningState({ cursor: { step: 3, weightPercent: 40, next: 'shift' } });
    expect(aliasVerdict(shifting, { functionVersion: '7', routing: { '8': 40 }, revisionId: 'r4' })).toEqual({ kind: 'restore', revisionId: 'r4' });
    expect(aliasVerdict(shifting, { functionVersion: '7', routing: { '8': 45 }, revisionId: 'r4' }).kind).toBe('drift');
  });
});

describe('restoring the baseline', () => {
  const state = runningState();
  it.each([
    ['whole', { functionVersion: '7', routing: {}, revisionId: 'x' }, { kind: 'settled', restoration: { action: 'already_whole', note: 'alias live routes wholly to v7' } }],
    ['split by someone else', { functionVersion: '6', routing: { '8': 30 }, revisionId: 'r3' }, { kind: 'settled', restoration: { action: 'drift', note: expect.stringContaining('was changed by someone else (revision r3') } }],
    [
      'split by this rollout',
      { functionVersion: '7', routing: { '8': 30 }, revisionId: 'r3' },
      { kind: 'write', update: { functionName: 'orders', alias: 'live', functionVersion: '7', routing: {}, revisionId: 'r3' } },
    ],
  ])('an alias %s: %j', (_, alias, expected) => {
    expect(planRestore(state, { ...alias })).toMatchObject(expected);
  });

  it('says how the write left the alias, or that someone else got there first', () => {
    const written = { functionVersion: '7', routing: {}, revisionId: 'r4' };
    expect(restored(state, written)).toEqual({ action: 'restored', alias: written, note: 'alias live restored to v7' });
    const changed = { functionVersion: '9', routing: {}, revisionId: 'r5' };
    expect(changedWhileRestoring(state, changed)).toEqual({
      action: 'drift',
      alias: changed,
      note: 'alias live was changed by someone else while it was being restored (revision r5) and was left as it is',
    });
  });
});
