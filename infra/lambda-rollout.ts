/**
 * `LambdaRollout`: the rollout workflow (statemachine/rollout.asl.json) on AWS Step Functions, its task
 * functions, the notification topic, the rollout registry table, the rollout API, the artifacts bucket
 * whose uploads start releases, the execution guard, a dashboard, and least-privilege IAM for all of them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, CfnOutput, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_ARTIFACT_PREFIX, prefixProblem } from '../functions/core/artifact.js';
import { ASL_PATH, ENV, TASK_FUNCTIONS, type TaskFunctionKey } from '../functions/names.js';
import { allowedFunctionArns, allowedFunctionResources, validateAllowedFunctions, validateAllowedHookNames } from './allowed-functions.js';
import { Artifacts } from './artifacts.js';
import { RolloutDashboard } from './dashboard.js';
import {
  type Capabilities,
  checkCapabilities,
  type FunctionDefaults,
  type GrantTargets,
  grantCapabilities,
  NO_CAPABILITIES,
  TASK_PERMISSIONS,
  rolloutFunction,
} from './functions.js';
import { ExecutionGuard } from './guard.js';
import { acknowledge, acknowledgeWildcardResources } from './nag.js';
import { RegistryTable } from './registry-table.js';
import { RolloutApi } from './rollout-api.js';

/** The repository root: function entries and the ASL file are resolved against it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const NONE: Capabilities = NO_CAPABILITIES;

/**
 * The functions around the workflow (not states of it), by construct id: what each runs and may touch
 * beyond its capabilities (Step Functions and S3 grants are added by the construct).
 */
export const SERVICE_FUNCTIONS = {
  Api: {
    entry: 'functions/handlers/api.ts',
    description: 'lambda-rollout: the rollout API (start, list, get, abort, approve, reject, pause, resume, promote, retry)',
    can: { ...NONE, registry: true },
  },
  Guard: {
    entry: 'functions/handlers/guard.ts',
    description: 'lambda-rollout: restore the alias, remove provisioned concurrency, release the lock and notify when a rollout execution stops',
    can: { ...NONE, lambdaRead: true, lambdaWrite: true, registry: true, publish: true, events: true, concurrency: true },
  },
  ArtifactTrigger: {
    entry: 'functions/handlers/artifact-trigger.ts',
    description: 'lambda-rollout: start a release rollout for an artifact uploaded to the artifacts bucket',
    can: { ...NONE, publish: true },
  },
} as const satisfies Record<string, { entry: string; description: string; can: Capabilities }>;

export type ServiceFunctionId = keyof typeof SERVICE_FUNCTIONS;

/** The task-token answers: only RunHook (a hook's answer) and the API (waking a rollout's wait) may send them. */
export const TASK_TOKEN_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'];

/** The ready-made smoke-test hook: it invokes the allowed functions' target versions, and is always an allowed hook. */
export const SMOKE_TEST_HOOK = {
  entry: 'functions/handlers/smoke-test-hook.ts',
  description: 'lambda-rollout: smoke-test hook (preTraffic or postTraffic): invoke the target version with payloads and check the answers',
  can: { ...NONE, invoke: true },
} as const satisfies { entry: string; description: string; can: Capabilities };

/** Properties of {@link LambdaRollout}. */
export interface LambdaRolloutProps {
  /**
   * The functions rollouts may read, shift and release: function names or name patterns (`orders-*`, in
   * this stack's account and region) or unqualified function ARNs. Each grant also covers the function's
   * versions and aliases (`<arn>:*`). `*` alone is refused. Artifacts for other functions start nothing.
   */
  readonly allowedFunctions: string[];
  /**
   * The lifecycle hooks rollouts may invoke (`hooks` in the rollout input): functions, or function
   * names, name patterns (`checks-*`, in this stack's account and region) or unqualified ARNs. Only
   * these may be invoked (lambda:InvokeFunction is granted on them and their versions and aliases),
   * and a rollout naming another hook is refused before anything changes. The ready-made smoke-test
   * hook ({@link LambdaRollout.smokeTestHook}) is always allowed.
   * @default - the smoke-test hook only
   */
  readonly allowedHooks?: ReadonlyArray<string | IFunction>;
  /**
   * An e-mail address subscribed to the rollout notifications (the subscriber must confirm it).
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly notificationEmail?: string;
  /**
   * How long the functions', the state machine's and the API's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups, the registry table and the artifact buckets when they leave the stack.
   * The table keeps deletion protection either way.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The key prefix under which uploaded artifacts start releases: `<prefix><functionName>/<alias>/<build>.zip`.
   * Empty, or folder names ending with `/`.
   * @default 'releases/'
   */
  readonly artifactKeyPrefix?: string;
  /**
   * The API stage's steady-state rate limit, requests per second.
   * @default 10
   */
  readonly apiRateLimitPerSecond?: number;
  /**
   * The API stage's burst limit, requests.
   * @default 20
   */
  readonly apiBurstLimit?: number;
}

