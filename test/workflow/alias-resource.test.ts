/**
 * `Custom::LambdaRollout` against the real workflow: CloudFormation's requests go to the provider's
 * onEvent and isComplete, rollouts run the real definition in the in-memory world, isComplete polls
 * the registry while they run (at every health check) and after, and executions that stop are
 * handed to the guard as on AWS. What a user sees: the stack update succeeds on promotion and fails
 * on rollback, and whatever CloudFormation does, the alias ends whole.
 */
import { describe, expect, it } from 'vitest';
import type { AliasState } from '../../functions/core/lambda-model.js';
import { makeAliasResource, type AliasResourceEvent, type AliasResourceStarted, type IsCompleteAnswer } from '../../functions/tasks/alias-resource.js';
import { SimWorkflow } from '../../sim/workflow.js';
import { SimWorld } from '../../sim/world.js';
import type { TaskHandler } from '../../sim/tasks.js';

const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const failing = { ...steady, errorRate: 0.5 };
const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders-app/5b3c1a20-9d7e-11f0-8a1b-0a1b2c3d4e5f';
const ROLLOUT = { strategy: 'Canary10Percent5Minutes', health: { metricDelaySeconds: 0 } };

/** The world (orders: v1 behind live, v2 published), the in-memory state machine, and the provider over them. */
function setUp(target = steady) {
  const world = new SimWorld({ rate: 50, baseline: steady, target, metricDelaySeconds: 0 });
  const workflow = new SimWorkflow(world);
  const provider = makeAliasResource(
    { lambda: world.lambda, registry: world.registry, workflow, clock: { now: () => world.now() } },
    { allowedFunctions: ['orders'], waitSeconds: 7080 },
  );
  return { world, workflow, provider };
}

let requests = 0;
/** A CloudFormation request for the resource OrdersLive of the stack, as the provider framework passes it. */
function request(type: AliasResourceEvent['RequestType'], props: Record<string, unknown>, old?: Record<string, unknown>): AliasResourceEvent {
  requests += 1;
  return {
    RequestType: type,
    RequestId: `${requests.toString(16).padStart(8, '0')}-7d1e-4c2b-9a3f-5e6d7c8b9a0f`,
    StackId: STACK,
    LogicalResourceId: 'OrdersLive',
    ResourceType: 'Custom::LambdaRollout',
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'orders:live' }),
    // CloudFormation sends every scalar as a string.
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider', ...props },
    ...(old ? { OldResourceProperties: old } : {}),
  };
}

const props = (version: string, extra: Record<string, unknown> = {}) => ({ FunctionName: 'orders', AliasName: 'live', Version: version, Rollout: ROLLOUT, ...extra });

type Answer = { status: 'SUCCESS'; data: Readonly<Record<string, string>> } | { status: 'FAILED'; reason: string };

/** Polls isComplete until it answers, as the provider framework's waiter does. */
async function answer(provider: ReturnType<typeof makeAliasResource>, event: AliasResourceEvent & AliasResourceStarted): Promise<Answer> {
  for (let poll = 0; poll < 10; poll += 1) {
    try {
      const result = await provider.isComplete(event);
      if (result.IsComplete) return { status: 'SUCCESS', data: result.Data ?? {} };
    } catch (error) {
      return { status: 'FAILED', reason: (error as Error).message };
    }
  }
  throw new Error('isComplete never answered');
}

/** A whole CloudFormation request: onEvent, the rollout it started run to its end (guard included), then the polls. */
async function deploy(env: ReturnType<typeof setUp>, event: AliasResourceEvent) {
  const started = { ...event, ...(await env.provider.onEvent(event)) };
  await env.workflow.settled();
  return { started, answer: await answer(env.provider, started) };
}

/** Calls `act` at each health check of the running rollout, with the alias as it routes then. */
function atEachCheck(env: ReturnType<typeof setUp>, act: (check: number, alias: AliasState) => Promise<void>) {
  let checks = 0;
  env.workflow.wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
    name === 'CheckHealth'
      ? async (input) => {
          checks += 1;
          await act(checks, env.world.aliasState);
          return handler(input);
        }
      : handler;
}

const rolloutChanges = (world: SimWorld) => world.lambda.aliasChanges.filter((c) => c.by === 'rollout').map((c) => ({ version: c.functionVersion, routing: c.routing }));

