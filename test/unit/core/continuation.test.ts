import { describe, expect, it } from 'vitest';
import {
  afterCheck,
  CONTINUE_AT_EVENTS,
  continuationDigest,
  continuationInput,
  continuationName,
  continuedIn,
  isContinuation,
  LAST_SAFE_EVENTS,
  LOOP_EVENTS,
  MAX_HISTORY_EVENTS,
  resumedState,
  resumeRefusal,
} from '../../../functions/core/continuation.js';
import { MAX_EXECUTION_NAME } from '../../../functions/core/api.js';
import { sha256Hex } from '../../../functions/sha256.js';
import { firstCursor, startBake } from '../../../functions/core/decide.js';
import { HealthPolicySchema } from '../../../functions/core/health.js';
import type { Cursor, RolloutState } from '../../../functions/core/state.js';
import { toPlan } from '../../../functions/core/strategy.js';

const T = Date.UTC(2026, 0, 5, 10, 0, 0);
const plan = toPlan({ type: 'canary', percent: 10, bakeSeconds: 30 * 86_400 });
const health = HealthPolicySchema.parse({});
const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:rollout:orders-live-v2-abc';
const baking: Cursor = startBake(firstCursor(plan), T, health);
const state: RolloutState = {
  rollout: { id: 'orders-live-v2-abc', executionArn: ARN, functionName: 'orders', alias: 'live', baselineVersion: '1', targetVersion: '2', plan, health, notifications: {}, startedAt: new Date(T).toISOString() },
  alias: { functionVersion: '1', routing: { '2': 10 }, revisionId: 'r2' },
  cursor: { ...baking, historyEvents: 19_990 },
  history: [{ step: 0, weightPercent: 10, shiftedAt: T, revisionId: 'r2', checks: 1800, checkedAt: T + 86_400_000, verdict: 'healthy', reason: 'fine' }],
};

