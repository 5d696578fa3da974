import { describe, expect, it } from 'vitest';
import { InMemoryControlStore } from '../../../sim/control-store.js';
import { makePrepare } from '../../../functions/tasks/prepare.js';
import { makeShiftWeight } from '../../../functions/tasks/shift-weight.js';
import { makeCheckHealth } from '../../../functions/tasks/check-health.js';
import { makeFinalize } from '../../../functions/tasks/finalize.js';
import { makeRollback } from '../../../functions/tasks/rollback.js';
import { LOOP_EVENTS } from '../../../functions/core/continuation.js';
import { ConfirmedDriftError, DriftError, ErrorName, RejectedError, ThrottledError } from '../../../functions/core/errors.js';
import type { RolloutRegistry } from '../../../functions/ports.js';
import { InMemoryRolloutRegistry } from '../../../sim/registry.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { ScriptedMetrics, T0, alarmsOf, fixedClock, ordersWorld, probeAnswers, preparePorts } from '../../support/fakes.js';

const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1', name: 'r1', startTime: '2026-01-05T10:00:00.000Z' };

async function started(strategy: unknown = 'Linear10PercentEvery1Minute') {
  const lambda = ordersWorld();
  const clock = fixedClock(T0);
  const state = (await makePrepare({ ...preparePorts(lambda), clock })({ input: { functionName: 'orders', alias: 'live', targetVersion: '2', strategy }, execution })) as RolloutState;
  return { lambda, clock, state };
}

describe('ShiftWeight', () => {
  it('routes the step weight to the target with the RevisionId it last saw, and carries the new one', async () => {
    const { lambda, clock, state } = await started();
    const seen = state.alias.revisionId;
    const next = await makeShiftWeight({ lambda, clock })(state);
    const update = lambda.calls.find((c) => c.op === 'updateAlias')?.args;
    expect(update).toEqual({ functionName: 'orders', alias: 'live', functionVersion: '1', routing: { '2': 10 }, revisionId: seen });
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '1', routing: { '2': 10 } });
    expect(next.alias.revisionId).toBe(lambda.peekAlias('orders', 'live').revisionId);
    expect(next.alias.revisionId).not.toBe(seen);
    expect(next.cursor).toMatchObject({ next: 'bake', shiftedAt: T0, bakeEndsAt: T0 + 60_000, waitSeconds: 60 });
    expect(next.history).toEqual([{ step: 0, weightPercent: 10, shiftedAt: T0, revisionId: next.alias.revisionId, checks: 0 }]);
  });

  it('does not overwrite an alias someone else changed: drift, confirmed with the alias as read', async () => {
    const { lambda, clock, state } = await started();
    const theirs = lambda.changeAliasExternally('orders', 'live', { functionVersion: '2' });
    const refused = await makeShiftWeight({ lambda, clock })(state).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfirmedDriftError);
    expect(refused).toMatchObject({
      current: { functionVersion: '2', routing: {}, revisionId: theirs.revisionId },
      message: `alias live was changed by someone else: it routes v2 100% at revision ${theirs.revisionId}, while this rollout last wrote revision ${state.alias.revisionId}`,
    });
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '2', routing: {} });
  });

  it('a 412 with the alias still at the revision it sent is no drift: thrown as transient, for the workflow to try again', async () => {
    const { lambda, clock, state } = await started();
    lambda.injectFault('updateAlias', () => new DriftError('The Revision Id provided does not match the latest Revision Id'), 1);
    await expect(makeShiftWeight({ lambda, clock })(state)).rejects.toMatchObject({ name: ErrorName.Transient, message: expect.stringContaining('nobody changed it') });
    expect(lambda.calls.filter((c) => c.op === 'getAlias').length).toBeGreaterThan(0);
    await expect(makeShiftWeight({ lambda, clock })(state)).resolves.toMatchObject({ alias: { routing: { '2': 10 } } });
  });

  it('recognises its own earlier write when a retry meets a new RevisionId', async () => {
    const { lambda, clock, state } = await started();
    const shift = makeShiftWeight({ lambda, clock });
    const first = await shift(state);
    // The first answer was lost; Step Functions retries with the old state.
    const retried = await shift(state);
    expect(retried.alias.revisionId).toBe(first.alias.revisionId);
    expect(lambda.aliasChanges.filter((c) => c.by === 'rollout')).toHaveLength(1);
  });
});

