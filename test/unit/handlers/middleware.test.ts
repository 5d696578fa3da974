/**
 * What an operator reads in a task's logs: every line names the rollout (id, function, alias, step)
 * as far as the event tells it; refusals are not errors; a log line the event cannot feed never
 * fails the task. And the handler stack prints the service's metrics as EMF beside the logs.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serviceMetrics } from '../../../functions/aws/index.js';
import { RefusedError, ThrottledError } from '../../../functions/core/errors.js';
import { lambdaHandler } from '../../../functions/handlers/middleware.js';
import { failureLevel, logger, rolloutLogKeys } from '../../../functions/logger.js';
import { makeNotify } from '../../../functions/tasks/notify.js';
import { RecordingNotifier, fixedClock } from '../../support/fakes.js';
import { executionArn, runningState } from '../support/rollouts.js';

const state = runningState();
const ID = state.rollout.id;
const ARN = executionArn(ID);

describe('rolloutLogKeys', () => {
  it.each<[string, unknown, object | undefined]>([
    ['a rollout state (every task of a running rollout)', state, { id: ID, functionName: 'orders', alias: 'live', step: 3, executionArn: ARN }],
    ["Notify's event", { event: 'shifted', state }, { id: ID, functionName: 'orders', alias: 'live', step: 3, executionArn: ARN }],
    ["Notify's ending of a refusal before there was a state", { ending: { refusal: { Error: 'RolloutRefused' } }, input: { functionName: 'orders', alias: 'live' } }, { functionName: 'orders', alias: 'live' }],
    [
      "Prepare's input and execution",
      { input: { 'function-name': 'arn:aws:lambda:eu-west-1:123456789012:function:orders', 'alias-name': 'live', rolloutId: 'r1' }, execution: { id: ARN, name: 'r1' } },
      { id: 'r1', functionName: 'orders', alias: 'live', executionArn: ARN },
    ],
    ['a release request', { action: 'update', functionName: 'orders', release: {} }, { functionName: 'orders' }],
    ["the guard's execution status change", { source: 'aws.states', detail: { executionArn: ARN, status: 'ABORTED' } }, { executionArn: ARN }],
    ['an API request for one rollout', { httpMethod: 'GET', pathParameters: { id: ID } }, { id: ID }],
    ["RunHook's event (a hook's run, or its failure)", { action: 'run', hook: 'preTraffic', token: 't', state }, { id: ID, functionName: 'orders', alias: 'live', step: 3, executionArn: ARN }],
    ["a hook's event (the smoke-test hook)", { hook: 'preTraffic', rolloutId: ID, executionArn: ARN, functionName: 'orders', alias: 'live', taskToken: 't' }, { id: ID, functionName: 'orders', alias: 'live', executionArn: ARN }],
    ['a state before the first shift (step 0)', { ...state, cursor: { ...state.cursor, step: -1 } }, { id: ID, functionName: 'orders', alias: 'live', step: 0, executionArn: ARN }],
    ['an event that names no rollout', { Records: [] }, undefined],
    ['fields of the wrong type, or far too long to be identifiers', { rollout: { id: 7, functionName: 'x'.repeat(300), alias: ['live'] }, cursor: { step: 'two' } }, undefined],
    ['not an object', 'ping', undefined],
    ['nothing', null, undefined],
  ])('%s', (_, event, keys) => expect(rolloutLogKeys(event)).toEqual(keys));
});

describe('failureLevel', () => {
  it.each([
    ['RolloutRefused', 'info'],
    ['InvalidRolloutInput', 'info'],
    ['Throttled', 'warn'],
    ['Lambda.TooManyRequestsException', 'warn'],
    ['AliasDrift', 'warn'],
    ['AccessDeniedException', 'error'],
    [undefined, 'error'],
  ])('%s: %s', (name, level) => expect(failureLevel(name)).toBe(level));
});

describe('the middy stack', () => {
  let out: string[];
  let err: string[];
  const context = { functionName: 'LambdaRollout-Notify', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:LambdaRollout-Notify', memoryLimitInMB: '256' } as unknown as Context;
  const lines = (stream: string[]) => stream.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0);
    // The tests run SILENT (vitest.config.ts), and the stack resets the level to it at each invocation.
    vi.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
    logger.setLogLevel('INFO');
  });
  afterEach(() => {
    logger.setLogLevel('SILENT');
    vi.restoreAllMocks();
  });

  it('names the rollout on every line the task logs, and only for that invocation', async () => {
    const task = lambdaHandler(async (_event: unknown) => {
      logger.info('working');
      return 'done';
    });
    await task(state, context);
    await task({ Records: [] }, context);
    const [first, second] = lines(out);
    expect(first).toMatchObject({ level: 'INFO', message: 'working', function_name: 'LambdaRollout-Notify', rollout: { id: ID, functionName: 'orders', alias: 'live', step: 3, executionArn: ARN } });
    expect(second).not.toHaveProperty('rollout');
  });

  it('logs a refusal at info and a throttled call at warn, an unexpected failure at error, and rethrows each unchanged', async () => {
    const failing = (error: Error) => lambdaHandler(async (_event: unknown) => Promise.reject(error));
    const refusal = new RefusedError('alias live is split');
    await expect(failing(refusal)(state, context)).rejects.toBe(refusal);
    await expect(failing(new ThrottledError('Rate exceeded'))(state, context)).rejects.toMatchObject({ name: 'Throttled' });
    await expect(failing(new Error('boom'))(state, context)).rejects.toThrow('boom');
    const logged = [...lines(out), ...lines(err)].map((l) => [l.level, l.message, (l.error as { name?: string } | undefined)?.name]);
    expect(logged).toEqual(expect.arrayContaining([
      ['INFO', 'task refused: nothing was changed', 'RolloutRefused'],
      ['WARN', 'task failed', 'Throttled'],
      ['ERROR', 'task failed', 'Error'],
    ]));
    expect(logged.filter(([level]) => level === 'ERROR')).toHaveLength(1);
  });

  it("prints the task's metrics as EMF beside its logs", async () => {
    const notify = lambdaHandler(makeNotify({ notifier: new RecordingNotifier(), clock: fixedClock(), serviceMetrics: serviceMetrics() }));
    await notify({ event: 'started', state }, context);
    const emf = lines(out).find((l) => '_aws' in l);
    expect(emf).toMatchObject({ service: 'lambda-rollout', FunctionName: 'orders', RolloutsStarted: 1 });
  });
});
