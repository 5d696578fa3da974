/**
 * The Node.js functions of lambda-rollout (task functions and service functions alike) and the IAM
 * each may have: one explicit role per function, its own log group, and grants by capability flag.
 */
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResources } from './nag.js';
import type { TaskFunctionKey } from '../functions/names.js';
import { BUNDLE_HANDLER, handlerCode } from './handler-code.js';
import type { RegistryTable } from './registry-table.js';

/**
 * What a function may touch, as `TASK_PERMISSIONS` names it:
 * - lambdaRead: lambda:GetAlias, lambda:GetFunctionConfiguration on the allowed functions (and qualifiers)
 * - lambdaWrite: lambda:UpdateAlias on the allowed functions (and qualifiers)
 * - metrics: cloudwatch:GetMetricData
 * - alarms: cloudwatch:DescribeAlarms (the alarms a health policy names)
 * - invoke: lambda:InvokeFunction on the allowed functions' versions (synthetic probes)
 * - publish: sns:Publish on the rollout topic (and the use of its key)
 * - registry: read/write items of the registry table, Query on its indexes
 * - events: events:PutEvents on the default event bus
 * - release: lambda:UpdateFunctionCode, lambda:PublishVersion, lambda:GetFunctionConfiguration and
 *   lambda:ListVersionsByFunction (to find a version whose publish answer was lost) on the allowed
 *   functions, and s3:GetObject, GetObjectVersion, GetObjectTagging, GetObjectVersionTagging on the artifacts
 * - concurrency: lambda:Get/Put/Delete/ListProvisionedConcurrencyConfig(s) and lambda:GetFunctionConcurrency on
 *   the allowed functions (and qualifiers), and lambda:GetAccountSettings (account-wide: no resource type)
 * - eventSources: lambda:ListEventSourceMappings (no resource type: it lists, and reads nothing else)
 * - hooks: lambda:InvokeFunction on the allowed hooks (and their qualifiers) only
 */
export interface Capabilities {
  readonly lambdaRead: boolean;
  readonly lambdaWrite: boolean;
  readonly metrics: boolean;
  readonly alarms: boolean;
  readonly invoke: boolean;
  readonly publish: boolean;
  readonly registry: boolean;
  readonly events: boolean;
  readonly release: boolean;
  readonly concurrency: boolean;
  readonly eventSources: boolean;
  readonly hooks: boolean;
}

/** Lambda actions that have no resource type, so IAM grants them on `*` only (Service Authorization Reference, AWS Lambda). */
export const ACCOUNT_WIDE_LAMBDA_ACTIONS = ['lambda:GetAccountSettings', 'lambda:ListEventSourceMappings'] as const;

/** No capability: each function's flags are this plus what it needs. */
export const NO_CAPABILITIES: Capabilities = {
  lambdaRead: false,
  lambdaWrite: false,
  metrics: false,
  alarms: false,
  invoke: false,
  publish: false,
  registry: false,
  events: false,
  release: false,
  concurrency: false,
  eventSources: false,
  hooks: false,
};

/**
 * What each task function may touch; infra grants exactly this.
 * - lambdaRead: GetAlias, GetFunctionConfiguration on the allowed functions
 * - lambdaWrite: UpdateAlias on the allowed functions
 * - metrics: CloudWatch GetMetricData
 * - alarms: CloudWatch DescribeAlarms (Prepare checks the watched alarms exist, CheckHealth reads their state)
 * - invoke: lambda:InvokeFunction on the allowed functions (synthetic probes of the target version)
 * - publish: sns:Publish on the rollout topic
 * - registry: read/write the rollout registry table
 * - events: events:PutEvents on the default bus
 * - release: UpdateFunctionCode, PublishVersion, GetFunctionConfiguration, ListVersionsByFunction on the allowed functions and
 *   s3:GetObject/GetObjectVersion on the artifacts bucket
 * - concurrency: provisioned concurrency configurations and reserved concurrency of the allowed functions, the account's settings
 * - eventSources: ListEventSourceMappings
 * - hooks: lambda:InvokeFunction on the allowed hooks only
 */
