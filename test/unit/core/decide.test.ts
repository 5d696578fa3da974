import { describe, expect, it } from 'vitest';
import { emptyControl, GateSchema, type RolloutControl } from '../../../functions/core/control.js';
import { checkInterval, decide, firstCursor, startBake } from '../../../functions/core/decide.js';
import { HealthPolicySchema, type Verdict } from '../../../functions/core/health.js';
import { toPlan } from '../../../functions/core/strategy.js';
import type { Cursor } from '../../../functions/core/state.js';

const plan = toPlan({ type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 300 }, { weightPercent: 50, bakeSeconds: 600 }] });
const policy = HealthPolicySchema.parse({ insufficientData: { holdSeconds: 120, maxHoldSeconds: 240 } });
const v = (verdict: Verdict['verdict'], reason: string = verdict, noWorse = false): Verdict => ({
  verdict,
  reason,
  target: { invocations: 0, errors: 0 },
  baseline: { invocations: 0, errors: 0 },
  signals: [],
  noWorse,
});
const T = 1_000_000 - 40_000; // 00:16:00 UTC on 1 January 1970, a whole minute
/** Step `step` shifted at T: its bake ends at T + bake. */
const at = (step: number, heldSeconds = 0): Cursor => ({ ...startBake({ ...firstCursor(plan), step, weightPercent: plan.steps[step]!.weightPercent, bakeSeconds: plan.steps[step]!.bakeSeconds }, T, policy), heldSeconds });

describe('firstCursor and startBake', () => {
  it('starts at the first step', () => {
    expect(firstCursor(plan)).toMatchObject({ step: 0, weightPercent: 10, bakeSeconds: 300, next: 'shift' });
  });
  it('promotes at once for AllAtOnce', () => {
    expect(firstCursor(toPlan('AllAtOnce')).next).toBe('promote');
  });
  it('a shift starts a bake checked every minute', () => {
    expect(at(0)).toMatchObject({ next: 'bake', shiftedAt: T, bakeEndsAt: T + 300_000, waitSeconds: 60 });
  });
});

