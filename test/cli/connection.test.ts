/** Finding the service by its stack's outputs (DescribeStacks, faked with aws-sdk-client-mock), and what AWS errors mean. */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit.js';
import { artifactRollout } from '../../cli/service/artifact.js';
import { awsFailure, connect, outputValue } from '../../cli/service/connection.js';
import { releaseExecutionName } from '../../functions/core/artifact.js';
import { STACK_OUTPUTS } from '../../functions/names.js';
import { sha256Hex } from '../../functions/sha256.js';

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());

const stack = (outputs: Record<string, string>) => ({ Stacks: [{ StackName: 'LambdaRollout', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE' as const, Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] });

describe('connect', () => {
  it('reads the API URL and the state machine from the stack outputs with stable keys', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'LambdaRollout' }).resolves(stack({ [STACK_OUTPUTS.apiUrl]: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com/v1/', [STACK_OUTPUTS.stateMachineArn]: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Rollout' }));
    const service = await connect({ stack: 'LambdaRollout', region: 'eu-west-1' });
    expect(service).toMatchObject({ stackName: 'LambdaRollout', region: 'eu-west-1', apiUrl: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com/v1/', stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Rollout' });
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('refuses a stack without the API output, listing the outputs it has', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack({ BucketName: 'b' }));
    await expect(connect({ stack: 'Other', region: 'eu-west-1' })).rejects.toMatchObject({
      exitCode: EXIT.usage,
      lines: ['stack Other in eu-west-1 has no RolloutApiUrl output (its outputs: BucketName); is it a lambda-rollout stack? pass --stack'],
    });
  });

  it('a stack that is not there is a usage error naming the stack and region', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
    await expect(connect({ stack: 'Nope', region: 'eu-west-1' })).rejects.toMatchObject({ exitCode: EXIT.usage, lines: ['no stack Nope in eu-west-1: deploy it (npx cdk deploy), or pass --stack and --region for where it is'] });
  });
});

describe('outputValue', () => {
  it('takes the stable key, or the one CDK-hashed form of it from stacks deployed before the keys were stable', () => {
    expect(outputValue([{ OutputKey: 'RolloutApiUrl', OutputValue: 'a' }, { OutputKey: 'RolloutApiUrlC4D9FE73', OutputValue: 'b' }], 'RolloutApiUrl')).toBe('a');
    expect(outputValue([{ OutputKey: 'RolloutApiUrlC4D9FE73', OutputValue: 'b' }], 'RolloutApiUrl')).toBe('b');
    expect(outputValue([{ OutputKey: 'RolloutApiUrlC4D9FE73', OutputValue: 'b' }, { OutputKey: 'RolloutApiUrl0000AAAA', OutputValue: 'c' }], 'RolloutApiUrl')).toBeUndefined();
    expect(outputValue([{ OutputKey: 'RolloutApiUrlSomething', OutputValue: 'd' }], 'RolloutApiUrl')).toBeUndefined();
  });
});

describe('awsFailure', () => {
  const context = { call: 'GetMetricData', permission: 'cloudwatch:GetMetricData', region: 'eu-west-1' };
  it.each([
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), EXIT.unreachable, /^no AWS credentials: Could not load credentials/],
    [Object.assign(new Error('User is not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), EXIT.unreachable, /^AWS denied GetMetricData \(AccessDenied\): User is not authorized$/],
    [Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }), EXIT.unreachable, /^could not call GetMetricData in eu-west-1: TimeoutError: connect ETIMEDOUT$/],
  ])('%s', (error, code, first) => {
    const failure = awsFailure(error, context);
    expect(failure.exitCode).toBe(code);
    expect(failure.lines[0]).toMatch(first);
  });

  it('names the permission the caller lacks', () => {
    expect(awsFailure(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }), context).lines[1]).toBe('  the caller needs cloudwatch:GetMetricData');
  });
});

describe('artifactRollout', () => {
  it("names the execution as the artifact trigger does, from the bucket, the key and the object's version", () => {
    const ref = artifactRollout('s3://my-artifacts/releases/orders/live/build-417.zip', 'v-1');
    expect(ref).toMatchObject({ bucket: 'my-artifacts', key: 'releases/orders/live/build-417.zip', versionId: 'v-1', functionName: 'orders', alias: 'live' });
    expect(ref.executionName).toBe(releaseExecutionName({ bucket: 'my-artifacts', key: 'releases/orders/live/build-417.zip', versionId: 'v-1', functionName: 'orders', alias: 'live' }, sha256Hex));
    // Any prefix, or none.
    expect(artifactRollout('s3://b/orders/live/1.zip', 'v').functionName).toBe('orders');
    expect(artifactRollout('s3://b/team/a/releases/orders/live/1.zip', 'v').alias).toBe('live');
  });

  it('refuses what cannot be an artifact, naming the rule', () => {
    expect(() => artifactRollout('my-artifacts/releases/orders/live/1.zip', 'v')).toThrow(/^--artifact: must be s3:\/\/<bucket>\/<key>/);
    expect(() => artifactRollout('s3://b/releases/orders/live/1.tar', 'v')).toThrow("--artifact: key 'releases/orders/live/1.tar' breaks the convention <prefix><functionName>/<alias>/<build>.zip: the file '1.tar' must end with .zip");
    expect(() => artifactRollout('s3://b/releases/orders/live/1.zip', undefined)).toThrow(/^--version-id: is required with --artifact/);
  });
});
