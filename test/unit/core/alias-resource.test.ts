import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  aliasArnOf,
  allowedRef,
  type AliasRequest,
  type AliasSeen,
  nextAliasStep,
  parseAliasResource,
  physicalIdOf,
  readCloudFormationStrings,
  requestRolloutId,
  resourceAlias,
  resourceOwner,
} from '../../../functions/core/alias-resource.js';
import { InvalidInputError } from '../../../functions/core/errors.js';
import type { RolloutLock, RolloutRecord } from '../../../functions/core/registry.js';
import { iso, T0 } from '../support/rollouts.js';

const LIMITS = { waitSeconds: 7080 };
const base = { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider', FunctionName: 'orders', AliasName: 'live', Version: '8' };

function issues(raw: unknown): string[] {
  try {
    parseAliasResource(raw, LIMITS);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).issues.map((i) => `${i.field}: ${i.rule}`);
  }
  throw new Error('the properties were accepted');
}

describe('readCloudFormationStrings', () => {
  const schema = z.strictObject({
    n: z.number(),
    on: z.boolean(),
    name: z.string(),
    list: z.array(z.strictObject({ w: z.number() })),
    either: z.union([z.string().regex(/^[A-Z]/), z.strictObject({ type: z.literal('x'), p: z.number() })]),
  });

  it('reads numbers and booleans back where the schema wants them, nested in objects, lists and unions', () => {
    expect(readCloudFormationStrings(schema, { n: '10', on: 'true', name: '42', list: [{ w: '2.5' }, { w: '1e2' }], either: { type: 'x', p: '-3' } })).toEqual({
      n: 10,
      on: true,
      name: '42',
      list: [{ w: 2.5 }, { w: 100 }],
      either: { type: 'x', p: -3 },
    });
  });

  it('leaves strings that spell nothing, and values already right, as they are', () => {
    const raw = { n: 'ten', on: 'yes', name: 'x', list: [], either: 'Canary' };
    expect(readCloudFormationStrings(schema, raw)).toEqual(raw);
  });
});

