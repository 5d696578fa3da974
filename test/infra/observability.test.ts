/**
 * What an operator watches: the service's alarms (each to the rollout topic, which CloudWatch may
 * use) and the dashboard's widgets, from the synthesized template.
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENDING_METRICS } from '../../functions/core/service-metrics.js';
import { deadLetterQueueAlarm } from '../../infra/alarms.js';
import { functionSearchTerms, versionSearch } from '../../infra/dashboard.js';
import type { RolloutStack } from '../../infra/rollout-stack.js';
import { buildStack, flat, logicalId, testApp } from './support.js';

const PAYMENTS = 'arn:aws:lambda:eu-west-1:123456789012:function:payments';
const SERVICE_WIDE = [{ Name: 'service', Value: 'lambda-rollout' }];

let stack: RolloutStack;
let template: Template;
let ids: Record<'sm' | 'topic' | 'guard' | 'stage' | 'deadLetters', string>;

interface Widget {
  type: string;
  width: number;
  properties: { title: string; metrics?: unknown[][]; alarms?: string[] };
}

beforeAll(() => {
  ({ stack } = buildStack({ allowedFunctions: ['orders-*', PAYMENTS] }));
  // A dead-letter queue of the stack's own, watched after the construct (and its dashboard) was built.
  stack.rollout.alarms.watchDeadLetterQueue('OrdersDeadLetters', new Queue(stack, 'OrdersDeadLetters'), 'the orders consumer');
  template = Template.fromStack(stack);
  const r = stack.rollout;
  ids = {
    sm: logicalId(r.stateMachine),
    topic: logicalId(r.topic),
    guard: logicalId(r.serviceFunctions.Guard),
    stage: logicalId(r.api.api.deploymentStage),
    deadLetters: logicalId(r.guard.deadLetters),
  };
});

const alarm = (alarmId: string) => {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp(`-${alarmId}$`) } }));
  expect(found).toHaveLength(1);
  return found[0]!.Properties as Record<string, unknown>;
};
/** Fires at 1 or more in one period, stays quiet without data, and notifies the rollout topic. */
const AT_LEAST_ONCE = {
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  EvaluationPeriods: 1,
  TreatMissingData: 'notBreaching',
};