export const TASK_PERMISSIONS = {
  // Prepare also reads the baseline's metrics before the rollout, provisioned and account concurrency, and event source mappings.
  PrepareFunctionArn: { ...NO_CAPABILITIES, lambdaRead: true, metrics: true, alarms: true, concurrency: true, eventSources: true },
  ShiftWeightFunctionArn: { ...NO_CAPABILITIES, lambdaRead: true, lambdaWrite: true },
  // CheckHealth reads the rollout's control record (gate decisions, pause, promote) and writes the gate it waits at.
  CheckHealthFunctionArn: { ...NO_CAPABILITIES, metrics: true, alarms: true, invoke: true, registry: true },
  FinalizeFunctionArn: { ...NO_CAPABILITIES, lambdaRead: true, lambdaWrite: true },
  RollbackFunctionArn: { ...NO_CAPABILITIES, lambdaRead: true, lambdaWrite: true },
  NotifyFunctionArn: { ...NO_CAPABILITIES, publish: true, registry: true, events: true },
  AcquireLockFunctionArn: { ...NO_CAPABILITIES, registry: true },
  ReleaseLockFunctionArn: { ...NO_CAPABILITIES, registry: true },
  ReleaseFunctionArn: { ...NO_CAPABILITIES, registry: true, release: true },
  // RunHook also answers task tokens (granted by the construct, on its state machine).
  RunHookFunctionArn: { ...NO_CAPABILITIES, hooks: true },
  AwaitControlFunctionArn: { ...NO_CAPABILITIES, registry: true },
  ConcurrencyFunctionArn: { ...NO_CAPABILITIES, concurrency: true },
  // Starting and describing executions of its own state machine is granted with the state machine (`LambdaRollout`).
  ContinueFunctionArn: { ...NO_CAPABILITIES, registry: true },
} as const satisfies Record<TaskFunctionKey, Capabilities>;

export const CAPABILITY_NAMES: readonly (keyof Capabilities)[] = Object.keys(NO_CAPABILITIES) as (keyof Capabilities)[];

/**
 * Checks a capability record from `TASK_PERMISSIONS`: a flag infra does not know would be granted by
 * nobody, and the function would fail at run time with AccessDenied, so synth fails instead.
 */
export function checkCapabilities(name: string, flags: Readonly<Record<string, boolean>>): Capabilities {
  const unknown = Object.entries(flags).filter(([flag, on]) => on && !CAPABILITY_NAMES.includes(flag as keyof Capabilities));
  if (unknown.length > 0) {
    throw new Error(
      `${name} asks for capability ${unknown.map(([f]) => f).join(', ')}, which infra/functions.ts does not know how to grant; ` +
        `known capabilities: ${CAPABILITY_NAMES.join(', ')}`,
    );
  }
  return Object.fromEntries(CAPABILITY_NAMES.map((c) => [c, flags[c] === true])) as unknown as Capabilities;
}

/** How to build one function. */
export interface RolloutFunctionSpec {
  /** The construct id, e.g. `Prepare`; also the folder of its prebuilt bundle. */
  readonly id: string;
  readonly description: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly memorySizeMb?: number;
  readonly timeoutSeconds?: number;
}

/** Settings shared by every function. */
export interface FunctionDefaults {
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A nodejs22.x arm64 function running its prebuilt bundle, with X-Ray, its own role (no managed policy)
 * and its own log group.
 */
export function rolloutFunction(scope: Construct, spec: RolloutFunctionSpec, defaults: FunctionDefaults): lambda.Function {
  const { id, description } = spec;
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: defaults.logRetention, removalPolicy: defaults.removalPolicy });
  // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Role of ${description}`,
  });
  logGroup.grantWrite(role);
  const fn = new lambda.Function(scope, id, {
    code: handlerCode(id),
    handler: BUNDLE_HANDLER,
    description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memorySizeMb ?? 256,
    timeout: Duration.seconds(spec.timeoutSeconds ?? 30),
    tracing: lambda.Tracing.ACTIVE,
    role,
    logGroup,
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'lambda-rollout',
      ...spec.environment,
    },
  });
  acknowledge(fn, 'AwsSolutions-L1',
    'nodejs22.x on purpose: the project builds, tests and simulates these handlers on Node 22 (engines, the node@22 dev dependency), so Lambda runs the same major. Move both together.');
  return fn;
}

/** What the grants point at. */
export interface GrantTargets {
  /** Each allowed function and its qualifiers (`<arn>`, `<arn>:*`). */
  readonly allowedResources: readonly string[];
  /** Each allowed function, unqualified only: code updates and publishing act on `$LATEST`. */
  readonly allowedFunctionArns: readonly string[];
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  readonly registry: RegistryTable;
  readonly artifacts: s3.IBucket;
  /** The artifacts key prefix: release reads are scoped to it. */
  readonly artifactPrefix: string;
  /** Each allowed hook and its qualifiers (`<arn>`, `<arn>:*`): what RunHook may invoke. */
  readonly allowedHookResources: readonly string[];
}

