/** The lifecycle tasks over fakes: RunHook, AwaitControl, Concurrency and the smoke-test hook. */
import { describe, expect, it } from 'vitest';
import { emptyControl } from '../../../functions/core/control.js';
import { ErrorName, RejectedError } from '../../../functions/core/errors.js';
import { HooksSchema } from '../../../functions/core/hooks.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { makeAwaitControl } from '../../../functions/tasks/await-control.js';
import { makeConcurrency } from '../../../functions/tasks/concurrency.js';
import { makeRunHook } from '../../../functions/tasks/run-hook.js';
import { makeSmokeTest } from '../../../functions/tasks/smoke-test.js';
import { InMemoryControlStore } from '../../../sim/control-store.js';
import { SimLambda } from '../../../sim/lambda.js';
import { SimTaskTokens } from '../../../sim/task-tokens.js';
import { fixedClock, probeAnswers } from '../../support/fakes.js';
import { runningState, T0 } from '../support/rollouts.js';

const hooked = (): RolloutState => ({ ...runningState(), rollout: { ...runningState().rollout, hooks: HooksSchema.parse({ preTraffic: { function: 'smoke:live', payload: { n: 1 } } }) } });

describe('RunHook', () => {
  const answering = (payload: string, functionError?: string) => {
    const invoker = probeAnswers({ payload, ...(functionError ? { functionError } : {}) });
    const tokens = new SimTaskTokens();
    const { token, answer } = tokens.issue();
    return { invoker, tokens, token, answer, run: makeRunHook({ invoker, tokens, clock: fixedClock() }) };
  };

  it('invokes the hook (its alias) with the event, and passes a Succeeded answer to the token', async () => {
    const { invoker, token, answer, run } = answering('{"status":"Succeeded"}');
    expect(await run({ action: 'run', hook: 'preTraffic', token, state: hooked() })).toEqual({ hook: 'preTraffic', function: 'smoke:live', answer: 'Succeeded' });
    expect(invoker.calls[0]).toMatchObject({ functionName: 'smoke', qualifier: 'live', payload: { hook: 'preTraffic', taskToken: token, payload: { n: 1 } } });
    expect(await answer).toMatchObject({ hook: 'preTraffic', status: 'Succeeded' });
  });

  it('fails the token with HookFailed and the reason when the hook fails or throws', async () => {
    for (const [payload, error, reason] of [
      ['{"status":"Failed","reason":"2 of 3"}', undefined, '2 of 3'],
      ['{"errorMessage":"boom"}', 'Unhandled', 'the hook threw (Unhandled): {"errorMessage":"boom"}'],
    ] as const) {
      const { token, answer, run } = answering(payload, error);
      await run({ action: 'run', hook: 'preTraffic', token, state: hooked() });
      await expect(answer).rejects.toMatchObject({ name: ErrorName.HookFailed, message: reason });
    }
  });

  it('leaves the token to a hook that answers Pending', async () => {
    const { tokens, token, run } = answering('{"status":"Pending"}');
    await run({ action: 'run', hook: 'preTraffic', token, state: hooked() });
    await tokens.succeed(token, { later: true });
    expect(tokens.answers).toEqual([expect.objectContaining({ token, output: { later: true } })]);
  });

  it('after a failure, returns the state as core says, without the caught failure', async () => {
    const { run } = answering('{}');
    const after = (await run({ action: 'failed', hook: 'preTraffic', failure: { Error: 'States.Timeout' }, state: { ...hooked(), hookFailure: { Error: 'States.Timeout' } } })) as RolloutState & { refusal?: unknown };
    expect(after.refusal).toMatchObject({ Error: 'RolloutRefused' });
    expect(after).not.toHaveProperty('hookFailure');
  });
});

