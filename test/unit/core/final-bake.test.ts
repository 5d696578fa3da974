import { describe, expect, it } from 'vitest';
import { assessFinalCheck, finalBakeSeconds, judgeFinalErrors, preRolloutBaseline, preRolloutQueries, preRolloutWindow, verifyingState } from '../../../functions/core/final-bake.js';
import { HealthPolicySchema } from '../../../functions/core/health.js';
import type { MinuteEvidence } from '../../../functions/core/judge.js';
import { tallyOf } from '../../../functions/core/tally.js';
import { HooksSchema } from '../../../functions/core/hooks.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { runningState } from '../support/rollouts.js';

const T = Date.UTC(2026, 0, 5, 10);
const policy = HealthPolicySchema.parse({});
const minutes = (n: number, invocations: number, errors: number): MinuteEvidence[] =>
  Array.from({ length: n }, (_, i) => ({ at: T + i * 60_000, target: { invocations, errors, throttles: 0 }, baseline: { invocations: 0, errors: 0, throttles: 0 } }));
const before = { start: T - 3_600_000, end: T, invocations: 60_000, errors: 60 };

describe('the baseline before the rollout', () => {
  it('is the hour of complete minutes before now, read in one period per metric', () => {
    expect(preRolloutWindow(T + 30_000, 120)).toEqual({ start: T - 120_000 - 3_600_000, end: T - 120_000 });
    expect(preRolloutQueries('orders', 'live', '7')).toEqual([
      { id: 'beforeInvocations', namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '7' }, stat: 'Sum', periodSeconds: 3600 },
      { id: 'beforeErrors', namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '7' }, stat: 'Sum', periodSeconds: 3600 },
    ]);
    expect(preRolloutBaseline({ start: 0, end: 1 }, [{ id: 'beforeInvocations', timestamps: [0], values: [600] }])).toEqual({ start: 0, end: 1, invocations: 600, errors: 0 });
  });
});

describe('judgeFinalErrors', () => {
  it.each([
    ['as good as before', minutes(10, 200, 0), before, 'healthy'],
    ['5% against 0.1% before', minutes(10, 200, 10), before, 'unhealthy'],
    ['a crash', minutes(2, 100, 100), before, 'unhealthy'],
    ['too little traffic yet', minutes(1, 50, 0), before, 'inconclusive'],
    ['nothing before to compare with', minutes(10, 200, 0), { ...before, invocations: 40, errors: 0 }, 'inconclusive'],
  ] as const)('%s: %s', (_, m, b, verdict) => {
    expect(judgeFinalErrors(policy, tallyOf(m).target, b).verdict).toBe(verdict);
  });

  it('says what it compared', () => {
    expect(judgeFinalErrors(policy, tallyOf(minutes(10, 200, 0)).target, before).reason).toBe(
      "error rate no worse than the baseline's before the rollout: target 0.00% (0/2000) since promotion vs baseline 0.10% (60/60000) in the hour before the rollout",
    );
  });
});

describe('after Finalize', () => {
  const promoted = { ...runningState(), cursor: { ...runningState().cursor, next: 'promote' as const, weightPercent: 100 } };

  it('bakes at 100% for finalBakeSeconds, a step record marked final', () => {
    const state = verifyingState({ ...promoted, rollout: { ...promoted.rollout, finalBakeSeconds: 600 } }, 600, T);
    expect(state.cursor).toMatchObject({ next: 'bake', final: true, weightPercent: 100, bakeEndsAt: T + 600_000, waitSeconds: 60 });
    expect(state.history.at(-1)).toMatchObject({ weightPercent: 100, final: true, checks: 0 });
  });

  it('verifies with the postTraffic hook alone, or is done', () => {
    const hooked = { ...promoted, rollout: { ...promoted.rollout, hooks: HooksSchema.parse({ postTraffic: { function: 'journeys' } }) } };
    expect(verifyingState(hooked, 0, T).cursor).toMatchObject({ next: 'verify', final: true });
    expect(verifyingState(promoted, 0, T)).toBe(promoted);
  });

  it('skips the final bake after a full promotion a person asked for; keeps the plan\'s remaining bakes otherwise', () => {
    const asked = (full: boolean) => ({
      ...runningState(),
      rollout: { ...runningState().rollout, finalBakeSeconds: 60 },
      cursor: { ...runningState().cursor, bakeEndsAt: T + 30_000, promotion: { by: 'alice', at: 'now', full } },
    });
    expect(finalBakeSeconds(asked(true), T)).toBe(0);
    // Step 3 of 9 of Linear10PercentEvery1Minute, 30 s left: 30 + 6 x 60.
    expect(finalBakeSeconds(asked(false), T)).toBe(390);
  });
});

describe('assessFinalCheck, on the running tally', () => {
  // Promoted at T0 + 10 min (a minute boundary), CloudWatch without delay, a baseline of 0.1% before the rollout.
  const P = T + 600_000;
  const base = runningState();
  const promoted = verifyingState(
    {
      ...base,
      rollout: { ...base.rollout, finalBakeSeconds: 600, baselineBefore: before, health: HealthPolicySchema.parse({ metricDelaySeconds: 0 }) },
      cursor: { ...base.cursor, next: 'promote', weightPercent: 100 },
      outcome: { status: 'promoted', reason: 'v8 serves 100% of live', at: new Date(P).toISOString(), finalVersion: '8' },
    },
    600,
    P,
  );
  const at = (from: number, n: number, invocations: number, errors: number): MinuteEvidence[] =>
    Array.from({ length: n }, (_, i) => ({ at: from + i * 60_000, target: { invocations, errors, throttles: 0 }, baseline: { invocations: 0, errors: 0, throttles: 0 } }));
  const check = (state: RolloutState, minutes: MinuteEvidence[], now: number) => assessFinalCheck(state, { minutes, alarms: [], metrics: [] }, now).state;

  it('judges only the target since the promotion: minutes served before it are never counted', () => {
    // Ten failing minutes before the promotion, two healthy ones after.
    const checked = check(promoted, [...at(P - 600_000, 10, 200, 100), ...at(P, 2, 200, 0)], P + 120_000);
    expect(checked.history.at(-1)).toMatchObject({ final: true, target: { invocations: 400, errors: 0 } });
    expect(checked.cursor.next).toBe('bake');
  });

  it('reads each minute once: two checks fold the same counts as one over both spans', () => {
    const minutes = at(P, 6, 500, 40);
    const once = check(promoted, minutes, P + 360_000);
    const twice = check(check(promoted, minutes.slice(0, 3), P + 180_000), minutes.slice(3), P + 360_000);
    expect(twice.history.at(-1)?.target).toEqual(once.history.at(-1)?.target);
    expect(twice.tally?.atWeight?.target).toEqual({ invocations: 3000, errors: 240, throttles: 0 });
    expect(once.cursor).toMatchObject({ next: 'rollback', reason: expect.stringMatching(/^after promotion, during the final bake: error rate higher than the baseline's before the rollout/) });
    expect(twice.cursor.next).toBe('rollback');
  });

  it('counts evidence it could not read as inconclusive, never healthy', () => {
    const blind = assessFinalCheck(promoted, { minutes: at(P, 2, 200, 0), alarms: [], metrics: [], unreadable: { metrics: 'Throttled: Rate exceeded' } }, P + 120_000).state;
    expect(blind.history.at(-1)).toMatchObject({ verdict: 'inconclusive', reason: expect.stringContaining('could not read the metrics: Throttled: Rate exceeded') });
    expect(blind.tally?.through).toBe(promoted.tally?.through);
  });
});
