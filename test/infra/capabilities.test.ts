/**
 * The Release task's role gets exactly what its TASK_PERMISSIONS flags (release, registry) ask for, and
 * checkCapabilities refuses flags infra cannot grant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TABLE } from '../../functions/names.js';
import { checkCapabilities, TASK_PERMISSIONS } from '../../infra/functions.js';
import { REGISTRY_ITEM_ACTIONS } from '../../infra/registry-table.js';
import type { RolloutStack } from '../../infra/rollout-stack.js';
import { buildStack, type FlatStatement, iamStatements, logicalId, testApp } from './support.js';

const PAYMENTS = 'arn:aws:lambda:eu-west-1:123456789012:function:payments';
const ORDERS = 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-*';

let stack: RolloutStack;
let statements: FlatStatement[];
let release: string;
let report: { pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[] };

beforeAll(() => {
  const app = testApp();
  ({ stack } = buildStack({ allowedFunctions: ['orders-*', PAYMENTS] }, app));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  statements = iamStatements(Template.fromStack(stack));
  app.synth();
  report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
  release = logicalId(stack.rollout.functions.ReleaseFunctionArn.role!);
});

const of = (role: string) => statements.filter((s) => s.roles.includes(role));

describe('the Release task', () => {
  it('asks for the release and registry capabilities, and no other', () => {
    expect(Object.entries(TASK_PERMISSIONS.ReleaseFunctionArn).filter(([, on]) => on).map(([flag]) => flag).sort()).toEqual(['registry', 'release']);
  });

  it('may update code, publish and list versions and read configuration of the allowed functions, unqualified only', () => {
    for (const action of ['lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'lambda:GetFunctionConfiguration', 'lambda:ListVersionsByFunction']) {
      expect(of(release).filter((s) => s.actions.includes(action)).flatMap((s) => s.resources).sort()).toEqual([ORDERS, PAYMENTS].sort());
    }
  });

  it('may read artifact objects, their versions and tags under the key prefix', () => {
    const bucket = logicalId(stack.rollout.artifacts.bucket);
    for (const action of ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging']) {
      expect(of(release).filter((s) => s.actions.includes(action)).flatMap((s) => s.resources)).toEqual([`\${${bucket}.Arn}/releases/*`]);
    }
  });

  it('may read and write registry items on the table and Query each index by name', () => {
    const table = `\${${logicalId(stack.rollout.registry.table)}.Arn}`;
    for (const action of REGISTRY_ITEM_ACTIONS.filter((a) => a !== 'dynamodb:Query')) {
      expect(of(release).filter((s) => s.actions.includes(action)).flatMap((s) => s.resources), action).toEqual([table]);
    }
    expect(of(release).filter((s) => s.actions.includes('dynamodb:Query')).flatMap((s) => s.resources).sort()).toEqual(
      [table, ...Object.keys(REGISTRY_TABLE.indexes).map((n) => `${table}/index/${n}`)].sort(),
    );
  });

  it('gets nothing else: no alias writes, events, topic, metrics or invoke', () => {
    const actions = new Set(of(release).flatMap((s) => s.actions));
    expect(actions.size).toBeGreaterThan(0);
    for (const a of actions) {
      expect(a, a).toMatch(/^(lambda:(UpdateFunctionCode|PublishVersion|GetFunctionConfiguration|ListVersionsByFunction)|s3:GetObject(Version)?(Tagging)?|dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem|Query)|logs:(CreateLogStream|PutLogEvents)|xray:(PutTraceSegments|PutTelemetryRecords))$/);
    }
    expect([...actions].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([...REGISTRY_ITEM_ACTIONS].sort());
  });

  it('is wired into the state machine and may be invoked by it', () => {
    const sm = Template.fromStack(stack).toJSON().Resources[logicalId(stack.rollout.stateMachine)].Properties;
    expect(Object.keys(sm.DefinitionSubstitutions)).toContain('ReleaseFunctionArn');
  });

  it('passes cdk-nag AwsSolutions with the existing acknowledgements', () => {
    expect(report.pluginReports.flatMap((r) => r.violations.map((v) => `${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join()}`))).toEqual([]);
  });
});

describe('checkCapabilities', () => {
  it('reads known flags, missing ones as false', () => {
    expect(checkCapabilities('X', { release: true })).toEqual({
      lambdaRead: false, lambdaWrite: false, metrics: false, alarms: false, invoke: false, publish: false, registry: false, events: false, release: true,
      concurrency: false, eventSources: false, hooks: false,
    });
  });

  it('fails synth for a flag infra cannot grant, rather than leave the function without it', () => {
    expect(() => checkCapabilities('ProbeFunctionArn', { lambdaRead: true, teleport: true })).toThrow(
      /ProbeFunctionArn asks for capability teleport, which infra\/functions.ts does not know how to grant; known capabilities: lambdaRead, .*release, concurrency, eventSources, hooks/,
    );
    expect(() => checkCapabilities('X', { teleport: false })).not.toThrow();
  });
});