describe('AwaitControl', () => {
  const waitingAtGate = (): RolloutState => ({ ...runningState(), cursor: { ...runningState().cursor, next: 'await', gate: { id: 'step-4', openedAt: 'a', timesOutAt: 'b', onTimeout: 'rollback', weightPercent: 30 } } });

  it('stores the wait\'s token in the control record, for the API to wake it', async () => {
    const controls = new InMemoryControlStore();
    const state = waitingAtGate();
    expect(await makeAwaitControl({ controls, clock: fixedClock() })({ token: 'tok-7', state })).toEqual({ stored: true });
    expect(await controls.get(state.rollout.id)).toMatchObject({ waitToken: 'tok-7', version: 1 });
  });

  it('ends the wait at once when the decision came after the check', async () => {
    const controls = new InMemoryControlStore();
    const state = waitingAtGate();
    await controls.put({ ...emptyControl(state.rollout.id, state.rollout.executionArn, T0), version: 1, decisions: { 'step-4': { decision: 'approved', by: 'alice', at: 'now' } } });
    await expect(makeAwaitControl({ controls, clock: fixedClock() })({ token: 'tok-7', state })).rejects.toMatchObject({ name: ErrorName.ControlChanged, message: 'gate step-4 was approved by alice: checking again now' });
  });
});

describe('Concurrency', () => {
  const world = () => {
    const lambda = new SimLambda({ now: () => T0 });
    lambda.createFunction('orders');
    for (let v = 1; v <= 8; v += 1) lambda.publishVersion('orders');
    return lambda;
  };
  const wanting = (): RolloutState => ({ ...runningState(), concurrency: { executions: 20, source: 'alias', status: 'wanted' } });

  it('adds on the target, follows it to READY, and removes it', async () => {
    const lambda = world();
    let now = T0;
    lambda.setConcurrency({ warmupSeconds: 30 });
    const task = makeConcurrency({ concurrency: lambda, clock: { now: () => now } });
    const added = await task({ action: 'add', state: wanting() });
    expect(added.concurrency).toEqual({ executions: 20, source: 'alias', status: 'adding', since: T0 });
    expect(lambda.peekProvisioned('orders', '8')).toMatchObject({ requested: 20 });
    now = T0 + 30_000;
    expect((await task({ action: 'status', state: added })).concurrency?.status).toBe('adding');
    const removed = await task({ action: 'remove', state: added });
    expect(removed.concurrency?.status).toBe('removed');
    expect(lambda.peekProvisioned('orders', '8')).toBeUndefined();
  });

  it('a configuration Lambda refuses is a refusal, not a crash', async () => {
    const lambda = world();
    lambda.injectFault('putProvisioned', () => new RejectedError('PutProvisionedConcurrencyConfig orders:8: too much (InvalidParameterValueException, HTTP 400)'), 1);
    const refused = await makeConcurrency({ concurrency: lambda, clock: fixedClock() })({ action: 'add', state: wanting() });
    expect(refused.refusal).toEqual({
      Error: 'RolloutRefused',
      Cause: 'provisioned concurrency of 20 on version 8 was refused: PutProvisionedConcurrencyConfig orders:8: too much (InvalidParameterValueException, HTTP 400)',
    });
    expect(refused.concurrency?.status).toBe('failed');
  });

  it('does nothing for a rollout that wants none', async () => {
    const state = runningState();
    expect(await makeConcurrency({ concurrency: world(), clock: fixedClock() })({ action: 'add', state })).toBe(state);
  });
});

describe('the smoke-test hook', () => {
  it('passes when every case answers as expected, and fails naming the cases that did not', async () => {
    const ok = probeAnswers({ payload: '{"statusCode":200}' });
    const event = { functionName: 'orders', targetVersion: '8', payload: { cases: [{ payload: { path: '/' }, expect: { field: 'statusCode', equals: 200 } }] } };
    expect(await makeSmokeTest({ invoker: ok })(event)).toEqual({ status: 'Succeeded' });
    expect(ok.calls).toEqual([{ functionName: 'orders', qualifier: '8', payload: { path: '/' } }]);
    const bad = probeAnswers({ payload: '{"statusCode":500}' });
    expect(await makeSmokeTest({ invoker: bad })(event)).toEqual({ status: 'Failed', reason: '1 of 1 smoke test cases failed on version 8: case 1: statusCode was 500, expected 200' });
  });

  it('fails clearly on settings it cannot read', async () => {
    const answer = await makeSmokeTest({ invoker: probeAnswers() })({ functionName: 'orders', targetVersion: '8', payload: { cases: 'all' } });
    expect(answer).toMatchObject({ status: 'Failed', reason: "the smoke test's settings (the hook's payload) are invalid: payload.cases: must be a list of { payload, expect? }" });
  });
});
