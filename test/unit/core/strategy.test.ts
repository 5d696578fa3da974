import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_EXECUTION_SECONDS, PRESETS, planProblems, presetName, toPlan } from '../../../functions/core/strategy.js';

const weights = (p: ReturnType<typeof toPlan>) => p.steps.map((s) => s.weightPercent);
const bakes = (p: ReturnType<typeof toPlan>) => p.steps.map((s) => s.bakeSeconds);

describe('CodeDeploy presets behave as CodeDeploy documents them', () => {
  it.each([
    ['Canary10Percent5Minutes', [10], [300]],
    ['Canary10Percent10Minutes', [10], [600]],
    ['Canary10Percent15Minutes', [10], [900]],
    ['Canary10Percent30Minutes', [10], [1800]],
    ['Linear10PercentEvery1Minute', [10, 20, 30, 40, 50, 60, 70, 80, 90], Array(9).fill(60)],
    ['Linear10PercentEvery2Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90], Array(9).fill(120)],
    ['Linear10PercentEvery3Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90], Array(9).fill(180)],
    ['Linear10PercentEvery10Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90], Array(9).fill(600)],
    ['AllAtOnce', [], []],
  ] as const)('%s shifts through %j, then promotes', (name, w, b) => {
    const plan = toPlan(name);
    expect(weights(plan)).toEqual(w);
    expect(bakes(plan)).toEqual(b);
    expect(planProblems(plan)).toEqual([]);
  });

  it('a linear preset reaches 100% ten minutes after it starts, like CodeDeploy', () => {
    // Shifts at 0, 1, ..., 8 minutes to 10..90%, and the promotion to 100% after the ninth minute.
    expect(toPlan('Linear10PercentEvery1Minute').totalBakeSeconds).toBe(9 * 60);
  });

  it('accepts names with or without the CodeDeployDefault.Lambda prefix', () => {
    expect(presetName('CodeDeployDefault.LambdaCanary10Percent5Minutes')).toBe('Canary10Percent5Minutes');
    expect(presetName('Linear10PercentEvery3Minutes')).toBe('Linear10PercentEvery3Minutes');
    expect(presetName('CodeDeployDefault.LambdaAllAtOnce')).toBe('AllAtOnce');
    expect(presetName('CodeDeployDefault.AllAtOnce')).toBeUndefined();
    expect(presetName('toString')).toBeUndefined();
    expect(Object.keys(PRESETS)).toHaveLength(9);
  });
});

describe('custom strategies', () => {
  it('canary: one weight, one bake', () => {
    expect(toPlan({ type: 'canary', percent: 5, bakeSeconds: 900 }).steps).toEqual([{ weightPercent: 5, bakeSeconds: 900 }]);
  });
  it('linear: increments that do not divide 100 stop below 100', () => {
    expect(weights(toPlan({ type: 'linear', percent: 30, intervalSeconds: 60 }))).toEqual([30, 60, 90]);
    expect(weights(toPlan({ type: 'linear', percent: 12.5, intervalSeconds: 60 }))).toEqual([12.5, 25, 37.5, 50, 62.5, 75, 87.5]);
  });
  it('exponential: grows by the factor until it would reach 100', () => {
    expect(weights(toPlan({ type: 'exponential', startPercent: 1, factor: 2, intervalSeconds: 60 }))).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(weights(toPlan({ type: 'exponential', startPercent: 1, factor: 5, intervalSeconds: 60 }))).toEqual([1, 5, 25]);
  });
  it('explicit steps are kept as given', () => {
    const steps = [
      { weightPercent: 1, bakeSeconds: 600 },
      { weightPercent: 5, bakeSeconds: 600 },
      { weightPercent: 25, bakeSeconds: 1200 },
      { weightPercent: 50, bakeSeconds: 1800 },
    ];
    const plan = toPlan({ type: 'steps', steps });
    expect(plan.steps).toEqual(steps);
    expect(plan.totalBakeSeconds).toBe(4200);
  });
});

describe('planProblems refuses nonsensical plans', () => {
  const plan = (steps: { weightPercent: number; bakeSeconds: number }[]) => toPlan({ type: 'steps', steps });
  it.each([
    [[{ weightPercent: 0, bakeSeconds: 60 }], 'steps[0].weightPercent: must be more than 0 and less than 100 (got 0)'],
    [[{ weightPercent: 100, bakeSeconds: 60 }], 'steps[0].weightPercent: must be more than 0 and less than 100 (got 100)'],
    [[{ weightPercent: 10, bakeSeconds: 30 }], 'steps[0].bakeSeconds: must be a whole number of at least 60 (got 30)'],
    [
      [{ weightPercent: 20, bakeSeconds: 60 }, { weightPercent: 20, bakeSeconds: 60 }],
      'steps[1].weightPercent: weights must strictly increase (got 20 after 20)',
    ],
    [[{ weightPercent: 10, bakeSeconds: MAX_EXECUTION_SECONDS + 1 }], 'longer than a Standard execution may run'],
  ])('%j', (steps, message) => {
    expect(planProblems(plan(steps)).join('\n')).toContain(message);
  });

  it('counts holds against the one-year limit', () => {
    const p = plan([{ weightPercent: 10, bakeSeconds: MAX_EXECUTION_SECONDS - 100 }]);
    expect(planProblems(p)).toEqual([]);
    expect(planProblems(p, 600).join()).toContain('bakes and holds add up to');
  });

  it('refuses more than 100 steps (the execution history limit)', () => {
    expect(planProblems(toPlan({ type: 'linear', percent: 0.5, intervalSeconds: 60 })).join()).toContain('at most 100 steps');
  });

  it('property: every linear and exponential plan in range is accepted, increases strictly and stays inside (0, 100)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ type: fc.constant('linear' as const), percent: fc.double({ min: 1, max: 99, noNaN: true }), intervalSeconds: fc.integer({ min: 60, max: 3600 }) }),
          fc.record({
            type: fc.constant('exponential' as const),
            startPercent: fc.double({ min: 0.5, max: 99, noNaN: true }),
            factor: fc.double({ min: 1.1, max: 10, noNaN: true }),
            intervalSeconds: fc.integer({ min: 60, max: 3600 }),
          }),
        ),
        (strategy) => {
          const p = toPlan(strategy);
          expect(planProblems(p)).toEqual([]);
          expect(p.steps.length).toBeGreaterThan(0);
          p.steps.forEach((s, i) => {
            expect(s.weightPercent).toBeGreaterThan(0);
            expect(s.weightPercent).toBeLessThan(100);
            if (i > 0) expect(s.weightPercent).toBeGreaterThan(p.steps[i - 1]!.weightPercent);
          });
        },
      ),
    );
  });
});