describe('the history budget', () => {
  it('leaves room under the 25,000-event limit for retries and the ending', () => {
    expect(MAX_HISTORY_EVENTS).toBe(25_000);
    expect(CONTINUE_AT_EVENTS).toBeLessThan(LAST_SAFE_EVENTS);
    expect(LAST_SAFE_EVENTS).toBeLessThan(MAX_HISTORY_EVENTS);
    expect(LOOP_EVENTS.check).toBe(11);
  });

  it('counts each check, with what it announces and a shift it leads to', () => {
    const quiet = afterCheck({ ...baking, historyEvents: 100 }, { ...baking, next: 'bake' });
    expect(quiet.historyEvents).toBe(111);
    const verdict = afterCheck({ ...baking, historyEvents: 100 }, { ...baking, next: 'shift', announce: 'verdict' });
    expect(verdict.historyEvents).toBe(100 + LOOP_EVENTS.check + LOOP_EVENTS.announce + LOOP_EVENTS.shift);
    expect(afterCheck(firstCursor(plan), { ...baking, next: 'bake' }).historyEvents).toBe(LOOP_EVENTS.start + LOOP_EVENTS.check);
  });

  it('asks to continue in a new execution at a bake once the estimate reaches the budget, and only there', () => {
    expect(afterCheck({ ...baking, historyEvents: CONTINUE_AT_EVENTS - 12 }, { ...baking, next: 'bake' }).continueInNewExecution).toBeUndefined();
    expect(afterCheck({ ...baking, historyEvents: CONTINUE_AT_EVENTS - 11 }, { ...baking, next: 'bake' }).continueInNewExecution).toBe(true);
    expect(afterCheck({ ...baking, historyEvents: CONTINUE_AT_EVENTS }, { ...baking, next: 'hold' }).continueInNewExecution).toBe(true);
    for (const next of ['shift', 'promote', 'rollback'] as const) {
      expect(afterCheck({ ...baking, historyEvents: CONTINUE_AT_EVENTS }, { ...baking, next, continueInNewExecution: true }).continueInNewExecution).toBeUndefined();
    }
  });

  it('rolls back rather than let the history fill when continuing kept failing', () => {
    const cursor = afterCheck({ ...baking, historyEvents: LAST_SAFE_EVENTS - 5 }, { ...baking, next: 'bake', continueInNewExecution: true });
    expect(cursor).toMatchObject({ next: 'rollback', waitSeconds: 0 });
    expect(cursor.reason).toMatch(/^could not continue in a new execution before the execution's history filled \(about 2400\d of 25000 events\)$/);
    expect(cursor.continueInNewExecution).toBeUndefined();
  });
});

describe('continuing in a new execution', () => {
  it('names each continuation after the first execution, the same way every time, within 80 characters', () => {
    expect(continuationName('orders-live-v2-abc', 1)).toBe('orders-live-v2-abc-c1');
    expect(continuationName('orders-live-v2-abc-c1', 2)).toBe('orders-live-v2-abc-c2');
    expect(continuationName('orders-live-v2-abc-c9', 10)).toBe('orders-live-v2-abc-c10');
    const long = `${'f'.repeat(60)}-live-v12-3f2a9c01b7d4`;
    const first = continuationName(long, 1);
    expect(first).toHaveLength(MAX_EXECUTION_NAME);
    expect(first.endsWith('-v12-3f2a9c01b7d4-c1')).toBe(true);
    expect(continuationName(first, 2)).toBe(`${first.slice(0, -3)}-c2`);
  });

  it("carries the rollout's state on, without what this execution caught, numbered from its predecessor", () => {
    const caught = { ...state, error: { Error: 'Throttled', Cause: 'x' }, notifyError: { Error: 'SNS' }, continueError: { Error: 'T' }, cursor: { ...state.cursor, continueInNewExecution: true } };
    const input = continuationInput(caught, ARN);
    expect(input.continuation).toEqual({ number: 1, from: ARN });
    expect(input).not.toHaveProperty('error');
    expect(input).not.toHaveProperty('notifyError');
    expect(input).not.toHaveProperty('continueError');
    expect(input.cursor).not.toHaveProperty('continueInNewExecution');
    expect({ ...input, continuation: undefined }).toEqual({ ...state, continuation: undefined });
    expect(continuationInput({ ...input, rollout: { ...input.rollout, executionArn: `${ARN}-c1` } }, `${ARN}-c1`).continuation).toEqual({ number: 2, from: `${ARN}-c1` });
    expect(isContinuation(input)).toBe(true);
    expect(isContinuation(state)).toBe(false);
    expect(isContinuation({ ...state, continuation: { number: 0, from: ARN } })).toBe(false);
  });

  it('resumes as the new execution, with the history estimate of a fresh one', () => {
    const resumed = resumedState(continuationInput(state, ARN), `${ARN}-c1`);
    expect(resumed.rollout.executionArn).toBe(`${ARN}-c1`);
    expect(resumed.cursor).toEqual({ ...state.cursor, historyEvents: LOOP_EVENTS.resume });
    expect(resumed.continuation).toEqual({ number: 1, from: ARN });
  });

  it('says why a continuation may not resume, and that nothing changed', () => {
    const input = continuationInput(state, ARN);
    const claim = { to: `${ARN}-c1`, digest: 'd1' };
    const holder = { rolloutId: state.rollout.id, executionArn: ARN, handOff: claim };
    const why = (lock: Parameters<typeof resumeRefusal>[1], c = claim) => resumeRefusal(input, lock, c).Cause;
    expect(resumeRefusal(input, undefined, claim)).toEqual({
      Error: 'RolloutRefused',
      Cause: 'continuation 1 of rollout orders-live-v2-abc may not resume: nobody holds the lock; nothing was changed',
    });
    expect(why({ rolloutId: 'other', executionArn: 'arn:x' })).toContain(`the lock is held by rollout other (execution arn:x), not the execution it continues (${ARN})`);
    expect(why({ ...holder, handOff: undefined })).toContain('the execution it continues recorded no hand-off');
    expect(why(holder, { ...claim, to: `${ARN}-forged` })).toContain(`the execution it continues hands over to ${ARN}-c1, not to this execution (${ARN}-forged)`);
    expect(why(holder, { ...claim, digest: 'd2' })).toContain('its input is not the one the execution it continues handed over (the digests differ)');
  });

  it('knows a continuation input by the digest of its canonical JSON, whatever the order of its keys', () => {
    const input = continuationInput(state, ARN);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(input).reverse()))) as unknown;
    expect(continuationDigest(reordered, sha256Hex)).toBe(continuationDigest(input, sha256Hex));
    expect(continuationDigest(input, sha256Hex)).toMatch(/^[0-9a-f]{64}$/);
    expect(continuationDigest({ ...input, cursor: { ...input.cursor, step: input.cursor.step + 1 } }, sha256Hex)).not.toBe(continuationDigest(input, sha256Hex));
  });

  it("the old execution's output names the new one and is no promotion", () => {
    const out = continuedIn(state, `${ARN}-c1`, 'orders-live-v2-abc-c1');
    expect(out).toEqual({
      rolloutId: 'orders-live-v2-abc',
      executionArn: `${ARN}-c1`,
      executionName: 'orders-live-v2-abc-c1',
      reason: 'continued in a new execution before the history filled (about 19990 of 25000 events)',
    });
    expect(out).not.toHaveProperty('outcome');
  });
});
