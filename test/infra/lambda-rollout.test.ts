/** The synthesized template of the rollout stack: workflow, functions, topic and least-privilege IAM. */
import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASL_PATH, ENV, STACK_OUTPUTS, TASK_FUNCTIONS, type TaskFunctionKey } from '../../functions/names.js';
import { ALIAS_PROVIDER_FUNCTIONS } from '../../infra/alias-provider.js';
import { ACCOUNT_WIDE_LAMBDA_ACTIONS, TASK_PERMISSIONS } from '../../infra/functions.js';
import { SERVICE_FUNCTIONS, type ServiceFunctionId } from '../../infra/lambda-rollout.js';
import type { RolloutStack } from '../../infra/rollout-stack.js';
import { buildStack, type FlatStatement, flat, FRAMEWORK_FUNCTIONS, iamStatements, logicalId } from './support.js';

const KEYS = Object.keys(TASK_FUNCTIONS) as TaskFunctionKey[];
const SERVICE = Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionId[];
/** The Custom::LambdaRollout provider's functions, and the provider framework's (onEvent, isComplete, onTimeout). */
const PROVIDER_FUNCTIONS = Object.keys(ALIAS_PROVIDER_FUNCTIONS).length;
const ASL = readFileSync(ASL_PATH, 'utf8');
const PAYMENTS = 'arn:aws:lambda:eu-west-1:123456789012:function:payments';
/** What `allowedFunctions: ['orders-*', PAYMENTS]` must grant: each function and its qualifiers, nothing else. */
const ALLOWED_RESOURCES = [
  'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-*',
  'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-*:*',
  PAYMENTS,
  `${PAYMENTS}:*`,
].sort();

let stack: RolloutStack;
let template: Template;
let statements: FlatStatement[];
let roleOf: Record<TaskFunctionKey, string>;
let functionId: Record<TaskFunctionKey, string>;
let serviceRoleOf: Record<ServiceFunctionId, string>;

beforeAll(() => {
  ({ stack } = buildStack({ allowedFunctions: ['orders-*', PAYMENTS], notificationEmail: 'ops@example.com' }));
  template = Template.fromStack(stack);
  statements = iamStatements(template);
  const fns = stack.rollout.functions;
  roleOf = Object.fromEntries(KEYS.map((k) => [k, logicalId(fns[k].role!)])) as Record<TaskFunctionKey, string>;
  functionId = Object.fromEntries(KEYS.map((k) => [k, logicalId(fns[k])])) as Record<TaskFunctionKey, string>;
  serviceRoleOf = Object.fromEntries(SERVICE.map((k) => [k, logicalId(stack.rollout.serviceFunctions[k].role!)])) as Record<ServiceFunctionId, string>;
});

const rolesWith = (action: string) =>
  new Set(statements.filter((s) => s.effect === 'Allow' && s.actions.includes(action)).flatMap((s) => s.roles));
const resourcesOf = (action: string, role: string) =>
  [...new Set(statements.filter((s) => s.actions.includes(action) && s.roles.includes(role)).flatMap((s) => s.resources))].sort();
type Capability = keyof (typeof TASK_PERMISSIONS)[TaskFunctionKey];
/** The roles of every function, task or service, that has the capability. */
const keysWhere = (capability: Capability) =>
  new Set([
    ...KEYS.filter((k) => TASK_PERMISSIONS[k][capability]).map((k) => roleOf[k]),
    ...SERVICE.filter((k) => SERVICE_FUNCTIONS[k].can[capability]).map((k) => serviceRoleOf[k]),
  ]);

