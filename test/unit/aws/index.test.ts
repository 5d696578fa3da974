import 'aws-sdk-client-mock-vitest/extend';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsLambdaControl } from '../../../functions/aws/lambda-control.js';
import { AwsMetricsReader } from '../../../functions/aws/cloudwatch-metrics.js';
import { cloudWatchClient, lambdaClient, snsClient, documentClient } from '../../../functions/aws/clients.js';
import { idempotencyStore, lambdaControl, metricsReader, rolloutRegistry, topicNotifier, workflow } from '../../../functions/aws/index.js';
import { ErrorName } from '../../../functions/core/errors.js';
import type { Notification } from '../../../functions/core/notification.js';
import { ENV } from '../../../functions/names.js';
import { randomIds } from '../../../functions/ports.js';
import { STATE_MACHINE_ARN } from '../support/rollouts.js';

const snsMock = mockClient(SNSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:rollouts';
const notification: Notification = { type: 'promoted', subject: 'promoted', body: { type: 'promoted' }, attributes: { eventType: 'promoted' } };

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the ports on AWS', () => {
  it('build their adapters over the shared clients without any environment', () => {
    vi.stubEnv(ENV.topicArn, undefined);
    expect(lambdaControl()).toBeInstanceOf(AwsLambdaControl);
    expect(metricsReader()).toBeInstanceOf(AwsMetricsReader);
    expect(typeof topicNotifier().publish).toBe('function');
    expect(lambdaClient()).toBe(lambdaClient());
  });

  it('fail at publish time, sending nothing, when the topic ARN is not set', async () => {
    vi.stubEnv(ENV.topicArn, undefined);
    const notifier = topicNotifier();
    await expect(notifier.publish(notification)).rejects.toThrow(`${ENV.topicArn} is not set`);
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('publish to the topic named by the environment when publishing', async () => {
    vi.stubEnv(ENV.topicArn, undefined);
    const notifier = topicNotifier();
    vi.stubEnv(ENV.topicArn, TOPIC);
    await notifier.publish(notification);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC, Subject: 'promoted' });
  });

  it('read the topic from the environment they are given', async () => {
    await topicNotifier({ [ENV.topicArn]: `${TOPIC}-2` }).publish(notification);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: `${TOPIC}-2` });
  });

  it('read the table name and the state machine ARN when they are first needed', async () => {
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    const env: Record<string, string | undefined> = {};
    const registry = rolloutRegistry(env);
    const keys = idempotencyStore(env);
    const sfn = workflow(env);
    await expect(registry.get('r1')).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining(ENV.tableName) });
    await expect(keys.forget('k1', 'fp1')).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining(ENV.tableName) });
    expect(() => sfn.executionArnFor('x')).toThrow(ENV.stateMachineArn);
    env[ENV.tableName] = 'rollouts';
    env[ENV.stateMachineArn] = STATE_MACHINE_ARN;
    expect(await registry.get('r1')).toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'rollouts' });
    await keys.forget('k1', 'fp1');
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { TableName: 'rollouts', Key: { pk: 'IDEMPOTENCY#k1', sk: 'IDEMPOTENCY' } });
    expect(sfn.executionArnFor('x')).toBe('arn:aws:states:eu-west-1:123456789012:execution:lambda-rollout:x');
  });

  it('make short ids that are safe in execution names', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomIds.newId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('the shared clients', () => {
  it('use standard retries with 3 attempts, whatever the environment says', async () => {
    vi.stubEnv('AWS_MAX_ATTEMPTS', '7');
    vi.stubEnv('AWS_RETRY_MODE', 'adaptive');
    for (const client of [lambdaClient(), cloudWatchClient(), snsClient(), documentClient()]) {
      expect(await client.config.maxAttempts()).toBe(3);
      expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('standard');
    }
  });
});