describe('parseAliasResource', () => {
  it('reads the properties as CloudFormation sends them: every scalar a string', () => {
    const resource = parseAliasResource(
      { ...base, Wait: 'false', Rollout: { strategy: { type: 'canary', percent: '20', bakeSeconds: '600' }, health: { minRequests: '50', latency: { enabled: 'false' } } } },
      LIMITS,
    );
    expect(resource).toMatchObject({ functionName: 'orders', alias: 'live', version: '8', wait: false });
    expect(resource.rollout.plan.steps).toEqual([{ weightPercent: 20, bakeSeconds: 600 }]);
    expect(resource.rollout.input).toMatchObject({ functionName: 'orders', alias: 'live', targetVersion: '8', health: { minRequests: 50, latency: { enabled: false } } });
  });

  it('takes the rollout options as JSON (what the CDK construct sends), and waits by default', () => {
    const resource = parseAliasResource({ ...base, Rollout: JSON.stringify({ strategy: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' }) }, LIMITS);
    expect(resource.wait).toBe(true);
    expect(resource.rollout.plan.steps).toHaveLength(9);
  });

  it('takes a version ARN of the same function (SAM: !Ref MyFunction.Version)', () => {
    expect(parseAliasResource({ ...base, Version: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:12' }, LIMITS).version).toBe('12');
    expect(issues({ ...base, Version: 'arn:aws:lambda:eu-west-1:123456789012:function:payments:12' })).toEqual(['Version: is a version of payments, not of FunctionName orders']);
  });

  it('names every broken rule by its property, the rollout options under Rollout', () => {
    expect(
      issues({
        ...base,
        AliasName: '42',
        Version: '$LATEST',
        Rollout: { strategy: 'Canary50Percent', health: { minRequests: '0' }, rolloutId: 'mine', release: {} },
        Colour: 'blue',
      }),
    ).toEqual([
      'AliasName: must be 1-128 letters, digits, "-" or "_", not all digits',
      'Colour: is not a known field',
      expect.stringMatching(/^Version: must be a published version; \$LATEST cannot be routed by weight/),
      'Rollout.rolloutId: is set by the resource: each CloudFormation request names its own rollout',
      expect.stringMatching(/^Rollout\.release: is not taken here/),
      expect.stringMatching(/^Rollout\.strategy: "Canary50Percent" is not a preset/),
      'Rollout.health.minRequests: must be a whole number of at least 1',
    ]);
  });

  it('refuses rollout options that the resource sets itself', () => {
    expect(issues({ ...base, Rollout: { functionName: 'other', targetVersion: 3 } })).toEqual([
      'Rollout.functionName: is set by the resource: use FunctionName',
      'Rollout.targetVersion: is set by the resource: use Version',
    ]);
  });

  it('refuses Rollout that is not an object or not JSON', () => {
    expect(issues({ ...base, Rollout: '{"strategy":' })).toEqual([expect.stringMatching(/^Rollout: is not valid JSON/)]);
    expect(issues({ ...base, Rollout: '[1]' })).toEqual(['Rollout: must be the rollout options as an object (or that object as JSON)']);
  });

  it('refuses a waited-for strategy longer than CloudFormation may wait, pointing at Wait', () => {
    const long = { strategy: { type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 3600 }, { weightPercent: 50, bakeSeconds: 3600 }] } };
    expect(issues({ ...base, Rollout: long })).toEqual([expect.stringMatching(/^Wait: the strategy bakes for at least 7200s, longer than the 7080s CloudFormation may wait for this resource; set Wait to false/)]);
    expect(parseAliasResource({ ...base, Rollout: long, Wait: false }, LIMITS).wait).toBe(false);
    // The adaptive strategy may advance after its minimum bakes: those are what must fit.
    expect(parseAliasResource({ ...base, Rollout: { strategy: { type: 'adaptive', weights: [10, 50], minBakeSeconds: 600, maxBakeSeconds: 7200 } } }, LIMITS).wait).toBe(true);
  });
});

describe('names', () => {
  it('the physical id is the alias: function:alias, the same for a name or an ARN', () => {
    expect(physicalIdOf('orders', 'live')).toBe('orders:live');
    expect(physicalIdOf('arn:aws:lambda:eu-west-1:123456789012:function:orders', 'live')).toBe('orders:live');
  });

  it('a request names its rollout the same way every time it is retried', () => {
    const id = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    expect(requestRolloutId('orders', 'live', '8', id)).toBe('orders-live-v8-a1b2c3d4e5f6');
    expect(requestRolloutId('orders', 'live', '8', id)).toBe(requestRolloutId('orders', 'live', '8', id));
  });

  it('the owner is the stack and the logical id', () => {
    expect(resourceOwner('arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e', 'Live')).toBe('arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e#Live');
  });

  it('the alias ARN follows the function ARN, or the stack\'s partition, region and account', () => {
    expect(aliasArnOf('orders', 'live', 'arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/app/1f2e')).toBe('arn:aws-cn:lambda:cn-north-1:123456789012:function:orders:live');
    expect(aliasArnOf('arn:aws:lambda:eu-west-1:210987654321:function:orders', 'live', 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/1f2e')).toBe(
      'arn:aws:lambda:eu-west-1:210987654321:function:orders:live',
    );
  });

  it('a Delete reads the alias leniently', () => {
    expect(resourceAlias({ FunctionName: 'orders', AliasName: 'live', Rollout: 'whatever' })).toEqual({ functionName: 'orders', alias: 'live' });
    expect(resourceAlias({ FunctionName: 'orders' })).toBeUndefined();
  });
});

describe('nextAliasStep', () => {
  const OWNER = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e#Live';
  const put: AliasRequest = { kind: 'put', version: '8', owner: OWNER, rolloutId: 'orders-live-v8-req2', startedAt: T0, wait: true };
  const release: AliasRequest = { ...put, kind: 'release' };
  const lock = (overrides: Partial<RolloutLock> = {}): RolloutLock => ({
    functionName: 'orders',
    alias: 'live',
    rolloutId: 'orders-live-v8-req1',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:rollout:orders-live-v8-req1',
    status: 'running',
    baselineVersion: '7',
    targetVersion: '8',
    startedBy: OWNER,
    startedAt: iso(T0 - 60_000),
    ...overrides,
  });
  const record = (status: RolloutRecord['status'], reason?: string): RolloutRecord =>
    ({ rolloutId: put.rolloutId, executionArn: 'x', functionName: 'orders', alias: 'live', targetVersion: '8', startedAt: iso(T0), status, startedBy: OWNER, updatedAt: iso(T0), reason }) as RolloutRecord;
  const whole = (v: string) => ({ functionVersion: v, routing: {} });
  const seen = (overrides: Partial<AliasSeen> = {}): AliasSeen => ({ alias: whole('7'), lock: undefined, rollout: undefined, now: T0, ...overrides });

  it.each([
    ['the alias is missing', put, seen({ alias: undefined }), 'create'],
    ['the alias is whole on the version', put, seen({ alias: whole('8') }), 'done'],
    ['the alias is whole elsewhere, no rollout yet', put, seen(), 'start'],
    ['the request\'s rollout ran and ended, the alias elsewhere', put, seen({ rollout: record('rolled_back', 'v8 errors 50%') }), 'fail'],
    ['the request\'s rollout started, its lock not yet seen', put, seen({ rollout: record('pending') }), 'follow'],
    ['the alias is split and no rollout holds it', put, seen({ alias: { functionVersion: '7', routing: { '8': 10 } } }), 'fail'],
    ['a rollout of this resource heads to the version', put, seen({ lock: lock() }), 'follow'],
    ['a rollout of this resource heads elsewhere', { ...put, version: '7' }, seen({ lock: lock() }), 'stop'],
    ['someone else\'s rollout holds the alias', put, seen({ lock: lock({ startedBy: 'arn:aws:iam::123456789012:user/alice' }) }), 'fail'],
    ['a later request of this resource started the rollout', { ...put, version: '7' }, seen({ lock: lock({ startedAt: iso(T0 + 1000) }) }), 'fail'],
    ['Delete, a rollout of this resource runs', release, seen({ lock: lock() }), 'stop'],
    ['Delete, someone else\'s rollout runs', release, seen({ lock: lock({ startedBy: 'someone' }) }), 'done'],
    ['Delete, no rollout', release, seen({ alias: { functionVersion: '7', routing: { '8': 10 } } }), 'done'],
  ] as const)('%s: %s', (_, request, what, kind) => {
    expect(nextAliasStep(request, what).kind).toBe(kind);
  });

  it('the refusal names the rollout that holds the alias, who started it and since when', () => {
    const step = nextAliasStep(put, seen({ lock: lock({ rolloutId: 'api-1', startedBy: 'arn:aws:iam::123456789012:user/alice' }) }));
    expect(step).toEqual({ kind: 'fail', reason: expect.stringMatching(/^rollout api-1 \(started by arn:aws:iam::123456789012:user\/alice, since 2026-01-05T09:59:00.000Z, execution .*\) is running on the alias; nothing was changed/) });
  });

  it('a failed rollout\'s reason reaches CloudFormation', () => {
    expect(nextAliasStep(put, seen({ rollout: record('rolled_back', 'v8 errors 50%') }))).toEqual({
      kind: 'fail',
      reason: 'rollout orders-live-v8-req2 to v8 ended rolled_back: v8 errors 50%; the alias stays on v7',
    });
  });

  it('past the deadline, a rollout still running is stopped and the request fails', () => {
    const step = nextAliasStep({ ...put, deadline: T0 + 1000 }, seen({ lock: lock(), now: T0 + 1000 }));
    expect(step).toMatchObject({ kind: 'stop', fail: expect.stringContaining('Use Wait: false') });
    expect(nextAliasStep({ ...put, deadline: T0 + 1000 }, seen({ lock: lock(), now: T0 + 999 })).kind).toBe('follow');
  });

  it('with Wait false, a rollout on its way is enough', () => {
    expect(nextAliasStep({ ...put, wait: false }, seen({ lock: lock() }))).toMatchObject({ kind: 'done', reason: expect.stringContaining('has started') });
  });
});

describe('allowedRef', () => {
  it.each([
    ['orders', 'orders'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:orders', 'arn:aws:lambda:eu-west-1:123456789012:function:orders'],
    ['pay-eu', 'arn:aws:lambda:eu-west-1:123456789012:function:pay-eu'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:pay-eu', 'arn:aws:lambda:eu-west-1:123456789012:function:pay-eu'],
    ['arn:aws:lambda:us-east-1:999999999999:function:pay-eu', undefined],
    ['payments', undefined],
  ])('%s -> %s', (functionName, ref) => {
    expect(allowedRef(functionName, ['orders', 'arn:aws:lambda:eu-west-1:123456789012:function:pay-*'])).toBe(ref);
  });
});
