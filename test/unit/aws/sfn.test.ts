import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionLimitExceeded,
  InvalidExecutionInput,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionArnOf, MAX_STOP_CAUSE_CHARS, SfnWorkflow } from '../../../functions/aws/sfn.js';
import { ENV } from '../../../functions/names.js';
import { ErrorName } from '../../../functions/core/errors.js';
import { rolloutStateIn } from '../../../functions/core/state.js';
import { executionArn, runningState, STATE_MACHINE_ARN, T0 } from '../support/rollouts.js';

const sfn = mockClient(SFNClient);
const client = new SFNClient({ region: 'eu-west-1' });
const workflow = new SfnWorkflow(client, STATE_MACHINE_ARN);
const meta = { httpStatusCode: 400 };
const ARN = executionArn('orders-live-v8-abc');

beforeEach(() => {
  sfn.reset();
});

describe('execution ARNs', () => {
  it('follow from the state machine and the name, in any partition', () => {
    expect(executionArnOf(STATE_MACHINE_ARN, 'orders-live-v8-abc')).toBe(ARN);
    expect(executionArnOf('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:sm', 'x')).toBe('arn:aws-cn:states:cn-north-1:123456789012:execution:sm:x');
    expect(workflow.executionArnFor('orders-live-v8-abc')).toBe(ARN);
  });

  it('refuse a value that is not a state machine ARN', () => {
    expect(() => executionArnOf('arn:aws:lambda:eu-west-1:123456789012:function:orders', 'x')).toThrow(/is not a state machine ARN/);
  });
});

describe('SfnWorkflow', () => {
  it('starts an execution under the given name with the input as JSON and answers with its ARN', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: ARN, startDate: new Date(T0) });
    const started = await workflow.start('orders-live-v8-abc', { functionName: 'orders', rolloutId: 'r1' });
    expect(started).toEqual({ executionArn: ARN, alreadyStarted: false });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'orders-live-v8-abc',
      input: '{"functionName":"orders","rolloutId":"r1"}',
    });
  });

  it('reads the state machine ARN from the environment when it starts, and says which variable is missing', async () => {
    const env: NodeJS.ProcessEnv = {};
    const lazy = new SfnWorkflow(client, () => env[ENV.stateMachineArn] ?? '');
    await expect(lazy.start('x', {})).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining(ENV.stateMachineArn) });
    expect(sfn).not.toHaveReceivedAnyCommand();
    env[ENV.stateMachineArn] = STATE_MACHINE_ARN;
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn('x'), startDate: new Date(T0) });
    await expect(lazy.start('x', {})).resolves.toMatchObject({ executionArn: executionArn('x') });
  });

  it('treats ExecutionAlreadyExists as success: an execution of this name was started already', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: meta }));
    expect(await workflow.start('n1', {})).toEqual({ executionArn: executionArn('n1'), alreadyStarted: true });
  });

  it('calls the account\'s execution limit throttling, so callers retry later', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionLimitExceeded({ message: 'The maximum number of running executions has been reached', $metadata: meta }));
    await expect(workflow.start('x', {})).rejects.toMatchObject({ name: ErrorName.Throttled });
  });

  it('maps other start failures, naming the execution and the state machine', async () => {
    sfn.on(StartExecutionCommand).rejects(new InvalidExecutionInput({ message: 'Invalid execution input', $metadata: meta }));
    await expect(workflow.start('n1', {})).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining(`StartExecution n1 on ${STATE_MACHINE_ARN}`) });
  });

  it('stops with the error and cause, clipped to Step Functions\' limits', async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(T0) });
    await workflow.stop(ARN, { error: 'RolloutAborted', cause: 'y'.repeat(MAX_STOP_CAUSE_CHARS + 10) });
    const input = sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ executionArn: ARN, error: 'RolloutAborted' });
    expect(input?.cause).toHaveLength(MAX_STOP_CAUSE_CHARS);
    expect(input?.cause?.endsWith('...')).toBe(true);
  });

  it('describes an execution, and calls an unknown one not found', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: ARN, name: 'orders-live-v8-abc', status: 'ABORTED', startDate: new Date(T0), stopDate: new Date(T0 + 1000), error: 'RolloutAborted', cause: 'bad canary', stateMachineArn: STATE_MACHINE_ARN })
      .rejectsOnce(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: meta }));
    expect(await workflow.describe(ARN)).toEqual({
      executionArn: ARN,
      name: 'orders-live-v8-abc',
      status: 'ABORTED',
      startedAt: new Date(T0).toISOString(),
      stoppedAt: new Date(T0 + 1000).toISOString(),
      error: 'RolloutAborted',
      cause: 'bad canary',
    });
    await expect(workflow.describe(ARN)).rejects.toMatchObject({ name: ErrorName.NotFound });
  });

  it('reads the error and cause of a stopped execution from its last event when the description has none', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: ARN, name: 'x', status: 'ABORTED', startDate: new Date(T0), stateMachineArn: STATE_MACHINE_ARN });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [{ id: 9, type: 'ExecutionAborted', timestamp: new Date(T0), executionAbortedEventDetails: { error: 'RolloutAborted', cause: 'bad canary' } }],
    });
    expect(await workflow.describe(ARN)).toMatchObject({ status: 'ABORTED', error: 'RolloutAborted', cause: 'bad canary' });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: ARN, reverseOrder: true, maxResults: 1 });
  });

  it("finds the latest rollout state in the history, newest first, paging only as far as needed", async () => {
    const older = runningState({ alias: { revisionId: 'r2' } });
    const latest = runningState({ alias: { revisionId: 'r3' } });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          { id: 40, type: 'ExecutionAborted', timestamp: new Date(T0), executionAbortedEventDetails: { error: 'RolloutAborted' } },
          // Notify's own answer is not a state, and ResultPath null keeps the state on exit.
          { id: 39, type: 'LambdaFunctionSucceeded', timestamp: new Date(T0), lambdaFunctionSucceededEventDetails: { output: '{"published":true,"type":"shifted"}' } },
          { id: 38, type: 'TaskStateEntered', timestamp: new Date(T0), stateEnteredEventDetails: { name: 'NotifyShifted', input: 'not json' } },
        ],
        nextToken: 'page-2',
      })
      .resolvesOnce({
        events: [
          { id: 37, type: 'TaskStateExited', timestamp: new Date(T0), stateExitedEventDetails: { name: 'ShiftWeight', output: JSON.stringify(latest) } },
          { id: 30, type: 'TaskStateExited', timestamp: new Date(T0), stateExitedEventDetails: { name: 'ShiftWeight', output: JSON.stringify(older) } },
        ],
        nextToken: 'page-3',
      });
    const found = await workflow.findInHistory(ARN, rolloutStateIn);
    expect(found?.alias.revisionId).toBe('r3');
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 2);
    expect(sfn).toHaveReceivedNthCommandWith(GetExecutionHistoryCommand, 1, { executionArn: ARN, reverseOrder: true, includeExecutionData: true, maxResults: 1000 });
    expect(sfn).toHaveReceivedNthCommandWith(GetExecutionHistoryCommand, 2, { nextToken: 'page-2' });
  });

  it('answers undefined when no state in the history is a rollout state', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 1, type: 'ExecutionStarted', timestamp: new Date(T0), executionStartedEventDetails: { input: '{"functionName":"orders"}' } }] });
    expect(await workflow.findInHistory(ARN, rolloutStateIn)).toBeUndefined();
  });
});
