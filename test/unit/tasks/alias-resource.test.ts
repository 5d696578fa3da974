/** The Custom::LambdaRollout provider over fakes: what one call does, and what it refuses, when the workflow is only a record. */
import { beforeEach, describe, expect, it } from 'vitest';
import { UpdateInProgressError } from '../../../functions/core/errors.js';
import { type AliasResourceEvent, makeAliasResource } from '../../../functions/tasks/alias-resource.js';
import { aliasResourceConfigFromEnv } from '../../../functions/handlers/alias-resource-config.js';
import { ENV } from '../../../functions/names.js';
import { SimLambda } from '../../../sim/lambda.js';
import { InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { FakeWorkflow } from '../support/fake-workflow.js';
import { T0 } from '../support/rollouts.js';

const STACK = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e3d4c';
const WAIT_SECONDS = 7080;
let now: number;
let lambda: SimLambda;
let registry: InMemoryRolloutRegistry;
let workflow: FakeWorkflow;
let provider: ReturnType<typeof makeAliasResource>;

beforeEach(() => {
  now = T0;
  lambda = new SimLambda({ now: () => now });
  lambda.createFunction('orders');
  lambda.publishVersion('orders');
  lambda.publishVersion('orders');
  lambda.addAlias('orders', 'live', '1');
  registry = new InMemoryRolloutRegistry();
  workflow = new FakeWorkflow(() => now);
  provider = makeAliasResource({ lambda, registry, workflow, clock: { now: () => now } }, { allowedFunctions: ['orders', 'arn:aws:lambda:eu-west-1:123456789012:function:pay-*'], waitSeconds: WAIT_SECONDS });
});

const update = (props: Record<string, unknown> = {}, requestId = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'): AliasResourceEvent => ({
  RequestType: 'Update',
  RequestId: requestId,
  StackId: STACK,
  LogicalResourceId: 'OrdersLive',
  PhysicalResourceId: 'orders:live',
  ResourceProperties: { ServiceToken: 'token', FunctionName: 'orders', AliasName: 'live', Version: '2', ...props },
  OldResourceProperties: { ServiceToken: 'token', FunctionName: 'orders', AliasName: 'live', Version: '1' },
});

describe('onEvent', () => {
  it('starts one rollout per request, however often CloudFormation or the framework retries it', async () => {
    const first = await provider.onEvent(update());
    const again = await provider.onEvent(update());
    expect(again).toEqual(first);
    expect(workflow.calls.filter((c) => c.op === 'start')).toHaveLength(1);
    expect(workflow.calls[0]?.args).toEqual([
      'orders-live-v2-a1b2c3d4e5f6',
      expect.objectContaining({ functionName: 'orders', alias: 'live', targetVersion: '2', rolloutId: 'orders-live-v2-a1b2c3d4e5f6', strategy: 'Canary10Percent5Minutes' }),
    ]);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: first.RolloutId, startedBy: `${STACK}#OrdersLive`, status: 'pending' });
  });

  it('follows a rollout of the same resource already on its way to the version (another request started it)', async () => {
    const first = await provider.onEvent(update());
    const later = await provider.onEvent(update({ Rollout: { strategy: 'Linear10PercentEvery1Minute' } }, 'f0e1d2c3-b4a5-4968-8776-655443322110'));
    expect(later.RolloutId).toBe(first.RolloutId);
    expect(workflow.calls.filter((c) => c.op === 'start')).toHaveLength(1);
  });

  it('fails naming the resource and each broken property, before anything is looked at', async () => {
    await expect(provider.onEvent(update({ AliasName: 'live!', Rollout: { strategy: 'Canary5Percent' } }))).rejects.toThrow(
      /^Custom::LambdaRollout OrdersLive: AliasName: must be 1-128 letters.*; Rollout\.strategy: "Canary5Percent" is not a preset/,
    );
    expect(lambda.calls).toEqual([]);
  });

  it('creates a missing alias, and takes one created meanwhile (a retried call) as created', async () => {
    lambda.injectFault('createAlias', () => {
      lambda.addAlias('orders', 'canary', '2');
      return new UpdateInProgressError('CreateAlias orders:canary: Alias already exists');
    });
    const event = { ...update({ AliasName: 'canary' }), RequestType: 'Create' as const, PhysicalResourceId: undefined };
    const started = await provider.onEvent(event);
    expect(started.PhysicalResourceId).toBe('orders:canary');
    expect(await provider.isComplete({ ...event, ...started })).toMatchObject({ IsComplete: true, Data: { AliasName: 'canary', Version: '2' } });
    expect(workflow.calls).toEqual([]);
  });
});

describe('isComplete', () => {
  it('answers "not yet" while the rollout runs, and when AWS throttles', async () => {
    const event = update();
    const started = { ...event, ...(await provider.onEvent(event)) };
    expect(await provider.isComplete(started)).toEqual({ IsComplete: false });
    lambda.injectFault('getAlias', 'throttle');
    expect(await provider.isComplete(started)).toEqual({ IsComplete: false });
  });

  it('stops the rollout and fails, before the provider framework gives up, when it runs past the wait', async () => {
    const event = update();
    const started = { ...event, ...(await provider.onEvent(event)) };
    now = T0 + WAIT_SECONDS * 1000;
    await expect(provider.isComplete(started)).rejects.toThrow(/did not end within the time CloudFormation may wait; it was stopped.*Use Wait: false/);
    const arn = workflow.executionArnFor(started.RolloutId as string);
    expect(await workflow.describe(arn)).toMatchObject({ status: 'ABORTED', error: 'RolloutAborted', cause: expect.stringContaining('could wait no longer') });
  });

  it('Delete answers at once when no rollout of the resource runs, touching nothing', async () => {
    const event: AliasResourceEvent = { ...update(), RequestType: 'Delete' };
    const started = { ...event, ...(await provider.onEvent(event)) };
    expect(started.PhysicalResourceId).toBe('orders:live');
    expect(await provider.isComplete(started)).toEqual({ IsComplete: true, Data: {} });
    expect(lambda.calls).toEqual([]);
  });
});

describe('aliasResourceConfigFromEnv', () => {
  it('reads the allowed functions and the wait the construct sets, naming a variable that is missing or wrong', () => {
    expect(aliasResourceConfigFromEnv({ [ENV.allowedFunctions]: 'orders-*, payments', [ENV.deployWaitSeconds]: '7140' })).toEqual({ allowedFunctions: ['orders-*', 'payments'], waitSeconds: 7140 });
    expect(() => aliasResourceConfigFromEnv({ [ENV.deployWaitSeconds]: '7140' })).toThrow(`${ENV.allowedFunctions} is not set`);
    expect(() => aliasResourceConfigFromEnv({ [ENV.allowedFunctions]: 'orders', [ENV.deployWaitSeconds]: 'two hours' })).toThrow(
      `${ENV.deployWaitSeconds} must be a whole number of seconds above 0 (the LambdaRollout construct sets it); received "two hours"`,
    );
  });
});
