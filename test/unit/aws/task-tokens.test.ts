import 'aws-sdk-client-mock-vitest/extend';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnTaskTokens } from '../../../functions/aws/task-tokens.js';
import { ErrorName } from '../../../functions/core/errors.js';

const sfnMock = mockClient(SFNClient);

beforeEach(() => {
  sfnMock.reset();
});

describe('SfnTaskTokens', () => {
  const tokens = () => new SfnTaskTokens(new SFNClient({}));

  it('answers a token with the output as JSON, or with an error and a clipped cause', async () => {
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    sfnMock.on(SendTaskFailureCommand).resolves({});
    await tokens().succeed('tok', { woken: 'approve' });
    await tokens().fail('tok', 'HookFailed', 'x'.repeat(40_000));
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'tok', output: '{"woken":"approve"}' });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input.cause).toHaveLength(32_768);
  });

  it('calls a token whose task no longer waits NotFound', async () => {
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } }));
    await expect(tokens().succeed('tok', {})).rejects.toMatchObject({ name: ErrorName.NotFound, message: 'SendTaskSuccess: the task is no longer waiting (TaskTimedOut)' });
  });
});
