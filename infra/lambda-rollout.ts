/**
 * `LambdaRollout`: the rollout workflow (statemachine/rollout.asl.json) on AWS Step Functions, its task
 * functions, the notification topic, the rollout registry table, the rollout API, the artifacts bucket
 * whose uploads start releases, the execution guard, a dashboard, and least-privilege IAM for all of them.
 */
import { readFileSync } from 'node:fs';
import { ArnFormat, CfnOutput, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_ARTIFACT_PREFIX, prefixProblem } from '../functions/core/artifact.js';
import { ASL_PATH, ENV, STACK_OUTPUTS, type StackOutputKey, TASK_FUNCTIONS, type TaskFunctionKey } from '../functions/names.js';
import { RolloutAlarms } from './alarms.js';
import { AliasProvider, DEFAULT_SERVICE_TOKEN_EXPORT } from './alias-provider.js';
import { type AllowedFunction, allowedFunctionArns, allowedFunctionResources, validateAllowedFunctions, validateAllowedHooks } from './allowed-functions.js';
import { Artifacts } from './artifacts.js';
import { RolloutDashboard } from './dashboard.js';
import { InvalidPropError } from './errors.js';
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

/**
 * The task functions that refuse a function outside the construct's allowedFunctions before anything
 * changes: Prepare (every rollout), Release (UpdateCode, before a release changes any code) and
 * Continue (ResumeContinuation, before a continuation takes a rollout over).
 */
export const SCOPED_TASKS: readonly TaskFunctionKey[] = ['PrepareFunctionArn', 'ReleaseFunctionArn', 'ContinueFunctionArn'];

/** The task-token answers: only RunHook (a hook's answer) and the API (waking a rollout's wait) may send them. */
export const TASK_TOKEN_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'];

/** The construct id (and bundle folder) of the ready-made smoke-test hook. */
export const SMOKE_TEST_HOOK_ID = 'SmokeTestHook';

/** The ready-made smoke-test hook: it invokes the allowed functions' target versions, and is always an allowed hook. */
export const SMOKE_TEST_HOOK = {
  entry: 'functions/handlers/smoke-test-hook.ts',
  description: 'lambda-rollout: smoke-test hook (preTraffic or postTraffic): invoke the target version with payloads and check the answers',
  can: { ...NONE, invoke: true },
} as const satisfies { entry: string; description: string; can: Capabilities };

/** Properties of {@link LambdaRollout}. */
export interface LambdaRolloutProps {
  /**
   * The functions rollouts may read, shift and release: functions of your app (`IFunction`; an `IAlias`
   * or `IVersion` stands for its function), function names or name patterns (`orders-*`, in this
   * stack's account and region), or unqualified function ARNs. Each grant also covers the function's
   * versions and aliases (`<arn>:*`). `*` alone is refused. Every entry point holds rollouts to this
   * list before anything changes: the API answers 400, the workflow refuses (Prepare, or UpdateCode for
   * a release), and artifacts for other functions start nothing. A function ARN must name this stack's
   * partition, region and account.
   */
  readonly allowedFunctions: readonly AllowedFunction[];
  /**
   * The lifecycle hooks rollouts may invoke (`hooks` in the rollout input): functions, or function
   * names, name patterns (`checks-*`, in this stack's account and region) or unqualified ARNs. Only
   * these may be invoked (lambda:InvokeFunction is granted on them and their versions and aliases),
   * and a rollout naming another hook is refused before anything changes. The ready-made smoke-test
   * hook ({@link LambdaRollout.smokeTestHook}) is always allowed.
   * @default - the smoke-test hook only
   */
  readonly allowedHooks?: readonly AllowedFunction[];
  /**
   * An e-mail address subscribed to the rollout notifications (the subscriber must confirm it).
   * @default - no subscription; subscribe to {@link LambdaRollout.topic} yourself
   */
  readonly notificationEmail?: string;
  /**
   * How long the functions', the state machine's and the API's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups, the registry table and the artifact buckets when they leave the
   * stack: `RemovalPolicy.RETAIN` or `RemovalPolicy.DESTROY`. The table keeps deletion protection
   * either way.
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
  /**
   * The export name of {@link LambdaRollout.serviceToken}, for `Fn::ImportValue` in other stacks and
   * templates (`ServiceToken: !ImportValue lambda-rollout-ServiceToken`). Export names are unique per
   * account and region: give a second service in the same region another one.
   * @default 'lambda-rollout-ServiceToken'
   */
  readonly serviceTokenExportName?: string;
}