describe('CheckHealth', () => {
  const ports = (metrics: ScriptedMetrics, now: number, alarms = alarmsOf(), invoker = probeAnswers(), registry: Pick<RolloutRegistry, 'recordCheck'> = new InMemoryRolloutRegistry()) => ({
    metrics,
    alarms,
    invoker,
    registry,
    controls: new InMemoryControlStore(),
    clock: fixedClock(now),
  });

  it('reads the complete minutes it has not judged yet, per version behind the alias, and the baseline reference once', async () => {
    const { lambda, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock: fixedClock(T0 + 30_000) })(state);
    const metrics = new ScriptedMetrics({ target: [2000, 1], baseline: [18000, 20] });
    const checked = await makeCheckHealth(ports(metrics, T0 + 330_000))(shifted);
    const [counts, reference] = metrics.requests;
    // Minutes from the shift's minute up to the last one CloudWatch has completed (120 s delay).
    expect(counts).toMatchObject({ startTime: T0, endTime: T0 + 180_000 });
    expect(counts?.queries).toContainEqual({
      id: 'targetErrors',
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '2' },
      stat: 'Sum',
      periodSeconds: 60,
    });
    expect(counts?.queries.map((q) => `${q.metricName}@${q.dimensions.ExecutedVersion}`).sort()).toEqual(['Errors@1', 'Errors@2', 'Invocations@1', 'Invocations@2', 'Throttles@1', 'Throttles@2']);
    expect(reference?.queries).toContainEqual(expect.objectContaining({ id: 'referencep99', metricName: 'Duration', stat: 'p99', periodSeconds: 180, dimensions: expect.objectContaining({ ExecutedVersion: '1' }) }));
    expect(checked.cursor).toMatchObject({ next: 'shift', step: 1, weightPercent: 20 });
    expect(checked.history.at(-1)).toMatchObject({ checks: 1, verdict: 'healthy', target: { invocations: 2000, errors: 1 }, baseline: { invocations: 18000, errors: 20 }, judged: { from: T0, to: T0 + 180_000, weights: [10], atWeight: 2 } });
    expect(checked.history.at(-1)).not.toHaveProperty('signals');

    const again = new ScriptedMetrics({ target: [1000, 0], baseline: [9000, 9] });
    const later = await makeCheckHealth(ports(again, T0 + 390_000))({ ...checked, cursor: { ...checked.cursor, next: 'bake' } });
    expect(again.requests.map((r) => [r.startTime, r.endTime])).toEqual([[T0 + 180_000, T0 + 240_000], [T0, T0 + 240_000]]);
    expect(later.tally?.target).toEqual({ invocations: 3000, errors: 1, throttles: 0 });
  });

  it("keeps the check's every signal on the rollout's record, and the loop's events in the cursor", async () => {
    const { lambda, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock: fixedClock(T0 + 30_000) })(state);
    const registry = new InMemoryRolloutRegistry();
    const checked = await makeCheckHealth(ports(new ScriptedMetrics({ target: [2000, 1], baseline: [18000, 20] }), T0 + 330_000, alarmsOf(), probeAnswers(), registry))(shifted);
    const record = await registry.get(state.rollout.id);
    expect(record?.lastCheck).toMatchObject({ at: T0 + 330_000, step: 0, weightPercent: 10, verdict: 'healthy', next: 'shift', target: { invocations: 2000, errors: 1 } });
    expect(record?.lastCheck?.signals.map((s) => s.name)).toEqual(['errors', 'latency p99', 'latency p90', 'throttles']);
    expect(checked.cursor.historyEvents).toBe(LOOP_EVENTS.start + LOOP_EVENTS.check + LOOP_EVENTS.announce + LOOP_EVENTS.shift);
  });

  it('a registry that cannot take the detail never stops the check', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const broken = { recordCheck: async () => Promise.reject(new ThrottledError('Rate exceeded')) };
    const checked = await makeCheckHealth(ports(new ScriptedMetrics({ target: [200, 40], baseline: [1800, 2] }), T0 + 180_000, alarmsOf(), probeAnswers(), broken))(shifted);
    expect(checked.cursor.next).toBe('rollback');
  });

  it('an unhealthy target means rollback at once, with the numbers in the reason', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const checked = await makeCheckHealth(ports(new ScriptedMetrics({ target: [200, 40], baseline: [1800, 2] }), T0 + 180_000))(shifted);
    expect(checked.cursor.next).toBe('rollback');
    expect(checked.cursor.reason).toMatch(/^errors \d+x the baseline's rate \(likelihood ratio .* >= 100; false-rollback bound 1.00%\): target 20.00% \(40\/200\) vs baseline 0.11% \(2\/1800\)$/);
  });

  it('before CloudWatch has a complete minute, nothing is read, and after the bake the step waits for its first minute, saying so', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const metrics = new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] });
    const checked = await makeCheckHealth(ports(metrics, T0 + 60_000))(shifted);
    expect(metrics.requests).toEqual([]);
    expect(checked.cursor).toMatchObject({ next: 'bake', waitSeconds: 60, heldSeconds: 0, awaiting: T0 + 180_000 });
    expect(checked.history.at(-1)?.reason).toBe('bake over; waiting for the first complete minute at 10% (10:00-10:01), in CloudWatch at about 10:03');
  });

  it('a watched alarm in ALARM rolls back', async () => {
    const { lambda, clock, state } = await started();
    const watched = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, alarms: { names: ['orders-5xx'], insufficientData: 'hold' as const } } } };
    const shifted = await makeShiftWeight({ lambda, clock })(watched);
    const checked = await makeCheckHealth(ports(new ScriptedMetrics({ target: [600, 0], baseline: [5400, 5] }), T0 + 180_000, alarmsOf({ 'orders-5xx': 'ALARM' })))(shifted);
    expect(checked.cursor).toMatchObject({ next: 'rollback', reason: 'alarm orders-5xx is in ALARM' });
  });

  it('probes the target version once per step and reports them apart', async () => {
    const { lambda, clock, state } = await started();
    const probing = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, probes: { payload: { ping: true }, count: 3, countAsEvidence: false, expect: { field: 'statusCode', equals: 200 } } } } };
    const shifted = await makeShiftWeight({ lambda, clock })(probing);
    const invoker = probeAnswers({ payload: '{"statusCode":200}' });
    const check = makeCheckHealth(ports(new ScriptedMetrics({ target: [600, 0], baseline: [5400, 5] }), T0 + 30_000, alarmsOf(), invoker));
    const once = await check(shifted);
    const twice = await check(once);
    expect(invoker.calls).toEqual(Array(3).fill({ functionName: 'orders', qualifier: '2', payload: { ping: true } }));
    expect(twice.history.at(-1)?.probes).toEqual({ sent: 3, passed: 3, lastAt: T0 + 30_000 });
  });

  it('before any traffic, verifies the target with a round of probes and refuses one that fails them', async () => {
    const { state } = await started();
    const probing = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, probes: { payload: {}, count: 2, countAsEvidence: false, expect: {} } } } };
    const failing = probeAnswers({ functionError: 'Unhandled', payload: '{"errorMessage":"boom"}' });
    const refused = await makeCheckHealth(ports(new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] }), T0, alarmsOf(), failing))({ action: 'verify', state: probing });
    expect(failing.calls).toHaveLength(2);
    expect(refused).toMatchObject({ refusal: { Error: 'RolloutRefused', Cause: 'version 2 failed its probes before any traffic moved: 2 of 2 failed: function error (Unhandled): {"errorMessage":"boom"}' } });
    const passing = await makeCheckHealth(ports(new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] }), T0))({ action: 'verify', state: probing });
    expect(passing).not.toHaveProperty('refusal');
    expect(passing.tally?.probes).toEqual({ sent: 2, passed: 2 });
    const unprobed = probeAnswers();
    expect(await makeCheckHealth(ports(new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] }), T0, alarmsOf(), unprobed))({ action: 'verify', state })).toEqual(state);
    expect(unprobed.calls).toEqual([]);
  });

  it('a probe whose Invoke is throttled is no failed probe: it is left out, and a step with no answer probes again next check', async () => {
    const { lambda, clock, state } = await started();
    const probing = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, probes: { payload: {}, count: 2, expect: {} } } } };
    const shifted = await makeShiftWeight({ lambda, clock })(probing);
    const answers = probeAnswers();
    let throttle = 1;
    const invoker = { ...answers, invoke: async (...args: Parameters<typeof answers.invoke>) => (throttle-- > 0 ? Promise.reject(new ThrottledError('Invoke orders:2: Rate exceeded')) : answers.invoke(...args)) };
    const registry = new InMemoryRolloutRegistry();
    const check = (metrics: ScriptedMetrics) => makeCheckHealth(ports(metrics, T0 + 30_000, alarmsOf(), invoker, registry));
    const once = await check(new ScriptedMetrics({ target: [600, 0], baseline: [5400, 5] }))(shifted);
    expect(once.history.at(-1)?.probes).toMatchObject({ sent: 1, passed: 1 });
    expect(once.cursor.next).not.toBe('rollback');

    throttle = 2;
    const unanswered = await check(new ScriptedMetrics({ target: [600, 0], baseline: [5400, 5] }))(shifted);
    expect(unanswered.history.at(-1)?.verdict).toBe('inconclusive');
    expect((await registry.get(state.rollout.id))?.lastCheck?.signals.find((s) => s.name === 'probes')).toEqual({ name: 'probes', verdict: 'inconclusive', reason: 'no probe answered: 2 probes, every Invoke failed (Throttled: Invoke orders:2: Rate exceeded)' });
    expect(unanswered.history.at(-1)?.probes).toBeUndefined();
  });

  it('strict, a read that fails is thrown for the Retry; after the retries, each source is read once more and an unreadable one is inconclusive', async () => {
    const { lambda, clock, state } = await started();
    const watched = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, alarms: { names: ['orders-5xx'], insufficientData: 'hold' as const } } } };
    const shifted = await makeShiftWeight({ lambda, clock })(watched);
    const throttled = { getMetricData: async () => Promise.reject(new ThrottledError('GetMetricData: Rate exceeded')) };
    const registry = new InMemoryRolloutRegistry();
    const check = makeCheckHealth({ metrics: throttled, alarms: alarmsOf({ 'orders-5xx': 'OK' }), invoker: probeAnswers(), controls: new InMemoryControlStore(), registry, clock: fixedClock(T0 + 180_000) });
    await expect(check(shifted)).rejects.toMatchObject({ name: ErrorName.Throttled });
    const caught = { Error: 'Throttled', Cause: 'GetMetricData: Rate exceeded' };
    const lenient = await check({ unreadable: caught, state: { ...shifted, unreadable: caught } });
    expect(lenient).not.toHaveProperty('unreadable');
    expect(lenient.history.at(-1)).toMatchObject({ verdict: 'inconclusive', reason: 'could not read the metrics: Throttled: GetMetricData: Rate exceeded' });
    expect((await registry.get(state.rollout.id))?.lastCheck?.signals.find((s) => s.name === 'alarm orders-5xx')).toMatchObject({ verdict: 'healthy' });
    // A failure that is not transient (no permission) is no unreadable evidence: it is thrown, and the workflow rolls back.
    const denied = makeCheckHealth({ metrics: { getMetricData: async () => Promise.reject(new RejectedError('AccessDenied')) }, alarms: alarmsOf(), invoker: probeAnswers(), controls: new InMemoryControlStore(), clock: fixedClock(T0 + 180_000) });
    await expect(denied({ unreadable: caught, state: shifted })).rejects.toMatchObject({ name: ErrorName.Rejected });
  });

  it('a failing probe rolls back', async () => {
    const { lambda, clock, state } = await started();
    const probing = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, probes: { payload: {}, count: 2, countAsEvidence: false, expect: {} } } } };
    const shifted = await makeShiftWeight({ lambda, clock })(probing);
    const checked = await makeCheckHealth(ports(new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] }), T0 + 30_000, alarmsOf(), probeAnswers({ functionError: 'Unhandled', payload: '{"errorMessage":"boom"}' })))(shifted);
    expect(checked.cursor).toMatchObject({ next: 'rollback', reason: 'probes: 2 of 2 failed: function error (Unhandled): {"errorMessage":"boom"}' });
  });
});