describe('Create', () => {
  it('creates the alias on the version when it does not exist, with no rollout', async () => {
    const env = setUp();
    const { started, answer: done } = await deploy(env, request('Create', { ...props('2'), AliasName: 'canary' }));
    expect(started.PhysicalResourceId).toBe('orders:canary');
    expect(done).toEqual({
      status: 'SUCCESS',
      data: { AliasArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders:canary', AliasName: 'canary', FunctionName: 'orders', Version: '2', RolloutId: '' },
    });
    expect(env.world.lambda.peekAlias('orders', 'canary')).toMatchObject({ functionVersion: '2', routing: {} });
    expect(env.workflow.executions.size).toBe(0);
  });

  it('adopts an alias already on the version, changing nothing', async () => {
    const env = setUp();
    const { answer: done } = await deploy(env, request('Create', props('1')));
    expect(done.status).toBe('SUCCESS');
    expect(env.workflow.executions.size).toBe(0);
    expect(env.world.lambda.aliasChanges.map((c) => c.by)).toEqual(['setup']);
  });

  it('refuses a function the service may not roll out, changing nothing', async () => {
    const env = setUp();
    await expect(env.provider.onEvent(request('Create', { ...props('2'), FunctionName: 'payments' }))).rejects.toThrow(
      /FunctionName: payments is not one of the functions this lambda-rollout service may roll out \(allowedFunctions: orders\)/,
    );
  });
});

describe('Update to a new version', () => {
  it('starts a rollout instead of moving the alias, and succeeds when it promotes', async () => {
    const env = setUp();
    const polls: { answer: IsCompleteAnswer; alias: AliasState }[] = [];
    const event = request('Update', props('2'), props('1'));
    let started: (AliasResourceEvent & AliasResourceStarted) | undefined;
    atEachCheck(env, async (_, alias) => {
      polls.push({ answer: await env.provider.isComplete(started as never), alias });
    });
    started = { ...event, ...(await env.provider.onEvent(event)) };
    await env.workflow.settled();

    expect(started.RolloutId).toMatch(/^orders-live-v2-/);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((p) => p.answer.IsComplete === false && p.alias.routing['2'] === 10)).toBe(true);
    expect(await answer(env.provider, started)).toEqual({ status: 'SUCCESS', data: expect.objectContaining({ Version: '2', RolloutId: started.RolloutId }) });
    expect(rolloutChanges(env.world)).toEqual([{ version: '1', routing: { '2': 10 } }, { version: '2', routing: {} }]);
    expect(await env.world.registry.get(started.RolloutId as string)).toMatchObject({ status: 'promoted', startedBy: `${STACK}#OrdersLive` });
  });

  it('fails when the rollout rolls back, and the update-rollback back to the old version succeeds without a rollout', async () => {
    const env = setUp(failing);
    const { started, answer: failed } = await deploy(env, request('Update', props('2'), props('1')));
    expect(failed).toEqual({ status: 'FAILED', reason: expect.stringMatching(new RegExp(`rollout ${started.RolloutId} to v2 ended rolled_back: .*; the alias stays on v1`)) });
    expect(env.world.aliasState).toMatchObject({ functionVersion: '1', routing: {} });

    // CloudFormation rolls the stack back: an Update to the old properties.
    const back = await deploy(env, request('Update', props('1'), props('2')));
    expect(back.answer.status).toBe('SUCCESS');
    expect(env.workflow.executions.size).toBe(1);
  });

  it('with Wait false, answers once the rollout has started; the rollout goes on', async () => {
    const env = setUp();
    const event = request('Update', props('2', { Wait: 'false' }), props('1'));
    const started = { ...event, ...(await env.provider.onEvent(event)) };
    const first = await env.provider.isComplete(started);
    await env.workflow.settled();
    expect(first).toEqual({ IsComplete: true, Data: expect.objectContaining({ RolloutId: started.RolloutId }) });
    expect(env.world.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
  });

  it('fails at once, changing nothing, while someone else\'s rollout holds the alias', async () => {
    const env = setUp();
    await env.world.registry.acquire({
      rolloutId: 'api-rollout', executionArn: env.workflow.executionArnFor('api-rollout'), functionName: 'orders', alias: 'live', targetVersion: '2',
      startedAt: new Date(env.world.now()).toISOString(), status: 'running', startedBy: 'arn:aws:iam::123456789012:user/alice', at: new Date(env.world.now()).toISOString(),
    });
    await expect(env.provider.onEvent(request('Update', props('2'), props('1')))).rejects.toThrow(
      /rollout api-rollout \(started by arn:aws:iam::123456789012:user\/alice, .*\) is running on the alias; nothing was changed/,
    );
    expect(env.workflow.executions.size).toBe(0);
  });

  it('after a promotion, an update-rollback (a later resource failed) rolls the alias back out to the old version', async () => {
    const env = setUp();
    expect((await deploy(env, request('Update', props('2'), props('1')))).answer.status).toBe('SUCCESS');
    const back = await deploy(env, request('Update', props('1'), props('2')));
    expect(back.answer.status).toBe('SUCCESS');
    expect(env.workflow.executions.size).toBe(2);
    expect(env.world.aliasState).toMatchObject({ functionVersion: '1', routing: {} });
  });
});

describe('an update cancelled mid-rollout', () => {
  it('the Update back to the old properties stops the rollout and completes only once the alias is whole on the old version', async () => {
    const env = setUp();
    const update = request('Update', props('2'), props('1'));
    const rollback = request('Update', props('1'), props('2'));
    let rollbackStarted: (AliasResourceEvent & AliasResourceStarted) | undefined;
    const whileStopping: { answer: IsCompleteAnswer; alias: AliasState }[] = [];
    atEachCheck(env, async (check, alias) => {
      if (check !== 2) return;
      // CloudFormation gave up waiting (cancel-update-stack) and rolls back while the rollout runs.
      rollbackStarted = { ...rollback, ...(await env.provider.onEvent(rollback)) };
      whileStopping.push({ answer: await env.provider.isComplete(rollbackStarted), alias });
    });
    const started = { ...update, ...(await env.provider.onEvent(update)) };
    await env.workflow.settled();

    expect(whileStopping).toEqual([{ answer: { IsComplete: false }, alias: expect.objectContaining({ functionVersion: '1', routing: { '2': 10 } }) }]);
    const execution = await env.workflow.describe(env.workflow.executionArnFor(started.RolloutId as string));
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'RolloutAborted', cause: expect.stringContaining('the stack now wants v1') });
    expect(env.workflow.guarded).toEqual([expect.objectContaining({ action: 'restored', endedAs: 'aborted', lockReleased: true })]);
    expect(await answer(env.provider, rollbackStarted as never)).toMatchObject({ status: 'SUCCESS', data: { Version: '1' } });
    expect(env.world.aliasState).toMatchObject({ functionVersion: '1', routing: {} });

    // The cancelled update's own waiter, should it poll again, fails and touches nothing.
    const changes = env.world.lambda.aliasChanges.length;
    expect(await answer(env.provider, started)).toEqual({ status: 'FAILED', reason: expect.stringContaining('ended aborted') });
    expect(env.world.lambda.aliasChanges.length).toBe(changes);
    expect(env.workflow.executions.size).toBe(1);
  });
});

