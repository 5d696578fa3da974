/**
 * The ports on AWS: each adapter over its shared SDK client (`clients.ts`), with the names it
 * needs from the environment read when first used, so a function loads with only what it uses.
 * One factory per port: a handler that calls two of them bundles two clients, not seven.
 */
import { ENV } from '../names.js';
import type {
  AlarmReader,
  ArtifactReader,
  CodeRelease,
  ConcurrencyControl,
  ControlStore,
  EventPublisher,
  EventSources,
  IdempotencyStore,
  Invoker,
  LambdaControl,
  MetricsReader,
  Notifier,
  RolloutRegistry,
  ServiceMetrics,
  TaskTokens,
  Workflow,
} from '../ports.js';
import { AwsAlarmReader } from './alarms.js';
import { cloudWatchClient, documentClient, eventBridgeClient, lambdaClient, s3Client, sfnClient, snsClient } from './clients.js';
import { AwsMetricsReader } from './cloudwatch-metrics.js';
import { DynamoControlStore } from './control-store.js';
import { EmfServiceMetrics } from './emf-metrics.js';
import { EventBridgePublisher } from './events.js';
import { DynamoIdempotencyStore } from './idempotency-store.js';
import { AwsInvoker } from './invoker.js';
import { AwsCodeRelease } from './lambda-code.js';
import { AwsConcurrencyControl, AwsEventSources } from './lambda-concurrency.js';
import { AwsLambdaControl } from './lambda-control.js';
import { DynamoRolloutRegistry } from './registry.js';
import { S3ArtifactReader } from './s3-artifacts.js';
import { SfnWorkflow } from './sfn.js';
import { SnsNotifier } from './sns-notifier.js';
import { SfnTaskTokens } from './task-tokens.js';

type Env = Readonly<Record<string, string | undefined>>;

export const lambdaControl = (): LambdaControl => new AwsLambdaControl(lambdaClient());
export const metricsReader = (): MetricsReader => new AwsMetricsReader(cloudWatchClient());
export const alarmReader = (): AlarmReader => new AwsAlarmReader(cloudWatchClient());
export const invoker = (): Invoker => new AwsInvoker(lambdaClient());
export const codeRelease = (): CodeRelease => new AwsCodeRelease(lambdaClient());
export const artifactReader = (): ArtifactReader => new S3ArtifactReader(s3Client());
export const eventPublisher = (): EventPublisher => new EventBridgePublisher(eventBridgeClient());
/** The service's own metrics, printed as EMF lines (no client: Lambda ships stdout to CloudWatch). */
export const serviceMetrics = (): ServiceMetrics => new EmfServiceMetrics();
export const concurrencyControl = (): ConcurrencyControl => new AwsConcurrencyControl(lambdaClient());
export const eventSources = (): EventSources => new AwsEventSources(lambdaClient());
export const taskTokens = (): TaskTokens => new SfnTaskTokens(sfnClient());

/**
 * A notifier to the topic named by the environment, read when it publishes: a function that never
 * publishes loads without it, and Notify fails with a plain explanation.
 */
export function topicNotifier(env: Env = process.env): Notifier {
  return {
    publish: async (notification) => {
      const topicArn = env[ENV.topicArn];
      if (!topicArn) throw new Error(`${ENV.topicArn} is not set: the Notify function needs the ARN of the SNS topic to publish to`);
      await new SnsNotifier(snsClient(), topicArn).publish(notification);
    },
  };
}

/** The registry (locks and records) in the table named by the environment, read at each call. */
export const rolloutRegistry = (env: Env = process.env): RolloutRegistry => new DynamoRolloutRegistry(documentClient(), () => env[ENV.tableName] ?? '');

/** The API's idempotency keys in the same table, named by the environment, read at each call. */
export const idempotencyStore = (env: Env = process.env): IdempotencyStore => new DynamoIdempotencyStore(documentClient(), () => env[ENV.tableName] ?? '');

/** The state machine of the given ARN: for a task that only knows it from its execution's context. */
export const workflowOf = (stateMachineArn: string): Workflow => new SfnWorkflow(sfnClient(), stateMachineArn);
/** Rollout control records in the same table, named by the environment, read at each call. */
export const controlStore = (env: Env = process.env): ControlStore => new DynamoControlStore(documentClient(), () => env[ENV.tableName] ?? '');

/** The rollout state machine named by the environment, read when first needed. */
export const workflow = (env: Env = process.env): Workflow => new SfnWorkflow(sfnClient(), () => env[ENV.stateMachineArn] ?? '');
