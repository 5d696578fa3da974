import { describe, expect, it } from 'vitest';
import { continuationDigest, continuationInput, type ContinuedState } from '../../../functions/core/continuation.js';
import { TransientError } from '../../../functions/core/errors.js';
import { lockRequestFor } from '../../../functions/core/registry.js';
import type { CaughtError, RolloutState } from '../../../functions/core/state.js';
import { makeContinue, type ResumeResult } from '../../../functions/tasks/continue.js';
import { sha256Hex } from '../../../functions/sha256.js';
import { InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { FakeWorkflow } from '../support/fake-workflow.js';
import { executionArn, runningState, STATE_MACHINE_ARN, T0 } from '../support/rollouts.js';

const NAME = 'orders-live-v8-1a2b3c4d5e6f';
const OLD = executionArn(NAME);
const NEW = executionArn(`${NAME}-c1`);
const clock = { now: () => T0 + 86_400_000 };

/** Executions there are besides the one handing over. */
const startedBesides = (workflow: FakeWorkflow) => [...workflow.executions.keys()].filter((arn) => arn !== OLD).length;

async function setup() {
  const registry = new InMemoryRolloutRegistry();
  const workflow = new FakeWorkflow(clock.now);
  const state = runningState({ id: NAME, cursor: { historyEvents: 20_001, continueInNewExecution: true } });
  await registry.acquire(lockRequestFor(state, T0));
  // The execution handing over is still running, as it is when its successor resumes.
  workflow.put(OLD, { status: 'RUNNING' });
  const task = makeContinue({ registry, workflowOf: () => workflow, clock, allowedFunctions: ['orders'] });
  const continueIn = (s: unknown = state) => task({ action: 'continue', state: s, execution: { id: OLD, name: NAME }, stateMachineArn: STATE_MACHINE_ARN });
  const resume = (input: unknown, id = NEW) => task({ action: 'resume', state: input, execution: { id }, stateMachineArn: STATE_MACHINE_ARN }) as Promise<ResumeResult>;
  const resumed = async (input: unknown) => (await resume(input)) as ContinuedState;
  const refused = async (input: unknown, id = NEW) => ((await resume(input, id)) as { refusal?: CaughtError }).refusal;
  return { registry, workflow, state, continueIn, resume, resumed, refused };
}

describe('Continue: continue', () => {
  it("starts the rollout's next execution with its state, and says so", async () => {
    const { workflow, state, continueIn } = await setup();
    expect(await continueIn()).toEqual({
      rolloutId: NAME,
      executionArn: NEW,
      executionName: `${NAME}-c1`,
      reason: 'continued in a new execution before the history filled (about 20001 of 25000 events)',
    });
    expect(workflow.executions.get(NEW)?.input).toEqual(continuationInput(state, OLD));
  });

  it('records on the lock, before it starts anything, which execution takes over and the digest of its input', async () => {
    const { registry, workflow, state, continueIn } = await setup();
    const seen: unknown[] = [];
    const start = workflow.start.bind(workflow);
    workflow.start = async (name, input) => {
      seen.push((await registry.getLock('orders', 'live'))?.handOff);
      return start(name, input);
    };
    await continueIn();
    const handOff = { to: NEW, digest: continuationDigest(continuationInput(state, OLD), sha256Hex) };
    expect(seen).toEqual([handOff]);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: OLD, handOff });
  });

  it('starts nothing when the lock is no longer its own (the rollout ended or was aborted)', async () => {
    const { registry, workflow, continueIn } = await setup();
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: NAME, executionArn: OLD });
    await expect(continueIn()).rejects.toMatchObject({ name: 'RolloutRefused', message: expect.stringContaining(`execution ${OLD} no longer holds the lock of orders:live`) });
    expect(startedBesides(workflow)).toBe(0);
    expect(await registry.getLock('orders', 'live')).toBeUndefined();
  });

  it('a retried start finds the execution it started', async () => {
    const { workflow, continueIn } = await setup();
    const first = await continueIn();
    expect(await continueIn()).toEqual(first);
    expect(startedBesides(workflow)).toBe(1);
  });

  it('does not end as handed over when its continuation\'s name was taken with another input', async () => {
    const { workflow, state, continueIn } = await setup();
    await workflow.start(`${NAME}-c1`, continuationInput({ ...state, cursor: { ...state.cursor, step: 5 } }, OLD));
    await expect(continueIn()).rejects.toMatchObject({ name: 'RolloutRefused', message: expect.stringContaining(`cannot continue in ${NEW}: an execution of that name was started with another input`) });
  });

  it('a continue retried after its continuation took over finds it done', async () => {
    const { workflow, continueIn, resumed } = await setup();
    const first = await continueIn();
    await resumed(workflow.executions.get(NEW)?.input);
    expect(await continueIn()).toEqual(first);
    expect(startedBesides(workflow)).toBe(1);
  });

  it('a start whose answer was lost, but which started, is a continuation; one that never started fails for Retry', async () => {
    const { workflow, continueIn } = await setup();
    workflow.failStart = new TransientError('socket hang up');
    await expect(continueIn()).rejects.toThrow('socket hang up');
    expect(startedBesides(workflow)).toBe(0);
    await continueIn();
    const lost = await setup();
    lost.workflow.start = async (name, input) => {
      await FakeWorkflow.prototype.start.call(lost.workflow, name, input);
      throw new TransientError('socket hang up');
    };
    expect(await lost.continueIn()).toMatchObject({ executionArn: NEW });
  });
});