describe('decide', () => {
  it.each([
    ['mid-bake and healthy: bake on, next check in a minute', at(0), v('healthy'), T + 60_000, { next: 'bake', waitSeconds: 60, step: 0 }],
    ['mid-bake and inconclusive: bake on', at(0), v('inconclusive'), T + 60_000, { next: 'bake' }],
    ['mid-bake, the last wait is shorter', at(0), v('healthy'), T + 270_000, { next: 'bake', waitSeconds: 30 }],
    ['mid-bake and unhealthy: roll back at once', at(0), v('unhealthy', 'error rate over the limit'), T + 60_000, { next: 'rollback', reason: 'error rate over the limit' }],
    ['bake over and healthy: next step', at(0), v('healthy'), T + 300_000, { next: 'shift', step: 1, weightPercent: 50, bakeSeconds: 600, heldSeconds: 0 }],
    ['bake over at the last step: promote', at(1), v('healthy'), T + 600_000, { next: 'promote', step: 1 }],
    ['bake over and inconclusive: hold', at(0), v('inconclusive', 'not enough traffic'), T + 300_000, { next: 'hold', heldSeconds: 120, bakeEndsAt: T + 420_000, waitSeconds: 60, reason: 'not enough traffic; holding 120s for more evidence' }],
    ['holds up to the limit', at(0, 120), v('inconclusive'), T + 420_000, { next: 'hold', heldSeconds: 240 }],
    ['past the limit: roll back with the reason', at(0, 240), v('inconclusive', 'not enough traffic: 3 of 100 requests'), T + 540_000, { next: 'rollback', reason: 'not enough traffic: 3 of 100 requests' }],
  ] as const)('%s', (_, cursor, verdict, now, expected) => {
    expect(decide(plan, cursor, verdict, policy, now)).toMatchObject(expected);
  });

  it('a hold keeps checking every minute until it ends', () => {
    const held = decide(plan, at(0), v('inconclusive'), policy, T + 300_000);
    expect(decide(plan, held, v('inconclusive'), policy, T + 360_000)).toMatchObject({ next: 'hold', heldSeconds: 120, waitSeconds: 60 });
    expect(decide(plan, held, v('healthy'), policy, T + 420_000)).toMatchObject({ next: 'shift', step: 1 });
  });

  it('proceeds past the hold limit only when the policy says so', () => {
    const proceed = HealthPolicySchema.parse({ insufficientData: { maxHoldSeconds: 0, then: 'proceed' } });
    expect(decide(plan, at(0), v('inconclusive', 'not enough traffic'), proceed, T + 300_000)).toMatchObject({ next: 'shift', step: 1, reason: 'not enough traffic; proceeding as the policy allows' });
    expect(decide(plan, at(1), v('inconclusive'), proceed, T + 600_000).next).toBe('promote');
  });

  describe('a long bake', () => {
    const day = toPlan({ type: 'canary', percent: 10, bakeSeconds: 86_400 });
    const baking = startBake(firstCursor(day), T, policy);
    it('is checked every minute in its first hour, then every 15 minutes', () => {
      expect(decide(day, baking, v('healthy'), policy, T + 3_540_000)).toMatchObject({ next: 'bake', waitSeconds: 60 });
      expect(decide(day, baking, v('healthy'), policy, T + 3_600_000)).toMatchObject({ next: 'bake', waitSeconds: 900 });
      expect(decide(day, baking, v('healthy'), policy, T + 86_000_000)).toMatchObject({ next: 'bake', waitSeconds: 400 });
    });
    it('still rolls back at the first unhealthy check, and its cadence is the operator\'s to choose', () => {
      expect(decide(day, baking, v('unhealthy', 'alarm in ALARM'), policy, T + 7_200_000)).toMatchObject({ next: 'rollback', reason: 'alarm in ALARM' });
      const steady = HealthPolicySchema.parse({ longBakeCheckEverySeconds: 60 });
      expect(decide(day, baking, v('healthy'), steady, T + 7_200_000).waitSeconds).toBe(60);
      const slow = HealthPolicySchema.parse({ checkEverySeconds: 1800, longBakeCheckEverySeconds: 600 });
      expect(checkInterval(slow, T, T + 7_200_000)).toBe(1800);
    });
  });

  describe('each weight judged on its own evidence', () => {
    const short = toPlan({ type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 60 }, { weightPercent: 20, bakeSeconds: 60 }] });
    const shifted = (at: number) => startBake(firstCursor(short), at, policy);
    it('waits after the bake for the first complete minute served entirely at the weight, and says when CloudWatch has it', () => {
      const waiting = decide(short, shifted(T + 30_000), v('healthy'), policy, T + 90_000);
      expect(waiting).toMatchObject({ next: 'bake', waitSeconds: 60, awaiting: T + 240_000, reason: 'bake over; waiting for the first complete minute at 10% (00:17-00:18), in CloudWatch at about 00:20' });
      expect(decide(short, waiting, v('inconclusive', 'no data yet'), policy, T + 150_000)).toMatchObject({ next: 'bake', waitSeconds: 60, reason: expect.stringMatching(/^bake over; waiting/) });
      expect(decide(short, waiting, v('healthy'), policy, T + 240_000)).toMatchObject({ next: 'shift', step: 1 });
    });
    it('an unhealthy verdict still rolls back while waiting', () => {
      const waiting = decide(short, shifted(T), v('healthy'), policy, T + 60_000);
      expect(decide(short, waiting, v('unhealthy', 'bad'), policy, T + 120_000)).toMatchObject({ next: 'rollback', reason: 'bad' });
    });
    it('the rule does not wait when the policy advances on schedule', () => {
      const schedule = HealthPolicySchema.parse({ advance: 'schedule' });
      expect(decide(short, startBake(firstCursor(short), T, schedule), v('healthy'), schedule, T + 60_000)).toMatchObject({ next: 'shift', step: 1 });
    });
  });

  describe('adaptive', () => {
    const adaptive = toPlan({ type: 'adaptive', weights: [10, 50], minBakeSeconds: 60, maxBakeSeconds: 600 });
    const step0 = startBake(firstCursor(adaptive), T, policy);
    it('advances early once the minimum bake is over, a complete minute at the weight is judged, and the target is no worse', () => {
      // Shifted at T (00:16:00, a whole minute): 00:16-00:17 is in CloudWatch at 00:19.
      expect(decide(adaptive, step0, v('healthy', 'fine', true), policy, T + 60_000).next).toBe('bake');
      expect(decide(adaptive, step0, v('healthy', 'fine', true), policy, T + 180_000)).toMatchObject({ next: 'shift', step: 1, reason: 'fine; no worse than the baseline after 180s, advancing early' });
    });
    it('not before the minimum bake', () => {
      expect(decide(adaptive, step0, v('healthy', 'fine', true), policy, T + 59_000).next).toBe('bake');
    });
    it('not without evidence that it is no worse', () => {
      expect(decide(adaptive, step0, v('healthy', 'fine', false), policy, T + 120_000).next).toBe('bake');
    });
    it('falls back to the maximum bake', () => {
      expect(decide(adaptive, step0, v('healthy'), policy, T + 600_000)).toMatchObject({ next: 'shift', step: 1 });
    });
  });
});

