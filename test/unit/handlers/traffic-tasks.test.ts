import { describe, expect, it } from 'vitest';
import { makePrepare } from '../../../functions/handlers/prepare.js';
import { makeShiftWeight } from '../../../functions/handlers/shift-weight.js';
import { makeCheckHealth } from '../../../functions/handlers/check-health.js';
import { makeFinalize } from '../../../functions/handlers/finalize.js';
import { makeRollback } from '../../../functions/handlers/rollback.js';
import { DriftError } from '../../../functions/core/errors.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { ScriptedMetrics, T0, fixedClock, ordersWorld } from '../../support/fakes.js';

const execution = { id: 'x', name: 'r1', startTime: '2026-01-05T10:00:00.000Z' };

async function started(strategy: unknown = 'Linear10PercentEvery1Minute') {
  const lambda = ordersWorld();
  const clock = fixedClock(T0);
  const state = (await makePrepare({ lambda, clock })({ input: { functionName: 'orders', alias: 'live', targetVersion: '2', strategy }, execution })) as RolloutState;
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
    expect(next.cursor.shiftedAt).toBe(T0);
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
  it('reads invocations and errors per version behind the alias since the shift', async () => {
    const { lambda, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock: fixedClock(T0 + 30_000) })(state);
    const metrics = new ScriptedMetrics({ target: [200, 0], baseline: [1800, 2] });
    const checked = await makeCheckHealth({ metrics, clock: fixedClock(T0 + 150_000) })(shifted);
    const request = metrics.requests[0]!;
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
    expect(request.queries.map((q) => `${q.metricName}@${q.dimensions.ExecutedVersion}`).sort()).toEqual(['Errors@1', 'Errors@2', 'Invocations@1', 'Invocations@2']);
    expect(checked.cursor).toMatchObject({ next: 'shift', step: 1, weightPercent: 20 });
    expect(checked.history.at(-1)).toMatchObject({ checks: 1, verdict: 'healthy', target: { invocations: 200, errors: 0 }, baseline: { invocations: 1800, errors: 2 } });
  });

  it('an unhealthy target means rollback, with the numbers in the reason', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const checked = await makeCheckHealth({ metrics: new ScriptedMetrics({ target: [200, 40], baseline: [1800, 2] }), clock })(shifted);
    expect(checked.cursor.next).toBe('rollback');
    expect(checked.cursor.reason).toBe('error rate over the limit of 1.11%: target 20.00% (40/200) vs baseline 0.11% (2/1800)');
  });

  it('no data holds, and is never healthy', async () => {
    const { lambda, clock, state } = await started();
    const shifted = await makeShiftWeight({ lambda, clock })(state);
    const checked = await makeCheckHealth({ metrics: new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] }), clock })(shifted);
    expect(checked.cursor).toMatchObject({ next: 'hold', bakeSeconds: 60, heldSeconds: 60 });
    expect(checked.history.at(-1)?.verdict).toBe('inconclusive');
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
    expect(done.outcome?.reason).toContain('it now routes v1 50% + v2 50% and was left as it is');
    expect(lambda.peekAlias('orders', 'live').routing).toEqual({ '2': 50 });
    expect(lambda.aliasChanges.at(-1)?.by).toBe('an operator');
  });
});
