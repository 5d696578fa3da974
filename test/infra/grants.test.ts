/**
 * LambdaRollout's grants: grantStart, grantRead and grantApprove give a principal of the user's app
 * exactly what starting, watching or steering rollouts needs, the API's routes by path pattern so that
 * control routes added later are covered.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TABLE } from '../../functions/names.js';
import { LambdaRollout } from '../../infra/lambda-rollout.js';
import { type FlatStatement, iamStatements, logicalId, testApp } from './support.js';

let rollout: LambdaRollout;
let statements: FlatStatement[];
const roles = {} as Record<'starter' | 'reader' | 'approver', string>;
const grants = {} as Record<'starter' | 'reader' | 'approver', iam.Grant>;

beforeAll(() => {
  const stack = new Stack(testApp(), 'Grants');
  rollout = new LambdaRollout(stack, 'Rollout', { allowedFunctions: ['orders-*'] });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
  const starter = role('Starter');
  const reader = role('Reader');
  const approver = role('Approver');
  Object.assign(grants, { starter: rollout.grantStart(starter), reader: rollout.grantRead(reader), approver: rollout.grantApprove(approver) });
  Object.assign(roles, { starter: logicalId(starter), reader: logicalId(reader), approver: logicalId(approver) });
  statements = iamStatements(Template.fromStack(stack));
});

/** Each action the role may take, with its resources. */
const actionsOf = (role: string) => {
  const out: Record<string, string[]> = {};
  for (const s of statements.filter((st) => st.roles.includes(role))) {
    for (const action of s.actions) out[action] = [...(out[action] ?? []), ...s.resources].sort();
  }
  return out;
};

const api = () => `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${logicalId(rollout.api.api)}}/\${${logicalId(rollout.api.api.deploymentStage)}}`;
const executions = () => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:\${${logicalId(rollout.stateMachine)}.Name}:*`;

/** Whether an IAM resource pattern (`*` any characters, across `/` too) matches a resource. */
const matches = (pattern: string, resource: string) =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(resource);

describe('grantStart', () => {
  it('lets the principal POST /rollouts and start executions of the state machine, nothing else', () => {
    expect(grants.starter.success).toBe(true);
    expect(actionsOf(roles.starter)).toEqual({
      'execute-api:Invoke': [`${api()}/POST/rollouts`],
      'states:StartExecution': [`\${${logicalId(rollout.stateMachine)}}`],
    });
  });
});

describe('grantRead', () => {
  it('lets the principal GET rollouts, read executions and read the registry, and write nothing', () => {
    const table = `\${${logicalId(rollout.registry.table)}.Arn}`;
    expect(grants.reader.success).toBe(true);
    expect(actionsOf(roles.reader)).toEqual({
      'execute-api:Invoke': [`${api()}/GET/rollouts`, `${api()}/GET/rollouts/*`].sort(),
      'states:ListExecutions': [`\${${logicalId(rollout.stateMachine)}}`],
      'states:DescribeExecution': [executions()],
      'states:GetExecutionHistory': [executions()],
      'dynamodb:GetItem': [table],
      'dynamodb:Query': [table, ...Object.keys(REGISTRY_TABLE.indexes).map((index) => `${table}/index/${index}`)].sort(),
    });
  });

  it('covers every GET route under /rollouts, and no POST', () => {
    const [list, one] = actionsOf(roles.reader)['execute-api:Invoke'] ?? [];
    const allowed = (route: string) => [list, one].some((p) => matches(p ?? '', `${api()}/${route}`));
    expect(['GET/rollouts', 'GET/rollouts/r-1', 'GET/rollouts/r-1/history'].filter(allowed)).toHaveLength(3);
    expect(['POST/rollouts', 'POST/rollouts/r-1/abort'].filter(allowed)).toEqual([]);
  });
});

describe('grantApprove', () => {
  it('lets the principal POST to every control route of a rollout, and nothing else', () => {
    expect(grants.approver.success).toBe(true);
    expect(actionsOf(roles.approver)).toEqual({ 'execute-api:Invoke': [`${api()}/POST/rollouts/*/*`] });
  });

  it('covers abort and the control routes added later, not starting a rollout or reading', () => {
    const [pattern = ''] = actionsOf(roles.approver)['execute-api:Invoke'] ?? [];
    for (const action of ['abort', 'approve', 'reject', 'pause', 'resume', 'promote', 'retry']) {
      expect(matches(pattern, `${api()}/POST/rollouts/orders-live-v8-3f2a/${action}`), action).toBe(true);
    }
    for (const route of ['POST/rollouts', 'GET/rollouts/r-1', 'GET/rollouts']) expect(matches(pattern, `${api()}/${route}`), route).toBe(false);
  });
});