/** The settings of a {@link LambdaRollout}, checked, with their defaults filled in. */
interface Settings {
  readonly allowed: string[];
  /** The operator's allowed hooks (the smoke-test hook comes on top). */
  readonly hooks: string[];
  readonly email: string | undefined;
  readonly prefix: string;
  readonly rate: number;
  readonly burst: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The retention periods CloudWatch Logs offers, in days (`logs.RetentionDays` is a numeric enum: its values hold its names too). */
const RETENTION_DAYS: readonly unknown[] = Object.values(logs.RetentionDays).filter((days) => typeof days === 'number');
const REMOVAL_POLICIES: readonly unknown[] = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY];

/**
 * Checks the props and fills in the defaults.
 *
 * @throws InvalidPropError naming the prop, the rule and the value received.
 */
function settingsOf(props: LambdaRolloutProps): Settings {
  const allowed = validateAllowedFunctions(props.allowedFunctions);
  const hooks = validateAllowedHooks(props.allowedHooks);
  const email = props.notificationEmail;
  if (email !== undefined && !Token.isUnresolved(email) && !EMAIL.test(email)) {
    throw new InvalidPropError(`notificationEmail must be an e-mail address; received '${email}'`);
  }
  const prefix = props.artifactKeyPrefix ?? DEFAULT_ARTIFACT_PREFIX;
  const badPrefix = prefixProblem(prefix);
  if (badPrefix) throw new InvalidPropError(`artifactKeyPrefix: ${badPrefix}`);
  const rate = props.apiRateLimitPerSecond ?? 10;
  if (!(Number.isFinite(rate) && rate > 0)) throw new InvalidPropError(`apiRateLimitPerSecond must be a number above 0; received ${rate}`);
  const burst = props.apiBurstLimit ?? 20;
  if (!(Number.isInteger(burst) && burst >= 1)) throw new InvalidPropError(`apiBurstLimit must be a whole number of at least 1; received ${burst}`);
  const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
  if (!RETENTION_DAYS.includes(logRetention)) {
    throw new InvalidPropError(
      `logRetention must be a number of days CloudWatch Logs offers, a logs.RetentionDays value (${RETENTION_DAYS.join(', ')}; ` +
        `${logs.RetentionDays.INFINITE} keeps logs forever); received ${JSON.stringify(logRetention)}`,
    );
  }
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  if (!REMOVAL_POLICIES.includes(removalPolicy)) {
    throw new InvalidPropError(`removalPolicy must be RemovalPolicy.RETAIN ('retain') or RemovalPolicy.DESTROY ('destroy'); received ${JSON.stringify(removalPolicy)}`);
  }
  return { allowed, hooks, email, prefix, rate, burst, logRetention, removalPolicy };
}

/**
 * Progressive delivery for Lambda aliases: a Standard state machine runs the rollout workflow with one
 * Node.js task function per step and notifies an SNS topic encrypted with a customer-managed key. Around
 * it: a DynamoDB registry (locks, records), an IAM-authorized REST API, an artifacts bucket whose uploads
 * start releases, a guard for executions that stop abruptly, a CloudWatch dashboard and alarms.
 *
 * The functions run prebuilt bundles shipped in the package: synthesizing needs no esbuild or Docker.
 *
 * @example
 * const rollout = new LambdaRollout(stack, 'Rollout', { allowedFunctions: [ordersFn, 'payments-*'], notificationEmail: 'ops@example.com' });
 * rollout.grantStart(pipelineRole);
 * rollout.grantRead(oncallRole);
 * rollout.grantApprove(releaseManagersRole);
 */