describe('Continue: resume', () => {
  it.each([
    ['ABORTED', 'was aborted'],
    ['FAILED', 'was failed'],
    ['TIMED_OUT', 'was timed out'],
  ] as const)('refuses, changing nothing, when the execution it continues was %s meanwhile (an abort raced the hand-over)', async (status, said) => {
    const { registry, workflow, state, continueIn, refused } = await setup();
    await continueIn();
    workflow.put(OLD, { status });
    expect(await refused(continuationInput(state, OLD))).toEqual({ Error: 'RolloutRefused', Cause: `rollout ${NAME} cannot resume: the execution it continues, ${OLD}, ${said}` });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: OLD });
    expect(await registry.get(NAME)).toMatchObject({ executionArn: OLD });
  });

  it('refuses an input that claims to continue an execution that does not exist', async () => {
    const { state, refused } = await setup();
    const ghost = executionArn('nobody-ran-this');
    const forged = { ...continuationInput(state, OLD), continuation: { ...continuationInput(state, OLD).continuation, from: ghost } };
    expect((await refused(forged))?.Cause).toBe(`rollout ${NAME} cannot resume: the execution it continues, ${ghost}, does not exist`);
  });

  it('takes the lock and the record over from the execution it continues, and resumes as itself', async () => {
    const { registry, state, continueIn, resumed } = await setup();
    await continueIn();
    const next = await resumed(continuationInput(state, OLD));
    expect(next).not.toHaveProperty('refusal');
    expect(next.rollout.executionArn).toBe(NEW);
    expect(next.cursor).toMatchObject({ historyEvents: 10, next: 'bake' });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: NAME, executionArn: NEW });
    expect(await registry.get(NAME)).toMatchObject({ executionArn: NEW, status: 'running' });
    expect(await registry.findByExecution(NEW)).toMatchObject({ rolloutId: NAME });
    expect(await registry.findByExecution(OLD)).toBeUndefined();
    expect((await registry.getLock('orders', 'live'))?.handOff).toBeUndefined();
    // A retried resume finds the lock already its own.
    expect(await resumed(continuationInput(state, OLD))).not.toHaveProperty('refusal');
  });

  it.each([
    ['started under another name, with the same input', (s: RolloutState) => continuationInput(s, OLD), executionArn('forged'), `hands over to ${NEW}, not to this execution (${executionArn('forged')})`],
    ['started under the expected name, with another cursor', (s: RolloutState) => continuationInput({ ...s, cursor: { ...s.cursor, step: s.cursor.step + 1 } }, OLD), NEW, 'its input is not the one the execution it continues handed over (the digests differ)'],
    ['started under the expected name, with a lenient policy', (s: RolloutState) => continuationInput({ ...s, rollout: { ...s.rollout, health: { ...s.rollout.health, minRequests: 1 } } }, OLD), NEW, 'the digests differ'],
  ])('refuses a forged continuation, changing nothing: %s', async (_, forge, id, why) => {
    const { registry, state, continueIn, refused } = await setup();
    await continueIn();
    const lock = await registry.getLock('orders', 'live');
    const refusal = await refused(forge(state), id);
    expect(refusal).toMatchObject({ Error: 'RolloutRefused', Cause: expect.stringContaining(why) });
    expect(await registry.getLock('orders', 'live')).toEqual(lock);
    expect(await registry.get(NAME)).toMatchObject({ executionArn: OLD });
  });

  it('refuses a continuation the execution it continues never handed over to', async () => {
    const { registry, state, refused } = await setup();
    expect((await refused(continuationInput(state, OLD)))?.Cause).toContain('the execution it continues recorded no hand-off');
    expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: OLD });
  });

  it('refuses, changing nothing, when the execution it continues no longer holds the lock', async () => {
    const { registry, state, refused } = await setup();
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: NAME, executionArn: OLD });
    await registry.acquire(lockRequestFor(runningState({ id: 'other' }), T0));
    const refusal = await refused(continuationInput(state, OLD));
    expect(refusal?.Error).toBe('RolloutRefused');
    expect(refusal?.Cause).toContain(`the lock is held by rollout other (execution ${executionArn('other')})`);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'other' });
  });

  it('refuses an input that claims to continue an execution that never held the lock', async () => {
    const { registry, workflow, state, refused } = await setup();
    workflow.put(executionArn('somebody-else'), { status: 'RUNNING' });
    const forged = continuationInput(state, executionArn('somebody-else'));
    expect((await refused(forged, executionArn('forged')))?.Cause).toContain('not the execution it continues');
    expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: OLD });
  });

  it.each([
    ['no continuation at all', (s: RolloutState) => ({ ...s, continuation: { number: 0, from: OLD } }), 'continuation: must name its number'],
    ['no rollout state', () => ({ continuation: { number: 1, from: OLD } }), 'Not a rollout state: missing rollout.functionName'],
    ["another state machine's execution", (s: RolloutState) => continuationInput(s, OLD.replace(':lambda-rollout:', ':other-machine:')), 'continuation.from: must continue another execution of this state machine'],
    ['itself', (s: RolloutState) => continuationInput(s, NEW), 'continuation.from: must continue another execution of this state machine'],
    ['a function outside the allowed ones', (s: RolloutState) => continuationInput({ ...s, rollout: { ...s.rollout, functionName: 'payments' } }, OLD), 'rollout.functionName: function payments is not one of the allowed functions (orders)'],
    [
      'a function in another account',
      (s: RolloutState) => continuationInput({ ...s, rollout: { ...s.rollout, functionName: 'arn:aws:lambda:us-east-1:999999999999:function:orders' } }, OLD),
      'rollout.functionName: must name a function where this service runs',
    ],
  ])('refuses as invalid input, changing nothing: %s', async (_, forge, rule) => {
    const { registry, state, refused } = await setup();
    const refusal = await refused(forge(state));
    expect(refusal).toMatchObject({ Error: 'InvalidRolloutInput', Cause: expect.stringContaining(rule) });
    expect(refusal?.Cause).toMatch(/nothing was changed$/);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: NAME, executionArn: OLD });
    expect(await registry.get(NAME)).toMatchObject({ executionArn: OLD });
  });
});
