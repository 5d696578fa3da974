/** The guard's rules: how a stopped rollout ended, who hears about it, and what is recorded. Table-driven. */
import { describe, expect, it } from 'vitest';
import type { Restoration } from '../../../functions/core/alias.js';
import { continuedElsewhere, executionStop, type GuardFacts, guardDecision, guardReason, guardStatus, isGuarded, notOwnedAlias, ownershipOf, untouchedAlias, vanishedAlias } from '../../../functions/core/guard.js';
import type { RolloutLock, RolloutRecord } from '../../../functions/core/registry.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { executionArn, iso, lockRequest, runningState, T0 } from '../support/rollouts.js';

const NOW = T0 + 300_000;
const ID = 'orders-live-v8-1a2b3c4d5e6f';
const state = runningState();
const record: RolloutRecord = { ...lockRequest(ID, { status: 'running' }), updatedAt: iso(T0) };
const restored: Restoration = { action: 'restored', alias: { functionVersion: '7', routing: {}, revisionId: 'r4' }, note: 'alias live restored to v7' };
const whole = (version: string): Restoration => ({ action: 'already_whole', alias: { functionVersion: version, routing: {}, revisionId: 'r4' }, note: `alias live routes wholly to v${version}` });
const drift: Restoration = { action: 'drift', alias: { functionVersion: '6', routing: { '8': 50 }, revisionId: 'r9' }, note: 'alias live was changed by someone else (revision r9, this rollout last saw r3) and was left as it is' };
const ended = (status: 'rolled_back' | 'promoted', version: string): RolloutState => ({
  ...state,
  alias: { functionVersion: version, routing: {}, revisionId: 'r4' },
  outcome: { status, reason: 'done', at: iso(NOW), finalVersion: version },
});

describe('isGuarded', () => {
  it.each([
    ['ABORTED', true],
    ['TIMED_OUT', true],
    ['FAILED', true],
    ['SUCCEEDED', false],
    ['RUNNING', false],
  ])('%s: %s', (status, expected) => expect(isGuarded(status)).toBe(expected));
});

describe('ownershipOf: only the execution that took the lock may touch the alias', () => {
  const ARN = executionArn(ID);
  const lock = (rolloutId: string, status: 'pending' | 'running'): RolloutLock => ({ ...lockRequest(rolloutId, { status }), startedBy: 'x' });
  it.each([
    ['holds the lock, confirmed by its AcquireLock', { ...record }, lock(ID, 'running'), true],
    ['took the lock and released it (its record says so)', { ...record, lockedAt: iso(T0) }, undefined, true],
    ["holds only the API's pending lock", { ...record, status: 'pending' as const }, lock(ID, 'pending'), false],
    ['was refused at AcquireLock while another rollout holds it', { ...record, status: 'refused' as const }, lock('orders-live-v8-winner', 'running'), false],
    ['took the lock once, but another rollout holds it now', { ...record, lockedAt: iso(T0) }, lock('orders-live-v8-next', 'running'), false],
    ['has neither a lock nor the mark', undefined, undefined, false],
  ])('an execution that %s: owner %s', (_, rec, held, owner) => {
    expect(ownershipOf(ARN, rec, held).owner).toBe(owner);
  });

  it('tells a rollout that went on in another execution from one whose lock another rollout took', () => {
    const next = executionArn(`${ID}-c1`);
    expect(continuedElsewhere(ARN, ID, { rolloutId: ID, executionArn: next })).toBe(next);
    expect(continuedElsewhere(ARN, ID, { rolloutId: ID, executionArn: ARN })).toBeUndefined();
    expect(continuedElsewhere(ARN, ID, { rolloutId: 'orders-live-v8-next', executionArn: next })).toBeUndefined();
    expect(continuedElsewhere(ARN, ID, undefined)).toBeUndefined();
  });

  it("names the holder when the alias belongs to another rollout, and leaves the alias as it was seen", () => {
    const why = ownershipOf(ARN, undefined, lock('orders-live-v8-winner', 'running'));
    expect(why).toEqual({ owner: false, why: `rollout orders-live-v8-winner holds orders:live (execution ${executionArn('orders-live-v8-winner')}); this execution moved none of its traffic, and the alias was left alone` });
    expect(notOwnedAlias(state, 'why')).toEqual({ action: 'untouched', alias: state.alias, note: 'why' });
  });

  it('an untouched alias is never recorded as the final version, and a workflow ending stays quiet', () => {
    const untouched = notOwnedAlias(state, 'no traffic had moved');
    const decision = guardDecision({ status: 'FAILED', stop: { error: 'RolloutRefused', cause: 'busy' }, secured: untouched, state, record, now: NOW });
    expect(decision).toMatchObject({ endedAs: 'refused', tell: 'workflow already notified' });
    expect(decision.ending.finalVersion).toBeUndefined();
  });
});

describe('guard wording', () => {
  it.each([
    ['ABORTED', undefined, 'aborted'],
    ['TIMED_OUT', undefined, 'timed_out'],
    ['FAILED', 'RolloutRolledBack', 'rolled_back'],
    ['FAILED', 'AliasDrift', 'drift'],
    ['FAILED', 'RolloutRefused', 'refused'],
    ['FAILED', 'InvalidRolloutInput', 'refused'],
    ['FAILED', 'States.Runtime', 'failed'],
  ] as const)('%s with %s ends as %s', (status, error, expected) => {
    expect(guardStatus(status, error)).toBe(expected);
  });

  it('says how it stopped and how the alias was left', () => {
    expect(guardReason('FAILED', { error: 'States.Runtime', cause: 'bad path $.x' }, 'alias live routes wholly to v7')).toBe(
      'execution failed: States.Runtime (bad path $.x); alias live routes wholly to v7',
    );
  });
});