export class LambdaRollout extends Construct {
  /** The rollout workflow. */
  public readonly stateMachine: sfn.StateMachine;
  /** Rollout notifications (started, shifted, promoted, rolled back, drift, failed, refused). */
  public readonly topic: sns.Topic;
  /** The customer-managed key encrypting {@link topic}. */
  public readonly topicKey: kms.Key;
  /** The task functions, by their placeholder key in the ASL file. */
  public readonly functions: Readonly<Record<TaskFunctionKey, lambda.Function>>;
  /** The API, guard and artifact trigger functions. */
  public readonly serviceFunctions: Readonly<Record<ServiceFunctionId, lambda.Function>>;
  /** The ready-made smoke-test hook, for `hooks.preTraffic` or `hooks.postTraffic` of a rollout input. */
  public readonly smokeTestHook: lambda.Function;
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
  /**
   * The service token of `Custom::LambdaRollout`: deploy-time rollouts from other stacks (the
   * `ProgressiveAlias` construct) and SAM or CloudFormation templates. Exported as
   * {@link LambdaRolloutProps.serviceTokenExportName}.
   */
  public readonly serviceToken: string;
  /** The `Custom::LambdaRollout` provider behind {@link serviceToken}. */
  public readonly aliasProvider: AliasProvider;
  /** The service's alarms, notifying {@link topic}. */
  public readonly alarms: RolloutAlarms;

