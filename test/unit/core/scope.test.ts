/** Which functions rollouts may touch: the allow-list, and where the service runs. Table-driven. */
import { describe, expect, it } from 'vitest';
import { allowedFunctionRef, homeOf, homeRefusal, scopeRefusal } from '../../../functions/core/scope.js';

const home = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
const scope = { allowedFunctions: ['orders-*', 'arn:aws:lambda:eu-west-1:123456789012:function:payments'], home };
const arn = (name: string, account = '123456789012', region = 'eu-west-1', partition = 'aws') => `arn:${partition}:lambda:${region}:${account}:function:${name}`;

describe('homeOf', () => {
  it.each([
    ['arn:aws:states:eu-west-1:123456789012:stateMachine:rollout', home],
    ['arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:rollout:r1', { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '123456789012' }],
    ['orders', undefined],
  ])('%s', (value, expected) => expect(homeOf(value)).toEqual(expected));
});

describe('scopeRefusal', () => {
  it.each([
    ['a name matching a pattern', 'orders-api', undefined],
    ['a local ARN matching a pattern', arn('orders-api'), undefined],
    ['a name allowed by a local ARN entry', 'payments', undefined],
    ['a name on no entry', 'inventory', 'function inventory is not one of the allowed functions (orders-*, arn:aws:lambda:eu-west-1:123456789012:function:payments); the service may only roll out those'],
    ["another account's ARN", arn('orders-api', '999999999999'), 'must name a function where this service runs (partition aws, region eu-west-1, account 123456789012); this ARN names account 999999999999'],
    ["another region's ARN", arn('orders-api', '123456789012', 'us-east-1'), 'must name a function where this service runs (partition aws, region eu-west-1, account 123456789012); this ARN names region us-east-1'],
    ["another partition's ARN", arn('orders-api', '123456789012', 'cn-north-1', 'aws-cn'), 'must name a function where this service runs (partition aws, region eu-west-1, account 123456789012); this ARN names partition aws-cn, region cn-north-1'],
  ])('%s', (_, ref, expected) => expect(scopeRefusal(ref, scope)).toBe(expected));

  it('an empty allow-list allows nothing, and says so', () => {
    expect(scopeRefusal('orders', { allowedFunctions: [], home })).toBe('function orders is not one of the allowed functions (none); the service may only roll out those');
  });

  it('homeRefusal says nothing of bare names', () => {
    expect(homeRefusal('orders', home)).toBeUndefined();
  });
});

describe('allowedFunctionRef with the home', () => {
  it('an ARN entry elsewhere covers nothing; a local one names the function by its ARN', () => {
    expect(allowedFunctionRef('payments', [arn('payments', '999999999999')], home)).toBeUndefined();
    expect(allowedFunctionRef('payments', [arn('pay*')], home)).toBe(arn('payments'));
    expect(allowedFunctionRef('payments', [arn('payments', '999999999999')])).toBe(arn('payments', '999999999999'));
  });
});
