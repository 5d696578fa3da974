import 'aws-sdk-client-mock-vitest/extend';
import {
  AuthorizationErrorException,
  InternalErrorException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, SnsNotifier } from '../../../functions/aws/sns-notifier.js';
import { ErrorName } from '../../../functions/core/errors.js';
import type { Notification } from '../../../functions/core/notification.js';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:rollouts';
const notifier = () => new SnsNotifier(new SNSClient({}), TOPIC);

const notification: Notification = {
  type: 'shifted',
  subject: 'lambda-rollout orders:live v8 shifted to 10%',
  body: { type: 'shifted', functionName: 'orders', alias: 'live', weightPercent: 10 },
  attributes: { eventType: 'shifted', functionName: 'orders', alias: 'live', team: 'payments' },
};

// A notification whose published size (body plus attributes) is exactly `bytes`, using `char` as filler.
function sized(bytes: number, char = 'x', attributes: Record<string, string> = {}): Notification {
  const frame = JSON.stringify({ pad: '' }, null, 2);
  const attributeBytes = Object.entries(attributes).reduce((t, [k, v]) => t + Buffer.byteLength(k) + 'String'.length + Buffer.byteLength(v), 0);
  const fill = (bytes - Buffer.byteLength(frame) - attributeBytes) / Buffer.byteLength(char);
  if (!Number.isInteger(fill)) throw new Error('bad size for this filler');
  return { type: 'failed', subject: 's', body: { pad: char.repeat(fill) }, attributes };
}

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('SnsNotifier', () => {
  it('publishes the subject, the body as pretty JSON and string attributes to the topic', async () => {
    await notifier().publish(notification);

    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input).toStrictEqual({
      TopicArn: TOPIC,
      Subject: 'lambda-rollout orders:live v8 shifted to 10%',
      Message: JSON.stringify(notification.body, null, 2),
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'shifted' },
        functionName: { DataType: 'String', StringValue: 'orders' },
        alias: { DataType: 'String', StringValue: 'live' },
        team: { DataType: 'String', StringValue: 'payments' },
      },
    });
  });

  it('publishes a message of exactly 256 KiB', async () => {
    await notifier().publish(sized(MAX_MESSAGE_BYTES));
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('refuses a message one byte over 256 KiB without sending it', async () => {
    await expect(notifier().publish(sized(MAX_MESSAGE_BYTES + 1))).rejects.toMatchObject({
      name: ErrorName.Rejected,
      message: expect.stringContaining(`${MAX_MESSAGE_BYTES + 1} bytes`),
    });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const twoByteChars = sized(MAX_MESSAGE_BYTES + 1, 'é');
    expect(JSON.stringify(twoByteChars.body, null, 2).length).toBeLessThan(MAX_MESSAGE_BYTES);
    await expect(notifier().publish(twoByteChars)).rejects.toMatchObject({ name: ErrorName.Rejected });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('counts message attributes towards the limit', async () => {
    const withAttributes = sized(MAX_MESSAGE_BYTES + 1, 'x', { eventType: 'failed', team: 'payments' });
    expect(Buffer.byteLength(JSON.stringify(withAttributes.body, null, 2))).toBeLessThan(MAX_MESSAGE_BYTES);
    await expect(notifier().publish(withAttributes)).rejects.toMatchObject({ name: ErrorName.Rejected });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it.each([
    ['throttling', new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }), ErrorName.Throttled],
    ['an internal error', new InternalErrorException({ message: 'internal', $metadata: { httpStatusCode: 500 } }), ErrorName.Transient],
    ['a missing topic', new NotFoundException({ message: 'Topic does not exist', $metadata: { httpStatusCode: 404 } }), ErrorName.NotFound],
    ['an authorization error', new AuthorizationErrorException({ message: 'not authorized', $metadata: { httpStatusCode: 403 } }), ErrorName.Rejected],
  ])('maps %s', async (_label, error, expected) => {
    snsMock.on(PublishCommand).rejects(error);
    await expect(notifier().publish(notification)).rejects.toMatchObject({
      name: expected,
      message: expect.stringContaining(`Publish shifted to ${TOPIC}`),
      cause: error,
    });
  });
});
