import { describe, expect, it } from 'vitest';
import { makePrepare, type PrepareResult } from '../../../functions/tasks/prepare.js';
import { ThrottledError } from '../../../functions/core/errors.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { alarmsOf, ordersWorld, preparePorts } from '../../support/fakes.js';

const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1', name: 'r1', startTime: '2026-01-05T10:00:00.000Z' };
const input = { functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes' };

function setup() {
  const lambda = ordersWorld();
  const prepare = makePrepare(preparePorts(lambda, { alarms: alarmsOf({ 'orders-errors': 'OK' }), allowedFunctions: ['orders', 'payments'] }));
  const changesBefore = lambda.aliasChanges.length;
  const nothingChanged = () => {
    expect(lambda.aliasChanges).toHaveLength(changesBefore);
    expect(lambda.calls.filter((c) => c.op === 'updateAlias')).toEqual([]);
  };
  return { lambda, prepare, nothingChanged };
}

const refusal = (r: PrepareResult) => ('refusal' in r ? r.refusal : undefined);

describe('Prepare', () => {
  it('resolves the baseline and its RevisionId and plans the steps', async () => {
    const { lambda, prepare, nothingChanged } = setup();
    const state = (await prepare({ input, execution })) as RolloutState;
    expect(state.rollout).toMatchObject({ id: 'r1', functionName: 'orders', alias: 'live', baselineVersion: '1', targetVersion: '2', startedAt: execution.startTime });
    expect(state.rollout.plan.steps).toEqual([{ weightPercent: 10, bakeSeconds: 300 }]);
    expect(state.alias).toEqual({ functionVersion: '1', routing: {}, revisionId: lambda.peekAlias('orders', 'live').revisionId });
    expect(state.cursor).toMatchObject({ step: 0, weightPercent: 10, next: 'shift' });
    nothingChanged();
  });

  it('uses the caller-given rollout id', async () => {
    const { prepare } = setup();
    const state = (await prepare({ input: { ...input, rolloutId: 'build-417' }, execution })) as RolloutState;
    expect(state.rollout.id).toBe('build-417');
  });

  type Arrange = (lambda: ReturnType<typeof ordersWorld>) => void;
  it.each<[string, Arrange, object, string, string]>([
    ['the function does not exist', () => {}, { functionName: 'payments' }, 'RolloutRefused', 'function payments does not exist'],
    ['the alias does not exist', () => {}, { alias: 'prod' }, 'RolloutRefused', 'alias prod of function orders does not exist'],
    ['the target is $LATEST', () => {}, { targetVersion: '$LATEST' }, 'InvalidRolloutInput', 'targetVersion: must be a published version; $LATEST cannot be routed by weight'],
    ['the target is not published', () => {}, { targetVersion: '9' }, 'RolloutRefused', 'version 9 of function orders is not published'],
    ['the target is the baseline', () => {}, { targetVersion: '1' }, 'RolloutRefused', 'version 1 is already the version of alias live'],
    ['the alias is already split', (l) => l.changeAliasExternally('orders', 'live', { functionVersion: '1', routing: { '2': 20 } }), {}, 'RolloutRefused', 'alias live is already split (v1 80% + v2 20%): another rollout is running or one was left unfinished'],
    ['the alias points at $LATEST', (l) => l.changeAliasExternally('orders', 'live', { functionVersion: '$LATEST' }), {}, 'RolloutRefused', 'alias live points at $LATEST'],
    ['the execution roles differ', (l) => l.setVersion('orders', '2', { role: 'arn:aws:iam::123456789012:role/other' }), {}, 'RolloutRefused', 'versions 1 and 2 have different execution roles'],
    ['the dead-letter targets differ', (l) => l.setVersion('orders', '2', { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' }), {}, 'RolloutRefused', 'versions 1 and 2 have different dead-letter targets (none vs arn:aws:sqs:us-east-1:123456789012:dlq)'],
    ['the target is not Active', (l) => l.setVersion('orders', '2', { state: 'Pending' }), {}, 'RolloutRefused', 'version 2 is Pending, not Active'],
    ['the function is not Active', (l) => l.setVersion('orders', '$LATEST', { state: 'Inactive' }), {}, 'RolloutRefused', 'function orders is Inactive, not Active'],
    ['the function is being updated', (l) => l.setVersion('orders', '$LATEST', { lastUpdateStatus: 'InProgress' }), {}, 'RolloutRefused', "function orders's last update is InProgress, not Successful"],
    ['the target update did not succeed', (l) => l.setVersion('orders', '2', { lastUpdateStatus: 'InProgress' }), {}, 'RolloutRefused', "version 2's last update is InProgress, not Successful"],
    ['a field is invalid', () => {}, { strategy: { type: 'linear', percent: 10 } }, 'InvalidRolloutInput', 'strategy.intervalSeconds: is required'],
    ['a watched alarm does not exist', () => {}, { health: { alarms: { names: ['orders-errors', 'orders-latnecy'] } } }, 'RolloutRefused', 'health.alarms.names: "orders-latnecy" does not exist; a missing alarm would never fire'],
  ])('refuses when %s, changing nothing', async (_, arrange, change, error, message) => {
    const { lambda, prepare } = setup();
    arrange(lambda);
    const changes = lambda.aliasChanges.length;
    const result = await prepare({ input: { ...input, ...change }, execution });
    expect(refusal(result)?.Error).toBe(error);
    expect(refusal(result)?.Cause).toContain(message);
    expect(lambda.aliasChanges).toHaveLength(changes);
    expect(lambda.calls.filter((c) => c.op === 'updateAlias')).toEqual([]);
  });

  it('lets transient errors through for the workflow to retry', async () => {
    const { lambda, prepare, nothingChanged } = setup();
    lambda.injectFault('getAlias', 'throttle');
    await expect(prepare({ input, execution })).rejects.toBeInstanceOf(ThrottledError);
    nothingChanged();
  });
});
