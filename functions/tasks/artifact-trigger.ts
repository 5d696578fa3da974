/**
 * Artifact trigger: an EventBridge rule sends S3 "Object Created" events for the artifacts bucket (under
 * the key prefix) here. An object named by the convention `<prefix><functionName>/<alias>/<build>.zip`
 * (see `core/artifact.ts`), for a function on the allow-list that exists, starts one rollout that first
 * deploys exactly that object version:
 *
 *     StartExecution(name = <function>-<alias>-<sha256(bucket, key, versionId)>, input =
 *       { functionName, alias, strategy?, release: { s3Bucket, s3Key, s3ObjectVersion, build, description } })
 *
 * The name is derived from the object version, so the same version delivered twice starts one rollout:
 * Step Functions answers the second StartExecution with the running execution, or ExecutionAlreadyExists,
 * which counts as success. The object's tags or user-defined metadata may choose the strategy
 * (`rollout-strategy`: a preset name, or JSON in metadata) and the version description
 * (`rollout-description`); they are read at that exact version id.
 *
 * Anything else starts nothing and publishes a `refused` notification that says why: a key that breaks
 * the convention, an object without a version id, a function not on the allow-list or that does not
 * exist, a bad strategy. AWS failures (throttling, 5xx) are thrown, so Lambda retries the event.
 */
import * as z from 'zod';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { toFieldIssues } from '../core/input.js';
import {
  allowedFunctionRef,
  type ArtifactRefusal,
  artifactSettings,
  parseAllowedFunctions,
  parseArtifactKey,
  prefixProblem,
  type ReleaseRolloutInput,
  releaseExecutionName,
  releaseRolloutInput,
} from '../core/artifact.js';
import { artifactRefusalNotification } from '../core/notification.js';
import type { Home } from '../core/scope.js';
import { type ArtifactReader, type Clock, type LambdaControl, type Notifier, type Workflow } from '../ports.js';
import { sha256Hex } from '../sha256.js';
import { logger } from '../logger.js';

/** The part of the S3 "Object Created" EventBridge event the trigger reads. */
const ObjectCreatedSchema = z.object({
  source: z.literal('aws.s3', { error: 'must be aws.s3' }),
  'detail-type': z.literal('Object Created', { error: 'must be "Object Created"' }),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), 'version-id': z.string().optional() }),
  }),
});

export type ObjectCreatedEvent = z.input<typeof ObjectCreatedSchema>;

/** Where artifacts come from and which functions they may release. */
export interface TriggerConfig {
  readonly bucket: string;
  readonly prefix: string;
  /** The construct's allowedFunctions: names, name patterns (`orders-*`) or function ARNs. */
  readonly allowedFunctions: readonly string[];
  /** Where the service runs (its state machine's partition, region and account): an ARN entry elsewhere allows nothing. */
  readonly home: Home;
}

export interface TriggerPorts {
  readonly lambda: Pick<LambdaControl, 'getVersion'>;
  readonly artifacts: ArtifactReader;
  /** Starts the rollout's execution; the name derived from the object version makes a repeated start report `alreadyStarted`. */
  readonly starter: Pick<Workflow, 'start'>;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly config: TriggerConfig;
}

export type TriggerResult =
  | {
      readonly started: true;
      /** True when this object version had already started its rollout (a duplicate event). */
      readonly alreadyStarted: boolean;
      readonly executionName: string;
      readonly executionArn: string;
      readonly input: ReleaseRolloutInput;
    }
  | { readonly started: false; readonly reason: string };


/** The artifact trigger over its ports. */
export function makeArtifactTrigger(ports: TriggerPorts) {
  const { config } = ports;

  async function refuse(refusal: ArtifactRefusal): Promise<TriggerResult> {
    logger.warn('artifact started nothing', { ...refusal });
    await ports.notifier.publish(artifactRefusalNotification(refusal, ports.clock.now()));
    return { started: false, reason: refusal.reason };
  }

  return async function artifactTrigger(event: ObjectCreatedEvent): Promise<TriggerResult> {
    const parsed = ObjectCreatedSchema.safeParse(event, { reportInput: true });
    if (!parsed.success) throw new InvalidInputError(toFieldIssues(parsed.error.issues));
    const bucket = parsed.data.detail.bucket.name;
    const key = parsed.data.detail.object.key;
    const versionId = parsed.data.detail.object['version-id'];
    const object = { bucket, key, versionId };

    if (bucket !== config.bucket) {
      return refuse({ ...object, reason: `bucket '${bucket}' is not the artifacts bucket '${config.bucket}'` });
    }
    const named = parseArtifactKey(key, config.prefix);
    if (!named.ok) return refuse({ ...object, reason: named.reason });
    const who = { ...object, functionName: named.functionName, alias: named.alias };
    if (!versionId || versionId === 'null') {
      return refuse({ ...who, reason: `object ${key} has no version id; the artifacts bucket must be versioned so that a release names one exact object version` });
    }
    const functionRef = allowedFunctionRef(named.functionName, config.allowedFunctions, config.home);
    if (functionRef === undefined) {
      return refuse({ ...who, reason: `function ${named.functionName} is not in the allowed functions (${config.allowedFunctions.join(', ')})` });
    }
    try {
      await ports.lambda.getVersion(functionRef, '$LATEST');
    } catch (error) {
      if (error instanceof NotFoundError) return refuse({ ...who, reason: `function ${named.functionName} does not exist` });
      throw error;
    }
    let read;
    try {
      read = await ports.artifacts.readArtifact(bucket, key, versionId);
    } catch (error) {
      if (error instanceof NotFoundError) return refuse({ ...who, reason: `object ${key} version ${versionId} no longer exists` });
      throw error;
    }
    const settings = artifactSettings(read.tags, read.metadata);
    if (!settings.ok) return refuse({ ...who, reason: settings.reason });

    const input = releaseRolloutInput({ functionRef, key: named, bucket, objectKey: key, versionId, settings });
    const executionName = releaseExecutionName({ bucket, key, versionId, functionName: named.functionName, alias: named.alias }, sha256Hex);
    const { executionArn, alreadyStarted } = await ports.starter.start(executionName, input);
    logger.info(alreadyStarted ? 'artifact had already started its rollout' : 'artifact started a rollout', { executionArn, bucket, key, versionId });
    return { started: true, alreadyStarted, executionName, executionArn, input };
  };
}
