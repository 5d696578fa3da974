/** The metrics the service emits about its rollouts: which points each fact becomes. Table-driven. */
import { describe, expect, it } from 'vitest';
import type { GuardedStatus } from '../../../functions/core/guard.js';
import type { EndedStatus } from '../../../functions/core/registry.js';
import {
  detectionSeconds,
  ENDING_METRICS,
  endingMetrics,
  failedTargetRequests,
  guardCountsEnding,
  rollbackFailedMetrics,
  startedMetrics,
  weightMetrics,
} from '../../../functions/core/service-metrics.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { iso, runningState, T0 } from '../support/rollouts.js';

const running = runningState();

/** The running rollout, its third step judged unhealthy (9 errors in 900 requests), rolled back 240 s after its first traffic. */
const rolledBack: RolloutState = {
  ...running,
  alias: { functionVersion: '7', routing: {}, revisionId: 'r4' },
  cursor: { ...running.cursor, next: 'rollback', reason: 'errors 5x the baseline' },
  history: [
    ...running.history.slice(0, -1),
    { ...running.history[2]!, checks: 1, checkedAt: T0 + 180_000, verdict: 'unhealthy', reason: 'errors 5x the baseline', target: { invocations: 900, errors: 9 }, baseline: { invocations: 2100, errors: 2 } },
  ],
  outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at: iso(T0 + 240_000), finalVersion: '7' },
};

describe('detectionSeconds', () => {
  it.each<[string, RolloutState, number | undefined]>([
    ['a rollback a health check decided: from the first traffic to the alias whole again', rolledBack, 240],
    ['a rollback after an error, with no unhealthy verdict', { ...rolledBack, history: running.history }, undefined],
    ['a rollout still running', running, undefined],
    ['drift: the alias was left as someone else set it', { ...rolledBack, outcome: { ...rolledBack.outcome!, status: 'drift' } }, undefined],
    ['no step shifted', { ...rolledBack, history: [] }, undefined],
    ['an outcome whose time cannot be read', { ...rolledBack, outcome: { ...rolledBack.outcome!, at: 'soon' } }, undefined],
  ])('%s', (_, state, expected) => expect(detectionSeconds(state)).toBe(expected));
});

describe('failedTargetRequests', () => {
  it.each<[string, RolloutState, number | undefined]>([
    ["the last check's count, since the target's first traffic", rolledBack, 9],
    ['the last step that was checked, when the current one was not yet', running, 1],
    ['nothing before any check', { ...running, history: running.history.map(({ target: _, ...step }) => step) }, undefined],
  ])('%s', (_, state, expected) => expect(failedTargetRequests(state)).toBe(expected));
});

describe('endingMetrics', () => {
  it.each(Object.entries(ENDING_METRICS) as [EndedStatus, string][])('counts %s in %s, by function', (status, name) => {
    expect(endingMetrics(status, 'orders')).toEqual({ functionName: 'orders', points: [{ name, unit: 'Count', value: 1 }] });
  });

  it('adds the detection time and the failed requests of a rollback it knows the state of', () => {
    expect(endingMetrics('rolled_back', 'orders', rolledBack).points).toEqual([
      { name: 'RolloutsRolledBack', unit: 'Count', value: 1 },
      { name: 'DetectionSeconds', unit: 'Seconds', value: 240 },
      { name: 'FailedTargetRequests', unit: 'Count', value: 9 },
    ]);
  });

  it('names the function by its bare name, and no function when the input named none', () => {
    expect(endingMetrics('refused', 'arn:aws:lambda:eu-west-1:123456789012:function:orders').functionName).toBe('orders');
    expect(endingMetrics('refused', undefined)).toEqual({ points: [{ name: 'RolloutsRefused', unit: 'Count', value: 1 }] });
  });
});

describe('startedMetrics and weightMetrics', () => {
  it('count a start', () => expect(startedMetrics(running)).toEqual({ functionName: 'orders', points: [{ name: 'RolloutsStarted', unit: 'Count', value: 1 }] }));

  it.each<[string, RolloutState, number]>([
    ['the weight the alias gives the target', running, 30],
    ['100 once the target is the version', { ...running, alias: { functionVersion: '8', routing: {}, revisionId: 'r9' } }, 100],
    ['0 once it is wholly back on the baseline', rolledBack, 0],
  ])('report %s', (_, state, value) => {
    expect(weightMetrics(state)).toEqual({ functionName: 'orders', points: [{ name: 'TargetWeightPercent', unit: 'Percent', value }] });
  });
});

describe('what the guard counts', () => {
  it.each<[GuardedStatus, string | undefined, boolean]>([
    ['ABORTED', 'RolloutAborted', true],
    ['TIMED_OUT', undefined, true],
    ['FAILED', 'States.DataLimitExceeded', true],
    ['FAILED', 'States.Runtime', true],
    // Every other failure ended in one of the workflow's Fail states, after NotifyEnding counted it.
    ['FAILED', 'RolloutRolledBack', false],
    ['FAILED', 'RollbackFailed', false],
    ['FAILED', 'RolloutRefused', false],
    ['FAILED', 'Lambda.ServiceException', false],
  ])('the ending of a %s execution (%s): %s', (status, error, counted) => expect(guardCountsEnding(status, error)).toBe(counted));

  it.each<[GuardedStatus, string | undefined, boolean]>([
    ['FAILED', 'RollbackFailed', true],
    ['FAILED', 'RolloutRolledBack', false],
    ['ABORTED', 'RollbackFailed', false],
  ])('RollbackFailed for a %s execution (%s): %s', (status, error, counted) => {
    expect(rollbackFailedMetrics(status, error, 'orders')).toEqual(counted ? { functionName: 'orders', points: [{ name: 'RollbackFailed', unit: 'Count', value: 1 }] } : undefined);
  });
});
