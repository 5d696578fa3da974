/** Notifier over the AWS SDK v3 SNS client (Publish to one topic). */
import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { RejectedError } from '../core/errors.js';
import type { Notification } from '../core/notification.js';
import type { Notifier } from '../ports.js';
import { mapAwsErrors } from './errors.js';

/**
 * SNS's default limit for one published message, in bytes. The body and every message
 * attribute's name, data type and value count towards it
 * (https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html). A topic may be
 * configured higher (MaximumMessageSize, up to 1 MiB); we hold to the default, which every topic accepts.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The Publish input for a notification: pretty JSON body, string message attributes. */
export function publishInput(topicArn: string, notification: Notification) {
  const MessageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(notification.attributes)) {
    MessageAttributes[name] = { DataType: 'String', StringValue: value };
  }
  return {
    TopicArn: topicArn,
    Subject: notification.subject,
    Message: JSON.stringify(notification.body, null, 2),
    MessageAttributes,
  };
}

/** Publishes rollout notifications to one SNS topic. Every failure is a `core/errors.ts` class. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  /** Publish; refuses, without sending, a message SNS would reject as too large. */
  async publish(notification: Notification): Promise<void> {
    const context = `Publish ${notification.type} to ${this.topicArn}`;
    const input = publishInput(this.topicArn, notification);
    const size =
      utf8Bytes(input.Message) +
      Object.entries(input.MessageAttributes).reduce(
        (total, [name, a]) => total + utf8Bytes(name) + utf8Bytes(a.DataType ?? '') + utf8Bytes(a.StringValue ?? ''),
        0,
      );
    if (size > MAX_MESSAGE_BYTES) {
      throw new RejectedError(`${context}: the message is ${size} bytes, over SNS's limit of ${MAX_MESSAGE_BYTES}`);
    }
    await mapAwsErrors(context, () => this.client.send(new PublishCommand(input)));
  }
}