/**
 * Progressive delivery for Lambda aliases: a Standard state machine runs the rollout workflow with one
 * Node.js task function per step and notifies an SNS topic encrypted with a customer-managed key. Around
 * it: a DynamoDB registry (locks, records), an IAM-authorized REST API, an artifacts bucket whose uploads
 * start releases, a guard for executions that stop abruptly, and a CloudWatch dashboard.
 *
 * @example
 * new LambdaRollout(stack, 'Rollout', { allowedFunctions: ['orders-*'], notificationEmail: 'ops@example.com' });
 */
export class LambdaRollout extends Construct {
  /** The rollout workflow. */
  public readonly stateMachine: sfn.StateMachine;
  /** Rollout notifications (started, shifted, promoted, rolled back, drift, failed, refused). */
  public readonly topic: sns.Topic;
  /** The customer-managed key encrypting {@link topic}. */
  public readonly topicKey: kms.Key;
  /** The task functions, by their placeholder key in the ASL file. */
  public readonly functions: Readonly<Record<TaskFunctionKey, NodejsFunction>>;
  /** The API, guard and artifact trigger functions. */
  public readonly serviceFunctions: Readonly<Record<ServiceFunctionId, NodejsFunction>>;
  /** The ready-made smoke-test hook, for `hooks.preTraffic` or `hooks.postTraffic` of a rollout input. */
  public readonly smokeTestHook: NodejsFunction;
  /** The Step Functions console page of {@link stateMachine} (console domain of the `aws` partition). */
  public readonly consoleUrl: string;
  /** Locks, rollout records, API idempotency keys. */
  public readonly registry: RegistryTable;
  /** The artifacts bucket (and its access logs). */
  public readonly artifacts: Artifacts;
  /** The rollout REST API. */
  public readonly api: RolloutApi;
  /** The guard's EventBridge rule. */
  public readonly guard: ExecutionGuard;
  /** The rollouts dashboard. */
  public readonly dashboard: RolloutDashboard;

