import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { detailType, EVENT_SOURCE, EventBridgePublisher, MAX_ENTRY_BYTES } from '../../../functions/aws/events.js';
import { ErrorName } from '../../../functions/core/errors.js';
import { notificationFor } from '../../../functions/core/notification.js';
import { EVENT_TYPES } from '../../../functions/core/notification-options.js';
import { executionArn, runningState, T0 } from '../support/rollouts.js';

const eb = mockClient(EventBridgeClient);
const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }));
const state = runningState();
const rolledBack = notificationFor(
  'rolled_back',
  { ...state, rollout: { ...state.rollout, functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders' }, outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at: new Date(T0).toISOString(), finalVersion: '7' } },
  T0 + 1000,
);

beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

describe('EventBridgePublisher', () => {
  it('puts one event on the default bus: our source, a readable detail-type, the body as detail, the execution and function as resources', async () => {
    await publisher.publish(rolledBack);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entries = eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      Source: EVENT_SOURCE,
      DetailType: 'Lambda Rollout Rolled Back',
      Resources: [executionArn(state.rollout.id), 'arn:aws:lambda:eu-west-1:123456789012:function:orders'],
      Time: new Date(T0 + 1000),
    });
    expect(entry?.EventBusName).toBeUndefined();
    expect(JSON.parse(entry?.Detail ?? '')).toEqual(rolledBack.body);
    expect(JSON.parse(entry?.Detail ?? '')).toMatchObject({ outcome: 'rolled_back', reason: 'errors 5x the baseline', rolloutId: state.rollout.id });
  });

  it('names every event type in words', () => {
    expect(EVENT_TYPES.map(detailType)).toEqual([
      'Lambda Rollout Started',
      'Lambda Rollout Shifted',
      'Lambda Rollout Promoted',
      'Lambda Rollout Rolled Back',
      'Lambda Rollout Refused',
      'Lambda Rollout Drift',
      'Lambda Rollout Failed',
      'Lambda Rollout Verdict',
      'Lambda Rollout Held',
      'Lambda Rollout Aborted',
      'Lambda Rollout Gate',
      'Lambda Rollout Paused',
    ]);
  });

  it.each([
    ['ThrottlingException', ErrorName.Throttled],
    ['InternalFailure', ErrorName.Transient],
    ['AccessDeniedException', ErrorName.Rejected],
    ['NotAuthorizedForSourceException', ErrorName.Rejected],
    ['MalformedDetail', ErrorName.Rejected],
  ])('reads a failed entry (HTTP 200, FailedEntryCount 1) with %s as %s', async (code, name) => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: code, ErrorMessage: 'no luck' }] });
    await expect(publisher.publish(rolledBack)).rejects.toMatchObject({ name, message: expect.stringContaining(`${code}: no luck`) });
  });

  it('maps a failed call like any AWS call', async () => {
    eb.on(PutEventsCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }));
    await expect(publisher.publish(rolledBack)).rejects.toMatchObject({ name: ErrorName.Transient });
  });

  it('refuses, without sending, an event over the entry size limit', async () => {
    const huge = { ...rolledBack, body: { ...rolledBack.body, reason: 'x'.repeat(MAX_ENTRY_BYTES) } };
    await expect(publisher.publish(huge)).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining(`over EventBridge's limit of ${MAX_ENTRY_BYTES}`) });
    expect(eb).not.toHaveReceivedAnyCommand();
  });

  it('puts on a named bus when given one', async () => {
    await new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'rollouts').publish(rolledBack);
    expect(eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe('rollouts');
  });
});
