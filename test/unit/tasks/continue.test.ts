import { describe, expect, it } from 'vitest';
import { continuationInput } from '../../../functions/core/continuation.js';
import { TransientError } from '../../../functions/core/errors.js';
import { lockRequestFor } from '../../../functions/core/registry.js';
import { makeContinue, type ResumeResult } from '../../../functions/tasks/continue.js';
import { InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { FakeWorkflow } from '../support/fake-workflow.js';
import { executionArn, runningState, STATE_MACHINE_ARN, T0 } from '../support/rollouts.js';

const NAME = 'orders-live-v8-1a2b3c4d5e6f';
const OLD = executionArn(NAME);
const NEW = executionArn(`${NAME}-c1`);
const clock = { now: () => T0 + 86_400_000 };

async function setup() {
  const registry = new InMemoryRolloutRegistry();
  const workflow = new FakeWorkflow(clock.now);
  const state = runningState({ id: NAME, cursor: { historyEvents: 20_001, continueInNewExecution: true } });
  await registry.acquire(lockRequestFor(state, T0));
  const task = makeContinue({ registry, workflowOf: () => workflow, clock });
  const continueIn = (s: unknown = state) => task({ action: 'continue', state: s, execution: { id: OLD, name: NAME }, stateMachineArn: STATE_MACHINE_ARN });
  const resume = (input: unknown, id = NEW) => task({ action: 'resume', state: input, execution: { id } }) as Promise<ResumeResult>;
  return { registry, workflow, state, continueIn, resume };
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

  it('a retried start finds the execution it started', async () => {
    const { workflow, continueIn } = await setup();
    const first = await continueIn();
    expect(await continueIn()).toEqual(first);
    expect(workflow.executions.size).toBe(1);
  });

  it('a start whose answer was lost, but which started, is a continuation; one that never started fails for Retry', async () => {
    const { workflow, continueIn } = await setup();
    workflow.failStart = new TransientError('socket hang up');
    await expect(continueIn()).rejects.toThrow('socket hang up');
    expect(workflow.executions.size).toBe(0);
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
  it('takes the lock and the record over from the execution it continues, and resumes as itself', async () => {
    const { registry, state, resume } = await setup();
    const resumed = await resume(continuationInput(state, OLD));
    expect(resumed.refusal).toBeUndefined();
    expect(resumed.rollout.executionArn).toBe(NEW);
    expect(resumed.cursor).toMatchObject({ historyEvents: 10, next: 'bake' });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: NAME, executionArn: NEW });
    expect(await registry.get(NAME)).toMatchObject({ executionArn: NEW, status: 'running' });
    expect(await registry.findByExecution(NEW)).toMatchObject({ rolloutId: NAME });
    expect(await registry.findByExecution(OLD)).toBeUndefined();
    // A retried resume finds the lock already its own.
    expect((await resume(continuationInput(state, OLD))).refusal).toBeUndefined();
  });

  it('refuses, changing nothing, when the execution it continues no longer holds the lock', async () => {
    const { registry, state, resume } = await setup();
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: NAME, executionArn: OLD });
    await registry.acquire(lockRequestFor(runningState({ id: 'other' }), T0));
    const refused = await resume(continuationInput(state, OLD));
    expect(refused.refusal?.Error).toBe('RolloutRefused');
    expect(refused.refusal?.Cause).toContain(`the lock is held by rollout other (execution ${executionArn('other')})`);
    // Its own ARN, so the ending path writes nothing over the real holder's record or lock.
    expect(refused.rollout.executionArn).toBe(NEW);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'other' });
  });

  it('refuses an input that claims to continue an execution that never held the lock', async () => {
    const { registry, state, resume } = await setup();
    const forged = continuationInput(state, executionArn('somebody-else'));
    expect((await resume(forged, executionArn('forged'))).refusal?.Cause).toContain('not the execution it continues');
    expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: OLD });
  });
});
