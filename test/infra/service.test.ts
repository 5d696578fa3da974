/**
 * The service around the workflow: the rollout API, the artifacts bucket and its rule, the execution
 * guard's rule, the registry table, and the permissions and settings of their functions. (The
 * dashboard and the alarms: observability.test.ts.)
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, REGISTRY_TABLE, TASK_FUNCTIONS, type TaskFunctionKey } from '../../functions/names.js';
import { TASK_PERMISSIONS } from '../../infra/functions.js';
import { SERVICE_FUNCTIONS, type ServiceFunctionId } from '../../infra/lambda-rollout.js';
import { REGISTRY_ITEM_ACTIONS } from '../../infra/registry-table.js';
import type { RolloutStack } from '../../infra/rollout-stack.js';
import { buildStack, type FlatStatement, flat, iamStatements, logicalId } from './support.js';

const PAYMENTS = 'arn:aws:lambda:eu-west-1:123456789012:function:payments';
const ORDERS = 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-*';
const KEYS = Object.keys(TASK_FUNCTIONS) as TaskFunctionKey[];
const SERVICE = Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionId[];

let stack: RolloutStack;
let template: Template;
let resources: Record<string, Resource>;
let statements: FlatStatement[];
const ids = {} as Record<'sm' | 'bucket' | 'logsBucket' | 'table' | 'topic' | 'api' | ServiceFunctionId, string>;
const roles = {} as Record<ServiceFunctionId, string>;

beforeAll(() => {
  ({ stack } = buildStack({ allowedFunctions: ['orders-*', PAYMENTS] }));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  statements = iamStatements(template);
  const r = stack.rollout;
  Object.assign(ids, {
    sm: logicalId(r.stateMachine),
    bucket: logicalId(r.artifacts.bucket),
    logsBucket: logicalId(r.artifacts.accessLogs),
    table: logicalId(r.registry.table),
    topic: logicalId(r.topic),
    api: logicalId(r.api.api),
  });
  for (const id of SERVICE) {
    ids[id] = logicalId(r.serviceFunctions[id]);
    roles[id] = logicalId(r.serviceFunctions[id].role!);
  }
});

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);
/** The only element of a list; fails the test otherwise. */
function only<T>(list: readonly T[]): T {
  expect(list).toHaveLength(1);
  return list[0]!;
}
const actionsOf = (role: string) => new Set(statements.filter((s) => s.roles.includes(role)).flatMap((s) => s.actions));
const resourcesOf = (action: string, role: string) =>
  [...new Set(statements.filter((s) => s.actions.includes(action) && s.roles.includes(role)).flatMap((s) => s.resources))].sort();