describe('decide with people in the loop', () => {
  const control = (over: Partial<RolloutControl> = {}): RolloutControl => ({ ...emptyControl('r1', 'arn:x', T), version: 1, ...over });
  const gates = [GateSchema.parse({ before: 2, timeoutSeconds: 600 }), GateSchema.parse({ before: 'promotion', onTimeout: 'proceed', timeoutSeconds: 600 })];
  const asked = { by: 'alice', at: 'then' };

  it('opens the gate before the next step instead of shifting: waits at the weight, checking every minute, announced once', () => {
    const waiting = decide(plan, at(0), v('healthy', 'fine'), policy, T + 300_000, { gates, control: control() });
    expect(waiting).toMatchObject({
      next: 'await',
      step: 0,
      weightPercent: 10,
      waitSeconds: 60,
      announce: 'gate',
      gate: { id: 'step-2', openedAt: new Date(T + 300_000).toISOString(), timesOutAt: new Date(T + 900_000).toISOString(), onTimeout: 'rollback', weightPercent: 10 },
      reason: `waiting for approval of gate step-2 (until ${new Date(T + 900_000).toISOString()}); fine`,
    });
    const still = decide(plan, waiting, v('healthy'), policy, T + 360_000, { gates, control: control() });
    expect(still).toMatchObject({ next: 'await', announce: undefined, gate: waiting.gate });
    // The last wait ends at the timeout.
    expect(decide(plan, waiting, v('healthy'), policy, T + 870_000, { gates, control: control() }).waitSeconds).toBe(30);
  });

  it('moves on once approved, rolls back once rejected or timed out, proceeds when the gate says so', () => {
    const waiting = decide(plan, at(0), v('healthy'), policy, T + 300_000, { gates, control: control() });
    const approved = control({ decisions: { 'step-2': { decision: 'approved', ...asked } } });
    expect(decide(plan, waiting, v('healthy', 'fine'), policy, T + 320_000, { gates, control: approved })).toMatchObject({ next: 'shift', step: 1, reason: 'fine; gate step-2 approved by alice' });
    const rejected = control({ decisions: { 'step-2': { decision: 'rejected', ...asked, reason: 'no' } } });
    expect(decide(plan, waiting, v('healthy'), policy, T + 320_000, { gates, control: rejected })).toMatchObject({ next: 'rollback', reason: 'gate step-2 was rejected by alice: no' });
    expect(decide(plan, waiting, v('healthy'), policy, T + 900_000, { gates, control: control() })).toMatchObject({ next: 'rollback', reason: 'gate step-2 was not decided within 600s' });
    const last = decide(plan, at(1), v('healthy', 'fine'), policy, T + 600_000, { gates, control: control() });
    expect(decide(plan, last, v('healthy', 'fine'), policy, T + 1_200_000, { gates, control: control() })).toMatchObject({ next: 'promote', reason: 'fine; gate promotion was not decided within 600s, proceeding as the gate says' });
  });

  it('an unhealthy verdict rolls back whatever people asked', () => {
    const waiting = decide(plan, at(0), v('healthy'), policy, T + 300_000, { gates, control: control() });
    expect(decide(plan, waiting, v('unhealthy', 'errors 5x'), policy, T + 320_000, { gates, control: control({ pause: asked }) })).toMatchObject({ next: 'rollback', reason: 'errors 5x' });
  });

  it('a pause holds where the rollout would advance, bakes on otherwise, and lets go on resume', () => {
    const paused = control({ pause: { ...asked, reason: 'incident' } });
    expect(decide(plan, at(0), v('healthy'), policy, T + 60_000, { control: paused }).next).toBe('bake');
    const holding = decide(plan, at(0), v('healthy', 'fine'), policy, T + 300_000, { control: paused });
    expect(holding).toMatchObject({ next: 'await', paused: true, announce: 'paused', waitSeconds: 60, reason: 'paused by alice (incident); fine' });
    expect(decide(plan, holding, v('healthy'), policy, T + 360_000, { control: paused }).announce).toBeUndefined();
    expect(decide(plan, holding, v('healthy'), policy, T + 360_000, { control: control() })).toMatchObject({ next: 'shift', step: 1 });
  });

  it('a promote request promotes at once, skipping steps and gates, once', () => {
    const promote = control({ promote: { ...asked, full: false } });
    const promoted = decide(plan, at(0), v('healthy'), policy, T + 60_000, { gates, control: promote });
    expect(promoted).toMatchObject({ next: 'promote', step: 0, promotion: { by: 'alice', full: false }, reason: 'promoted by alice; the remaining checks run at 100%' });
  });

  it('after promotion, the final bake ends in promote, or rolls back saying it was after promotion', () => {
    const final = { ...at(0), final: true, weightPercent: 100 };
    expect(decide(plan, final, v('healthy'), policy, T + 300_000).next).toBe('promote');
    expect(decide(plan, final, v('unhealthy', 'errors 5x'), policy, T + 60_000)).toMatchObject({ next: 'rollback', reason: 'after promotion, during the final bake: errors 5x' });
    expect(decide(plan, final, v('healthy'), policy, T + 300_000, { gates, control: control({ promote: { ...asked, full: true } }) }).next).toBe('promote');
  });
});
