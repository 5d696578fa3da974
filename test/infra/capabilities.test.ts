/**
 * Grants follow the capability flags of TASK_PERMISSIONS, including for entries added later: here a
 * release task (the `release` flag) is added to the task list, as the workflow's owner will add it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { checkCapabilities } from '../../infra/functions.js';
import type { RolloutStack } from '../../infra/rollout-stack.js';
import { buildStack, type FlatStatement, iamStatements, logicalId, testApp } from './support.js';

vi.mock('../../functions/task-functions.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/task-functions.js')>();
  return {
    ...original,
    TASK_FUNCTIONS: {
      ...original.TASK_FUNCTIONS,
      ReleaseFunctionArn: { id: 'Release', entry: 'functions/handlers/release.ts', description: 'lambda-rollout: deploy an artifact and publish its version' },
    },
    TASK_PERMISSIONS: {
      ...original.TASK_PERMISSIONS,
      ReleaseFunctionArn: { lambdaRead: false, lambdaWrite: false, metrics: false, invoke: false, publish: false, registry: false, events: false, release: true },
    },
  };
});

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
  release = logicalId((stack.rollout.functions as Record<string, { role?: unknown }>).ReleaseFunctionArn!.role as never);
});

const of = (role: string) => statements.filter((s) => s.roles.includes(role));

describe('an added task entry with the release capability', () => {
  it('may update code, publish versions and read configuration of the allowed functions, unqualified only', () => {
    for (const action of ['lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'lambda:GetFunctionConfiguration']) {
      expect(of(release).filter((s) => s.actions.includes(action)).flatMap((s) => s.resources).sort()).toEqual([ORDERS, PAYMENTS].sort());
    }
  });

  it('may read artifact objects, their versions and tags under the key prefix', () => {
    const bucket = logicalId(stack.rollout.artifacts.bucket);
    for (const action of ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging']) {
      expect(of(release).filter((s) => s.actions.includes(action)).flatMap((s) => s.resources)).toEqual([`\${${bucket}.Arn}/releases/*`]);
    }
  });

  it('gets nothing else: no alias writes, registry, events, topic or metrics', () => {
    const actions = new Set(of(release).flatMap((s) => s.actions));
    for (const a of actions) expect(a, a).toMatch(/^(lambda:(UpdateFunctionCode|PublishVersion|GetFunctionConfiguration)|s3:GetObject(Version)?(Tagging)?|logs:(CreateLogStream|PutLogEvents)|xray:(PutTraceSegments|PutTelemetryRecords))$/);
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
      lambdaRead: false, lambdaWrite: false, metrics: false, invoke: false, publish: false, registry: false, events: false, release: true,
    });
  });

  it('fails synth for a flag infra cannot grant, rather than leave the function without it', () => {
    expect(() => checkCapabilities('ProbeFunctionArn', { lambdaRead: true, teleport: true })).toThrow(
      /ProbeFunctionArn asks for capability teleport, which infra\/functions.ts does not know how to grant; known capabilities: lambdaRead, .*release/,
    );
    expect(() => checkCapabilities('X', { teleport: false })).not.toThrow();
  });
});