describe('Finalize', () => {
  it('makes the target the version and clears the routing, with the RevisionId', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const done = await makeFinalize({ lambda, clock })(shifted);
    expect(lambda.calls.filter((c) => c.op === 'updateAlias').at(-1)?.args).toEqual({ functionName: 'orders', alias: 'live', functionVersion: '2', routing: {}, revisionId: shifted.alias.revisionId });
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '2', routing: {} });
    expect(done.outcome).toMatchObject({ status: 'promoted', finalVersion: '2' });
  });

  it('promotes directly for AllAtOnce', async () => {
    const { lambda, clock, state } = await started('AllAtOnce');
    expect(state.cursor.next).toBe('promote');
    await makeFinalize({ lambda, clock })(state);
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '2', routing: {} });
  });
});

describe('Rollback', () => {
  it('puts the alias wholly back on the baseline, with the reason', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const failed = { ...shifted, cursor: { ...shifted.cursor, next: 'rollback' as const, reason: 'error rate over the limit' } };
    const done = await makeRollback({ lambda, clock })(failed);
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '1', routing: {} });
    expect(lambda.calls.filter((c) => c.op === 'updateAlias').at(-1)?.args).toMatchObject({ revisionId: shifted.alias.revisionId, routing: {} });
    expect(done.outcome).toMatchObject({ status: 'rolled_back', reason: 'error rate over the limit', finalVersion: '1' });
  });

  it('is idempotent: run twice, it writes once', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const rollback = makeRollback({ lambda, clock });
    await rollback(shifted);
    const again = await rollback(shifted);
    expect(again.outcome?.status).toBe('rolled_back');
    expect(lambda.aliasChanges.filter((c) => c.by === 'rollout')).toHaveLength(2);
  });

  it('undoes its own shift whose answer was lost (ShiftWeight failed after the write landed)', async () => {
    const { lambda, clock, state } = await started();
    await makeShiftWeight({ lambda, clock })(state);
    // The state still holds the RevisionId from before the shift, and the cursor says "shift".
    const done = await makeRollback({ lambda, clock })({ ...state, error: { Error: 'States.Timeout', Cause: 'ShiftWeight timed out' } });
    expect(done.outcome).toMatchObject({ status: 'rolled_back', reason: 'States.Timeout: ShiftWeight timed out' });
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '1', routing: {} });
  });

  it('an alias someone else moved wholly to another version is drift, left as it is', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '2' }, 'an operator');
    const done = await makeRollback({ lambda, clock })({ ...shifted, cursor: { ...shifted.cursor, next: 'rollback' as const, reason: 'unhealthy' } });
    expect(done.outcome?.status).toBe('drift');
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '2', routing: {} });
  });

  it('explains a caught task error in one line', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const done = await makeRollback({ lambda, clock })({
      ...shifted,
      error: { Error: 'TransientAwsError', Cause: '{"errorType":"TransientAwsError","errorMessage":"GetMetricData: InternalError\\n(retried)","trace":[]}' },
    });
    expect(done.outcome?.reason).toBe('TransientAwsError: GetMetricData: InternalError (retried)');
  });

  it('reports drift and leaves a change made by someone else alone', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '1', routing: { '2': 50 } }, 'an operator');
    const done = await makeRollback({ lambda, clock })({ ...shifted, cursor: { ...shifted.cursor, next: 'rollback' as const, reason: 'unhealthy' } });
    expect(done.outcome?.status).toBe('drift');
    expect(done.outcome?.reason).toContain('alias live was changed by someone else');
    expect(done.outcome?.reason).toContain('and was left as it is; it routes v1 50% + v2 50%');
    expect(lambda.peekAlias('orders', 'live').routing).toEqual({ '2': 50 });
    expect(lambda.aliasChanges.at(-1)?.by).toBe('an operator');
  });
});