describe('alarms', () => {
  it('RollbackFailed watches the service-wide RollbackFailed count, never the failed executions a correct rollback also makes', () => {
    expect(alarm('RollbackFailed')).toMatchObject({
      Namespace: 'LambdaRollout',
      MetricName: 'RollbackFailed',
      Dimensions: SERVICE_WIDE,
      Statistic: 'Sum',
      Period: 60,
      ...AT_LEAST_ONCE,
      AlarmActions: [{ Ref: ids.topic }],
    });
    const watched = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.MetricName);
    expect(watched).not.toContain('ExecutionsFailed');
  });

  it("guard failures: the guard function's errors", () => {
    expect(alarm('GuardErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.guard } }],
      Statistic: 'Sum',
      Period: 300,
      ...AT_LEAST_ONCE,
      AlarmActions: [{ Ref: ids.topic }],
    });
  });

  it("the API's server errors on its stage", () => {
    expect(alarm('ApiServerErrors')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: expect.arrayContaining([{ Name: 'Stage', Value: { Ref: ids.stage } }]),
      Statistic: 'Sum',
      Period: 300,
      ...AT_LEAST_ONCE,
      AlarmActions: [{ Ref: ids.topic }],
    });
  });

  it('a watched dead-letter queue: anything visible in it, to the rollout topic', () => {
    expect(alarm('GuardDeadLetters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.deadLetters, 'QueueName'] } }],
      Statistic: 'Maximum',
      ...AT_LEAST_ONCE,
      AlarmActions: [{ Ref: ids.topic }],
    });
    expect(String(alarm('GuardDeadLetters').AlarmDescription)).toContain('the guard');
    expect(String(alarm('ArtifactTriggerDeadLetters').AlarmDescription)).toContain('the artifact trigger');
    expect(String(alarm('OrdersDeadLetters').AlarmDescription)).toContain('the orders consumer');
  });

  it('the dead-letter queue alarm stands on its own, for any queue', () => {
    const queueStack = new Stack(testApp(), 'QueueStack');
    const queue = new Queue(queueStack, 'Dlq');
    deadLetterQueueAlarm(queueStack, 'DlqAlarm', queue, { deliveriesTo: 'the artifact trigger' });
    Template.fromStack(queueStack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Period: 300,
      Statistic: 'Maximum',
      ...AT_LEAST_ONCE,
      AlarmDescription: Match.stringLikeRegexp('the artifact trigger'),
    });
  });

  it('are named under one prefix, and CloudWatch may publish to the topic and use its key for those alarms only', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => String(a.Properties.AlarmName));
    expect(names).toHaveLength(6);
    const prefix = names[0]!.slice(0, names[0]!.lastIndexOf('-'));
    for (const name of names) expect(name.startsWith(`${prefix}-`)).toBe(true);
    const conditions = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${prefix}-*` },
    };
    const statements = (type: string) =>
      Object.values(template.findResources(type)).flatMap((r) => ((r.Properties.PolicyDocument ?? r.Properties.KeyPolicy) as { Statement: Record<string, unknown>[] }).Statement);
    const byCloudWatch = (type: string) =>
      statements(type)
        .filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }))
        .map((s) => ({ ...s, Condition: JSON.parse(JSON.stringify(s.Condition, (_, v) => (v && typeof v === 'object' && 'Fn::Join' in v ? flat(v) : v))) }));
    expect(byCloudWatch('AWS::SNS::TopicPolicy')).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: ids.topic }, Condition: conditions }),
    ]);
    expect(byCloudWatch('AWS::KMS::Key')).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: conditions }),
    ]);
  });
});

describe('dashboard', () => {
  let widgets: Widget[];
  beforeAll(() => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    widgets = (JSON.parse(flat(dashboard!.Properties.DashboardBody)) as { widgets: Widget[] }).widgets;
  });
  const widget = (title: string) => {
    const found = widgets.find((w) => w.properties.title.startsWith(title));
    expect(found, title).toBeDefined();
    return found!;
  };
  /** Each metric of a widget as `Namespace MetricName dims...` or its expression. */
  const metricsOf = (title: string) =>
    (widget(title).properties.metrics ?? []).map((m) => {
      const last = m.at(-1);
      if (m.length === 1 && typeof last === 'object' && last !== null && 'expression' in last) return (last as { expression: string }).expression;
      return m.filter((part) => typeof part === 'string').join(' ');
    });

  it('draws, top to bottom: outcomes, running rollouts, the allowed functions by version, the service itself, its alarms', () => {
    expect(widgets.map((w) => w.properties.title)).toEqual([
      'Rollouts by outcome (per hour, all functions)',
      'Rollouts, last 7 days',
      "Running now: the target's weight (%) by function",
      'Rollbacks: seconds from first traffic to the alias whole again, and requests the targets failed',
      'Error rate (%) by executed version',
      'p99 latency (ms) by executed version',
      'Throttles by executed version',
      'Invocations by executed version',
      "The service's own errors (its functions)",
      'Workflow: failed executions, and which were rollbacks',
      'Rollout API',
      'Alarms',
    ]);
  });

  it('separates the outcomes, from the service\'s own counts: a rollback is not a failure', () => {
    const expected = ['RolloutsStarted', ...Object.values(ENDING_METRICS)].map((name) => `LambdaRollout ${name} service lambda-rollout`);
    expect(metricsOf('Rollouts by outcome')).toEqual(expected);
    expect(metricsOf('Rollouts, last 7 days')).toEqual(expected);
  });

  it('shows each running rollout at its weight, and how fast rollbacks caught their targets', () => {
    expect(metricsOf('Running now')).toEqual([`SEARCH('{LambdaRollout,service,FunctionName} MetricName="TargetWeightPercent"', 'Maximum', 300)`]);
    expect(metricsOf('Rollbacks:')).toEqual([
      'LambdaRollout DetectionSeconds service lambda-rollout',
      'LambdaRollout DetectionSeconds service lambda-rollout',
      'LambdaRollout FailedTargetRequests service lambda-rollout',
    ]);
  });

  it.each([
    ['Error rate', `100 * SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="Errors" (FunctionName=orders OR FunctionName="payments")', 'Average', 60)`],
    ['p99 latency', `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="Duration" (FunctionName=orders OR FunctionName="payments")', 'p99', 60)`],
    ['Throttles', `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="Throttles" (FunctionName=orders OR FunctionName="payments")', 'Sum', 60)`],
    ['Invocations', `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="Invocations" (FunctionName=orders OR FunctionName="payments")', 'Sum', 60)`],
  ])('graphs the allowed functions\' %s by executed version with SEARCH', (title, expression) => {
    expect(metricsOf(title)).toEqual([expression]);
  });

  it("shows the service's own errors: every one of its functions", () => {
    const fns = [...Object.values(stack.rollout.functions), ...Object.values(stack.rollout.serviceFunctions)];
    expect(metricsOf("The service's own errors")).toEqual(fns.map((fn) => `AWS/Lambda Errors FunctionName \${${logicalId(fn)}}`));
  });

  it("sets this state machine's failed executions against the rollbacks and failures the service counted", () => {
    expect(metricsOf('Workflow:')).toEqual([
      `AWS/States ExecutionsFailed StateMachineArn \${${ids.sm}}`,
      'LambdaRollout RolloutsRolledBack service lambda-rollout',
      'LambdaRollout RolloutsFailed service lambda-rollout',
      'LambdaRollout RollbackFailed service lambda-rollout',
    ]);
  });

  it("shows the API's 5XX on its stage", () => {
    expect(metricsOf('Rollout API')[0]).toMatch(new RegExp(`^AWS/ApiGateway 5XXError ApiName .+ Stage \\$\\{${ids.stage}\\}$`));
  });

  it('shows the state of every alarm, a dead-letter queue watched after it was built included', () => {
    const arns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) => `\${${id}.Arn}`);
    expect([...widget('Alarms').properties.alarms!].sort()).toEqual(arns.sort());
  });
});

describe('dashboard searches', () => {
  it.each([
    [['payments'], '(FunctionName="payments")'],
    [['orders-*', 'payments'], '(FunctionName=orders OR FunctionName="payments")'],
    [['*-api-v2'], '(FunctionName=api)'],
    [['arn:aws:lambda:eu-west-1:123456789012:function:billing'], '(FunctionName="billing")'],
  ])('searches %j as %s', (entries, terms) => {
    expect(functionSearchTerms(entries)).toBe(terms);
  });

  it('builds a SEARCH per metric and statistic', () => {
    expect(versionSearch('Errors', ['payments'])).toBe(`SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="Errors" (FunctionName="payments")', 'Sum', 60)`);
    expect(versionSearch('Duration', ['payments'], 'p99')).toBe(`SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="Duration" (FunctionName="payments")', 'p99', 60)`);
  });
});
