import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsLambdaControl, AwsMetricsReader, awsPorts, defaultClients, envTopicNotifier } from '../../../functions/aws/index.js';
import type { Notification } from '../../../functions/core/notification.js';
import { systemClock } from '../../../functions/ports.js';
import { TOPIC_ARN_ENV } from '../../../functions/task-functions.js';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:rollouts';
const notification: Notification = { type: 'promoted', subject: 'promoted', body: { type: 'promoted' }, attributes: { eventType: 'promoted' } };

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('awsPorts', () => {
  it('builds the adapters and the system clock without the topic ARN', () => {
    vi.stubEnv(TOPIC_ARN_ENV, undefined);
    const ports = awsPorts();
    expect(ports.lambda).toBeInstanceOf(AwsLambdaControl);
    expect(ports.metrics).toBeInstanceOf(AwsMetricsReader);
    expect(ports.clock).toBe(systemClock);
    expect(typeof ports.notifier.publish).toBe('function');
  });

  it('fails at publish time, sending nothing, when the topic ARN is not set', async () => {
    vi.stubEnv(TOPIC_ARN_ENV, undefined);
    const { notifier } = awsPorts();
    await expect(notifier.publish(notification)).rejects.toThrow(`${TOPIC_ARN_ENV} is not set`);
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('publishes to the topic named by the environment when publishing', async () => {
    vi.stubEnv(TOPIC_ARN_ENV, undefined);
    const { notifier } = awsPorts();
    vi.stubEnv(TOPIC_ARN_ENV, TOPIC);
    await notifier.publish(notification);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC, Subject: 'promoted' });
  });

  it('reads the topic from the environment it is given', async () => {
    await envTopicNotifier(new SNSClient({}), { [TOPIC_ARN_ENV]: `${TOPIC}-2` }).publish(notification);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: `${TOPIC}-2` });
  });
});

describe('defaultClients', () => {
  it('use standard retries with 3 attempts, whatever the environment says', async () => {
    vi.stubEnv('AWS_MAX_ATTEMPTS', '7');
    vi.stubEnv('AWS_RETRY_MODE', 'adaptive');
    const clients = defaultClients();
    for (const client of [clients.lambda, clients.cloudwatch, clients.sns]) {
      expect(await client.config.maxAttempts()).toBe(3);
      expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('standard');
    }
  });
});
