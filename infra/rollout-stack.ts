/** The deployable stack: one {@link LambdaRollout}, environment-agnostic (no lookups). */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LambdaRollout, type LambdaRolloutProps } from './lambda-rollout.js';

/** Properties of {@link RolloutStack}: the stack's own, plus those of {@link LambdaRollout}. */
export interface RolloutStackProps extends StackProps, LambdaRolloutProps {}

/** A stack holding the lambda-rollout workflow, its functions, topic, registry, API, artifacts bucket and dashboard. */
export class RolloutStack extends Stack {
  /** The rollout construct. */
  public readonly rollout: LambdaRollout;

  constructor(scope: Construct, id: string, props: RolloutStackProps) {
    super(scope, id, {
      description: 'lambda-rollout: progressive delivery for AWS Lambda aliases on AWS Step Functions',
      ...props,
    });
    this.rollout = new LambdaRollout(this, 'Rollout', {
      allowedFunctions: props.allowedFunctions,
      allowedHooks: props.allowedHooks,
      notificationEmail: props.notificationEmail,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      artifactKeyPrefix: props.artifactKeyPrefix,
      apiRateLimitPerSecond: props.apiRateLimitPerSecond,
      apiBurstLimit: props.apiBurstLimit,
    });
  }
}
