/** The AWS adapters wired to default SDK clients: what the task functions run with on Lambda. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { type AlarmReader, type Clock, type Invoker, type LambdaControl, type MetricsReader, type Notifier, systemClock } from '../ports.js';
import { TOPIC_ARN_ENV } from '../task-functions.js';
import { AwsMetricsReader } from './cloudwatch-metrics.js';
import { AwsAlarmReader } from './alarms.js';
import { AwsInvoker } from './invoker.js';
import { AwsLambdaControl } from './lambda-control.js';
import { SnsNotifier } from './sns-notifier.js';

export { toRolloutError } from './errors.js';
export { AwsLambdaControl } from './lambda-control.js';
export { AwsMetricsReader } from './cloudwatch-metrics.js';
export { SnsNotifier } from './sns-notifier.js';

/**
 * Client settings for every adapter: the SDK's standard retry mode, 3 attempts in all. The
 * state machine retries the task on top of that, so the SDK only smooths over brief blips.
 */
export const CLIENT_CONFIG = { retryMode: 'standard', maxAttempts: 3 } as const;

/** The SDK clients behind `awsPorts()`. Constructing them reads no credentials and opens no connection. */
export interface AwsClients {
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
}

/** Default clients (region and credentials from the Lambda environment) with `CLIENT_CONFIG`. */
export function defaultClients(): AwsClients {
  return {
    lambda: new LambdaClient({ ...CLIENT_CONFIG }),
    cloudwatch: new CloudWatchClient({ ...CLIENT_CONFIG }),
    sns: new SNSClient({ ...CLIENT_CONFIG }),
  };
}

/**
 * A notifier that reads the topic ARN from `process.env[TOPIC_ARN_ENV]` when it publishes, so
 * the tasks that never publish load without it, and Notify fails with a plain explanation.
 */
export function envTopicNotifier(sns: SNSClient, env: NodeJS.ProcessEnv = process.env): Notifier {
  return {
    publish: async (notification) => {
      const topicArn = env[TOPIC_ARN_ENV];
      if (!topicArn) {
        throw new Error(`${TOPIC_ARN_ENV} is not set: the Notify function needs the ARN of the SNS topic to publish to`);
      }
      await new SnsNotifier(sns, topicArn).publish(notification);
    },
  };
}

/** The ports the task handlers use on AWS. Cheap: no network until a port is called. */
export function awsPorts(clients: AwsClients = defaultClients()): {
  lambda: LambdaControl;
  metrics: MetricsReader;
  alarms: AlarmReader;
  invoker: Invoker;
  notifier: Notifier;
  clock: Clock;
} {
  return {
    lambda: new AwsLambdaControl(clients.lambda),
    metrics: new AwsMetricsReader(clients.cloudwatch),
    alarms: new AwsAlarmReader(clients.cloudwatch),
    invoker: new AwsInvoker(clients.lambda),
    notifier: envTopicNotifier(clients.sns),
    clock: systemClock,
  };
}

// ---------------------------------------------------------------------------------------------
// The service around the workflow: the registry (DynamoDB), events (EventBridge), the workflow
// (Step Functions). Separate from `awsPorts` so the task functions that need none of it do not
// construct these clients.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type EventPublisher, type IdempotencyStore, type IdGenerator, type RolloutRegistry, type Workflow, randomIds } from '../ports.js';
import { DynamoRolloutRegistry, TABLE_NAME_ENV } from './registry.js';
import { EventBridgePublisher } from './events.js';
import { envWorkflow } from './sfn.js';

export { DynamoRolloutRegistry, TABLE_NAME_ENV, REGISTRY_INDEXES } from './registry.js';
export { EventBridgePublisher, EVENT_SOURCE } from './events.js';
export { SfnWorkflow, STATE_MACHINE_ARN_ENV, envWorkflow } from './sfn.js';

/** The SDK clients behind `serviceAwsPorts()`; constructing them opens no connection. */
export interface ServiceClients {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly eventbridge: EventBridgeClient;
}

/** Default service clients with `CLIENT_CONFIG`; the document client drops undefined attributes. */
export function defaultServiceClients(): ServiceClients {
  return {
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({ ...CLIENT_CONFIG }), { marshallOptions: { removeUndefinedValues: true } }),
    sfn: new SFNClient({ ...CLIENT_CONFIG }),
    eventbridge: new EventBridgeClient({ ...CLIENT_CONFIG }),
  };
}

/**
 * The ports of the service functions (API, guard, lock tasks, Notify) on AWS. The table name
 * (`ROLLOUT_TABLE_NAME`), topic ARN and state machine ARN (`ROLLOUT_STATE_MACHINE_ARN`) are read
 * from the environment when first used, so every function loads with only what it uses.
 */
export function serviceAwsPorts(
  clients: AwsClients = defaultClients(),
  service: ServiceClients = defaultServiceClients(),
  env: NodeJS.ProcessEnv = process.env,
): {
  lambda: LambdaControl;
  notifier: Notifier;
  clock: Clock;
  registry: RolloutRegistry & IdempotencyStore;
  idempotency: IdempotencyStore;
  events: EventPublisher;
  workflow: Workflow;
  ids: IdGenerator;
} {
  const registry = new DynamoRolloutRegistry(service.dynamodb, () => env[TABLE_NAME_ENV] ?? '');
  return {
    lambda: new AwsLambdaControl(clients.lambda),
    notifier: envTopicNotifier(clients.sns, env),
    clock: systemClock,
    registry,
    idempotency: registry,
    events: new EventBridgePublisher(service.eventbridge),
    workflow: envWorkflow(service.sfn, env),
    ids: randomIds,
  };
}