describe('state machine', () => {
  const props = () => template.toJSON().Resources[logicalId(stack.rollout.stateMachine)].Properties;

  it('is one Standard workflow with tracing and ALL-level logging, execution data included', () => {
    // The other state machine is the provider framework's waiter of Custom::LambdaRollout.
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    expect(props().StateMachineType).toBe('STANDARD');
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } }],
      },
    });
  });

  it('holds the ASL file inline, and substitutes exactly its placeholders with the task function ARNs', () => {
    expect(props().DefinitionString).toBe(ASL);
    const placeholders = new Set([...ASL.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    const substitutions = props().DefinitionSubstitutions as Record<string, unknown>;
    expect(new Set(Object.keys(substitutions))).toEqual(placeholders);
    expect(placeholders).toEqual(new Set(KEYS));
    for (const key of KEYS) expect(substitutions[key]).toEqual({ 'Fn::GetAtt': [functionId[key], 'Arn'] });

    // What CloudFormation deploys: each placeholder replaced by its function's ARN.
    const arnOf = (id: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${id}`;
    const deployed = ASL.replace(/\$\{(\w+)\}/g, (_, key: string) =>
      arnOf((substitutions[key] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]));
    expect(deployed).not.toMatch(/\$\{/);
    // Task states call a task function directly, or through lambda:invoke.waitForTaskToken with it as FunctionName.
    const resources = Object.values(JSON.parse(deployed).States as Record<string, { Resource?: string; Parameters?: { FunctionName?: string } }>)
      .flatMap((state) => (state.Resource?.endsWith('.waitForTaskToken') ? [state.Parameters?.FunctionName ?? ''] : state.Resource ? [state.Resource] : []));
    expect(new Set(resources)).toEqual(new Set(KEYS.map((k) => arnOf(functionId[k]))));
  });

  it('may invoke only the task functions (and their qualifiers)', () => {
    const smRole = logicalId(stack.rollout.stateMachine.role);
    // Besides probes, only the Custom::LambdaRollout provider framework invokes functions: the provider's own.
    const framework = statements.filter((s) => s.actions.includes('lambda:InvokeFunction') && s.roles.some((r) => r.startsWith('RolloutAliasProvider')));
    for (const arn of framework.flatMap((s) => s.resources)) expect(arn).toMatch(/^\$\{RolloutAliasProvider\w+\.Arn\}(:\*)?$/);
    const frameworkRoles = new Set(framework.flatMap((s) => s.roles));
    expect(frameworkRoles.size).toBe(3);
    expect(rolesWith('lambda:InvokeFunction')).toEqual(
      new Set([smRole, roleOf.CheckHealthFunctionArn, roleOf.RunHookFunctionArn, logicalId(stack.rollout.smokeTestHook.role!), ...frameworkRoles]),
    );
    const fnArns = KEYS.map((k) => `\${${functionId[k]}.Arn}`);
    expect(resourcesOf('lambda:InvokeFunction', smRole)).toEqual([...fnArns, ...fnArns.map((a) => `${a}:*`)].sort());
  });

  it('lets CheckHealth probe, and the smoke-test hook test, the allowed functions only, never *', () => {
    expect(resourcesOf('lambda:InvokeFunction', roleOf.CheckHealthFunctionArn)).toEqual(ALLOWED_RESOURCES);
    expect(resourcesOf('lambda:InvokeFunction', logicalId(stack.rollout.smokeTestHook.role!))).toEqual(ALLOWED_RESOURCES);
  });

  it('lets RunHook invoke the allowed hooks only: the smoke-test hook by default', () => {
    const smoke = `\${${logicalId(stack.rollout.smokeTestHook)}.Arn}`;
    expect(resourcesOf('lambda:InvokeFunction', roleOf.RunHookFunctionArn)).toEqual([smoke, `${smoke}:*`]);
    const prepare = template.toJSON().Resources[functionId.PrepareFunctionArn].Properties.Environment.Variables;
    expect(flat(prepare[ENV.allowedHooks])).toBe(smoke);
  });

  it('lets only RunHook and the API answer task tokens, on this state machine only', () => {
    const sm = `\${${logicalId(stack.rollout.stateMachine)}}`;
    for (const action of ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']) {
      expect(rolesWith(action)).toEqual(new Set([roleOf.RunHookFunctionArn, serviceRoleOf.Api]));
      for (const role of rolesWith(action)) expect(resourcesOf(action, role)).toEqual([sm]);
    }
  });

  it('logs to a /aws/vendedlogs/ group kept one year', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/'),
      RetentionInDays: 365,
    });
  });
});

describe('task functions', () => {
  it('are one per TASK_FUNCTIONS entry (plus the service functions and the smoke-test hook), nodejs22.x on arm64, traced, 256 MB, 30 s (RunHook 15 min), ESM handler', () => {
    template.resourceCountIs('AWS::Lambda::Function', KEYS.length + SERVICE.length + 1 + PROVIDER_FUNCTIONS + FRAMEWORK_FUNCTIONS);
    for (const key of KEYS) {
      template.hasResource('AWS::Lambda::Function', {
        Properties: {
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 256,
          // RunHook waits for a hook that answers at once: up to Lambda's 15 minutes.
          Timeout: key === 'RunHookFunctionArn' ? 900 : 30,
          TracingConfig: { Mode: 'Active' },
          Description: TASK_FUNCTIONS[key].description,
          Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'lambda-rollout' }) },
          LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
        },
      });
      expect(template.toJSON().Resources[functionId[key]].Properties.Runtime).toBe('nodejs22.x');
    }
  });

  it('give the topic ARN to the functions that publish only', () => {
    const topic = logicalId(stack.rollout.topic);
    for (const key of KEYS) {
      const vars = template.toJSON().Resources[functionId[key]].Properties.Environment.Variables;
      expect(vars[ENV.topicArn]).toEqual(TASK_PERMISSIONS[key].publish ? { Ref: topic } : undefined);
    }
    for (const id of SERVICE) {
      const vars = template.toJSON().Resources[logicalId(stack.rollout.serviceFunctions[id])].Properties.Environment.Variables;
      expect(vars[ENV.topicArn]).toEqual(SERVICE_FUNCTIONS[id].can.publish ? { Ref: topic } : undefined);
    }
  });

  it('log to their own group, kept one year, retained (as do the state machine and the API access logs)', () => {
    // + the smoke-test hook's, the state machine's and the API's; the provider's functions', its framework's and its waiter's.
    template.resourceCountIs('AWS::Logs::LogGroup', KEYS.length + SERVICE.length + 1 + 2 + PROVIDER_FUNCTIONS + 2);
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(group.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('topic', () => {
  it('is encrypted with a rotated customer-managed key', () => {
    const key = logicalId(stack.rollout.topicKey);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('refuses publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has the e-mail subscription when notificationEmail is set', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('least-privilege IAM', () => {
  it('never grants a lambda: action on Resource * (but the account-wide reads that have no resource type) nor uses a wildcard action', () => {
    const accountWide: readonly string[] = ACCOUNT_WIDE_LAMBDA_ACTIONS;
    for (const s of statements) {
      if (s.actions.some((a) => (a.startsWith('lambda:') && !accountWide.includes(a)) || a === '*')) expect(s.resources, s.actions.join()).not.toContain('*');
      if (s.actions.some((a) => accountWide.includes(a))) expect(s.actions.every((a) => accountWide.includes(a)), s.actions.join()).toBe(true);
      expect(s.actions.filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  it('grants provisioned concurrency actions to Prepare, Concurrency and the guard only, on the allowed functions only', () => {
    for (const action of ['lambda:PutProvisionedConcurrencyConfig', 'lambda:DeleteProvisionedConcurrencyConfig', 'lambda:GetProvisionedConcurrencyConfig']) {
      expect(rolesWith(action)).toEqual(keysWhere('concurrency'));
      for (const role of rolesWith(action)) expect(resourcesOf(action, role)).toEqual(ALLOWED_RESOURCES);
    }
    expect(keysWhere('concurrency')).toEqual(new Set([roleOf.PrepareFunctionArn, roleOf.ConcurrencyFunctionArn, serviceRoleOf.Guard]));
    expect(rolesWith('lambda:ListEventSourceMappings')).toEqual(new Set([roleOf.PrepareFunctionArn]));
  });

  it('grants UpdateAlias to ShiftWeight, Finalize, Rollback and the guard only, on the allowed functions and their qualifiers only', () => {
    expect(rolesWith('lambda:UpdateAlias')).toEqual(new Set([
      ...['ShiftWeightFunctionArn', 'FinalizeFunctionArn', 'RollbackFunctionArn'].map((k) => roleOf[k as TaskFunctionKey]),
      serviceRoleOf.Guard,
    ]));
    expect(rolesWith('lambda:UpdateAlias')).toEqual(keysWhere('lambdaWrite'));
    for (const role of rolesWith('lambda:UpdateAlias')) expect(resourcesOf('lambda:UpdateAlias', role)).toEqual(ALLOWED_RESOURCES);
  });

  it('grants alias reads by the lambdaRead capability (and to the Custom::LambdaRollout provider), on the allowed functions only', () => {
    const provider = Object.values(stack.rollout.aliasProvider.functions).map((fn) => logicalId(fn.role!));
    expect(rolesWith('lambda:GetAlias')).toEqual(new Set([...keysWhere('lambdaRead'), ...provider]));
    for (const role of provider) expect(resourcesOf('lambda:GetAlias', role)).toEqual(ALLOWED_RESOURCES);
    for (const role of keysWhere('lambdaRead')) {
      for (const action of ['lambda:GetAlias', 'lambda:GetFunctionConfiguration']) expect(resourcesOf(action, role)).toEqual(ALLOWED_RESOURCES);
    }
    // The release capability and the artifact trigger read $LATEST's configuration: unqualified ARNs only.
    const unqualified = new Set([...keysWhere('release'), serviceRoleOf.ArtifactTrigger]);
    expect(rolesWith('lambda:GetFunctionConfiguration')).toEqual(new Set([...keysWhere('lambdaRead'), ...unqualified]));
    for (const role of unqualified) {
      if (!keysWhere('lambdaRead').has(role)) {
        expect(resourcesOf('lambda:GetFunctionConfiguration', role)).toEqual(ALLOWED_RESOURCES.filter((r) => !r.endsWith(':*')));
      }
    }
  });

  it('grants GetMetricData to CheckHealth and Prepare (the baseline before the rollout) only', () => {
    expect(rolesWith('cloudwatch:GetMetricData')).toEqual(new Set([roleOf.CheckHealthFunctionArn, roleOf.PrepareFunctionArn]));
    expect(rolesWith('cloudwatch:GetMetricData')).toEqual(keysWhere('metrics'));
  });

  it('grants DescribeAlarms on * to Prepare, which checks the watched alarms exist, and CheckHealth, which reads them', () => {
    // Composite alarms are described only to callers allowed DescribeAlarms on *.
    expect(rolesWith('cloudwatch:DescribeAlarms')).toEqual(new Set([roleOf.PrepareFunctionArn, roleOf.CheckHealthFunctionArn]));
    expect(rolesWith('cloudwatch:DescribeAlarms')).toEqual(keysWhere('alarms'));
    for (const role of keysWhere('alarms')) expect(resourcesOf('cloudwatch:DescribeAlarms', role)).toEqual(['*']);
  });

  it('grants sns:Publish (and the key use it needs) by the publish capability, on the topic and its key only', () => {
    expect(rolesWith('sns:Publish')).toEqual(new Set([roleOf.NotifyFunctionArn, serviceRoleOf.Guard, serviceRoleOf.ArtifactTrigger]));
    expect(rolesWith('sns:Publish')).toEqual(keysWhere('publish'));
    for (const role of keysWhere('publish')) {
      expect(resourcesOf('sns:Publish', role)).toEqual([`\${${logicalId(stack.rollout.topic)}}`]);
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) expect(resourcesOf(action, role)).toEqual([`\${${logicalId(stack.rollout.topicKey)}.Arn}`]);
    }
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) expect(rolesWith(action)).toEqual(keysWhere('publish'));
  });

  it('lets each function write only to its own log group, with no AWS managed policy', () => {
    for (const key of KEYS) {
      const group = logicalId(stack.rollout.functions[key].logGroup);
      expect(resourcesOf('logs:PutLogEvents', roleOf[key])).toEqual([`\${${group}.Arn}`]);
    }
    for (const id of SERVICE) {
      const group = logicalId(stack.rollout.serviceFunctions[id].logGroup);
      expect(resourcesOf('logs:PutLogEvents', serviceRoleOf[id])).toEqual([`\${${group}.Arn}`]);
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('outputs', () => {
  it('give the state machine ARN, the topic ARN, the console URL and the smoke-test hook', () => {
    const outputs = Object.values(template.toJSON().Outputs as Record<string, { Value: unknown }>).map((o) => flat(o.Value));
    const sm = logicalId(stack.rollout.stateMachine);
    expect(outputs).toEqual(expect.arrayContaining([
      `\${${logicalId(stack.rollout.smokeTestHook)}}`,
      `\${${sm}}`,
      `\${${logicalId(stack.rollout.topic)}}`,
      `https://\${AWS::Region}.console.aws.amazon.com/states/home?region=\${AWS::Region}#/statemachines/view/\${${sm}}`,
    ]));
  });

  it('are under the stable keys the CLI looks up (STACK_OUTPUTS), not hashed ids', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    expect(flat(outputs[STACK_OUTPUTS.stateMachineArn]?.Value)).toBe(`\${${logicalId(stack.rollout.stateMachine)}}`);
    expect(flat(outputs[STACK_OUTPUTS.registryTableName]?.Value)).toBe(`\${${logicalId(stack.rollout.registry.table)}}`);
  });
});
