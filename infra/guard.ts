/**
 * The execution guard's trigger: Step Functions status changes of this state machine that end an
 * execution without its own Catch/Rollback path having run (ABORTED, TIMED_OUT) or with a failure
 * (FAILED) go to the guard function, which restores the alias, releases the lock and notifies.
 * Deliveries and runs that keep failing end in a dead-letter queue, never dropped.
 */
import * as events from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { deadLetterQueue, targetWithDeadLetters } from './dead-letters.js';

/** The statuses the guard acts on. */
export const GUARDED_EXECUTION_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/** The event pattern of this state machine's execution status changes to the guarded statuses. */
export function executionStoppedPattern(stateMachineArn: string): events.EventPattern {
  return {
    source: ['aws.states'],
    detailType: ['Step Functions Execution Status Change'],
    detail: { stateMachineArn: [stateMachineArn], status: [...GUARDED_EXECUTION_STATUSES] },
  };
}

export interface ExecutionGuardProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly handler: IFunction;
}

export class ExecutionGuard extends Construct {
  public readonly rule: events.Rule;
  /** Status changes the guard could not be given, or failed on after its retries. */
  public readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExecutionGuardProps) {
    super(scope, id);
    this.deadLetters = deadLetterQueue(this, 'DeadLetters');
    this.rule = new events.Rule(this, 'Rule', {
      description: 'lambda-rollout: rollouts that stopped (aborted, timed out, failed) go to the guard',
      eventPattern: executionStoppedPattern(props.stateMachine.stateMachineArn),
      targets: [targetWithDeadLetters(props.handler, this.deadLetters)],
    });
  }
}
