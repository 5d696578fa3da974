/** The pure rules behind the registry: table-driven. */
import { describe, expect, it } from 'vitest';
import {
  endingOf,
  isLive,
  mayTakeLock,
  newClaim,
  progressOf,
  IDEMPOTENCY_TTL_MS,
  IN_PROGRESS_MS,
} from '../../../functions/core/registry.js';
import { executionArn, iso, lockRequest, runningState, T0 } from '../support/rollouts.js';

describe('mayTakeLock', () => {
  const elsewhere = { executionArn: executionArn('r1-again') };
  it.each([
    ['a free alias', undefined, lockRequest('r2'), true],
    ['another rollout', lockRequest('r1'), lockRequest('r2'), false],
    ["another rollout's pending lock", lockRequest('r1', { status: 'pending' }), lockRequest('r2'), false],
    ['the same execution again', lockRequest('r1'), lockRequest('r1'), true],
    ['the same id from another execution', lockRequest('r1'), lockRequest('r1', elsewhere), false],
    ["the API's pending lock, by its rollout", lockRequest('r1', { status: 'pending' }), lockRequest('r1', elsewhere), true],
    ['a running lock, by a pending request', lockRequest('r1'), lockRequest('r1', { status: 'pending' }), false],
  ])('%s', (_, current, request, expected) => {
    expect(mayTakeLock(current, request)).toBe(expected);
  });
});

describe('endingOf', () => {
  const state = runningState();
  it.each([
    [{ outcome: { status: 'drift' as const, reason: 'someone changed it', at: iso(T0), finalVersion: '6' } }, { status: 'drift', reason: 'someone changed it', finalVersion: '6' }],
    [{ refusal: { Error: 'RolloutRefused', Cause: 'rollout r1 is already running' } }, { status: 'refused', reason: 'rollout r1 is already running', finalVersion: '7' }],
    [{ error: { Error: 'RollbackFailed', Cause: '{"errorType":"Throttled","errorMessage":"Rate\\nexceeded"}' } }, { status: 'failed', reason: 'RollbackFailed: Rate exceeded' }],
    [{}, { status: 'failed', reason: 'the workflow ended without an outcome' }],
    [
      {
        outcome: { status: 'rolled_back' as const, reason: 'errors 5x', at: iso(T0), finalVersion: '7' },
        notes: ['the onRollback hook pager failed: down; the rollback stands'],
        concurrencyError: { Error: 'Throttled', Cause: 'Rate exceeded' },
      },
      {
        status: 'rolled_back',
        reason: 'errors 5x; the onRollback hook pager failed: down; the rollback stands; the provisioned concurrency this rollout added on v8 could not be removed (Throttled: Rate exceeded); remove it by hand',
      },
    ],
  ])('%j', (extra, expected) => {
    expect(endingOf({ ...state, ...extra }, T0)).toMatchObject({ ...expected, rolloutId: state.rollout.id, endedAt: iso(T0), progress: { currentStep: 3 } });
  });
});

describe('idempotency records', () => {
  it('live while completed and unexpired, or claimed by a request that may still answer', () => {
    const claim = newClaim('k', 'f', T0);
    expect(isLive(claim, T0 + IN_PROGRESS_MS - 1)).toBe(true);
    expect(isLive(claim, T0 + IN_PROGRESS_MS)).toBe(false);
    const done = { ...claim, status: 'completed' as const };
    expect(isLive(done, T0 + IDEMPOTENCY_TTL_MS - 1)).toBe(true);
    expect(isLive(done, T0 + IDEMPOTENCY_TTL_MS)).toBe(false);
    expect(isLive(undefined, T0)).toBe(false);
  });
});

describe('progressOf', () => {
  it('counts the shifts made and reads the weight from the alias, not from the coming move', () => {
    const state = runningState();
    const before = { ...state, alias: { functionVersion: '7', routing: {}, revisionId: 'r0' }, cursor: { ...state.cursor, step: 0, weightPercent: 10, next: 'shift' as const }, history: [] };
    expect(progressOf('started', before, T0)).toMatchObject({ currentStep: 0, weightPercent: 0, totalSteps: 9 });
    expect(progressOf('shifted', state, T0)).toMatchObject({ currentStep: 3, weightPercent: 30 });
    const promoted = { ...state, alias: { functionVersion: '8', routing: {}, revisionId: 'r9' } };
    expect(progressOf('promoted', promoted, T0)).toMatchObject({ currentStep: 3, weightPercent: 100 });
    // The final bake's record at 100% is not a step of the plan.
    const baking = { ...promoted, history: [...state.history, { step: 9, weightPercent: 100, shiftedAt: T0, revisionId: 'r9', checks: 0, final: true }] };
    expect(progressOf('shifted', baking, T0)).toMatchObject({ currentStep: 3, totalSteps: 9, weightPercent: 100 });
  });
});