  constructor(scope: Construct, id: string, props: LambdaRolloutProps) {
    super(scope, id);
    const settings = settingsOf(props);
    const { allowed, email, prefix, logRetention, removalPolicy } = settings;
    const defaults: FunctionDefaults = { logRetention, removalPolicy };

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'lambda-rollout: encrypts the rollout notification topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'lambda-rollout', masterKey: this.topicKey, enforceSSL: true });
    if (email !== undefined) this.topic.addSubscription(new EmailSubscription(email));
    this.registry = new RegistryTable(this, 'Registry', { removalPolicy });
    this.artifacts = new Artifacts(this, 'Artifacts', { removalPolicy, accessLogsExpiration: Duration.days(365) });

    const base: Omit<GrantTargets, 'allowedHookResources'> = {
      allowedResources: allowedFunctionResources(this, allowed),
      allowedFunctionArns: allowedFunctionArns(this, allowed),
      topic: this.topic,
      topicKey: this.topicKey,
      registry: this.registry,
      artifacts: this.artifacts.bucket,
      artifactPrefix: prefix,
    };
    this.smokeTestHook = rolloutFunction(this, { id: SMOKE_TEST_HOOK_ID, description: SMOKE_TEST_HOOK.description }, defaults);
    grantCapabilities(this, SMOKE_TEST_HOOK_ID, this.smokeTestHook, SMOKE_TEST_HOOK.can, { ...base, allowedHookResources: [] });
    // The smoke-test hook is always allowed; the operator's hooks were checked with the other props.
    const hooks = [this.smokeTestHook.functionArn, ...settings.hooks];
    const targets: GrantTargets = { ...base, allowedHookResources: allowedFunctionResources(this, hooks) };
    const envFor = (can: Capabilities): Record<string, string> => ({
      ...(can.publish ? { [ENV.topicArn]: this.topic.topicArn } : {}),
      ...(can.registry ? { [ENV.tableName]: this.registry.table.tableName } : {}),
    });
    // The functions that hold a rollout to the allow-lists before anything changes (the API's is set below):
    // Prepare and the API refuse a function, or a hook, that is not allowed.
    const allowList = { [ENV.allowedFunctions]: allowed.join(',') };
    const hookList = { [ENV.allowedHooks]: hooks.join(',') };
    const functions = {} as Record<TaskFunctionKey, lambda.Function>;
    for (const key of Object.keys(TASK_FUNCTIONS) as TaskFunctionKey[]) {
      const { id: fnId, description } = TASK_FUNCTIONS[key];
      const can = checkCapabilities(key, TASK_PERMISSIONS[key]);
      const environment = { ...envFor(can), ...(SCOPED_TASKS.includes(key) ? allowList : {}), ...(key === 'PrepareFunctionArn' ? hookList : {}) };
      // RunHook waits for a hook that answers at once: up to Lambda's 15 minutes.
      functions[key] = rolloutFunction(this, { id: fnId, description, environment, ...(key === 'RunHookFunctionArn' ? { timeoutSeconds: 900 } : {}) }, defaults);
      grantCapabilities(this, fnId, functions[key], can, targets);
    }
    this.functions = functions;

    this.stateMachine = this.workflow(logRetention, removalPolicy);
    this.grantContinuation();
    const stack = Stack.of(this);
    this.consoleUrl =
      `https://${stack.region}.console.aws.amazon.com/states/home?region=${stack.region}` +
      `#/statemachines/view/${this.stateMachine.stateMachineArn}`;

    const service = {} as Record<ServiceFunctionId, lambda.Function>;
    const smEnv = { [ENV.stateMachineArn]: this.stateMachine.stateMachineArn };
    const extraEnv: Record<ServiceFunctionId, Record<string, string>> = {
      Api: { ...smEnv, ...allowList, ...hookList },
      Guard: smEnv,
      ArtifactTrigger: {
        [ENV.stateMachineArn]: this.stateMachine.stateMachineArn,
        [ENV.artifactsBucket]: this.artifacts.bucket.bucketName,
        [ENV.artifactsPrefix]: prefix,
        [ENV.allowedFunctions]: allowed.join(','),
      },
    };
    for (const fnId of Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionId[]) {
      const { description, can } = SERVICE_FUNCTIONS[fnId];
      service[fnId] = rolloutFunction(this, { id: fnId, description, environment: { ...envFor(can), ...extraEnv[fnId] } }, defaults);
      grantCapabilities(this, fnId, service[fnId], can, targets);
    }
    this.serviceFunctions = service;
    this.grantServiceExtras(targets);
    // Task tokens are answered by RunHook (a hook's answer) and the API (waking a rollout's wait), nobody else.
    this.grantTaskTokens('RunHook', this.functions.RunHookFunctionArn);
    this.grantTaskTokens('Api', service.Api);

    this.api = new RolloutApi(this, 'RolloutApi', {
      handler: service.Api,
      rateLimitPerSecond: settings.rate,
      burstLimit: settings.burst,
      logRetention,
      removalPolicy,
    });
    this.artifacts.onArtifact('ArtifactRule', prefix, service.ArtifactTrigger);
    this.guard = new ExecutionGuard(this, 'ExecutionGuard', { stateMachine: this.stateMachine, handler: service.Guard });
    this.alarms = new RolloutAlarms(this, 'Alarms', { topic: this.topic, topicKey: this.topicKey, guard: service.Guard, apiStage: this.api.api.deploymentStage });
    this.alarms.watchDeadLetterQueue('GuardDeadLetters', this.guard.deadLetters, 'the guard');
    this.alarms.watchDeadLetterQueue('ArtifactTriggerDeadLetters', this.artifacts.deadLetters, 'the artifact trigger');
    this.dashboard = new RolloutDashboard(this, 'Dashboard', {
      stateMachine: this.stateMachine,
      allowedFunctions: allowed,
      serviceFunctions: [...Object.values(functions), ...Object.values(service)],
      apiStage: this.api.api.deploymentStage,
      alarms: this.alarms.all,
    });
    // Deploy-time rollouts: the Custom::LambdaRollout provider and its exported service token.
    this.aliasProvider = new AliasProvider(this, 'AliasProvider', {
      stateMachine: this.stateMachine,
      registry: this.registry,
      allowedFunctions: allowed,
      allowedResources: targets.allowedResources,
      defaults,
      exportName: props.serviceTokenExportName ?? DEFAULT_SERVICE_TOKEN_EXPORT,
    });
    this.serviceToken = this.aliasProvider.serviceToken;
    this.outputs(prefix);
  }

  /**
   * Lets `grantee` start rollouts: `POST /rollouts` on the API, and `states:StartExecution` of the
   * state machine (as `aws stepfunctions start-execution` and pipelines do).
   */
  grantStart(grantee: iam.IGrantable): iam.Grant {
    return this.grantApi(grantee, 'POST', '/rollouts').combine(this.stateMachine.grantStartExecution(grantee));
  }