describe('Delete', () => {
  it('leaves the alias as it is', async () => {
    const env = setUp();
    await deploy(env, request('Update', props('2'), props('1')));
    const changes = env.world.lambda.aliasChanges.length;
    const { started, answer: done } = await deploy(env, request('Delete', props('2')));
    expect(started.PhysicalResourceId).toBe('orders:live');
    expect(done.status).toBe('SUCCESS');
    expect(env.world.lambda.aliasChanges.length).toBe(changes);
    expect(env.world.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
  });

  it('mid-rollout, stops the rollout and completes once the guard has put the alias back whole', async () => {
    const env = setUp();
    const update = request('Update', props('2'), props('1'));
    const deletion = request('Delete', props('2'));
    let deleting: (AliasResourceEvent & AliasResourceStarted) | undefined;
    atEachCheck(env, async (check) => {
      if (check === 1) deleting = { ...deletion, ...(await env.provider.onEvent(deletion)) };
    });
    await env.provider.onEvent(update);
    await env.workflow.settled();
    expect(await answer(env.provider, deleting as never)).toMatchObject({ status: 'SUCCESS' });
    expect(env.world.aliasState).toMatchObject({ functionVersion: '1', routing: {} });
  });

  it('ignores a physical id that is not the alias (a create that failed before naming it)', async () => {
    const env = setUp();
    const event = { ...request('Delete', props('2')), PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED' };
    expect(await env.provider.onEvent(event)).toMatchObject({ PhysicalResourceId: event.PhysicalResourceId });
    expect(await env.provider.isComplete(event)).toEqual({ IsComplete: true });
  });
});
