/** EventPublisher over the AWS SDK v3 EventBridge client (PutEvents to the default bus). */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { RejectedError, ThrottledError, TransientError } from '../core/errors.js';
import type { Notification, RolloutEventType } from '../core/notification.js';
import type { EventPublisher } from '../ports.js';
import { mapAwsErrors } from './errors.js';

/** The `source` of every rollout event; rules match on it. */
export const EVENT_SOURCE = 'lambda-rollout';

/**
 * The most a PutEvents entry may weigh, counted as EventBridge counts it: Time 14 bytes, then the
 * UTF-8 bytes of Source, DetailType, Detail and each Resource
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 */
export const MAX_ENTRY_BYTES = 256 * 1024;

// Entry error codes EventBridge documents as worth retrying
// (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html).
const RETRYABLE = new Set(['InternalFailure', 'ThrottlingException']);

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The detail-type of an event: "Lambda Rollout " and the event type in words.
 *
 * @example detailType('rolled_back') // 'Lambda Rollout Rolled Back'
 */
export function detailType(type: RolloutEventType): string {
  return `Lambda Rollout ${type
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ')}`;
}

/** The PutEvents entry for a notification: the body as detail, the execution as resource. */
export function putEventsEntry(notification: Notification, eventBusName?: string): PutEventsRequestEntry {
  const body = notification.body;
  const resources = [body.executionArn, body.functionName].filter((r): r is string => typeof r === 'string' && r.startsWith('arn:'));
  const at = typeof body.at === 'string' ? new Date(body.at) : undefined;
  return {
    Source: EVENT_SOURCE,
    DetailType: detailType(notification.type),
    Detail: JSON.stringify(body),
    ...(resources.length > 0 ? { Resources: resources } : {}),
    // The time the event happened, not when a retry sent it.
    ...(at && !Number.isNaN(at.getTime()) ? { Time: at } : {}),
    ...(eventBusName ? { EventBusName: eventBusName } : {}),
  };
}

/** An entry's size as EventBridge counts it. */
export function entrySize(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time ? 14 : 0) +
    utf8Bytes(entry.Source ?? '') +
    utf8Bytes(entry.DetailType ?? '') +
    utf8Bytes(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((t, r) => t + utf8Bytes(r), 0)
  );
}

/**
 * Publishes rollout events to an event bus (the default bus unless named). PutEvents answers 200
 * even when an entry failed, so the answer's FailedEntryCount and the entry's ErrorCode are
 * checked and mapped: throttling and internal failures are retried by the workflow, the rest
 * (access denied, malformed detail...) are rejections. Every failure is a `core/errors.ts` class.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName?: string,
  ) {}

  async publish(notification: Notification): Promise<void> {
    const entry = putEventsEntry(notification, this.eventBusName);
    const context = `PutEvents ${entry.DetailType} to ${this.eventBusName ?? 'the default bus'}`;
    const size = entrySize(entry);
    if (size > MAX_ENTRY_BYTES) throw new RejectedError(`${context}: the entry is ${size} bytes, over EventBridge's limit of ${MAX_ENTRY_BYTES}`);
    const out = await mapAwsErrors(context, () => this.client.send(new PutEventsCommand({ Entries: [entry] })));
    const failed = (out.FailedEntryCount ?? 0) > 0 ? (out.Entries ?? []).find((e) => e.ErrorCode) ?? {} : undefined;
    if (!failed) return;
    const text = `${context}: ${failed.ErrorCode ?? 'unknown error'}: ${failed.ErrorMessage ?? 'the entry was not accepted'}`;
    if (failed.ErrorCode === 'ThrottlingException') throw new ThrottledError(text);
    // No code at all says nothing against the entry itself: worth another try.
    if (!failed.ErrorCode || RETRYABLE.has(failed.ErrorCode)) throw new TransientError(text);
    throw new RejectedError(text);
  }
}
