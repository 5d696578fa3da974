/**
 * The asynchronous paths' safety net: EventBridge delivers a stopped execution to the guard and an
 * uploaded artifact to the trigger, and Lambda runs them asynchronously. A delivery that keeps
 * failing, or a function that keeps failing on an event, must not be dropped silently (a guard
 * that never ran leaves an alias split and locked): both are retried, then kept in an encrypted
 * dead-letter queue for 14 days, where operators find the event and replay it.
 */
import { Duration } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.js';

/** How long a dead letter is kept: SQS's longest retention. */
export const DEAD_LETTER_RETENTION = Duration.days(14);
/** EventBridge's retry policy for delivering an event to the function: its most, a day and 185 attempts. */
export const DELIVERY_RETRY = { maxEventAge: Duration.hours(24), retryAttempts: 185 } as const;
/** Lambda's retries of an asynchronous invocation whose function failed: its most, 2 retries within 6 hours. */
export const ASYNC_INVOKE_RETRY = { maxEventAge: Duration.hours(6), retryAttempts: 2 } as const;

/** An encrypted, TLS-only queue that keeps dead letters for 14 days. */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: DEAD_LETTER_RETENTION });
  acknowledge(queue, 'AwsSolutions-SQS3',
    'This queue is itself a dead-letter queue: of an EventBridge target and of a Lambda asynchronous invocation, which no queue redrive policy names.');
  return queue;
}

/**
 * An EventBridge target that invokes `handler`, retrying delivery (`DELIVERY_RETRY`) and sending what
 * it cannot deliver to `deadLetters`; the function's own failures on an event are retried
 * (`ASYNC_INVOKE_RETRY`) and then sent to the same queue.
 */
export function targetWithDeadLetters(handler: IFunction, deadLetters: sqs.IQueue): targets.LambdaFunction {
  handler.configureAsyncInvoke({ ...ASYNC_INVOKE_RETRY, onFailure: new SqsDestination(deadLetters) });
  return new targets.LambdaFunction(handler, { deadLetterQueue: deadLetters, ...DELIVERY_RETRY });
}