  /**
   * Lets `grantee` watch rollouts: every `GET` route under `/rollouts` on the API; the executions'
   * description and history and the list of executions; item reads and queries of the registry
   * (what `rollout status` and `rollout list` read).
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantApi(grantee, 'GET', '/rollouts', '/rollouts/*')
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:ListExecutions'], resourceArns: [this.stateMachine.stateMachineArn] }))
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resourceArns: [this.executionsArn] }))
      .combine(this.registry.grantRead(grantee));
  }

  /**
   * Lets `grantee` steer rollouts through the API's control routes, `POST /rollouts/{id}/*`: abort,
   * approve, reject, pause, resume, promote and retry (`ROLLOUT_VERBS`), and any added later.
   */
  grantApprove(grantee: iam.IGrantable): iam.Grant {
    return this.grantApi(grantee, 'POST', '/rollouts/*/*');
  }

  /** `execute-api:Invoke` on `method` at each of `paths` (`*` matches any characters) of the API's stage. */
  private grantApi(grantee: iam.IGrantable, method: string, ...paths: string[]): iam.Grant {
    const api = this.api.api;
    const resourceArns = paths.map((path) => api.arnForExecuteApi(method, path, api.deploymentStage.stageName));
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns });
  }

  /** The ARN pattern of this state machine's executions: their names are chosen per rollout. */
  private get executionsArn(): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * The stack outputs, under the stable keys of `STACK_OUTPUTS` (not CDK's hashed ids), which the
   * `rollout` CLI and the README name: one LambdaRollout per stack.
   */
  private outputs(prefix: string): void {
    const output = (key: StackOutputKey, value: string, description: string) => new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
    output(STACK_OUTPUTS.stateMachineArn, this.stateMachine.stateMachineArn, 'Start rollouts here');
    output(STACK_OUTPUTS.topicArn, this.topic.topicArn, 'Rollout notifications');
    output(STACK_OUTPUTS.consoleUrl, this.consoleUrl, 'Watch rollouts in the Step Functions console');
    output(STACK_OUTPUTS.apiUrl, this.api.url, 'The rollout API (AWS_IAM authorization: sign requests with SigV4)');
    output(STACK_OUTPUTS.artifactsBucketName, this.artifacts.bucket.bucketName, `Upload <prefix><functionName>/<alias>/<build>.zip here (prefix '${prefix}') to release it`);
    output(STACK_OUTPUTS.registryTableName, this.registry.table.tableName, 'Rollout locks and records');
    output(STACK_OUTPUTS.dashboardUrl, this.dashboard.url, 'Rollouts and per-version errors in CloudWatch');
    output(STACK_OUTPUTS.smokeTestHookName, this.smokeTestHook.functionName, 'The ready-made smoke-test hook: name it as hooks.preTraffic or hooks.postTraffic of a rollout input');
  }

  /**
   * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat on this state machine, in a policy of the
   * function's role apart from its default one: the state machine names RunHook, and the function
   * waits for its default policy, so that policy may not wait for the state machine.
   */
  private grantTaskTokens(id: string, fn: lambda.Function): void {
    new iam.Policy(this, `${id}TaskTokensPolicy`, {
      roles: [fn.role!],
      statements: [new iam.PolicyStatement({ actions: TASK_TOKEN_ACTIONS, resources: [this.stateMachine.stateMachineArn] })],
    });
  }

  /** The Step Functions, Lambda and S3 permissions of the service functions beyond their capabilities. */
  private grantServiceExtras(targets: GrantTargets): void {
    const sm = this.stateMachine;
    const executions = this.executionsArn;
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

  /**
   * The Continue task starts the rollout's next execution of this state machine and reads whether a
   * start it lost the answer to happened. A policy of its own, not the function role's default one:
   * the state machine's definition names the function, and the function (through its default
   * policy) naming the state machine would make a dependency cycle.
   */
  private grantContinuation(): void {
    const sm = this.stateMachine;
    const executions = this.executionsArn;
    const policy = new iam.Policy(this, 'ContinuePolicy', {
      statements: [
        new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [sm.stateMachineArn] }),
        new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
      ],
    });
    this.functions.ContinueFunctionArn.role!.attachInlinePolicy(policy);
    acknowledgeWildcardResources(policy, [executions],
      "The executions of this state machine only: a continuation's name is chosen per rollout, so its ARN is known only as <state machine>:*.");
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
