/**
 * The provider of `Custom::LambdaRollout` in the service stack: the CDK provider framework over the
 * onEvent and isComplete functions, polling every {@link ALIAS_PROVIDER_QUERY_INTERVAL} for at most
 * {@link ALIAS_PROVIDER_TOTAL_TIMEOUT} (CloudFormation's limit for the framework's waiter), and its
 * service token exported for users' stacks: the `ProgressiveAlias` construct in CDK apps, or
 * `ServiceToken: !ImportValue <export>` in SAM and CloudFormation templates.
 */
import { ArnFormat, CfnOutput, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ENV, STACK_OUTPUTS } from '../functions/names.js';
import { type FunctionDefaults, rolloutFunction } from './functions.js';
import { acknowledge, acknowledgeWildcardResources } from './nag.js';
import type { RegistryTable } from './registry-table.js';

/** The provider's two functions, by construct id. */
export const ALIAS_PROVIDER_FUNCTIONS = {
  AliasOnEvent: {
    entry: 'functions/handlers/alias-on-event.ts',
    description: 'lambda-rollout: Custom::LambdaRollout requests (create the alias, start a rollout, stop one CloudFormation no longer wants)',
  },
  AliasIsComplete: {
    entry: 'functions/handlers/alias-is-complete.ts',
    description: 'lambda-rollout: tell CloudFormation when a Custom::LambdaRollout request is done (promoted, rolled back, stopped)',
  },
} as const;

/** How often the framework asks isComplete. */
export const ALIAS_PROVIDER_QUERY_INTERVAL = Duration.seconds(30);
/** How long the framework waits for one request at most: the longest it may (two hours). */
export const ALIAS_PROVIDER_TOTAL_TIMEOUT = Duration.hours(2);
/**
 * How long a request waits for its rollout: the framework's limit less two polls, so that the
 * provider stops the rollout and fails the request itself, with the alias restored, before the
 * framework gives up on it with a bare "Operation timed out".
 */
export const ALIAS_PROVIDER_WAIT = Duration.seconds(ALIAS_PROVIDER_TOTAL_TIMEOUT.toSeconds() - 2 * ALIAS_PROVIDER_QUERY_INTERVAL.toSeconds());

/** The export name of the service token, unless the construct is given another. */
export const DEFAULT_SERVICE_TOKEN_EXPORT = 'lambda-rollout-ServiceToken';

/** CloudFormation export names: letters, digits, colons and hyphens, at most 255. */
const EXPORT_NAME = /^[A-Za-z0-9:-]{1,255}$/;

export interface AliasProviderProps {
  readonly stateMachine: sfn.StateMachine;
  readonly registry: RegistryTable;
  /** The validated allowedFunctions entries, as the functions read them. */
  readonly allowedFunctions: readonly string[];
  /** The IAM resources of the allowed functions and their qualifiers. */
  readonly allowedResources: readonly string[];
  readonly defaults: FunctionDefaults;
  /** The export name of the service token. */
  readonly exportName: string;
}

/** The `Custom::LambdaRollout` provider: two functions, the framework, and the exported service token. */
export class AliasProvider extends Construct {
  /** The token templates put in `ServiceToken`. */
  public readonly serviceToken: string;
  /** The name the service token is exported under (`Fn::ImportValue`). */
  public readonly exportName: string;
  public readonly provider: cr.Provider;
  public readonly functions: Readonly<Record<keyof typeof ALIAS_PROVIDER_FUNCTIONS, lambda.Function>>;