const envOf = (logical: string) => resources[logical]!.Properties.Environment.Variables as Record<string, unknown>;
const executions = () => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:\${${ids.sm}.Name}:*`;

describe('rollout API', () => {
  it('has the routes, every method with AWS_IAM authorization and none without', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    expect(methods).toHaveLength(10);
    for (const [, m] of methods) expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
    const routes = methods.map(([, m]) => {
      const path = Object.entries(resources).find(([id]) => id === m.Properties.ResourceId.Ref)?.[1]?.Properties;
      return `${m.Properties.HttpMethod} ${path?.PathPart}`;
    });
    expect(routes.sort()).toEqual(
      ['GET rollouts', 'GET {id}', 'POST abort', 'POST approve', 'POST pause', 'POST promote', 'POST reject', 'POST resume', 'POST retry', 'POST rollouts'].sort(),
    );
  });

  it('proxies every method to the API function', () => {
    for (const [, m] of ofType('AWS::ApiGateway::Method')) {
      expect(m.Properties.Integration.Type).toBe('AWS_PROXY');
      expect(flat(m.Properties.Integration.Uri)).toContain(`/functions/\${${ids.Api}.Arn}/invocations`);
    }
  });

  it('validates the POST /rollouts body against the RolloutRequest model, and the other methods\' parameters', () => {
    const [bodyId] = only(ofType('AWS::ApiGateway::RequestValidator').filter(([, v]) => v.Properties.ValidateRequestBody === true));
    const [paramsId] = only(ofType('AWS::ApiGateway::RequestValidator').filter(([, v]) => v.Properties.ValidateRequestBody === false));
    expect(resources[bodyId]!.Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    expect(resources[paramsId]!.Properties).toMatchObject({ ValidateRequestParameters: true });
    const [modelId, model] = only(ofType('AWS::ApiGateway::Model'));
    expect(model.Properties).toMatchObject({ ContentType: 'application/json', Name: 'RolloutRequest', Schema: { type: 'object' } });
    expect(model.Properties.Schema.anyOf).toEqual([{ required: ['functionName', 'alias'] }, { required: ['function-name', 'alias-name'] }]);

    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: { Ref: bodyId },
      RequestModels: { 'application/json': { Ref: modelId } },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestValidatorId: { Ref: paramsId },
      RequestParameters: {
        'method.request.querystring.functionName': false,
        'method.request.querystring.alias': false,
        'method.request.querystring.status': false,
        'method.request.querystring.limit': false,
        'method.request.querystring.nextToken': false,
      },
    });
    for (const [, m] of ofType('AWS::ApiGateway::Method')) expect(m.Properties.RequestValidatorId).toBeDefined();
  });

  it('logs access as JSON, traces with X-Ray and throttles the stage', () => {
    const [, stage] = only(ofType('AWS::ApiGateway::Stage'));
    expect(stage.Properties.TracingEnabled).toBe(true);
    expect(flat(stage.Properties.AccessLogSetting.DestinationArn)).toContain(`\${${logicalId(stack.rollout.api.accessLogs)}}`);
    expect(JSON.parse(stage.Properties.AccessLogSetting.Format)).toMatchObject({ requestId: '$context.requestId', caller: '$context.identity.caller', status: '$context.status' });
    expect(stage.Properties.MethodSettings).toEqual([
      expect.objectContaining({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
    ]);
  });

  it('lets the API function start executions of this state machine and stop, describe and read the history of its executions', () => {
    expect(resourcesOf('states:StartExecution', roles.Api)).toEqual([`\${${ids.sm}}`]);
    for (const action of ['states:StopExecution', 'states:DescribeExecution', 'states:GetExecutionHistory']) {
      expect(resourcesOf(action, roles.Api)).toEqual([executions()]);
    }
    expect(envOf(ids.Api)).toMatchObject({ [ENV.stateMachineArn]: { Ref: ids.sm }, [ENV.tableName]: { Ref: ids.table } });
    expect([...actionsOf(roles.Api)].filter((a) => a.startsWith('lambda:'))).toEqual([]);
  });
});

describe('the allow-list', () => {
  it('reaches every entry point that refuses a function outside it before anything changes: the API, Prepare, Release and the artifact trigger', () => {
    const list = `orders-*,${PAYMENTS}`;
    const fns = stack.rollout.functions;
    for (const logical of [ids.Api, ids.ArtifactTrigger, logicalId(fns.PrepareFunctionArn), logicalId(fns.ReleaseFunctionArn)]) {
      expect(envOf(logical)[ENV.allowedFunctions], logical).toBe(list);
    }
    for (const key of ['ShiftWeightFunctionArn', 'CheckHealthFunctionArn', 'NotifyFunctionArn'] as const) {
      expect(envOf(logicalId(fns[key]))[ENV.allowedFunctions], key).toBeUndefined();
    }
  });
});

describe('artifacts bucket', () => {
  it('is versioned, encrypted, TLS-only, closed to the public, with EventBridge notifications and access logs', () => {
    const bucket = resources[ids.bucket]!;
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LoggingConfiguration: { DestinationBucketName: { Ref: ids.logsBucket } },
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    // EventBridge is enabled on the bucket itself, not through the notifications custom resource.
    expect(ofType('Custom::S3BucketNotifications')).toEqual([]);
  });

  it('logs to a TLS-only, encrypted, private bucket that expires logs after a year', () => {
    expect(resources[ids.logsBucket]!.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365, Status: 'Enabled' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.logsBucket },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('sends S3 Object Created events for this bucket under the key prefix to the artifact trigger, exactly', () => {
    const [, rule] = only(ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern.source[0] === 'aws.s3'));
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: ids.bucket }] }, object: { key: [{ prefix: 'releases/' }] } },
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [ids.ArtifactTrigger, 'Arn'] } })]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [ids.ArtifactTrigger, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('gives the trigger its settings and exactly the reads, start and publish it needs', () => {
    expect(envOf(ids.ArtifactTrigger)).toMatchObject({
      [ENV.stateMachineArn]: { Ref: ids.sm },
      [ENV.artifactsBucket]: { Ref: ids.bucket },
      [ENV.artifactsPrefix]: 'releases/',
      [ENV.allowedFunctions]: `orders-*,${PAYMENTS}`,
      [ENV.topicArn]: { Ref: ids.topic },
    });
    expect(resourcesOf('states:StartExecution', roles.ArtifactTrigger)).toEqual([`\${${ids.sm}}`]);
    for (const action of ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging']) {
      expect(resourcesOf(action, roles.ArtifactTrigger)).toEqual([`\${${ids.bucket}.Arn}/releases/*`]);
    }
    expect(resourcesOf('lambda:GetFunctionConfiguration', roles.ArtifactTrigger)).toEqual([ORDERS, PAYMENTS].sort());
    expect([...actionsOf(roles.ArtifactTrigger)].filter((a) => /^(lambda|dynamodb|events):/.test(a))).toEqual(['lambda:GetFunctionConfiguration']);
  });

  it('follows a custom key prefix everywhere', () => {
    const { stack: other } = buildStack({ allowedFunctions: ['orders-*'], artifactKeyPrefix: 'ci/out/' });
    const t = Template.fromStack(other);
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.s3'], detail: { object: { key: [{ prefix: 'ci/out/' }] } } } });
    const trigger = logicalId(other.rollout.serviceFunctions.ArtifactTrigger);
    expect(t.toJSON().Resources[trigger].Properties.Environment.Variables[ENV.artifactsPrefix]).toBe('ci/out/');
    const role = logicalId(other.rollout.serviceFunctions.ArtifactTrigger.role!);
    const reads = iamStatements(t).filter((s) => s.roles.includes(role) && s.actions.includes('s3:GetObjectVersion')).flatMap((s) => s.resources);
    expect(reads).toEqual([`\${${logicalId(other.rollout.artifacts.bucket)}.Arn}/ci/out/*`]);
  });
});

describe('asynchronous paths keep what they cannot do, in dead-letter queues', () => {
  it.each([
    ['the guard', 'aws.states', () => stack.rollout.guard.deadLetters, 'Guard'],
    ['the artifact trigger', 'aws.s3', () => stack.rollout.artifacts.deadLetters, 'ArtifactTrigger'],
  ] as const)('%s: delivery retried for a day, the function retried twice, then an encrypted queue keeps the event 14 days', (_, source, queueOf, fn) => {
    const queue = logicalId(queueOf());
    const [, rule] = only(ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern.source[0] === source));
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [ids[fn], 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      }),
    ]);
    expect(resources[queue]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const [, invokeConfig] = only(ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName.Ref === ids[fn]));
    expect(invokeConfig.Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    // EventBridge may send to the queue for this rule only, over TLS; the function's role may send its failures.
    const policies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) => p.Properties.Queues.some((q: { Ref: string }) => q.Ref === queue));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': expect.anything() } } }));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(resourcesOf('sqs:SendMessage', roles[fn])).toEqual([`\${${queue}.Arn}`]);
  });
});

describe('execution guard', () => {
  it('receives this state machine\'s ABORTED, TIMED_OUT and FAILED status changes, exactly', () => {
    const [, rule] = only(ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern.source[0] === 'aws.states'));
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: ids.sm }], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [ids.Guard, 'Arn'] } })]);
  });

  it('may restore aliases, use the registry, notify, put events and read its executions', () => {
    const actions = actionsOf(roles.Guard);
    for (const a of ['lambda:GetAlias', 'lambda:UpdateAlias', 'sns:Publish', 'events:PutEvents', 'dynamodb:UpdateItem', 'states:GetExecutionHistory', 'states:DescribeExecution']) {
      expect(actions.has(a), a).toBe(true);
    }
    for (const a of ['states:StartExecution', 'states:StopExecution', 'lambda:UpdateFunctionCode', 'lambda:PublishVersion']) expect(actions.has(a), a).toBe(false);
    expect(resourcesOf('states:GetExecutionHistory', roles.Guard)).toEqual([executions()]);
    expect(envOf(ids.Guard)).toMatchObject({ [ENV.stateMachineArn]: { Ref: ids.sm }, [ENV.tableName]: { Ref: ids.table }, [ENV.topicArn]: { Ref: ids.topic } });
  });
});

describe('registry table', () => {
  it('is on-demand, with point-in-time recovery, encryption, deletion protection, retained', () => {
    const table = resources[ids.table]!;
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('has the key schema, indexes and TTL attribute the registry adapter uses', () => {
    const props = resources[ids.table]!.Properties;
    expect(props.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(props.GlobalSecondaryIndexes).toEqual(
      Object.entries(REGISTRY_TABLE.indexes).map(([name, keys]) => ({
        IndexName: name,
        KeySchema: [
          { AttributeName: keys.partitionKey, KeyType: 'HASH' },
          ...('sortKey' in keys ? [{ AttributeName: keys.sortKey, KeyType: 'RANGE' }] : []),
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    for (const d of props.AttributeDefinitions as { AttributeType: string }[]) expect(d.AttributeType).toBe('S');
  });

  it('is granted by the registry capability only: item actions on the table, Query on each index by name', () => {
    const withRegistry = new Set([
      ...KEYS.filter((k) => TASK_PERMISSIONS[k].registry).map((k) => logicalId(stack.rollout.functions[k].role!)),
      ...SERVICE.filter((k) => SERVICE_FUNCTIONS[k].can.registry).map((k) => roles[k]),
      // The Custom::LambdaRollout provider takes locks and reads rollout records, as the API does.
      ...Object.values(stack.rollout.aliasProvider.functions).map((fn) => logicalId(fn.role!)),
    ]);
    const dynamoRoles = new Set(statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:'))).flatMap((s) => s.roles));
    expect(dynamoRoles).toEqual(withRegistry);
    for (const role of withRegistry) {
      const dynamo = statements.filter((s) => s.roles.includes(role) && s.actions.some((a) => a.startsWith('dynamodb:')));
      expect(new Set(dynamo.flatMap((s) => s.actions))).toEqual(new Set(REGISTRY_ITEM_ACTIONS));
      expect(resourcesOf('dynamodb:PutItem', role)).toEqual([`\${${ids.table}.Arn}`]);
      expect(resourcesOf('dynamodb:Query', role)).toEqual(
        [`\${${ids.table}.Arn}`, ...Object.keys(REGISTRY_TABLE.indexes).map((n) => `\${${ids.table}.Arn}/index/${n}`)].sort(),
      );
    }
    for (const key of KEYS) {
      expect(envOf(logicalId(stack.rollout.functions[key]))[ENV.tableName]).toEqual(TASK_PERMISSIONS[key].registry ? { Ref: ids.table } : undefined);
    }
  });
});

describe('events capability', () => {
  it('grants events:PutEvents on the default bus to the functions with the events capability only', () => {
    const withEvents = new Set([
      ...KEYS.filter((k) => TASK_PERMISSIONS[k].events).map((k) => logicalId(stack.rollout.functions[k].role!)),
      ...SERVICE.filter((k) => SERVICE_FUNCTIONS[k].can.events).map((k) => roles[k]),
    ]);
    expect(new Set(statements.filter((s) => s.actions.includes('events:PutEvents')).flatMap((s) => s.roles))).toEqual(withEvents);
    for (const role of withEvents) {
      expect(resourcesOf('events:PutEvents', role)).toEqual(['arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default']);
    }
  });
});

describe('no wildcard on code or alias writes', () => {
  it('scopes UpdateAlias, UpdateFunctionCode and PublishVersion to the allowed functions, never *', () => {
    const allowed = new Set([ORDERS, `${ORDERS}:*`, PAYMENTS, `${PAYMENTS}:*`]);
    for (const s of statements.filter((st) => st.actions.some((a) => ['lambda:UpdateAlias', 'lambda:UpdateFunctionCode', 'lambda:PublishVersion'].includes(a)))) {
      expect(s.resources).not.toContain('*');
      for (const r of s.resources) expect(allowed.has(r), r).toBe(true);
    }
  });
});

describe('outputs', () => {
  it('give the API URL, the bucket name, the table name and the dashboard link, once each', () => {
    const outputs = Object.values(template.toJSON().Outputs as Record<string, { Value: unknown }>).map((o) => flat(o.Value));
    expect(outputs).toEqual(expect.arrayContaining([
      `https://\${${ids.api}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/\${${logicalId(stack.rollout.api.api.deploymentStage)}}/`,
      `\${${ids.bucket}}`,
      `\${${ids.table}}`,
      `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards/dashboard/\${${logicalId(stack.rollout.dashboard.dashboard)}}`,
    ]));
    expect(outputs.filter((o) => o.includes('.execute-api.'))).toHaveLength(1);
  });
});