const WILDCARD_REASON =
  "Scoped to allowedFunctions, the functions the operator chose to roll out: a chosen name pattern, and each function's versions and aliases (<arn>:*) because alias reads and writes name them.";

/** Grants `fn` exactly what its capabilities say, and acknowledges the wildcards that come with them. */
export function grantCapabilities(scope: Construct, id: string, fn: lambda.Function, can: Capabilities, targets: GrantTargets): void {
  const role = fn.role as iam.Role;
  const lambdaActions = [
    ...(can.lambdaRead ? ['lambda:GetAlias', 'lambda:GetFunctionConfiguration'] : []),
    ...(can.lambdaWrite ? ['lambda:UpdateAlias'] : []),
    ...(can.invoke ? ['lambda:InvokeFunction'] : []),
  ];
  if (lambdaActions.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: lambdaActions, resources: [...targets.allowedResources] }));
  }
  if (can.release) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'lambda:GetFunctionConfiguration', 'lambda:ListVersionsByFunction'],
        resources: [...targets.allowedFunctionArns],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
        resources: [targets.artifacts.arnForObjects(`${targets.artifactPrefix}*`)],
      }),
    );
  }
  if (can.concurrency) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'lambda:GetProvisionedConcurrencyConfig',
          'lambda:PutProvisionedConcurrencyConfig',
          'lambda:DeleteProvisionedConcurrencyConfig',
          'lambda:ListProvisionedConcurrencyConfigs',
          'lambda:GetFunctionConcurrency',
        ],
        resources: [...targets.allowedResources],
      }),
    );
  }
  const accountWide = [...(can.concurrency ? ['lambda:GetAccountSettings'] : []), ...(can.eventSources ? ['lambda:ListEventSourceMappings'] : [])];
  if (accountWide.length > 0) {
    // A policy of its own, so its acknowledgement covers these account-wide reads only.
    const reads = new iam.Policy(scope, `${id}AccountReadsPolicy`, { statements: [new iam.PolicyStatement({ actions: accountWide, resources: ['*'] })] });
    role.attachInlinePolicy(reads);
    acknowledge(reads, 'AwsSolutions-IAM5[Resource::*]',
      'lambda:GetAccountSettings (the account\'s unreserved concurrency, before provisioning any) and lambda:ListEventSourceMappings (which queues and streams invoke the alias, for the start notification) have no resource type, so Resource must be *. Read-only.');
  }
  if (can.hooks && targets.allowedHookResources.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...targets.allowedHookResources] }));
  }
  if (can.publish) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [targets.topic.topicArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [targets.topicKey.keyArn] }));
  }
  if (can.registry) targets.registry.grantReadWrite(role);
  if (can.events) {
    const defaultBus = Stack.of(scope).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [defaultBus] }));
  }
  const defaultPolicy = role.node.findChild('DefaultPolicy');
  acknowledge(defaultPolicy, 'AwsSolutions-IAM5[Resource::*]',
    'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so Resource must be *.');
  if (lambdaActions.length > 0 || can.release || can.concurrency) {
    acknowledgeWildcardResources(defaultPolicy, [...targets.allowedResources], WILDCARD_REASON);
  }
  if (can.hooks) {
    acknowledgeWildcardResources(defaultPolicy, [...targets.allowedHookResources],
      "Invokes the allowed hooks only, the operator's allowedHooks: a chosen name pattern, and each hook's versions and aliases (<arn>:*), as a rollout input may name a hook's alias or version.");
  }
  if (can.release) {
    acknowledgeWildcardResources(defaultPolicy, [targets.artifacts.arnForObjects(`${targets.artifactPrefix}*`)],
      'Release reads any artifact object under the key prefix: the key names the function and build, and each version is one release. Read-only; the bucket holds nothing else a release could read.');
  }
  if (can.metrics || can.alarms) {
    // A policy of its own, so its acknowledgement covers CloudWatch reads only.
    const cloudWatch = new iam.Policy(scope, `${id}CloudWatchPolicy`, {
      statements: [
        ...(can.metrics ? [new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] })] : []),
        ...(can.alarms ? [new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] })] : []),
      ],
    });
    role.attachInlinePolicy(cloudWatch);
    acknowledge(cloudWatch, 'AwsSolutions-IAM5[Resource::*]',
      'Read-only CloudWatch: cloudwatch:GetMetricData supports no resource-level permissions, and cloudwatch:DescribeAlarms returns composite alarms only to callers allowed it on * (CloudWatch API Reference, DescribeAlarms); the alarms a health policy names are chosen per rollout.');
  }
}
