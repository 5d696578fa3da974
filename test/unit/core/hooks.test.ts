import { describe, expect, it } from 'vitest';
import { LOOP_EVENTS } from '../../../functions/core/continuation.js';
import { afterHookFailure, hookEvent } from '../../../functions/core/hook-events.js';
import { hookFailureReason, HooksSchema, hookTarget, readHookAnswer, SmokeTestSchema } from '../../../functions/core/hooks.js';
import { MAX_HOOK_PAYLOAD_BYTES } from '../../../functions/core/limits.js';
import { hookIssues } from '../../../functions/core/scope.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { runningState } from '../support/rollouts.js';

const T = Date.UTC(2026, 0, 5, 10);
const withHooks = (state: RolloutState): RolloutState => ({
  ...state,
  rollout: {
    ...state.rollout,
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders',
    hooks: HooksSchema.parse({ preTraffic: { function: 'smoke' }, beforeStep: { function: 'gate-keeper', timeoutSeconds: 60, payload: { ticket: 'CHG-1' } }, postTraffic: { function: 'journeys' }, onRollback: { function: 'pager' } }),
  },
});

describe('the hook input', () => {
  it('defaults the timeout to CodeDeploy\'s hour and takes names, ARNs, aliases and versions', () => {
    expect(HooksSchema.parse({ preTraffic: { function: 'smoke:live' } })).toEqual({ preTraffic: { function: 'smoke:live', timeoutSeconds: 3600 } });
    expect(hookTarget('arn:aws:lambda:eu-west-1:123456789012:function:smoke:7')).toEqual({ functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:smoke', qualifier: '7' });
    expect(hookTarget('smoke')).toEqual({ functionName: 'smoke' });
    expect(() => HooksSchema.parse({ preTraffic: { function: 'arn:aws:s3:::bucket' } })).toThrow();
    expect(() => HooksSchema.parse({ midTraffic: { function: 'smoke' } })).toThrow();
  });

  it('bounds the payload a hook is handed, naming the field', () => {
    const payload = { cases: [{ payload: 'x'.repeat(MAX_HOOK_PAYLOAD_BYTES) }] };
    const parsed = HooksSchema.safeParse({ postTraffic: { function: 'smoke', payload } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([`postTraffic.payload: must be at most ${MAX_HOOK_PAYLOAD_BYTES} bytes as JSON`]);
  });

  it('is refused when a hook is not on the allowed list, or lives in another account or region', () => {
    const home = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
    const hooks = HooksSchema.parse({ postTraffic: { function: 'arn:aws:lambda:eu-west-1:123456789012:function:journeys:live' } });
    expect(hookIssues(hooks, ['journeys'], home)).toEqual([]);
    expect(hookIssues(hooks, ['checks-*'], home)).toEqual([
      { field: 'hooks.postTraffic.function', rule: 'function journeys is not one of the allowed hooks (checks-*); the service may only invoke those' },
    ]);
    expect(hookIssues(hooks, [], home)[0]?.rule).toBe("function journeys is not an allowed hook: this service allows none (the construct's allowedHooks is empty)");
    const elsewhere = HooksSchema.parse({ preTraffic: { function: 'arn:aws:lambda:us-east-1:999999999999:function:journeys' } });
    expect(hookIssues(elsewhere, ['journeys'], home)).toEqual([
      { field: 'hooks.preTraffic.function', rule: 'must name a function where this service runs (partition aws, region eu-west-1, account 123456789012); this ARN names region us-east-1, account 999999999999' },
    ]);
  });
});

describe('readHookAnswer', () => {
  it.each([
    ['{"status":"Succeeded"}', undefined, { status: 'Succeeded' }],
    ['{"status":"Failed","reason":"3 of 5 failed"}', undefined, { status: 'Failed', reason: '3 of 5 failed' }],
    ['{"status":"Failed"}', undefined, { status: 'Failed', reason: 'no reason given' }],
    ['{"status":"Pending"}', undefined, { status: 'Pending' }],
    ['"ok"', undefined, { status: 'Failed', reason: 'the hook answered "ok", not {"status": "Succeeded" | "Failed" | "Pending"}' }],
    ['{"errorMessage":"boom"}', 'Unhandled', { status: 'Failed', reason: 'the hook threw (Unhandled): {"errorMessage":"boom"}' }],
  ])('%s (%s)', (payload, functionError, answer) => {
    expect(readHookAnswer({ statusCode: 200, functionError, payload })).toEqual(answer);
  });
});

describe('hookFailureReason', () => {
  const spec = { function: 'arn:aws:lambda:eu-west-1:123456789012:function:smoke:live', timeoutSeconds: 600 };
  it.each([
    [{ Error: 'States.Timeout' }, 'the preTraffic hook smoke gave no answer within 600s'],
    [{ Error: 'HookFailed', Cause: '2 of 3 failed' }, 'the preTraffic hook smoke failed: 2 of 3 failed'],
    [{ Error: 'ResourceNotFound', Cause: '{"errorType":"ResourceNotFound","errorMessage":"Function not found"}' }, 'the preTraffic hook smoke could not be run: ResourceNotFound: Function not found'],
    [{ Error: 'LoadTestFailed', Cause: 'p99 900 ms' }, 'the preTraffic hook smoke failed (LoadTestFailed): p99 900 ms'],
  ])('%j', (failure, reason) => {
    expect(hookFailureReason('preTraffic', spec, failure)).toBe(reason);
  });
});

describe('hookEvent', () => {
  it('names the rollout, both versions by ARN, where it is, the token and the deadline', () => {
    const state = withHooks(runningState());
    expect(hookEvent('beforeStep', state, 'tok', T)).toEqual({
      hook: 'beforeStep',
      rolloutId: state.rollout.id,
      executionArn: state.rollout.executionArn,
      functionName: 'orders',
      alias: 'live',
      baselineVersion: state.rollout.baselineVersion,
      targetVersion: state.rollout.targetVersion,
      baselineVersionArn: `arn:aws:lambda:eu-west-1:123456789012:function:orders:${state.rollout.baselineVersion}`,
      targetVersionArn: `arn:aws:lambda:eu-west-1:123456789012:function:orders:${state.rollout.targetVersion}`,
      step: state.history.length,
      totalSteps: state.rollout.plan.steps.length,
      weightPercent: expect.any(Number),
      nextWeightPercent: state.cursor.weightPercent,
      taskToken: 'tok',
      deadline: '2026-01-05T10:01:00.000Z',
      payload: { ticket: 'CHG-1' },
    });
  });
});

describe('afterHookFailure', () => {
  const timeout = { Error: 'States.Timeout' };
  it('preTraffic: refused, nothing moved', () => {
    expect(afterHookFailure('preTraffic', withHooks(runningState()), timeout, T).refusal).toEqual({
      Error: 'RolloutRefused',
      Cause: 'the preTraffic hook smoke gave no answer within 3600s; no traffic was moved',
    });
  });

  it('postTraffic: rolls the promotion back', () => {
    expect(afterHookFailure('postTraffic', withHooks(runningState()), timeout, T).cursor).toMatchObject({ next: 'rollback', reason: 'after promotion: the postTraffic hook journeys gave no answer within 3600s' });
  });

  it('onRollback: noted, the state otherwise untouched', () => {
    const state = withHooks(runningState());
    const after = afterHookFailure('onRollback', state, { Error: 'HookFailed', Cause: 'pager down' }, T);
    expect(after).toEqual({ ...state, notes: ['the onRollback hook pager failed: pager down; the rollback stands'] });
  });

  it('beforeStep: holds at the last step\'s weight and asks again while holds allow, then rolls back', () => {
    const state = withHooks(runningState());
    const once = afterHookFailure('beforeStep', state, { Error: 'HookFailed', Cause: 'freeze' }, T);
    const last = state.history.at(-1)!;
    expect(once.cursor).toMatchObject({ next: 'hold', step: last.step, weightPercent: last.weightPercent, bakeEndsAt: T + 60_000, announce: 'held' });
    expect(once.history.at(-1)?.hookFailures).toBe(1);
    let s: RolloutState = once;
    for (let i = 0; i < 20 && s.cursor.next === 'hold'; i++) s = afterHookFailure('beforeStep', s, { Error: 'HookFailed', Cause: 'freeze' }, T);
    expect(s.cursor).toMatchObject({ next: 'rollback', reason: 'the beforeStep hook gate-keeper failed: freeze (11 times; holding no longer)' });
  });

  it("beforeStep holding keeps what the cursor carries across moves, and counts the failure's events towards the history", () => {
    const state = withHooks(runningState());
    const cursor = { ...state.cursor, historyEvents: 19_990, promotion: { by: 'alice', at: new Date(T).toISOString(), full: true } };
    const held = afterHookFailure('beforeStep', { ...state, cursor }, timeout, T).cursor;
    expect(held).toMatchObject({ next: 'hold', historyEvents: 19_990 + LOOP_EVENTS.hookFailed, promotion: cursor.promotion });
  });

  it('beforeStep before any traffic moved: a refusal, the state otherwise unchanged', () => {
    const state = withHooks({ ...runningState(), history: [] });
    const after = afterHookFailure('beforeStep', state, timeout, T);
    expect(after.refusal).toMatchObject({ Error: 'RolloutRefused', Cause: expect.stringMatching(/; no traffic was moved$/) });
    expect(after.cursor).toEqual(state.cursor);
  });
});

describe('the smoke test settings', () => {
  it('default to one empty event that must not throw', () => {
    expect(SmokeTestSchema.parse(undefined)).toEqual({ cases: [{ payload: {} }] });
  });
});
