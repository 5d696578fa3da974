/**
 * examples/sam/template.yaml, as CloudFormation and the provider would take it: it parses with the
 * short-form tags, imports the export the service stack really creates, keeps SAM from moving the
 * live alias, and its Custom::LambdaRollout properties are ones the provider accepts, with the
 * attributes the template reads (`Fn::GetAtt`) among those the provider returns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAliasResource } from '../../functions/core/alias-resource.js';
import { makeAliasResource } from '../../functions/tasks/alias-resource.js';
import { REPO_ROOT } from './support.js';
import { SimWorkflow } from '../../sim/workflow.js';
import { SimWorld } from '../../sim/world.js';
import { parseCloudFormationYaml } from '../support/cloudformation-yaml.js';
import { buildStack } from './support.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
let template: { Transform?: unknown; Resources: Record<string, Resource>; Outputs?: Record<string, { Value: unknown }> };

beforeAll(() => {
  template = parseCloudFormationYaml(readFileSync(join(REPO_ROOT, 'examples/sam/template.yaml'), 'utf8')) as typeof template;
});

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const live = () => ofType('Custom::LambdaRollout')[0] as [string, Resource];
const fn = () => ofType('AWS::Serverless::Function')[0] as [string, Resource];

/** Every `Fn::GetAtt` of the template, as [resource, attribute]. */
function getAtts(node: unknown): [string, string][] {
  if (Array.isArray(node)) return node.flatMap(getAtts);
  if (typeof node !== 'object' || node === null) return [];
  const here = (node as Record<string, unknown>)['Fn::GetAtt'];
  return [...(Array.isArray(here) ? [here as [string, string]] : []), ...Object.values(node).flatMap(getAtts)];
}

/**
 * The properties with the intrinsics CloudFormation would resolve: the function's name for its Ref,
 * SAM's published version ARN for `<function>.Version`, the alarm's name (its logical id here).
 */
function resolved(node: unknown, version: string): unknown {
  if (Array.isArray(node)) return node.map((item) => resolved(item, version));
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  if (typeof record.Ref === 'string') {
    const [name, property] = record.Ref.split('.');
    const target = template.Resources[name as string];
    if (property === 'Version') return `arn:aws:lambda:us-east-1:123456789012:function:${String(target?.Properties.FunctionName)}:${version}`;
    return target?.Type === 'AWS::Serverless::Function' ? target.Properties.FunctionName : name;
  }
  if (record['Fn::ImportValue'] !== undefined) return 'arn:aws:lambda:us-east-1:123456789012:function:provider';
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, resolved(value, version)]));
}

describe('examples/sam/template.yaml', () => {
  it('is a SAM template with one Custom::LambdaRollout', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(ofType('Custom::LambdaRollout')).toHaveLength(1);
  });

  it('imports the service token under the name the service stack really exports it', () => {
    const { stack } = buildStack({ allowedFunctions: ['orders-*'] });
    const exported = Object.values(Template.fromStack(stack).toJSON().Outputs as Record<string, { Export?: { Name: string } }>).map((o) => o.Export?.Name);
    const [, resource] = live();
    expect(resource.Properties.ServiceToken).toEqual({ 'Fn::ImportValue': expect.any(String) });
    expect(exported).toContain((resource.Properties.ServiceToken as { 'Fn::ImportValue': string })['Fn::ImportValue']);
  });

  it('lets SAM publish versions without moving the live alias: another AutoPublishAlias, no DeploymentPreference, no Events', () => {
    const [fnId, fnResource] = fn();
    const [, resource] = live();
    expect(fnResource.Properties.AutoPublishAlias).toEqual(expect.any(String));
    expect(fnResource.Properties.AutoPublishAlias).not.toBe(resource.Properties.AliasName);
    expect(fnResource.Properties.DeploymentPreference).toBeUndefined();
    expect(fnResource.Properties.Events).toBeUndefined();
    expect(resource.Properties.FunctionName).toEqual({ Ref: fnId });
    expect(resource.Properties.Version).toEqual({ Ref: `${fnId}.Version` });
  });

  it('has properties the provider accepts, as CloudFormation sends them', () => {
    const [, resource] = live();
    const props = parseAliasResource(resolved(resource.Properties, '7'), { waitSeconds: 7140 });
    expect(props).toMatchObject({ functionName: 'orders-api', alias: 'live', version: '7', wait: true });
    expect(props.rollout.input.health.alarms.names).toEqual(['OrdersErrorsAlarm']);
  });

  it('reads only attributes the provider returns, and sends event sources to the live alias', async () => {
    const [liveId, resource] = live();
    const world = new SimWorld({ functionName: 'orders-api', rate: 10, baseline: { errorRate: 0, p50Ms: 10, p99Ms: 50 }, target: { errorRate: 0, p50Ms: 10, p99Ms: 50 } });
    const provider = makeAliasResource(
      { lambda: world.lambda, registry: world.registry, workflow: new SimWorkflow(world), clock: { now: () => world.now() } },
      { allowedFunctions: ['orders-*'], waitSeconds: 7140 },
    );
    const event = {
      RequestType: 'Create' as const,
      RequestId: '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5',
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/1f2e',
      LogicalResourceId: liveId,
      ResourceProperties: resolved(resource.Properties, world.baselineVersion) as Record<string, unknown>,
    };
    const answer = await provider.isComplete({ ...event, ...(await provider.onEvent(event)) });
    expect(answer.IsComplete).toBe(true);
    const read = getAtts(template).filter(([id]) => id === liveId).map(([, attribute]) => attribute);
    expect(read.length).toBeGreaterThan(0);
    for (const attribute of read) expect(Object.keys(answer.Data ?? {})).toContain(attribute);
    const mapping = ofType('AWS::Lambda::EventSourceMapping')[0]?.[1];
    expect(mapping?.Properties.FunctionName).toEqual({ 'Fn::GetAtt': [liveId, 'AliasArn'] });
    expect(answer.Data?.AliasArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:orders-api:live');
  });
});
