/**
 * One behavioural suite for both control stores: the in-memory twin and the DynamoDB adapter over
 * a table that evaluates its conditional writes. A write lands only on the version it was made
 * from, so two people's requests never overwrite each other.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoControlStore } from '../../../functions/aws/control-store.js';
import { applyControlRequest, emptyControl, type RolloutControl } from '../../../functions/core/control.js';
import { REGISTRY_TABLE } from '../../../functions/names.js';
import type { ControlStore } from '../../../functions/ports.js';
import { InMemoryControlStore } from '../../../sim/control-store.js';
import { fakeDocumentClient } from '../support/dynamodb-table.js';
import { T0 } from '../support/rollouts.js';

const implementations: [string, () => ControlStore][] = [
  ['in memory', () => new InMemoryControlStore()],
  [
    'DynamoDB',
    () => {
      fakeDocumentClient('rollouts', REGISTRY_TABLE.indexes);
      return new DynamoControlStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'rollouts');
    },
  ],
];

const context = { rolloutId: 'r1', status: 'running', weightPercent: 10, caller: 'alice', now: T0 };
const next = (control: RolloutControl, change: Partial<RolloutControl>): RolloutControl => ({ ...control, ...change, version: control.version + 1 });

describe.each(implementations)('control store (%s)', (_, make) => {
  let store: ControlStore;
  beforeEach(() => {
    store = make();
  });

  it('knows no record before the first write, and returns what was written', async () => {
    expect(await store.get('r1')).toBeUndefined();
    const first = next(emptyControl('r1', 'arn:x', T0), { waitToken: 'tok-1' });
    expect(await store.put(first)).toBe(true);
    expect(await store.get('r1')).toEqual(first);
  });

  it('writes only on the version read: the second of two writers from the same version loses', async () => {
    const base = next(emptyControl('r1', 'arn:x', T0), {});
    await store.put(base);
    const paused = applyControlRequest(base, { action: 'pause' }, context);
    const promoted = applyControlRequest(base, { action: 'promote', full: true }, context);
    expect(paused.ok && (await store.put(paused.control))).toBe(true);
    expect(promoted.ok && (await store.put(promoted.control))).toBe(false);
    expect((await store.get('r1'))?.pause).toMatchObject({ by: 'alice' });
    expect((await store.get('r1'))?.promote).toBeUndefined();
  });

  it('refuses a first write when a record exists, and a write that skips a version', async () => {
    await store.put(next(emptyControl('r1', 'arn:x', T0), {}));
    expect(await store.put(next(emptyControl('r1', 'arn:x', T0), {}))).toBe(false);
    expect(await store.put({ ...emptyControl('r1', 'arn:x', T0), version: 3 })).toBe(false);
  });

  it('drops what a change cleared (a resumed pause is gone, not undefined)', async () => {
    const paused = next(emptyControl('r1', 'arn:x', T0), { pause: { by: 'alice', at: 'now' } });
    await store.put(paused);
    await store.put(next(paused, { pause: undefined }));
    const stored = await store.get('r1');
    expect(stored && 'pause' in stored).toBe(false);
  });
});