  constructor(scope: Construct, id: string, props: LambdaRolloutProps) {
    super(scope, id);
    const allowed = validateAllowedFunctions(props.allowedFunctions);
    const email = props.notificationEmail;
    if (email !== undefined && !Token.isUnresolved(email) && !EMAIL.test(email)) {
      throw new Error(`notificationEmail must be an e-mail address; received '${email}'`);
    }
    const prefix = props.artifactKeyPrefix ?? DEFAULT_ARTIFACT_PREFIX;
    const badPrefix = prefixProblem(prefix);
    if (badPrefix) throw new Error(`artifactKeyPrefix: ${badPrefix}`);
    const rate = props.apiRateLimitPerSecond ?? 10;
    const burst = props.apiBurstLimit ?? 20;
    if (!(Number.isFinite(rate) && rate > 0)) throw new Error(`apiRateLimitPerSecond must be a number above 0; received ${rate}`);
    if (!(Number.isInteger(burst) && burst >= 1)) throw new Error(`apiBurstLimit must be a whole number of at least 1; received ${burst}`);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const defaults: FunctionDefaults = { repoRoot: REPO_ROOT, logRetention, removalPolicy };

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'lambda-rollout: encrypts the rollout notification topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'lambda-rollout', masterKey: this.topicKey, enforceSSL: true });
    if (email !== undefined) this.topic.addSubscription(new EmailSubscription(email));
    this.registry = new RegistryTable(this, 'Registry', { removalPolicy });
    this.artifacts = new Artifacts(this, 'Artifacts', { removalPolicy, accessLogsExpiration: Duration.days(365) });

    const allowedResources = allowedFunctionResources(this, allowed);
    const base: Omit<GrantTargets, 'allowedHookResources'> = {
      allowedResources,
      allowedFunctionArns: allowedFunctionArns(this, allowed),
      topic: this.topic,
      topicKey: this.topicKey,
      registry: this.registry,
      artifacts: this.artifacts.bucket,
      artifactPrefix: prefix,
    };
    this.smokeTestHook = rolloutFunction(this, { id: 'SmokeTestHook', entry: SMOKE_TEST_HOOK.entry, description: SMOKE_TEST_HOOK.description }, defaults);
    grantCapabilities(this, 'SmokeTestHook', this.smokeTestHook, SMOKE_TEST_HOOK.can, { ...base, allowedHookResources: [] });
    const hooks = this.allowedHooks(props.allowedHooks ?? []);
    const targets: GrantTargets = { ...base, allowedHookResources: hooks.resources };
    const envFor = (can: Capabilities): Record<string, string> => ({
      ...(can.publish ? { [ENV.topicArn]: this.topic.topicArn } : {}),
      ...(can.registry ? { [ENV.tableName]: this.registry.table.tableName } : {}),
    });
    // Prepare refuses a rollout naming a hook that is not allowed, before anything changes.
    const taskEnv: Partial<Record<TaskFunctionKey, Record<string, string>>> = { PrepareFunctionArn: { [ENV.allowedHooks]: hooks.names.join(',') } };

    const functions = {} as Record<TaskFunctionKey, NodejsFunction>;
    for (const key of Object.keys(TASK_FUNCTIONS) as TaskFunctionKey[]) {
      const { id: fnId, entry, description } = TASK_FUNCTIONS[key];
      const can = checkCapabilities(key, TASK_PERMISSIONS[key]);
      functions[key] = rolloutFunction(this, { id: fnId, entry, description, environment: { ...envFor(can), ...taskEnv[key] }, ...(key === 'RunHookFunctionArn' ? { timeoutSeconds: 900 } : {}) }, defaults);
      grantCapabilities(this, fnId, functions[key], can, targets);
    }
    this.functions = functions;

    this.stateMachine = this.workflow(logRetention, removalPolicy);
    const stack = Stack.of(this);
    this.consoleUrl =
      `https://${stack.region}.console.aws.amazon.com/states/home?region=${stack.region}` +
      `#/statemachines/view/${this.stateMachine.stateMachineArn}`;

    const service = {} as Record<ServiceFunctionId, NodejsFunction>;
    const smEnv = { [ENV.stateMachineArn]: this.stateMachine.stateMachineArn };
    const extraEnv: Record<ServiceFunctionId, Record<string, string>> = {
      Api: smEnv,
      Guard: smEnv,
      ArtifactTrigger: {
        [ENV.stateMachineArn]: this.stateMachine.stateMachineArn,
        [ENV.artifactsBucket]: this.artifacts.bucket.bucketName,
        [ENV.artifactsPrefix]: prefix,
        [ENV.allowedFunctions]: allowed.join(','),
      },
    };
    for (const fnId of Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionId[]) {
      const { entry, description, can } = SERVICE_FUNCTIONS[fnId];
      service[fnId] = rolloutFunction(this, { id: fnId, entry, description, environment: { ...envFor(can), ...extraEnv[fnId] } }, defaults);
      grantCapabilities(this, fnId, service[fnId], can, targets);
    }
    this.serviceFunctions = service;
    this.grantServiceExtras(targets);
    // Task tokens are answered by RunHook (a hook's answer) and the API (waking a rollout's wait), nobody else.
    this.grantTaskTokens('RunHook', this.functions.RunHookFunctionArn);
    this.grantTaskTokens('Api', service.Api);

    this.api = new RolloutApi(this, 'RolloutApi', {
      handler: service.Api,
      rateLimitPerSecond: rate,
      burstLimit: burst,
      logRetention,
      removalPolicy,
    });
    this.artifacts.onArtifact('ArtifactRule', prefix, service.ArtifactTrigger);
    this.guard = new ExecutionGuard(this, 'ExecutionGuard', { stateMachine: this.stateMachine, handler: service.Guard });
    this.dashboard = new RolloutDashboard(this, 'Dashboard', { stateMachine: this.stateMachine, allowedFunctions: allowed });

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn, description: 'Start rollouts here' });
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'Rollout notifications' });
    new CfnOutput(this, 'ConsoleUrl', { value: this.consoleUrl, description: 'Watch rollouts in the Step Functions console' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'The rollout API (AWS_IAM authorization: sign requests with SigV4)' });
    new CfnOutput(this, 'ArtifactsBucketName', {
      value: this.artifacts.bucket.bucketName,
      description: `Upload <prefix><functionName>/<alias>/<build>.zip here (prefix '${prefix}') to release it`,
    });
    new CfnOutput(this, 'RegistryTableName', { value: this.registry.table.tableName, description: 'Rollout locks and records' });
    new CfnOutput(this, 'DashboardUrl', { value: this.dashboard.url, description: 'Rollouts and per-version errors in CloudWatch' });
    new CfnOutput(this, 'SmokeTestHookName', {
      value: this.smokeTestHook.functionName,
      description: 'The ready-made smoke-test hook: name it as hooks.preTraffic or hooks.postTraffic of a rollout input',
    });
  }

  /**
   * The allowed hooks: their names for Prepare's check (functions as their names, strings as given,
   * the smoke-test hook always), and the IAM resources RunHook may invoke (each and its qualifiers).
   */
  private allowedHooks(entries: ReadonlyArray<string | IFunction>): { names: string[]; resources: string[] } {
    const names = validateAllowedHookNames(entries.filter((e): e is string => typeof e === 'string'));
    const functions = [this.smokeTestHook, ...entries.filter((e): e is IFunction => typeof e !== 'string')];
    return {
      names: [...functions.map((f) => f.functionName), ...names],
      resources: [...functions.flatMap((f) => [f.functionArn, `${f.functionArn}:*`]), ...(names.length > 0 ? allowedFunctionResources(this, names) : [])],
    };
  }

  /**
   * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat on this state machine, in a policy of the
   * function's role apart from its default one: the state machine names RunHook, and the function
   * waits for its default policy, so that policy may not wait for the state machine.
   */
  private grantTaskTokens(id: string, fn: NodejsFunction): void {
    new iam.Policy(this, `${id}TaskTokensPolicy`, {
      roles: [fn.role!],
      statements: [new iam.PolicyStatement({ actions: TASK_TOKEN_ACTIONS, resources: [this.stateMachine.stateMachineArn] })],
    });
  }

  /** The Step Functions, Lambda and S3 permissions of the service functions beyond their capabilities. */
  private grantServiceExtras(targets: GrantTargets): void {
    const sm = this.stateMachine;
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${sm.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const add = (fnId: ServiceFunctionId, statement: iam.PolicyStatement) => this.serviceFunctions[fnId].role!.addToPrincipalPolicy(statement);
    const executionsReason =
      'The executions of this state machine only: execution names are chosen per rollout, so their ARNs are known only as <state machine>:*.';

    add('Api', new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [sm.stateMachineArn] }));
    add('Api', new iam.PolicyStatement({ actions: ['states:StopExecution', 'states:DescribeExecution', 'states:GetExecutionHistory'], resources: [executions] }));
    add('Guard', new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [executions] }));
    add('ArtifactTrigger', new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [sm.stateMachineArn] }));
    add('ArtifactTrigger', new iam.PolicyStatement({ actions: ['lambda:GetFunctionConfiguration'], resources: [...targets.allowedFunctionArns] }));
    const artifactObjects = this.artifacts.bucket.arnForObjects(`${targets.artifactPrefix}*`);
    add('ArtifactTrigger', new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
      resources: [artifactObjects],
    }));

    for (const fnId of ['Api', 'Guard'] as const) {
      acknowledgeWildcardResources(this.serviceFunctions[fnId].role!.node.findChild('DefaultPolicy'), [executions], executionsReason);
    }
    const trigger = this.serviceFunctions.ArtifactTrigger.role!.node.findChild('DefaultPolicy');
    acknowledgeWildcardResources(trigger, [...targets.allowedFunctionArns],
      'Reads the configuration of the allowed functions only (does the function an artifact names exist?): a name pattern the operator chose.');
    acknowledgeWildcardResources(trigger, [artifactObjects],
      'Reads the tags and metadata of artifact objects under the key prefix, which name the function and build; read-only, nothing else is in the bucket.');
  }

  private workflow(retention: logs.RetentionDays, removalPolicy: RemovalPolicy): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      // The /aws/vendedlogs/ prefix keeps Step Functions off the account's CloudWatch Logs resource policy size limit.
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 200 })}`,
      retention,
      removalPolicy,
    });
    const definitionSubstitutions: Record<string, string> = {};
    for (const [key, fn] of Object.entries(this.functions)) definitionSubstitutions[key] = fn.functionArn;
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(readFileSync(ASL_PATH, 'utf8')),
      definitionSubstitutions,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    const invokable = Object.values(this.functions).flatMap((fn) => {
      fn.grantInvoke(stateMachine);
      return fn.resourceArnsForGrantInvoke;
    });
    const defaultPolicy = stateMachine.role.node.findChild('DefaultPolicy');
    acknowledge(defaultPolicy, 'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments, GetSamplingRules...) support no resource-level permissions, so Resource must be *.');
    acknowledgeWildcardResources(defaultPolicy, invokable,
      'Invokes only this workflow\'s task functions; <arn>:* covers their versions and aliases, as Step Functions requires for Lambda invocations.');
    return stateMachine;
  }
}
