/**
 * LambdaRollout's props (typed collaborators, validation showing the value received, defaults,
 * optional subscription) and the app's context: every prop settable with `-c`, and a refused setting
 * reported by `cdk synth` on one line, without a stack trace.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Node } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAllowedFunctions } from '../../infra/allowed-functions.js';
import { readAllowedFunctions, readAllowedHooks, readArtifactKeyPrefix, readNotificationEmail, rolloutPropsFromContext } from '../../infra/context.js';
import { InvalidPropError } from '../../infra/errors.js';
import { LambdaRollout, SERVICE_FUNCTIONS } from '../../infra/lambda-rollout.js';
import { TASK_PERMISSIONS } from '../../infra/functions.js';
import { BUNDLE_ENTRIES } from '../../scripts/build-bundles.js';
import { flat, FRAMEWORK_FUNCTIONS, iamStatements, REPO_ROOT, testApp } from './support.js';

const execFileAsync = promisify(execFile);

const refusal = (props: Record<string, unknown>) => () =>
  new LambdaRollout(new Stack(testApp(), 'S'), 'Rollout', { allowedFunctions: ['orders-*'], ...props } as never);

describe('allowedFunctions validation', () => {
  it.each([
    [[], /allowedFunctions must list at least one function.*received \[\]/],
    [undefined, /allowedFunctions must list at least one function.*received undefined/],
    [['*'], /allowedFunctions\[0\] must not match every function.*received '\*'/],
    [['orders-*', '**'], /allowedFunctions\[1\] must not match every function.*received '\*\*'/],
    [['arn:aws:lambda:us-east-1:123456789012:function:*'], /allowedFunctions\[0\] must not match every function.*received 'arn:aws:lambda:us-east-1:123456789012:function:\*'/],
    [['orders/prod'], /allowedFunctions\[0\] must be a function \(IFunction, IAlias or IVersion\), a function name or name pattern.*received 'orders\/prod'/],
    [[42], /allowedFunctions\[0\] must be a function \(IFunction, IAlias or IVersion\).*received 42$/],
    [[' orders-*'], /allowedFunctions\[0\] must be .*received ' orders-\*'/],
    [['arn:aws:s3:::bucket'], /allowedFunctions\[0\] must be .*received 'arn:aws:s3:::bucket'/],
    [['arn:aws:lambda:us-east-1:123456789012:function:payments:live'], /allowedFunctions\[0\] must be .*without a version or alias.*received 'arn:aws:lambda:us-east-1:123456789012:function:payments:live'/],
    [['arn:aws:lambda:us-east-1:*:function:payments'], /allowedFunctions\[0\] must be .*received 'arn:aws:lambda:us-east-1:\*:function:payments'/],
  ])('refuses %j, naming the prop and the value', (allowedFunctions, message) => {
    expect(refusal({ allowedFunctions })).toThrow(message);
    expect(refusal({ allowedFunctions })).toThrow(InvalidPropError);
  });

  it('refuses a construct that is not a function, naming it', () => {
    const stack = new Stack(testApp(), 'S');
    const topic = new Topic(stack, 'Orders');
    expect(() => new LambdaRollout(stack, 'Rollout', { allowedFunctions: [topic as never] })).toThrow(
      /allowedFunctions\[0\] must be a function \(IFunction, IAlias or IVersion\).*received the construct S\/Orders$/,
    );
  });

  it('accepts names, patterns, function ARNs in any partition, and drops duplicates', () => {
    expect(validateAllowedFunctions([
      'payments', 'orders-*', 'orders-*', 'arn:aws-cn:lambda:cn-north-1:123456789012:function:p_1',
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:team-*',
    ])).toEqual([
      'payments', 'orders-*', 'arn:aws-cn:lambda:cn-north-1:123456789012:function:p_1',
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:team-*',
    ]);
  });
});

describe('a rollout for a function ARN token, without notificationEmail', () => {
  let template: Template;
  beforeAll(() => {
    const stack = new Stack(testApp(), 'WithToken');
    const inventory = lambda.Function.fromFunctionName(stack, 'Inventory', 'inventory');
    new LambdaRollout(stack, 'Rollout', { allowedFunctions: [inventory.functionArn] });
    template = Template.fromStack(stack);
  });

  it('grants the function and its qualifiers', () => {
    const statements = iamStatements(template).filter((s) => s.actions.includes('lambda:UpdateAlias'));
    const writers = Object.values(TASK_PERMISSIONS).filter((p) => p.lambdaWrite).length +
      Object.values(SERVICE_FUNCTIONS).filter((f) => f.can.lambdaWrite).length;
    expect(statements.length).toBeGreaterThan(0);
    expect(new Set(statements.flatMap((s) => s.roles)).size).toBe(writers);
    const expected = 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:inventory';
    for (const s of statements) expect([...s.resources].sort()).toEqual([expected, `${expected}:*`]);
  });

  it('adds no subscription (the topic is still created)', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('allowedFunctions as constructs of the app', () => {
  let template: Template;
  let orders: string;
  beforeAll(() => {
    const stack = new Stack(testApp(), 'WithConstructs');
    const code = lambda.Code.fromInline('export const handler = async () => ({});');
    const fn = (id: string) => new lambda.Function(stack, id, { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X });
    const ordersFn = fn('Orders');
    const live = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: ordersFn.currentVersion });
    const payments = fn('Payments');
    const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:eu-west-1:123456789012:function:inventory');
    new LambdaRollout(stack, 'Rollout', { allowedFunctions: [live, payments.currentVersion, imported, 'billing-*'] });
    template = Template.fromStack(stack);
    orders = `\${${stack.getLogicalId(ordersFn.node.defaultChild as lambda.CfnFunction)}.Arn}`;
  });

  it('grants an alias or a version as its function, with the qualifiers, beside imported functions and patterns', () => {
    const resources = new Set(iamStatements(template).filter((s) => s.actions.includes('lambda:UpdateAlias')).flatMap((s) => s.resources));
    const payments = [...resources].find((r) => r.startsWith('${Payments') && !r.endsWith(':*'));
    expect([...resources].sort()).toEqual([
      orders, `${orders}:*`,
      payments, `${payments}:*`,
      'arn:aws:lambda:eu-west-1:123456789012:function:inventory', 'arn:aws:lambda:eu-west-1:123456789012:function:inventory:*',
      'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:billing-*',
      'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:billing-*:*',
    ].sort());
  });

  it('hands the artifact trigger the same functions, as their ARNs', () => {
    const trigger = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      String(f.Properties.Description).includes('start a release rollout'));
    const allowed = flat(trigger?.Properties.Environment.Variables.ROLLOUT_ALLOWED_FUNCTIONS);
    expect(allowed.split(',')).toEqual([
      orders, expect.stringMatching(/^\$\{Payments\w+\.Arn\}$/), 'arn:aws:lambda:eu-west-1:123456789012:function:inventory', 'billing-*',
    ]);
  });
});

describe('defaults', () => {
  let template: Template;
  beforeAll(() => {
    const stack = new Stack(testApp(), 'Defaults');
    new LambdaRollout(stack, 'Rollout', { allowedFunctions: ['orders-*'] });
    template = Template.fromStack(stack);
  });

  it('keeps logs a year and retains the table, the buckets and the log groups', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(group.DeletionPolicy).toBe('Retain');
    }
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket']) {
      for (const resource of Object.values(template.findResources(type))) expect(resource.DeletionPolicy, type).toBe('Retain');
    }
  });

  it("throttles the API stage at 10 requests a second with bursts of 20 and takes artifacts under 'releases/'", () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [{ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20, HttpMethod: '*', ResourcePath: '/*' }],
    });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { object: { key: [{ prefix: 'releases/' }] } } } });
  });
});

describe('logRetention and removalPolicy', () => {
  it.each([
    [{ logRetention: 31 }, /logRetention must be a number of days CloudWatch Logs offers, a logs.RetentionDays value \(1, 3, 5, .*, 3653, 9999; 9999 keeps logs forever\); received 31$/],
    [{ logRetention: 'ONE_DAY' }, /logRetention must be .*; received "ONE_DAY"$/],
    [{ removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy must be RemovalPolicy.RETAIN \('retain'\) or RemovalPolicy.DESTROY \('destroy'\); received "snapshot"$/],
    [{ removalPolicy: 'keep' }, /removalPolicy must be .*; received "keep"$/],
  ])('refuses %j, showing the value', (props, message) => {
    expect(refusal(props)).toThrow(message);
  });

  it('apply to every log group, the table and the buckets', () => {
    const stack = new Stack(testApp(), 'Short');
    new LambdaRollout(stack, 'Rollout', { allowedFunctions: ['orders-*'], logRetention: RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(7);
      expect(group.DeletionPolicy).toBe('Delete');
    }
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket']) {
      for (const resource of Object.values(template.findResources(type))) expect(resource.DeletionPolicy, type).toBe('Delete');
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });
});

describe('allowedHooks', () => {
  let template: Template;
  let rollout: LambdaRollout;
  beforeAll(() => {
    const stack = new Stack(testApp(), 'WithHooks');
    const journeys = lambda.Function.fromFunctionArn(stack, 'Journeys', 'arn:aws:lambda:eu-west-1:123456789012:function:journeys');
    rollout = new LambdaRollout(stack, 'Rollout', { allowedFunctions: ['orders-*'], allowedHooks: [journeys, 'checks-*'] });
    template = Template.fromStack(stack);
  });

  it('lets RunHook invoke exactly the allowed hooks and the smoke-test hook, with their qualifiers', () => {
    const runHookRole = Stack.of(rollout).getLogicalId(rollout.functions.RunHookFunctionArn.role!.node.defaultChild as never);
    const smoke = Stack.of(rollout).getLogicalId(rollout.smokeTestHook.node.defaultChild as never);
    const invoked = iamStatements(template).filter((s) => s.roles.includes(runHookRole) && s.actions.includes('lambda:InvokeFunction')).flatMap((s) => s.resources);
    const checks = 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:checks-*';
    const journeys = 'arn:aws:lambda:eu-west-1:123456789012:function:journeys';
    expect(invoked.sort()).toEqual([`\${${smoke}.Arn}`, `\${${smoke}.Arn}:*`, journeys, `${journeys}:*`, checks, `${checks}:*`].sort());
  });

  it('tells Prepare and the API which they are, so that a rollout naming another hook is refused', () => {
    for (const fn of [rollout.functions.PrepareFunctionArn, rollout.serviceFunctions.Api]) {
      const id = Stack.of(rollout).getLogicalId(fn.node.defaultChild as never);
      const vars = template.toJSON().Resources[id].Properties.Environment.Variables;
      expect(flat(vars.ROLLOUT_ALLOWED_HOOKS)).toMatch(/^\$\{\w+\.Arn\},arn:aws:lambda:eu-west-1:123456789012:function:journeys,checks-\*$/);
    }
  });

  it('are checked like allowedFunctions, naming the prop', () => {
    expect(refusal({ allowedHooks: ['*'] })).toThrow(/allowedHooks\[0\] must not match every function/);
    expect(refusal({ allowedHooks: ['ok', 'arn:aws:lambda:us-east-1:123456789012:function:x:live'] })).toThrow(/allowedHooks\[1\] must be .*without a version or alias/);
    expect(refusal({ allowedHooks: ['ok', 7 as never] })).toThrow(InvalidPropError);
  });

  it('app context: allowedHooks is optional, comma-separated or a list', () => {
    const app = testApp();
    expect(readAllowedHooks(Node.of(app))).toBeUndefined();
    app.node.setContext('allowedHooks', ' checks-*, smoke ,');
    expect(readAllowedHooks(Node.of(app))).toEqual(['checks-*', 'smoke']);
  });
});

describe('artifactKeyPrefix and API throttling', () => {
  it.each(['releases', '/releases/', 'rel eases/', 'a//'])('refuses the prefix %j, showing it', (artifactKeyPrefix) => {
    expect(refusal({ artifactKeyPrefix })).toThrow(new RegExp(`artifactKeyPrefix: the artifact key prefix must be empty or folder names.*received '${artifactKeyPrefix}'`));
  });

  it.each([
    [{ apiRateLimitPerSecond: 0 }, /apiRateLimitPerSecond must be a number above 0; received 0/],
    [{ apiRateLimitPerSecond: Number.NaN }, /apiRateLimitPerSecond must be a number above 0; received NaN/],
    [{ apiBurstLimit: 0.5 }, /apiBurstLimit must be a whole number of at least 1; received 0.5/],
  ])('refuses %j, showing the value', (props, message) => {
    expect(refusal(props)).toThrow(message);
  });
});

describe('notificationEmail', () => {
  it('refuses something that is not an e-mail address, showing it', () => {
    expect(refusal({ notificationEmail: 'ops-at-example' })).toThrow(/notificationEmail must be an e-mail address; received 'ops-at-example'/);
  });
});

describe('app context', () => {
  const node = (context: Record<string, unknown>) => {
    const app = testApp();
    for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
    return Node.of(app);
  };

  it('reads allowedFunctions as a comma-separated string or a list, trimming blanks', () => {
    expect(readAllowedFunctions(node({ allowedFunctions: ' orders-*, payments ,' }))).toEqual(['orders-*', 'payments']);
    expect(readAllowedFunctions(node({ allowedFunctions: ['orders-*'] }))).toEqual(['orders-*']);
  });

  it('fails without allowedFunctions, saying how to pass it', () => {
    expect(() => readAllowedFunctions(node({}))).toThrow(/-c allowedFunctions=/);
    expect(() => readAllowedFunctions(node({ allowedFunctions: ' , ' }))).toThrow(/Context 'allowedFunctions' is required/);
  });

  it('reads artifactKeyPrefix when set, empty meaning no prefix', () => {
    expect(readArtifactKeyPrefix(node({ artifactKeyPrefix: 'ci/releases/' }))).toBe('ci/releases/');
    expect(readArtifactKeyPrefix(node({ artifactKeyPrefix: '' }))).toBe('');
    expect(readArtifactKeyPrefix(node({}))).toBeUndefined();
  });

  it('reads notificationEmail when set', () => {
    expect(readNotificationEmail(node({ notificationEmail: 'ops@example.com' }))).toBe('ops@example.com');
    expect(readNotificationEmail(node({}))).toBeUndefined();
  });

  it('sets every prop of the app from context, numbers from -c strings', () => {
    expect(rolloutPropsFromContext(node({
      allowedFunctions: 'orders-*,payments',
      notificationEmail: 'ops@example.com',
      artifactKeyPrefix: 'ci/',
      apiRateLimitPerSecond: '50',
      apiBurstLimit: 100,
      logRetention: '30',
      removalPolicy: 'DESTROY',
    }))).toEqual({
      allowedFunctions: ['orders-*', 'payments'],
      notificationEmail: 'ops@example.com',
      artifactKeyPrefix: 'ci/',
      apiRateLimitPerSecond: 50,
      apiBurstLimit: 100,
      logRetention: 30,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  });

  it('leaves unset keys to the construct\'s defaults', () => {
    expect(rolloutPropsFromContext(node({ allowedFunctions: 'orders-*' }))).toEqual({ allowedFunctions: ['orders-*'] });
  });

  it.each([
    [{ apiBurstLimit: 'twenty' }, /^Context 'apiBurstLimit' must be a number, as in -c apiBurstLimit=20; received "twenty"$/],
    [{ logRetention: { days: 30 } }, /^Context 'logRetention' must be a number, as in -c logRetention=365; received \{"days":30\}$/],
    [{ removalPolicy: true }, /^Context 'removalPolicy' must be 'retain' or 'destroy', as in -c removalPolicy=destroy; received true$/],
  ])('refuses %j, naming the key and showing the value', (context, message) => {
    expect(() => rolloutPropsFromContext(node({ allowedFunctions: 'orders-*', ...context }))).toThrow(message);
  });
});

/** `npx cdk synth` in the repository (cdk.json's app) with `-c` arguments, its cloud assembly in `output`. */
async function cdkSynth(args: readonly string[], output: string): Promise<{ status: number; stderr: string }> {
  const cdk = join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  try {
    const { stderr } = await execFileAsync(process.execPath, [cdk, 'synth', '--no-notices', '--quiet', '--output', output, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });
    return { status: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { status: failed.code ?? -1, stderr: failed.stderr ?? '' };
  }
}

/** What the app printed: stderr without the CDK CLI's own closing line about the app's exit code. */
const appLines = (stderr: string) => stderr.trim().split('\n').filter((line) => !/Subprocess exited with error/.test(line));

describe('npx cdk synth in the repository', () => {
  const work = mkdtempSync(join(tmpdir(), 'lambda-rollout-synth-'));
  const output = (name: string) => join(work, name);
  let missing: Awaited<ReturnType<typeof cdkSynth>>;
  let refused: Awaited<ReturnType<typeof cdkSynth>>;
  let synthesized: Awaited<ReturnType<typeof cdkSynth>>;
  // Three runs of the CLI and the app at once: each takes seconds, mostly loading.
  beforeAll(async () => {
    [missing, refused, synthesized] = await Promise.all([
      cdkSynth([], output('missing')),
      cdkSynth(['-c', 'allowedFunctions=orders-*', '-c', 'apiBurstLimit=0.5'], output('refused')),
      cdkSynth(['-c', 'allowedFunctions=orders-*', '-c', 'logRetention=30'], output('synthesized')),
    ]);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('without allowedFunctions: one line saying how to pass it, no stack trace, exit code 1', () => {
    expect(missing.status).toBe(1);
    expect(appLines(missing.stderr)).toEqual([
      expect.stringMatching(/^Context 'allowedFunctions' is required: .* npx cdk synth -c allowedFunctions='orders-\*,payments' \(received undefined\)$/),
    ]);
  });

  it('a value the construct refuses: one line naming it and the value, exit code 1', () => {
    expect(refused.status).toBe(1);
    expect(appLines(refused.stderr)).toEqual(['apiBurstLimit must be a whole number of at least 1; received 0.5']);
  });

  it('with allowedFunctions and context settings: the stack, checked by cdk-nag, with the handler bundles as assets', () => {
    expect(synthesized.stderr).not.toMatch(/error|warning/i);
    expect(synthesized.status).toBe(0);
    const functions = Object.keys(BUNDLE_ENTRIES).length;
    const template = Template.fromJSON(JSON.parse(readFileSync(join(output('synthesized'), 'LambdaRollout.template.json'), 'utf8')));
    template.resourceCountIs('AWS::Lambda::Function', functions + FRAMEWORK_FUNCTIONS);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const assets = JSON.parse(readFileSync(join(output('synthesized'), 'LambdaRollout.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    const bundles = Object.values(assets.files).filter((f) => existsSync(join(output('synthesized'), f.source.path, 'index.mjs')));
    expect(bundles).toHaveLength(functions);
  });
});
