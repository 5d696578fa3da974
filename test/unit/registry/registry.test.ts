/**
 * One behavioural suite, run against both registries and both idempotency stores: the in-memory
 * twins and the DynamoDB adapters over one table that evaluates their conditional writes
 * (test/unit/support/dynamodb-table.ts).
 * What a user of the registry notices: who holds an alias, what a refusal says, what the
 * history shows, how lists page, how long idempotency keys answer.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../functions/aws/idempotency-store.js';
import { DynamoRolloutRegistry } from '../../../functions/aws/registry.js';
import { REGISTRY_TABLE } from '../../../functions/names.js';
import { ErrorName, InvalidInputError } from '../../../functions/core/errors.js';
import {
  IDEMPOTENCY_TTL_MS,
  IN_PROGRESS_MS,
  LockHeldError,
  RolloutIdTakenError,
  type RolloutRecord,
  STARTED_OUTSIDE_API,
} from '../../../functions/core/registry.js';
import type { IdempotencyStore, RolloutRegistry } from '../../../functions/ports.js';
import { InMemoryIdempotencyStore, InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { fakeDocumentClient } from '../support/dynamodb-table.js';
import { CALLER, ending, executionArn, iso, lockRequest, T0 } from '../support/rollouts.js';

const implementations: [string, () => { registry: RolloutRegistry; idempotency: IdempotencyStore }][] = [
  ['in memory', () => ({ registry: new InMemoryRolloutRegistry(), idempotency: new InMemoryIdempotencyStore() })],
  [
    'DynamoDB',
    () => {
      fakeDocumentClient('rollouts', REGISTRY_TABLE.indexes);
      const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
      return { registry: new DynamoRolloutRegistry(client, 'rollouts'), idempotency: new DynamoIdempotencyStore(client, 'rollouts') };
    },
  ],
];

const progress = (step: number, weightPercent: number) => ({
  currentStep: step,
  totalSteps: 9,
  weightPercent,
  steps: [{ step: step - 1, weightPercent, shiftedAt: T0, revisionId: `r${step}`, checks: 1, verdict: 'healthy' as const, reason: 'ok', target: { invocations: 100, errors: 0 }, baseline: { invocations: 900, errors: 1 } }],
  lastEvent: { type: 'shifted' as const, at: iso(T0) },
});

async function collect(registry: RolloutRegistry, query: Parameters<RolloutRegistry['list']>[0]): Promise<{ pages: RolloutRecord[][] }> {
  const pages: RolloutRecord[][] = [];
  let nextToken: string | undefined;
  do {
    const page = await registry.list({ ...query, ...(nextToken ? { nextToken } : {}) });
    pages.push([...page.items]);
    nextToken = page.nextToken;
  } while (nextToken && pages.length < 50);
  return { pages };
}

describe.each(implementations)('rollout registry (%s)', (_, make) => {
  let registry: RolloutRegistry;
  let idempotency: IdempotencyStore;
  beforeEach(() => {
    ({ registry, idempotency } = make());
  });

  describe('the lock', () => {
    it('is taken on a free alias and names its holder', async () => {
      const lock = await registry.acquire(lockRequest('r1'));
      expect(lock).toMatchObject({ rolloutId: 'r1', executionArn: executionArn('r1'), functionName: 'orders', alias: 'live', status: 'running', startedBy: CALLER, startedAt: iso(T0) });
      expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'r1' });
      expect(await registry.get('r1')).toMatchObject({ rolloutId: 'r1', status: 'running', startedBy: CALLER, baselineVersion: '7', targetVersion: '8' });
    });

    it('refuses a second rollout on the same alias, naming the running one, and changes nothing', async () => {
      await registry.acquire(lockRequest('r1'));
      const refusal = await registry.acquire(lockRequest('r2', { startedAt: iso(T0 + 5000) })).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(LockHeldError);
      expect((refusal as LockHeldError).name).toBe(ErrorName.Refused);
      expect((refusal as LockHeldError).reason).toBe(`rollout r1 is already running on orders:live (execution ${executionArn('r1')}, since ${iso(T0)})`);
      expect((refusal as LockHeldError).holder).toMatchObject({ rolloutId: 'r1', executionArn: executionArn('r1'), startedAt: iso(T0) });
      expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'r1' });
      expect(await registry.get('r2')).toBeUndefined();
    });

    it('is one lock for a function named by name or by ARN, and one per alias', async () => {
      await registry.acquire(lockRequest('r1'));
      await expect(registry.acquire(lockRequest('r2', { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders' }))).rejects.toBeInstanceOf(LockHeldError);
      await expect(registry.acquire(lockRequest('r3', { alias: 'beta' }))).resolves.toMatchObject({ rolloutId: 'r3', alias: 'beta' });
    });

    it("confirms the API's pending lock for the same rollout, keeping who started it and when", async () => {
      await registry.acquire(lockRequest('r1', { status: 'pending', baselineVersion: undefined, startedBy: CALLER, startedAt: iso(T0) }));
      expect(await registry.get('r1')).toMatchObject({ status: 'pending' });
      const lock = await registry.acquire(lockRequest('r1', { status: 'running', startedBy: STARTED_OUTSIDE_API, startedAt: iso(T0 + 2000), at: iso(T0 + 2000) }));
      expect(lock).toMatchObject({ status: 'running', startedBy: CALLER, startedAt: iso(T0), baselineVersion: '7' });
      expect(await registry.get('r1')).toMatchObject({ status: 'running', startedBy: CALLER, startedAt: iso(T0), baselineVersion: '7' });
    });

    it('confirms a retried acquire of the same execution, but not another execution with the same rollout id', async () => {
      await registry.acquire(lockRequest('r1'));
      await expect(registry.acquire(lockRequest('r1'))).resolves.toMatchObject({ rolloutId: 'r1' });
      await expect(registry.acquire(lockRequest('r1', { executionArn: executionArn('r1-again') }))).rejects.toBeInstanceOf(LockHeldError);
    });

    it('refuses a rollout id used before, on any alias', async () => {
      await registry.acquire(lockRequest('r1'));
      await registry.finish(ending('r1'));
      await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') });
      const reused = await registry.acquire(lockRequest('r1', { executionArn: executionArn('r1-second') })).catch((e: unknown) => e);
      expect(reused).toBeInstanceOf(RolloutIdTakenError);
      expect((reused as RolloutIdTakenError).reason).toContain(`rollout id r1 is already used by execution ${executionArn('r1')}`);
      expect(await registry.getLock('orders', 'live')).toBeUndefined();
      await expect(registry.acquire(lockRequest('r1', { alias: 'beta', executionArn: executionArn('r1-beta') }))).rejects.toBeInstanceOf(RolloutIdTakenError);
      expect(await registry.getLock('orders', 'beta')).toBeUndefined();
    });

    it('is released by its holder only; anyone else releasing it is a no-op', async () => {
      await registry.acquire(lockRequest('r1'));
      expect(await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r2', executionArn: executionArn('r2') })).toBe(false);
      expect(await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('other') })).toBe(false);
      expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'r1' });
      expect(await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') })).toBe(true);
      expect(await registry.getLock('orders', 'live')).toBeUndefined();
      expect(await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') })).toBe(false);
      await expect(registry.acquire(lockRequest('r2'))).resolves.toMatchObject({ rolloutId: 'r2' });
    });
  });

  describe('the history', () => {
    it('keeps progress while running and the ending once, first word wins', async () => {
      await registry.acquire(lockRequest('r1'));
      expect(await registry.recordProgress({ ...lockRequest('r1'), progress: progress(1, 10) })).toBe(true);
      expect((await registry.get('r1'))?.progress).toMatchObject({ currentStep: 1, weightPercent: 10, steps: [{ verdict: 'healthy', target: { invocations: 100, errors: 0 } }] });

      expect(await registry.finish(ending('r1', { status: 'rolled_back', reason: 'errors 5x the baseline', finalVersion: '7', progress: progress(2, 20) }))).toBe(true);
      expect(await registry.finish(ending('r1', { status: 'aborted', reason: 'late guard' }))).toBe(false);
      expect(await registry.recordProgress({ ...lockRequest('r1'), progress: progress(3, 30) })).toBe(false);
      expect(await registry.get('r1')).toMatchObject({
        status: 'rolled_back',
        reason: 'errors 5x the baseline',
        finalVersion: '7',
        endedAt: iso(T0 + 600_000),
        startedBy: CALLER,
        progress: { currentStep: 2, weightPercent: 20 },
      });
    });

    it("never writes over another execution's record", async () => {
      await registry.acquire(lockRequest('r1'));
      expect(await registry.finish(ending('r1', { executionArn: executionArn('intruder'), status: 'failed' }))).toBe(false);
      expect(await registry.recordProgress({ ...lockRequest('r1', { executionArn: executionArn('intruder') }), progress: progress(1, 10) })).toBe(false);
      expect(await registry.get('r1')).toMatchObject({ status: 'running', executionArn: executionArn('r1') });
    });

    it("marks the record when the rollout's own execution takes the lock, and keeps the mark once it ended", async () => {
      await registry.acquire(lockRequest('r1', { status: 'pending', baselineVersion: undefined }));
      expect((await registry.get('r1'))?.lockedAt).toBeUndefined();
      await registry.acquire(lockRequest('r1', { at: iso(T0 + 2000) }));
      await registry.acquire(lockRequest('r1', { at: iso(T0 + 9000) }));
      await registry.finish(ending('r1'));
      expect(await registry.get('r1')).toMatchObject({ status: 'promoted', lockedAt: iso(T0 + 2000) });
    });

    it('records the ending of a rollout that never held the lock (refused), listable like any other', async () => {
      expect(await registry.finish(ending('r9', { status: 'refused', reason: 'rollout r1 is already running on orders:live', finalVersion: '7' }))).toBe(true);
      expect(await registry.get('r9')).toMatchObject({ status: 'refused', startedBy: STARTED_OUTSIDE_API });
      expect((await registry.get('r9'))?.lockedAt).toBeUndefined();
      expect((await registry.list({ status: 'refused', limit: 10 })).items.map((r) => r.rolloutId)).toEqual(['r9']);
    });

    it("keeps the latest check's detail on an open record of the same execution only", async () => {
      await registry.acquire(lockRequest('r1'));
      const check = { at: T0 + 60_000, step: 0, weightPercent: 10, verdict: 'healthy' as const, reason: 'ok', next: 'bake' as const, signals: [{ name: 'alarm a', verdict: 'healthy' as const, reason: 'alarm a is OK' }] };
      expect(await registry.recordCheck({ ...lockRequest('r1'), check, at: iso(T0 + 60_000) })).toBe(true);
      expect((await registry.get('r1'))?.lastCheck).toEqual(check);
      expect(await registry.recordCheck({ ...lockRequest('r1', { executionArn: executionArn('intruder') }), check: { ...check, reason: 'forged' }, at: iso(T0) })).toBe(false);
      await registry.finish(ending('r1'));
      expect(await registry.recordCheck({ ...lockRequest('r1'), check: { ...check, reason: 'late' }, at: iso(T0) })).toBe(false);
      expect((await registry.get('r1'))?.lastCheck?.reason).toBe('ok');
    });

    it("hands a running rollout's lock and record over to its continuation, both or neither", async () => {
      await registry.acquire(lockRequest('r1'));
      const handOff = { to: executionArn('r1-c1'), digest: 'd1' };
      const recordHandOff = (from: string, rolloutId = 'r1', to = handOff) => registry.recordHandOff({ functionName: 'orders', alias: 'live', rolloutId, executionArn: from, handOff: to, at: iso(T0 + 500) });
      const handOver = (from: string, to: string, digest = 'd1', rolloutId = 'r1') => registry.handOver({ functionName: 'orders', alias: 'live', rolloutId, from, to, digest, at: iso(T0 + 1000) });
      // Only the holder records where it hands over to.
      expect(await recordHandOff(executionArn('r1-other'))).toBe(false);
      expect(await recordHandOff(executionArn('r1'), 'r2')).toBe(false);
      expect((await registry.getLock('orders', 'live'))?.handOff).toBeUndefined();
      // Without a hand-off, nobody takes the lock over.
      expect(await handOver(executionArn('r1'), executionArn('r1-c1'))).toBe(false);
      expect(await recordHandOff(executionArn('r1'))).toBe(true);
      expect(await recordHandOff(executionArn('r1'))).toBe(true);
      expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: executionArn('r1'), handOff });
      // Another execution, another input, another predecessor or rollout: refused, nothing moves.
      expect(await handOver(executionArn('r1'), executionArn('r1-forged'))).toBe(false);
      expect(await handOver(executionArn('r1'), executionArn('r1-c1'), 'd2')).toBe(false);
      expect(await handOver(executionArn('r1-other'), executionArn('r1-c1'))).toBe(false);
      expect(await handOver(executionArn('r1'), executionArn('r1-c1'), 'd1', 'r2')).toBe(false);
      expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: executionArn('r1'), handOff });
      expect(await registry.get('r1')).toMatchObject({ executionArn: executionArn('r1') });

      expect(await handOver(executionArn('r1'), executionArn('r1-c1'))).toBe(true);
      const moved = await registry.getLock('orders', 'live');
      expect(moved).toMatchObject({ rolloutId: 'r1', executionArn: executionArn('r1-c1'), status: 'running', startedBy: CALLER });
      expect(moved?.handOff).toBeUndefined();
      expect(await registry.get('r1')).toMatchObject({ executionArn: executionArn('r1-c1'), status: 'running', startedBy: CALLER, startedAt: iso(T0) });
      expect(await registry.findByExecution(executionArn('r1-c1'))).toMatchObject({ rolloutId: 'r1' });
      expect(await registry.findByExecution(executionArn('r1'))).toBeUndefined();
      // A retried hand-over (or hand-off) finds it done; the old execution can no longer write, release or hand off elsewhere.
      expect(await handOver(executionArn('r1'), executionArn('r1-c1'))).toBe(true);
      expect(await recordHandOff(executionArn('r1'))).toBe(true);
      expect(await recordHandOff(executionArn('r1'), 'r1', { to: executionArn('r1-elsewhere'), digest: 'd1' })).toBe(false);
      expect((await registry.getLock('orders', 'live'))?.handOff).toBeUndefined();
      expect(await registry.recordProgress({ ...lockRequest('r1'), progress: progress(1, 10) })).toBe(false);
      expect(await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') })).toBe(false);
      expect(await registry.finish(ending('r1', { executionArn: executionArn('r1-c1') }))).toBe(true);
      expect(await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1-c1') })).toBe(true);
    });

    it('does not hand over a rollout whose record has ended', async () => {
      await registry.acquire(lockRequest('r1'));
      await registry.recordHandOff({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1'), handOff: { to: executionArn('r1-c1'), digest: 'd1' }, at: iso(T0) });
      await registry.finish(ending('r1', { status: 'aborted', reason: 'stopped' }));
      expect(await registry.handOver({ functionName: 'orders', alias: 'live', rolloutId: 'r1', from: executionArn('r1'), to: executionArn('r1-c1'), digest: 'd1', at: iso(T0) })).toBe(false);
      expect(await registry.getLock('orders', 'live')).toMatchObject({ executionArn: executionArn('r1') });
    });

    it('finds a rollout by its execution', async () => {
      await registry.acquire(lockRequest('r1'));
      expect(await registry.findByExecution(executionArn('r1'))).toMatchObject({ rolloutId: 'r1' });
      expect(await registry.findByExecution(executionArn('nobody'))).toBeUndefined();
    });
  });

  describe('lists', () => {
    // Six rollouts a minute apart: orders:live r0, r2, r4 (r0 and r2 ended), orders:beta r1, payments:live r3, orders:canary r5.
    beforeEach(async () => {
      for (let i = 0; i < 6; i += 1) {
        const target = i === 1 ? { alias: 'beta' } : i === 3 ? { functionName: 'payments' } : i === 5 ? { alias: 'canary' } : {};
        const at = iso(T0 + i * 60_000);
        await registry.acquire(lockRequest(`r${i}`, { ...target, startedAt: at, at }));
        if (i === 0 || i === 2) {
          await registry.finish(ending(`r${i}`, { status: i === 0 ? 'promoted' : 'rolled_back', startedAt: at }));
          await registry.release({ functionName: 'orders', alias: 'live', rolloutId: `r${i}`, executionArn: executionArn(`r${i}`) });
        }
      }
    });

    it('lists newest first, filtered by function (name or ARN), alias and status', async () => {
      const ids = async (q: Parameters<RolloutRegistry['list']>[0]) => (await registry.list(q)).items.map((r) => r.rolloutId);
      expect(await ids({ limit: 20 })).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
      expect(await ids({ functionName: 'orders', limit: 20 })).toEqual(['r5', 'r4', 'r2', 'r1', 'r0']);
      expect(await ids({ functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live', limit: 20 })).toEqual(['r4', 'r2', 'r0']);
      expect(await ids({ functionName: 'orders', alias: 'live', status: 'running', limit: 20 })).toEqual(['r4']);
      expect(await ids({ status: 'running', limit: 20 })).toEqual(['r5', 'r4', 'r3', 'r1']);
      expect(await ids({ status: 'promoted', limit: 20 })).toEqual(['r0']);
    });

    it('pages with an opaque token: full pages, every item once, a token only while more remain', async () => {
      const { pages } = await collect(registry, { limit: 4 });
      expect(pages.map((p) => p.map((r) => r.rolloutId))).toEqual([['r5', 'r4', 'r3', 'r2'], ['r1', 'r0']]);
      const filtered = await collect(registry, { functionName: 'orders', alias: 'live', limit: 1 });
      expect(filtered.pages.map((p) => p.map((r) => r.rolloutId))).toEqual([['r4'], ['r2'], ['r0']]);
      const exact = await registry.list({ status: 'running', limit: 4 });
      expect(exact.items).toHaveLength(4);
      expect(exact.nextToken).toBeUndefined();
    });

    it('refuses a token it did not issue, naming the parameter', async () => {
      const error = await registry.list({ limit: 2, nextToken: 'bm90LWEtdG9rZW4' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).issues).toEqual([{ field: 'nextToken', rule: 'is not a token this API returned' }]);
    });
  });

  describe('idempotency keys', () => {
    it('claims a fresh key, then answers with the claim, then with the stored answer', async () => {
      expect(await idempotency.claim('k1', 'fp1', T0)).toBeUndefined();
      expect(await idempotency.claim('k1', 'fp1', T0 + 1000)).toMatchObject({ key: 'k1', fingerprint: 'fp1', status: 'in_progress' });
      await idempotency.complete('k1', 'fp1', { statusCode: 202, body: { rolloutId: 'r1', steps: [1, 2] } }, T0 + 2000);
      expect(await idempotency.claim('k1', 'fp1', T0 + 3000)).toMatchObject({ status: 'completed', response: { statusCode: 202, body: { rolloutId: 'r1', steps: [1, 2] } } });
    });

    it('forgets the answer after 24 hours, even before the table deletes it', async () => {
      await idempotency.claim('k1', 'fp1', T0);
      await idempotency.complete('k1', 'fp1', { statusCode: 202, body: {} }, T0);
      expect(await idempotency.claim('k1', 'fp1', T0 + IDEMPOTENCY_TTL_MS - 1)).toMatchObject({ status: 'completed' });
      expect(await idempotency.claim('k1', 'fp2', T0 + IDEMPOTENCY_TTL_MS)).toBeUndefined();
      expect(await idempotency.claim('k1', 'fp2', T0 + IDEMPOTENCY_TTL_MS + 1)).toMatchObject({ status: 'in_progress', fingerprint: 'fp2' });
    });

    it('lets a retry take over the claim of a request that died', async () => {
      await idempotency.claim('k1', 'fp1', T0);
      expect(await idempotency.claim('k1', 'fp1', T0 + IN_PROGRESS_MS - 1)).toMatchObject({ status: 'in_progress' });
      expect(await idempotency.claim('k1', 'fp1', T0 + IN_PROGRESS_MS)).toBeUndefined();
    });

    it("forgets a claim on request, but only the claimer's, and never a stored answer", async () => {
      await idempotency.claim('k1', 'fp1', T0);
      await idempotency.forget('k1', 'fp-other');
      expect(await idempotency.claim('k1', 'fp1', T0 + 1)).toMatchObject({ status: 'in_progress' });
      await idempotency.forget('k1', 'fp1');
      expect(await idempotency.claim('k1', 'fp1', T0 + 2)).toBeUndefined();
      await idempotency.complete('k1', 'fp1', { statusCode: 202, body: {} }, T0 + 3);
      await idempotency.forget('k1', 'fp1');
      await idempotency.complete('k1', 'fp-other', { statusCode: 500, body: {} }, T0 + 4);
      expect(await idempotency.claim('k1', 'fp1', T0 + 5)).toMatchObject({ status: 'completed', response: { statusCode: 202 } });
    });
  });
});

describe('both registries, step by step', () => {
  it('agree on every outcome of any sequence of acquires, releases, endings, hand-offs and hand-overs', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), id: fc.integer({ min: 0, max: 2 }), exec: fc.integer({ min: 0, max: 1 }), pending: fc.boolean(), alias: fc.constantFrom('live', 'beta') }),
      fc.record({ kind: fc.constant('release' as const), id: fc.integer({ min: 0, max: 2 }), exec: fc.integer({ min: 0, max: 1 }), alias: fc.constantFrom('live', 'beta') }),
      fc.record({ kind: fc.constant('finish' as const), id: fc.integer({ min: 0, max: 2 }), exec: fc.integer({ min: 0, max: 1 }), alias: fc.constantFrom('live', 'beta') }),
      fc.record({ kind: fc.constant('handOff' as const), id: fc.integer({ min: 0, max: 2 }), exec: fc.integer({ min: 0, max: 1 }), to: fc.integer({ min: 0, max: 1 }), digest: fc.constantFrom('d0', 'd1'), alias: fc.constantFrom('live', 'beta') }),
      fc.record({ kind: fc.constant('handOver' as const), id: fc.integer({ min: 0, max: 2 }), exec: fc.integer({ min: 0, max: 1 }), to: fc.integer({ min: 0, max: 1 }), digest: fc.constantFrom('d0', 'd1'), alias: fc.constantFrom('live', 'beta') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        const [memory, dynamo] = implementations.map(([, make]) => make().registry) as [RolloutRegistry, RolloutRegistry];
        const apply = async (registry: RolloutRegistry, o: (typeof ops)[number]) => {
          const arn = executionArn(`r${o.id}-e${o.exec}`);
          try {
            if (o.kind === 'acquire') return (await registry.acquire(lockRequest(`r${o.id}`, { executionArn: arn, alias: o.alias, status: o.pending ? 'pending' : 'running' }))).rolloutId;
            if (o.kind === 'release') return await registry.release({ functionName: 'orders', alias: o.alias, rolloutId: `r${o.id}`, executionArn: arn });
            if (o.kind === 'handOff') return await registry.recordHandOff({ functionName: 'orders', alias: o.alias, rolloutId: `r${o.id}`, executionArn: arn, handOff: { to: executionArn(`r${o.id}-e${o.to}`), digest: o.digest }, at: iso(T0) });
            if (o.kind === 'handOver') return await registry.handOver({ functionName: 'orders', alias: o.alias, rolloutId: `r${o.id}`, from: arn, to: executionArn(`r${o.id}-e${o.to}`), digest: o.digest, at: iso(T0) });
            return await registry.finish(ending(`r${o.id}`, { executionArn: arn, alias: o.alias }));
          } catch (error) {
            return (error as Error).constructor.name;
          }
        };
        for (const o of ops) {
          const a = await apply(memory, o);
          const b = await apply(dynamo, o);
          expect(b).toEqual(a);
          for (const alias of ['live', 'beta']) {
            const [m, d] = [await memory.getLock('orders', alias), await dynamo.getLock('orders', alias)];
            expect([d?.rolloutId, d?.executionArn, d?.handOff]).toEqual([m?.rolloutId, m?.executionArn, m?.handOff]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
