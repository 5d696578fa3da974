/**
 * `LambdaRollout`: the rollout workflow (statemachine/rollout.asl.json) on AWS Step Functions, its task
 * functions, the notification topic, and least-privilege IAM for all of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TASK_FUNCTIONS, TASK_PERMISSIONS, TOPIC_ARN_ENV, type TaskFunctionKey } from '../functions/task-functions.js';
import { allowedFunctionResources, validateAllowedFunctions } from './allowed-functions.js';
import { acknowledge, acknowledgeWildcardResources } from './nag.js';

/** The repository root: task function entries and the ASL file are resolved against it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The workflow definition, shared with the local runner. */
export const ASL_PATH = join(REPO_ROOT, 'statemachine', 'rollout.asl.json');

/** Lets CommonJS dependencies bundled into an ESM output call `require`. */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Properties of {@link LambdaRollout}. */
export interface LambdaRolloutProps {
  /**
   * The functions rollouts may read and shift: function names or name patterns (`orders-*`, in this
   * stack's account and region) or unqualified function ARNs. Each grant also covers the function's
   * versions and aliases (`<arn>:*`). `*` alone is refused.
   */
  readonly allowedFunctions: string[];
  /**
   * An e-mail address subscribed to the rollout notifications (the subscriber must confirm it).
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly notificationEmail?: string;
  /**
   * How long the task functions' and the state machine's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Progressive delivery for Lambda aliases: a Standard state machine runs the rollout workflow with one
 * Node.js task function per step and notifies an SNS topic encrypted with a customer-managed key.
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
  /** The Step Functions console page of {@link stateMachine} (console domain of the `aws` partition). */
  public readonly consoleUrl: string;

  constructor(scope: Construct, id: string, props: LambdaRolloutProps) {
    super(scope, id);
    const allowed = validateAllowedFunctions(props.allowedFunctions);
    const email = props.notificationEmail;
    if (email !== undefined && !Token.isUnresolved(email) && !EMAIL.test(email)) {
      throw new Error(`notificationEmail must be an e-mail address; received '${email}'`);
    }
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'lambda-rollout: encrypts the rollout notification topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'lambda-rollout', masterKey: this.topicKey, enforceSSL: true });
    if (email !== undefined) this.topic.addSubscription(new EmailSubscription(email));

    const functions = {} as Record<TaskFunctionKey, NodejsFunction>;
    for (const key of Object.keys(TASK_FUNCTIONS) as TaskFunctionKey[]) {
      functions[key] = this.taskFunction(key, logRetention, removalPolicy);
    }
    this.functions = functions;
    const allowedResources = allowedFunctionResources(this, allowed);
    for (const key of Object.keys(functions) as TaskFunctionKey[]) this.grantCapabilities(key, allowedResources);

    this.stateMachine = this.workflow(logRetention, removalPolicy);
    this.consoleUrl =
      `https://${Stack.of(this).region}.console.aws.amazon.com/states/home?region=${Stack.of(this).region}` +
      `#/statemachines/view/${this.stateMachine.stateMachineArn}`;

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn, description: 'Start rollouts here' });
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'Rollout notifications' });
    new CfnOutput(this, 'ConsoleUrl', { value: this.consoleUrl, description: 'Watch rollouts in the Step Functions console' });
  }

  private taskFunction(key: TaskFunctionKey, retention: logs.RetentionDays, removalPolicy: RemovalPolicy): NodejsFunction {
    const { id, entry, description } = TASK_FUNCTIONS[key];
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention, removalPolicy });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Role of ${description}`,
    });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, id, {
      entry: join(REPO_ROOT, entry),
      handler: 'handler',
      description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'lambda-rollout',
        ...(TASK_PERMISSIONS[key].publish ? { [TOPIC_ARN_ENV]: this.topic.topicArn } : {}),
      },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        target: 'node22',
        forceDockerBundling: false,
      },
    });
    acknowledge(fn, 'AwsSolutions-L1',
      'nodejs22.x on purpose: the project builds, tests and simulates these handlers on Node 22 (engines, the node@22 dev dependency), so Lambda runs the same major. Move both together.');
    return fn;
  }

  /** Grants exactly what TASK_PERMISSIONS says the function needs. */
  private grantCapabilities(key: TaskFunctionKey, allowedResources: string[]): void {
    const fn = this.functions[key];
    const role = fn.role as iam.Role;
    const can = TASK_PERMISSIONS[key];
    const lambdaActions = [
      ...(can.lambdaRead ? ['lambda:GetAlias', 'lambda:GetFunctionConfiguration'] : []),
      ...(can.lambdaWrite ? ['lambda:UpdateAlias'] : []),
    ];
    if (lambdaActions.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: lambdaActions, resources: allowedResources }));
    }
    if (can.publish) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.topicKey.keyArn] }),
      );
    }
    const defaultPolicy = role.node.findChild('DefaultPolicy');
    acknowledge(defaultPolicy, 'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so Resource must be *.');
    if (lambdaActions.length > 0) {
      acknowledgeWildcardResources(defaultPolicy, allowedResources,
        'Scoped to allowedFunctions, the functions the operator chose to roll out: a chosen name pattern, and each function\'s versions and aliases (<arn>:*) because alias reads and writes name them.');
    }
    if (can.metrics) {
      // A policy of its own, so its acknowledgement covers GetMetricData only.
      const metrics = new iam.Policy(this, `${TASK_FUNCTIONS[key].id}MetricsPolicy`, {
        statements: [new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] })],
      });
      role.attachInlinePolicy(metrics);
      acknowledge(metrics, 'AwsSolutions-IAM5[Resource::*]',
        'cloudwatch:GetMetricData supports no resource-level permissions (IAM Service Authorization Reference, Amazon CloudWatch: no resource type for this action), so Resource must be *. Read-only.');
    }
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
