/** LambdaRollout's props (validation, defaults, optional subscription) and the app's context. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Node } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateAllowedFunctions } from '../../infra/allowed-functions.js';
import { readAllowedFunctions, readAllowedHooks, readArtifactKeyPrefix, readNotificationEmail } from '../../infra/context.js';
import { LambdaRollout, REPO_ROOT, SERVICE_FUNCTIONS } from '../../infra/lambda-rollout.js';
import { TASK_PERMISSIONS } from '../../infra/functions.js';
import { flat, iamStatements, testApp } from './support.js';

const refusal = (props: Record<string, unknown>) => () =>
  new LambdaRollout(new Stack(testApp(), 'S'), 'Rollout', { allowedFunctions: ['orders-*'], ...props } as never);

describe('allowedFunctions validation', () => {
  it.each([
    [[], /allowedFunctions must list at least one function.*received \[\]/],
    [undefined, /allowedFunctions must list at least one function.*received undefined/],
    [['*'], /allowedFunctions\[0\] must not match every function.*received '\*'/],
    [['orders-*', '**'], /allowedFunctions\[1\] must not match every function.*received '\*\*'/],
    [['arn:aws:lambda:us-east-1:123456789012:function:*'], /allowedFunctions\[0\] must not match every function.*received 'arn:aws:lambda:us-east-1:123456789012:function:\*'/],
    [['orders/prod'], /allowedFunctions\[0\] must be a function name or name pattern.*received 'orders\/prod'/],
    [[' orders-*'], /allowedFunctions\[0\] must be .*received ' orders-\*'/],
    [['arn:aws:s3:::bucket'], /allowedFunctions\[0\] must be .*received 'arn:aws:s3:::bucket'/],
    [['arn:aws:lambda:us-east-1:123456789012:function:payments:live'], /allowedFunctions\[0\] must be .*without a version or alias.*received 'arn:aws:lambda:us-east-1:123456789012:function:payments:live'/],
    [['arn:aws:lambda:us-east-1:*:function:payments'], /allowedFunctions\[0\] must be .*received 'arn:aws:lambda:us-east-1:\*:function:payments'/],
  ])('refuses %j, naming the prop and the value', (allowedFunctions, message) => {
    expect(refusal({ allowedFunctions })).toThrow(message);
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
    const inventory = LambdaFunction.fromFunctionName(stack, 'Inventory', 'inventory');
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

describe('allowedHooks', () => {
  let template: Template;
  let rollout: LambdaRollout;
  beforeAll(() => {
    const stack = new Stack(testApp(), 'WithHooks');
    const journeys = LambdaFunction.fromFunctionArn(stack, 'Journeys', 'arn:aws:lambda:eu-west-1:123456789012:function:journeys');
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

  it('tells Prepare their names, so that a rollout naming another hook is refused', () => {
    const prepare = Stack.of(rollout).getLogicalId(rollout.functions.PrepareFunctionArn.node.defaultChild as never);
    const vars = template.toJSON().Resources[prepare].Properties.Environment.Variables;
    expect(flat(vars.ROLLOUT_ALLOWED_HOOKS)).toMatch(/^\$\{\w+\},journeys,checks-\*$/);
  });

  it('are checked like allowedFunctions, naming the prop', () => {
    expect(refusal({ allowedHooks: ['*'] })).toThrow(/allowedHooks\[0\] must not match every function/);
    expect(refusal({ allowedHooks: ['ok', 'arn:aws:lambda:us-east-1:123456789012:function:x:live'] })).toThrow(/allowedHooks\[1\] must be .*without a version or alias/);
  });

  it('app context: allowedHooks is optional, comma-separated or a list', () => {
    const app = testApp();
    expect(readAllowedHooks(Node.of(app))).toEqual([]);
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

  it('makes the app fail when run without allowedFunctions', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'infra', 'app.ts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: '{}' },
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Context 'allowedFunctions' is required.*-c allowedFunctions=/s);
  });
});
