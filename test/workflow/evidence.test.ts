/**
 * Every weight judged on its own evidence, through the real workflow: no step advances and no
 * rollout promotes before a complete metric minute served entirely at its weight has been judged
 * (unless the policy says "schedule"), and `plan`'s expected duration is what a healthy rehearsal
 * takes, to the second.
 */
import { describe, expect, it } from 'vitest';
import { expectedRun } from '../../functions/core/expected.js';
import { HealthPolicySchema } from '../../functions/core/health.js';
import { PRESETS, type PresetName, toPlan } from '../../functions/core/strategy.js';
import { type RehearsalResult, rehearse } from '../../sim/rehearsal.js';
import { loadScenario, parseScenario, type ScenarioInput } from '../../sim/scenarios.js';

const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const healthy = (strategy: unknown, health: unknown = {}) =>
  parseScenario({ name: 'healthy', traffic: { rps: 100 }, baseline: steady, target: steady, strategy, health } as ScenarioInput);

/** Each step's judged minutes when it moved on: at least one served entirely at its weight. */
function judgedAtEveryWeight(r: RehearsalResult): void {
  for (const step of r.steps) {
    expect(step.judged?.atWeight, `step ${step.step} at ${step.weightPercent}%`).toBeGreaterThanOrEqual(1);
    expect(step.judged?.weights).toContain(step.weightPercent);
  }
}

describe('plan tells the truth', () => {
  const adaptive = { type: 'adaptive' as const, weights: [10, 50], minBakeSeconds: 60, maxBakeSeconds: 600 };
  it.each([...(Object.keys(PRESETS) as PresetName[]).map((p) => [p, p] as const), ['adaptive 10%, 50%', adaptive] as const])(
    '%s: the expected duration is the healthy rehearsal, to the second',
    async (_, strategy) => {
      const r = await rehearse(healthy(strategy));
      expect(r.outcome).toBe('promoted');
      expect(r.durationSeconds).toBe(expectedRun(toPlan(strategy), HealthPolicySchema.parse({})).durationSeconds);
      judgedAtEveryWeight(r);
    },
  );
});

describe('every weight judged on its own evidence', () => {
  it('a step waits after its bake for its first complete minute in CloudWatch, and says so', async () => {
    const r = await rehearse(healthy('Linear10PercentEvery1Minute'));
    expect(r.steps.map((s) => s.startedAtSeconds)).toEqual([0, 180, 360, 540, 720, 900, 1080, 1260, 1440]);
    expect(r.checks.find((c) => c.step === 1)?.reason).toBe('bake over; waiting for the first complete minute at 10% (10:00-10:01), in CloudWatch at about 10:03');
    judgedAtEveryWeight(r);
  });

  it('"schedule" keeps CodeDeploy\'s timing, and its checks say honestly what they judged', async () => {
    const schedule = { advance: 'schedule' };
    const r = await rehearse(healthy('Linear10PercentEvery1Minute', schedule));
    expect(r.outcome).toBe('promoted');
    // The first step holds until its first minute is in (no data is never healthy); then a step a minute.
    expect(r.steps.map((s) => s.startedAtSeconds)).toEqual([0, 180, 240, 300, 360, 420, 480, 540, 600]);
    expect(r.durationSeconds).toBe(expectedRun(toPlan('Linear10PercentEvery1Minute'), HealthPolicySchema.parse(schedule)).durationSeconds);
    expect(r.checks.find((c) => c.step === 4)?.reason).toMatch(/\(judged minutes 10:03-10:04 at 20%; none yet at 40%\)$/);
    expect(r.steps.at(-1)?.judged?.atWeight).toBe(0);
  });

  it('the degrading scenario never raises the weight on minutes older than the current weight', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await rehearse({ ...loadScenario('degrading'), seed });
      expect(r.outcome).toBe('rolled_back');
      // Every step that was left for the next had judged a minute served entirely at its weight.
      for (const step of r.steps.slice(0, -1)) expect(step.judged?.atWeight).toBeGreaterThanOrEqual(1);
      expect(Math.max(...r.steps.map((s) => s.weightPercent))).toBeLessThanOrEqual(30);
    }
  });

  it('a bake that ends between checks waits for its minute in CloudWatch, not for the next check', async () => {
    const r = await rehearse(healthy({ type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 90 }, { weightPercent: 20, bakeSeconds: 90 }] }));
    // 10% from 0 s: its minute 0-60 s is in at 180 s. 20% from 180 s: 180-240 s is in at 360 s.
    expect(r.steps.map((s) => s.startedAtSeconds)).toEqual([0, 180]);
    expect(r.durationSeconds).toBe(360);
  });
});
