/**
 * Deploy-time rollouts in CDK: the service stack's Custom::LambdaRollout provider (its functions,
 * framework, IAM scope and exported service token) and the ProgressiveAlias a user's stack declares.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, STACK_OUTPUTS } from '../../functions/names.js';
import { ALIAS_PROVIDER_WAIT, DEFAULT_SERVICE_TOKEN_EXPORT } from '../../infra/alias-provider.js';
import { ProgressiveAlias, type ProgressiveAliasProps } from '../../infra/progressive-alias.js';
import { REGISTRY_ITEM_ACTIONS } from '../../infra/registry-table.js';
import type { RolloutStack } from '../../infra/rollout-stack.js';
import { buildStack, type FlatStatement, iamStatements, logicalId, testApp } from './support.js';

const PAYMENTS = 'arn:aws:lambda:eu-west-1:123456789012:function:payments';
const ORDERS = 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-*';

let service: RolloutStack;
let template: ReturnType<Template['toJSON']>;
let statements: FlatStatement[];

beforeAll(() => {
  ({ stack: service } = buildStack({ allowedFunctions: ['orders-*', PAYMENTS] }));
  template = Template.fromStack(service).toJSON();
  statements = iamStatements(Template.fromStack(service));
});

const providerFunctions = () => Object.values(service.rollout.aliasProvider.functions);

describe('the service stack: the Custom::LambdaRollout provider', () => {
  it('exports the service token under a stable name and output key: the provider framework\'s onEvent function', () => {
    const outputs = Object.values(template.Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>).filter((o) => o.Export?.Name === DEFAULT_SERVICE_TOKEN_EXPORT);
    expect(outputs).toHaveLength(1);
    expect(template.Outputs[STACK_OUTPUTS.serviceToken]).toEqual(outputs[0]);
    expect(outputs[0]?.Value).toEqual(service.resolve(service.rollout.serviceToken));
    const onEvent = service.rollout.aliasProvider.provider.node.findChild('framework-onEvent') as lambda.Function;
    expect(outputs[0]?.Value).toEqual({ 'Fn::GetAtt': [logicalId(onEvent), 'Arn'] });
  });

  it('takes another export name for a second service in the same region, and refuses one CloudFormation would not', () => {
    const { stack } = buildStack({ allowedFunctions: ['orders-*'], serviceTokenExportName: 'staging:lambda-rollout-ServiceToken' });
    const names = Object.values(Template.fromStack(stack).toJSON().Outputs as Record<string, { Export?: { Name: string } }>).map((o) => o.Export?.Name);
    expect(names).toContain('staging:lambda-rollout-ServiceToken');
    expect(() => buildStack({ allowedFunctions: ['orders-*'], serviceTokenExportName: 'lambda rollout' })).toThrow(
      "serviceTokenExportName must be 1-255 letters, digits, ':' or '-'; received 'lambda rollout'",
    );
  });

  it('polls isComplete every 30 s for at most two hours, and logs every waiter step', () => {
    const waiters = Object.values(template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine' && JSON.stringify(r.Properties.DefinitionString).includes('framework-isComplete-task'),
    );
    expect(waiters).toHaveLength(1);
    const definition = JSON.stringify(waiters[0]?.Properties.DefinitionString);
    expect(definition).toContain('\\"IntervalSeconds\\":30,\\"MaxAttempts\\":240,\\"BackoffRate\\":1');
    expect(waiters[0]?.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
  });

  it('tells both functions the allowed functions, the registry, the workflow and how long a request may wait', () => {
    for (const fn of providerFunctions()) {
      const env = template.Resources[logicalId(fn)].Properties.Environment.Variables;
      expect(env).toMatchObject({
        [ENV.allowedFunctions]: `orders-*,${PAYMENTS}`,
        [ENV.deployWaitSeconds]: '7140',
        [ENV.tableName]: { Ref: logicalId(service.rollout.registry.table) },
        [ENV.stateMachineArn]: { Ref: logicalId(service.rollout.stateMachine) },
      });
    }
    expect(ALIAS_PROVIDER_WAIT.toSeconds()).toBe(2 * 3600 - 60);
  });

  it('lets its functions read and create aliases of the allowed functions only, and nothing else of Lambda', () => {
    for (const fn of providerFunctions()) {
      const own = statements.filter((s) => s.roles.includes(logicalId(fn.role!)));
      const lambdaStatements = own.filter((s) => s.actions.some((a) => a.startsWith('lambda:')));
      expect(lambdaStatements.map((s) => s.actions)).toEqual([['lambda:CreateAlias', 'lambda:GetAlias']]);
      expect(lambdaStatements[0]?.resources.sort()).toEqual([ORDERS, `${ORDERS}:*`, PAYMENTS, `${PAYMENTS}:*`].sort());
      const actions = new Set(own.flatMap((s) => s.actions));
      for (const a of actions) {
        expect(a, a).toMatch(/^(lambda:(GetAlias|CreateAlias)|states:(StartExecution|DescribeExecution|StopExecution)|dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem|Query)|logs:(CreateLogStream|PutLogEvents)|xray:(PutTraceSegments|PutTelemetryRecords))$/);
      }
      expect([...actions].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([...REGISTRY_ITEM_ACTIONS].sort());
    }
  });

  it('lets them start, read and stop executions of this state machine only', () => {
    const sm = logicalId(service.rollout.stateMachine);
    for (const fn of providerFunctions()) {
      const own = statements.filter((s) => s.roles.includes(logicalId(fn.role!)));
      expect(own.filter((s) => s.actions.includes('states:StartExecution')).flatMap((s) => s.resources)).toEqual([`\${${sm}}`]);
      expect(own.filter((s) => s.actions.includes('states:StopExecution')).flatMap((s) => s.resources)).toEqual([
        expect.stringMatching(new RegExp(`^arn:\\$\\{AWS::Partition\\}:states:\\$\\{AWS::Region\\}:\\$\\{AWS::AccountId\\}:execution:\\$\\{${sm}.Name\\}:\\*$`)),
      ]);
    }
  });

  it('gives the framework\'s functions roles of their own, without AWS managed policies', () => {
    const roles = ['FrameworkOnEventRole', 'FrameworkWaitRole'].map((id) => template.Resources[logicalId({ node: { defaultChild: service.rollout.aliasProvider.node.findChild(id).node.defaultChild } })]);
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const managed = Object.entries(template.Resources as Record<string, { Type: string; Properties: { ManagedPolicyArns?: unknown } }>)
      .filter(([id, r]) => id.includes('AliasProvider') && r.Type === 'AWS::IAM::Role' && r.Properties.ManagedPolicyArns !== undefined);
    expect(managed).toEqual([]);
  });
});

/** A user's stack with a function and a ProgressiveAlias of its current version. */
function userStack(props: Partial<ProgressiveAliasProps> = {}, app = testApp()) {
  const stack = new Stack(app, 'OrdersApp');
  const fn = new lambda.Function(stack, 'Orders', {
    functionName: 'orders-api',
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
  const errors = new cloudwatch.Alarm(stack, 'Errors', { metric: fn.metricErrors(), threshold: 1, evaluationPeriods: 1 });
  const live = new ProgressiveAlias(stack, 'Live', {
    version: fn.currentVersion,
    aliasName: 'live',
    serviceToken: ProgressiveAlias.importServiceToken(),
    strategy: 'Canary10Percent5Minutes',
    alarms: [errors],
    ...props,
  });
  return { app, stack, fn, errors, live };
}

const customResources = (stack: Stack) =>
  Object.entries(Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(([, r]) => r.Type === 'Custom::LambdaRollout');

describe('ProgressiveAlias in a user\'s stack', () => {
  it('is a Custom::LambdaRollout of the function\'s current version, served by the imported service token', () => {
    const { stack, fn, errors, live } = userStack({ health: { metricDelaySeconds: 180 }, notifications: { attributes: { team: 'orders' } } });
    const [[id, resource] = []] = customResources(stack);
    expect(id).toBe(logicalId(live.resource));
    const props = resource?.Properties as Record<string, unknown>;
    expect(props).toMatchObject({
      ServiceToken: { 'Fn::ImportValue': 'lambda-rollout-ServiceToken' },
      FunctionName: { Ref: logicalId(fn) },
      AliasName: 'live',
      Version: { 'Fn::GetAtt': [expect.stringMatching(/^OrdersCurrentVersion/), 'Version'] },
      Wait: true,
    });
    // The rollout options travel as JSON; the alarm given as IAlarm joins health.alarms.names.
    const json = JSON.stringify(props.Rollout);
    expect(json).toContain('\\"strategy\\":\\"Canary10Percent5Minutes\\"');
    expect(json).toContain('\\"metricDelaySeconds\\":180');
    expect(json).toContain('\\"attributes\\":{\\"team\\":\\"orders\\"}');
    expect(JSON.stringify(stack.resolve(props.Rollout))).toContain(JSON.stringify({ Ref: logicalId(errors) }));
  });

  it('takes alarms added later with addAlarm', () => {
    const { stack, live } = userStack();
    const latency = new cloudwatch.Alarm(stack, 'Latency', { metric: new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'Duration' }), threshold: 1000, evaluationPeriods: 1 });
    live.addAlarm(latency);
    const [[, resource] = []] = customResources(stack);
    expect(JSON.stringify(resource?.Properties.Rollout)).toContain(JSON.stringify({ Ref: logicalId(latency) }));
  });

  it('in the same app, takes the service token from the LambdaRollout construct (a cross-stack export)', () => {
    const app = testApp();
    const { stack: serviceStack } = buildStack({ allowedFunctions: ['orders-*'] }, app);
    const { stack } = userStack({ serviceToken: undefined, rollout: serviceStack.rollout }, app);
    const [[, resource] = []] = customResources(stack);
    // CDK wires the reference itself (an export and its import, or a stack output reference, as its feature flags say).
    const token = JSON.stringify(resource?.Properties.ServiceToken);
    expect(token).toContain('RolloutTest');
    expect(token).toContain('FnGetAttRolloutAliasProviderframeworkonEvent');
  });

  it('hands out an alias that depends on the resource, so event sources come after the alias exists', () => {
    const { stack, live } = userStack();
    new lambda.EventSourceMapping(stack, 'Queue', { target: live.alias, eventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:orders' });
    const mapping = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).find(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping',
    );
    expect(JSON.stringify(mapping?.Properties.FunctionName)).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(live.resource), 'AliasName'] }));
    expect(stack.resolve(live.aliasArn)).toEqual({ 'Fn::GetAtt': [logicalId(live.resource), 'AliasArn'] });
  });

  it.each([
    [{ strategy: 'Canary50Percent' }, /^strategy: "Canary50Percent" is not a preset; .*; received "Canary50Percent"$/],
    [{ strategy: { type: 'canary', percent: 120, bakeSeconds: 300 } }, /^strategy\.percent: the canary weight must be more than 0 and less than 100; received 120$/],
    [{ aliasName: '123' }, /^aliasName: must be 1-128 letters, digits, "-" or "_", not all digits; received "123"$/],
    [
      { strategy: { type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 7200 }] } },
      /^wait: the strategy bakes for at least 7200s, longer than the 7140s CloudFormation may wait for this resource; set Wait to false/,
    ],
  ] as const)('refuses %j at synth, naming the prop and the value received', (props, message) => {
    expect(() => userStack(props as Partial<ProgressiveAliasProps>)).toThrow(message);
  });

  it('accepts a long strategy with wait: false', () => {
    expect(() => userStack({ strategy: { type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 7200 }] }, wait: false })).not.toThrow();
  });

  it('needs exactly one way to reach the service, and a published version', () => {
    expect(() => userStack({ serviceToken: undefined })).toThrow(/ProgressiveAlias needs the lambda-rollout service: give rollout .* or serviceToken/);
    const app = testApp();
    const { stack: serviceStack } = buildStack({ allowedFunctions: ['orders-*'] }, app);
    expect(() => userStack({ rollout: serviceStack.rollout }, app)).toThrow('give either rollout or serviceToken, not both');
    const stack = new Stack(testApp(), 'Latest');
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'i.h', code: lambda.Code.fromInline('x') });
    expect(() => new ProgressiveAlias(stack, 'Live', { version: fn.latestVersion, aliasName: 'live', serviceToken: 'token' })).toThrow(/version must be a published version/);
  });

  it('adds no cdk-nag AwsSolutions finding of its own', () => {
    const { app, stack } = userStack();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch {
      // The bare function of this test app has findings of its own; only the construct's matter here.
    }
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
    };
    const ours = report.pluginReports.flatMap((r) => r.violations.flatMap((v) => v.violatingConstructs.filter((c) => c.constructPath.startsWith(`${stack.stackName}/Live/`)).map((c) => `${v.ruleName} ${c.constructPath}`)));
    expect(ours).toEqual([]);
  });
});
