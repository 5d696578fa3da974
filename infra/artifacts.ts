/**
 * The artifacts bucket: build artifacts uploaded under a key prefix start releases. Versioned (a release
 * names one exact object version), S3-managed encryption, TLS only, no public access, EventBridge
 * notifications on, server access logs to a bucket of their own.
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue, targetWithDeadLetters } from './dead-letters.js';

export interface ArtifactsProps {
  /** What happens to both buckets when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** How long server access logs are kept. */
  readonly accessLogsExpiration: Duration;
}

/** The event pattern of S3 "Object Created" events for `bucketName` under `prefix` (all keys when empty). */
export function objectCreatedPattern(bucketName: string, prefix: string): events.EventPattern {
  return {
    source: ['aws.s3'],
    detailType: ['Object Created'],
    detail: {
      bucket: { name: [bucketName] },
      ...(prefix ? { object: { key: events.Match.prefix(prefix) } } : {}),
    },
  };
}

export class Artifacts extends Construct {
  /** Where build artifacts go: `<prefix><functionName>/<alias>/<build>.zip`. */
  public readonly bucket: s3.Bucket;
  /** Server access logs of {@link bucket}. */
  public readonly accessLogs: s3.Bucket;
  /** Upload events the artifact trigger could not be given, or failed on after its retries. */
  public readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ArtifactsProps) {
    super(scope, id);
    // Log delivery by bucket policy, whatever the app's feature flags: without this flag CDK grants it by
    // ACL (LogDeliveryWrite), which a bucket with ACLs disabled (BUCKET_OWNER_ENFORCED) refuses at synth.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // Server access log delivery supports SSE-S3 only on the destination bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: props.accessLogsExpiration }],
      removalPolicy: props.removalPolicy,
    });
    // cdk-nag's S1 (server access logs) exempts a bucket that is itself a log destination.

    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      removalPolicy: props.removalPolicy,
    });
    // Set on the bucket itself: `eventBridgeEnabled: true` would do it through a custom resource (one more
    // Lambda function with an AWS managed policy), while CloudFormation supports the property natively.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    this.deadLetters = deadLetterQueue(this, 'DeadLetters');
  }

  /**
   * A rule sending "Object Created" events under `prefix` to `handler`: delivery retried for up to
   * 24 h, the function's failures retried twice, and what still fails kept in {@link deadLetters}.
   */
  onArtifact(id: string, prefix: string, handler: IFunction): events.Rule {
    return new events.Rule(this, id, {
      description: `lambda-rollout: artifacts uploaded under '${prefix}' start releases`,
      eventPattern: objectCreatedPattern(this.bucket.bucketName, prefix),
      targets: [targetWithDeadLetters(handler, this.deadLetters)],
    });
  }
}