describe('executionStop', () => {
  it.each([
    [{ error: 'RolloutAborted', cause: 'bad canary' }, { error: 'RolloutAborted', cause: 'bad canary' }],
    [{ error: 'RolloutAborted', cause: null }, { error: 'RolloutAborted' }],
    [{ error: '', cause: undefined }, {}],
    [{}, {}],
  ])('%j reads %j', (source, expected) => expect(executionStop(source)).toEqual(expected));
});

describe('how the alias stands without a write', () => {
  it('no state yet: no traffic had moved, on the baseline the record knows', () => {
    expect(untouchedAlias(record)).toEqual({ action: 'already_whole', alias: { functionVersion: '7', routing: {}, revisionId: '' }, note: 'no traffic had moved' });
    expect(untouchedAlias(undefined).alias.functionVersion).toBe('');
  });

  it('an alias deleted since is whole', () => {
    expect(vanishedAlias(state)).toEqual({ action: 'already_whole', alias: state.alias, note: 'alias live no longer exists' });
  });
});

describe('guardDecision', () => {
  type Case = [string, GuardFacts, { endedAs: string; reason?: string; tell: unknown; finalVersion?: string | undefined }];
  it.each<Case>([
    [
      'aborted while split, restored',
      { state, record, status: 'ABORTED', stop: { cause: 'bad canary' }, secured: restored, now: NOW },
      { endedAs: 'aborted', reason: 'execution aborted: bad canary; alias live restored to v7', tell: { notification: { type: 'aborted', attributes: { outcome: 'rolled_back' } }, toSns: true }, finalVersion: '7' },
    ],
    [
      'timed out, restored',
      { state, record, status: 'TIMED_OUT', stop: {}, secured: restored, now: NOW },
      { endedAs: 'timed_out', reason: 'execution timed out; alias live restored to v7', tell: { notification: { type: 'failed', subject: 'lambda-rollout orders:live v8 failed: States.Timeout' } }, finalVersion: '7' },
    ],
    [
      'failed after the workflow rolled back',
      { state: ended('rolled_back', '7'), record, status: 'FAILED', stop: { error: 'RolloutRolledBack' }, secured: whole('7'), now: NOW },
      { endedAs: 'rolled_back', tell: 'workflow already notified', finalVersion: '7' },
    ],
    [
      'failed after promotion (the lock was not released)',
      { state: ended('promoted', '8'), record, status: 'FAILED', stop: { error: 'LockNotReleased' }, secured: whole('8'), now: NOW },
      { endedAs: 'promoted', tell: 'workflow already notified', finalVersion: '8' },
    ],
    [
      'a repeat, after the record ended',
      { state, record: { ...record, status: 'aborted', endedAt: iso(NOW) }, status: 'ABORTED', stop: {}, secured: whole('7'), now: NOW },
      { endedAs: 'aborted', tell: 'already ended', finalVersion: '7' },
    ],
    [
      'drift: someone else changed the alias',
      { state, record, status: 'ABORTED', stop: { cause: 'stop' }, secured: drift, now: NOW },
      { endedAs: 'drift', tell: { notification: { type: 'drift', attributes: { eventType: 'drift', outcome: 'drift' } } }, finalVersion: undefined },
    ],
    [
      'refused at Prepare, no state yet',
      { record, status: 'FAILED', stop: { error: 'RolloutRefused', cause: 'version 8 is not published' }, secured: untouchedAlias(record), now: NOW },
      { endedAs: 'refused', reason: 'execution failed: RolloutRefused (version 8 is not published); no traffic had moved', tell: 'workflow already notified', finalVersion: '7' },
    ],
    [
      'aborted before any state: told from the record',
      { record, status: 'ABORTED', stop: { cause: 'wrong version' }, secured: untouchedAlias(record), now: NOW },
      {
        endedAs: 'aborted',
        tell: { notification: { subject: 'lambda-rollout orders:live v8 aborted: execution aborted: wrong version; no traffic had moved', attributes: { outcome: 'aborted', rolloutId: ID } }, toSns: true },
        finalVersion: '7',
      },
    ],
  ])('%s', (_, facts, expected) => {
    const decision = guardDecision(facts);
    expect(decision).toMatchObject({ endedAs: expected.endedAs, tell: expected.tell, ...(expected.reason ? { reason: expected.reason } : {}) });
    expect(decision.ending).toMatchObject({ rolloutId: facts.state?.rollout.id ?? ID, status: expected.endedAs, reason: decision.reason, endedAt: iso(NOW) });
    expect(decision.ending.finalVersion).toBe(expected.finalVersion);
    expect(decision.facts.rolloutId).toBe(decision.ending.rolloutId);
  });

  it('records where the rollout was, with the alias as the guard left it', () => {
    const { ending } = guardDecision({ state, record, status: 'ABORTED', stop: {}, secured: restored, now: NOW });
    expect(ending.progress).toMatchObject({ currentStep: 3, weightPercent: 0, lastEvent: { type: 'aborted', at: iso(NOW) } });
  });

  it('keeps SNS for the events the rollout asked for', () => {
    const quiet: RolloutState = { ...state, rollout: { ...state.rollout, notifications: { events: ['rolled_back'] } } };
    const { tell } = guardDecision({ state: quiet, record, status: 'ABORTED', stop: {}, secured: restored, now: NOW });
    expect(tell).toMatchObject({ toSns: false, notification: { type: 'aborted' } });
  });
});