  constructor(scope: Construct, id: string, props: AliasProviderProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.exportName) && !EXPORT_NAME.test(props.exportName)) {
      throw new Error(`serviceTokenExportName must be 1-255 letters, digits, ':' or '-'; received '${props.exportName}'`);
    }
    this.exportName = props.exportName;
    const environment = {
      [ENV.tableName]: props.registry.table.tableName,
      [ENV.stateMachineArn]: props.stateMachine.stateMachineArn,
      [ENV.allowedFunctions]: props.allowedFunctions.join(','),
      [ENV.deployWaitSeconds]: String(ALIAS_PROVIDER_WAIT.toSeconds()),
    };
    const make = (fnId: keyof typeof ALIAS_PROVIDER_FUNCTIONS) => {
      const fn = rolloutFunction(this, { id: fnId, description: ALIAS_PROVIDER_FUNCTIONS[fnId].description, environment }, props.defaults);
      this.grant(fn, props);
      return fn;
    };
    this.functions = { AliasOnEvent: make('AliasOnEvent'), AliasIsComplete: make('AliasIsComplete') };

    const { logRetention: retention, removalPolicy } = props.defaults;
    const frameworkLogs = new logs.LogGroup(this, 'FrameworkLogs', { retention, removalPolicy });
    const waiterLogs = new logs.LogGroup(this, 'WaiterLogs', {
      // The /aws/vendedlogs/ prefix keeps Step Functions off the account's CloudWatch Logs resource policy size limit.
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 200 })}-waiter`,
      retention,
      removalPolicy,
    });
    // Roles of our own for the framework's functions: they write to their log group, not through
    // the AWSLambdaBasicExecutionRole managed policy the framework would attach.
    const frameworkRole = (roleId: string, description: string) => {
      const role = new iam.Role(this, roleId, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
      frameworkLogs.grantWrite(role);
      return role;
    };
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.functions.AliasOnEvent,
      isCompleteHandler: this.functions.AliasIsComplete,
      queryInterval: ALIAS_PROVIDER_QUERY_INTERVAL,
      totalTimeout: ALIAS_PROVIDER_TOTAL_TIMEOUT,
      logGroup: frameworkLogs,
      frameworkOnEventRole: frameworkRole('FrameworkOnEventRole', 'Role of the CDK provider framework onEvent function of Custom::LambdaRollout'),
      frameworkCompleteAndTimeoutRole: frameworkRole('FrameworkWaitRole', 'Role of the CDK provider framework isComplete and onTimeout functions of Custom::LambdaRollout'),
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: waiterLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.serviceToken = this.provider.serviceToken;
    this.acknowledgeFramework();
    new CfnOutput(this, 'ServiceToken', {
      value: this.serviceToken,
      exportName: props.exportName,
      description: 'ServiceToken of Custom::LambdaRollout (ProgressiveAlias in CDK, !ImportValue in SAM and CloudFormation)',
    }).overrideLogicalId(STACK_OUTPUTS.serviceToken);
  }

  /** The findings on the framework's own resources, which aws-cdk-lib builds and we cannot shape further. */
  private acknowledgeFramework(): void {
    const framework = this.provider.node;
    const invokes = 'The provider framework invokes only the functions of this provider (the framework\'s <arn>:* covers their versions, as Lambda invoke grants do).';
    for (const role of ['FrameworkOnEventRole', 'FrameworkWaitRole']) {
      const policy = this.node.findChild(role).node.findChild('DefaultPolicy');
      acknowledgeWildcardResources(policy, [...Object.values(this.functions).map((fn) => `${fn.functionArn}:*`)], invokes);
    }
    const waiter = framework.findChild('waiter-state-machine');
    const waiterPolicy = waiter.node.findChild('Role').node.findChild('DefaultPolicy');
    acknowledgeWildcardResources(waiterPolicy,
      ['framework-isComplete', 'framework-onTimeout'].map((fnId) => `${(framework.findChild(fnId) as lambda.IFunction).functionArn}:*`), invokes);
    acknowledge(waiterPolicy, 'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery and related) supports no resource-level permissions, so Resource must be *.');
    acknowledge(waiter, 'AwsSolutions-SF2',
      "The framework's waiter state machine (aws-cdk-lib custom_resources) offers no tracing option; it only loops over isComplete, whose function is traced with X-Ray.");
  }

  /** Exactly what a request may do: read and create aliases of the allowed functions, the registry, start, read and stop this workflow's executions. */
  private grant(fn: lambda.Function, props: AliasProviderProps): void {
    const role = fn.role as iam.Role;
    const sm = props.stateMachine;
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${sm.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:GetAlias', 'lambda:CreateAlias'], resources: [...props.allowedResources] }));
    props.registry.grantReadWrite(role);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [sm.stateMachineArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executions] }));
    const policy = role.node.findChild('DefaultPolicy');
    acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so Resource must be *.');
    acknowledgeWildcardResources(policy, [...props.allowedResources],
      "Reads and creates aliases of the allowedFunctions only, the functions the operator chose: a chosen name pattern, and each function's qualifiers (<arn>:*) because alias actions name them.");
    acknowledgeWildcardResources(policy, [executions],
      'The executions of this state machine only: a request stops a rollout of its own resource that CloudFormation no longer wants; execution names are chosen per request, so their ARNs are known only as <state machine>:*.');
  }
}
