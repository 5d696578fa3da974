import { describe, expect, it } from 'vitest';
import { InMemoryControlStore } from '../../../sim/control-store.js';
import { makePrepare } from '../../../functions/tasks/prepare.js';
import { makeShiftWeight } from '../../../functions/tasks/shift-weight.js';
import { makeCheckHealth } from '../../../functions/tasks/check-health.js';
import { makeFinalize } from '../../../functions/tasks/finalize.js';
import { makeRollback } from '../../../functions/tasks/rollback.js';
import { DriftError } from '../../../functions/core/errors.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { ScriptedMetrics, T0, alarmsOf, fixedClock, ordersWorld, probeAnswers, preparePorts } from '../../support/fakes.js';

const execution = { id: 'x', name: 'r1', startTime: '2026-01-05T10:00:00.000Z' };

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

  it('does not overwrite an alias someone else changed: drift', async () => {
    const { lambda, clock, state } = await started();
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '2' });
    await expect(makeShiftWeight({ lambda, clock })(state)).rejects.toBeInstanceOf(DriftError);
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '2', routing: {} });
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
  const ports = (metrics: ScriptedMetrics, now: number, alarms = alarmsOf(), invoker = probeAnswers()) => ({ metrics, alarms, invoker, controls: new InMemoryControlStore(), clock: fixedClock(now) });

  it('reads every complete minute since the target first got traffic, per version behind the alias', async () => {
    const { lambda, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock: fixedClock(T0 + 30_000) })(state);
    const metrics = new ScriptedMetrics({ target: [2000, 1], baseline: [18000, 20] });
    const checked = await makeCheckHealth(ports(metrics, T0 + 330_000))(shifted);
    const request = metrics.requests[0]!;
    // Minutes from the shift's minute up to the last one CloudWatch has completed (120 s delay).
    expect(request.startTime).toBe(T0);
    expect(request.endTime).toBe(T0 + 180_000);
    expect(request.queries).toContainEqual({
      id: 'targetErrors',
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '2' },
      stat: 'Sum',
      periodSeconds: 60,
    });
    expect(request.queries).toContainEqual(expect.objectContaining({ id: 'baselineDurationp99', metricName: 'Duration', stat: 'p99', periodSeconds: 180 }));
    expect(request.queries.filter((q) => q.periodSeconds === 60).map((q) => `${q.metricName}@${q.dimensions.ExecutedVersion}`).sort()).toEqual(['Errors@1', 'Errors@2', 'Invocations@1', 'Invocations@2', 'Throttles@1', 'Throttles@2']);
    expect(checked.cursor).toMatchObject({ next: 'shift', step: 1, weightPercent: 20 });
    expect(checked.history.at(-1)).toMatchObject({ checks: 1, verdict: 'healthy', target: { invocations: 2000, errors: 1 }, baseline: { invocations: 18000, errors: 20 } });
    expect(checked.history.at(-1)?.signals?.map((s) => s.name)).toEqual(['errors', 'latency p99', 'latency p90', 'throttles']);
  });

  it('an unhealthy target means rollback at once, with the numbers in the reason', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const checked = await makeCheckHealth(ports(new ScriptedMetrics({ target: [200, 40], baseline: [1800, 2] }), T0 + 180_000))(shifted);
    expect(checked.cursor.next).toBe('rollback');
    expect(checked.cursor.reason).toMatch(/^errors \d+x the baseline's rate \(likelihood ratio .* >= 100; false-rollback bound 1.00%\): target 20.00% \(40\/200\) vs baseline 0.11% \(2\/1800\)$/);
  });

  it('before CloudWatch has a complete minute, nothing is read and the step holds', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const metrics = new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] });
    const checked = await makeCheckHealth(ports(metrics, T0 + 60_000))(shifted);
    expect(metrics.requests).toEqual([]);
    expect(checked.cursor).toMatchObject({ next: 'hold', waitSeconds: 60, heldSeconds: 60 });
    expect(checked.history.at(-1)?.reason).toContain('no complete metric minute yet');
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
    const probing = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, probes: { payload: { ping: true }, count: 3, expect: { field: 'statusCode', equals: 200 } } } } };
    const shifted = await makeShiftWeight({ lambda, clock })(probing);
    const invoker = probeAnswers({ payload: '{"statusCode":200}' });
    const check = makeCheckHealth(ports(new ScriptedMetrics({ target: [600, 0], baseline: [5400, 5] }), T0 + 30_000, alarmsOf(), invoker));
    const once = await check(shifted);
    const twice = await check(once);
    expect(invoker.calls).toEqual(Array(3).fill({ functionName: 'orders', qualifier: '2', payload: { ping: true } }));
    expect(twice.history.at(-1)?.probes).toEqual({ sent: 3, passed: 3 });
  });

  it('a failing probe rolls back', async () => {
    const { lambda, clock, state } = await started();
    const probing = { ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, probes: { payload: {}, count: 2, expect: {} } } } };
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
