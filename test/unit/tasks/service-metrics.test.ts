/**
 * What the tasks count in the service's metrics, and where: Notify counts starts and every ending
 * the workflow announces, ShiftWeight and CheckHealth report the target's weight. (The guard's
 * counts are in guard.test.ts, with its fixtures.)
 */
import { describe, expect, it } from 'vitest';
import type { RolloutState } from '../../../functions/core/state.js';
import { makeCheckHealth } from '../../../functions/tasks/check-health.js';
import { makeNotify } from '../../../functions/tasks/notify.js';
import { makePrepare } from '../../../functions/tasks/prepare.js';
import { makeShiftWeight } from '../../../functions/tasks/shift-weight.js';
import { InMemoryControlStore } from '../../../sim/control-store.js';
import { RecordingMetrics, RecordingNotifier, ScriptedMetrics, T0, alarmsOf, fixedClock, ordersWorld, preparePorts, probeAnswers } from '../../support/fakes.js';
import { iso, runningState } from '../support/rollouts.js';

const running = runningState();
const input = { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live', targetVersion: '8' };
/** Rolled back 240 s after the target's first traffic, its last step judged unhealthy with 9 failed requests. */
const rolledBack: RolloutState = {
  ...running,
  alias: { functionVersion: '7', routing: {}, revisionId: 'r4' },
  history: [...running.history.slice(0, -1), { ...running.history[2]!, checks: 1, verdict: 'unhealthy', reason: 'errors 5x the baseline', target: { invocations: 900, errors: 9 } }],
  outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at: iso(T0 + 240_000), finalVersion: '7' },
};

function notify(serviceMetrics: RecordingMetrics, notifier = new RecordingNotifier()) {
  return makeNotify({ notifier, clock: fixedClock(), serviceMetrics });
}

describe('Notify counts', () => {
  it('a rollout that started', async () => {
    const metrics = new RecordingMetrics();
    await notify(metrics)({ event: 'started', state: running });
    expect(metrics.emitted).toEqual([{ functionName: 'orders', points: [{ name: 'RolloutsStarted', unit: 'Count', value: 1 }] }]);
  });

  it.each(['shifted', 'verdict', 'held'] as const)('nothing for %s: only starts and endings are counted', async (event) => {
    const metrics = new RecordingMetrics();
    await notify(metrics)({ event, state: running });
    expect(metrics.emitted).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['a rollback, with its detection time and the requests the target failed', rolledBack, ['orders RolloutsRolledBack=1', 'orders DetectionSeconds=240', 'orders FailedTargetRequests=9']],
    ['a promotion', { ...running, outcome: { status: 'promoted', reason: 'v8 serves 100% of live', at: iso(T0 + 600_000), finalVersion: '8' } }, ['orders RolloutsPromoted=1', 'orders FailedTargetRequests=1']],
    ['drift', { ...running, outcome: { status: 'drift', reason: 'changed by bob', at: iso(T0 + 600_000), finalVersion: '6' } }, ['orders RolloutsDrifted=1', 'orders FailedTargetRequests=1']],
    ['a failed rollback (the workflow then fails with RollbackFailed)', { ...running, error: { Error: 'States.TaskFailed', Cause: 'AccessDenied' } }, ['orders RolloutsFailed=1', 'orders FailedTargetRequests=1']],
    ['a refusal with a rollout state (the lock was held)', { ...running, refusal: { Error: 'RolloutRefused', Cause: 'rollout r0 is already running' } }, ['orders RolloutsRefused=1']],
    ['a refusal before there was a state, by the function the input names', { refusal: { Error: 'InvalidRolloutInput', Cause: 'strategy: unknown' } }, ['orders RolloutsRefused=1']],
    ['an unexpected error before the start, as a failure', { refusal: { Error: 'Lambda.ServiceException', Cause: 'boom' } }, ['orders RolloutsFailed=1']],
    ['a preTraffic hook that failed: a refusal, nothing moved', { ...running, history: [], refusal: { Error: 'RolloutRefused', Cause: 'the preTraffic hook smoke failed: 2 of 3 checks failed; no traffic was moved' } }, ['orders RolloutsRefused=1']],
    ['a gate a person rejected: a rollback', { ...running, outcome: { status: 'rolled_back', reason: 'gate promotion was rejected by alice: tickets doubled', at: iso(T0 + 600_000), finalVersion: '7' } }, ['orders RolloutsRolledBack=1', 'orders FailedTargetRequests=1']],
    [
      'a promotion the final bake rolled back, with its detection time',
      { ...rolledBack, history: [...running.history, { step: 3, weightPercent: 100, shiftedAt: T0 + 600_000, revisionId: 'r3', checks: 2, final: true, verdict: 'unhealthy', reason: 'after promotion, during the final bake: errors', target: { invocations: 3000, errors: 90 } }], outcome: { ...rolledBack.outcome!, at: iso(T0 + 900_000) } },
      ['orders RolloutsRolledBack=1', 'orders DetectionSeconds=900', 'orders FailedTargetRequests=90'],
    ],
  ])('the ending of %s', async (_, ending, points) => {
    const metrics = new RecordingMetrics();
    await notify(metrics)({ ending, input });
    expect(metrics.points).toEqual(points);
  });

  it('an input that names no function: the service-wide count only', async () => {
    const metrics = new RecordingMetrics();
    await notify(metrics)({ ending: { refusal: { Error: 'InvalidRolloutInput', Cause: 'functionName: required' } }, input: {} });
    expect(metrics.emitted).toEqual([{ points: [{ name: 'RolloutsRefused', unit: 'Count', value: 1 }] }]);
  });

  it('an ending even when every channel fails (the count does not wait on SNS)', async () => {
    const metrics = new RecordingMetrics();
    const failing = { publish: async () => Promise.reject(new Error('SNS is down')) };
    await expect(makeNotify({ notifier: failing, clock: fixedClock(), serviceMetrics: metrics })({ ending: rolledBack, input })).rejects.toThrow();
    expect(metrics.points[0]).toBe('orders RolloutsRolledBack=1');
  });
});

describe('the target weight of a running rollout', () => {
  it('is reported by ShiftWeight after each shift and by CheckHealth after each check', async () => {
    const lambda = ordersWorld();
    const metrics = new RecordingMetrics();
    const prepared = (await makePrepare(preparePorts(lambda))({
      input: { functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Linear10PercentEvery1Minute' },
      execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1', name: 'r1', startTime: iso(T0) },
    })) as RolloutState;
    const shifted = await makeShiftWeight({ lambda, clock: fixedClock(), serviceMetrics: metrics })(prepared);
    await makeCheckHealth({ metrics: new ScriptedMetrics({ target: [600, 0], baseline: [5400, 5] }), alarms: alarmsOf(), invoker: probeAnswers(), controls: new InMemoryControlStore(), clock: fixedClock(T0 + 180_000), serviceMetrics: metrics })(shifted);
    expect(metrics.emitted).toEqual([
      { functionName: 'orders', points: [{ name: 'TargetWeightPercent', unit: 'Percent', value: 10 }] },
      { functionName: 'orders', points: [{ name: 'TargetWeightPercent', unit: 'Percent', value: 10 }] },
    ]);
  });
});
