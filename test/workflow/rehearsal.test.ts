/** Rehearsals of the built-in scenarios: outcomes, virtual time, repeatability by seed. */
import { describe, expect, it } from 'vitest';
import { distribution, firstBadSecond, type RehearsalProgress, rehearse, rehearseMany, rolloutInputOf } from '../../sim/rehearsal.js';
import { BUILTIN_SCENARIOS, loadScenario, parseScenario, rateOf, type Scenario, ScenarioError } from '../../sim/scenarios.js';
import { SimWorld } from '../../sim/world.js';
import { InvalidInputError, ThrottledError } from '../../functions/core/errors.js';

describe('built-in scenarios', () => {
  it('healthy: promoted after the five-minute canary, alias wholly on the target', async () => {
    const r = await rehearse(loadScenario('healthy'));
    expect(r).toMatchObject({ outcome: 'promoted', error: null, durationSeconds: 300, endedAtSeconds: 300, badFromSeconds: null, detectionSeconds: null, missed: false, finalAlias: { version: '2', routing: {} } });
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ weightPercent: 10, verdict: 'healthy' });
    // About 10% of 50 requests/s for 300 s went to the new version.
    expect(r.target.requests).toBeGreaterThan(1300);
    expect(r.target.requests).toBeLessThan(1700);
  });

  it('crash: rolled back at the first check after the first complete metric minute', async () => {
    const r = await rehearse(loadScenario('crash'));
    // Shifted at 0 s; the minute [0 s, 60 s) is complete in CloudWatch at 60 s + 120 s.
    expect(r).toMatchObject({ outcome: 'rolled_back', error: 'RolloutRolledBack', endedAtSeconds: 180, badFromSeconds: 0, detectionSeconds: 180, missed: false, finalAlias: { version: '1', routing: {} } });
    expect(r.checks.map((c) => c.next)).toEqual(['bake', 'bake', 'rollback']);
    expect(r.target.errors).toBe(r.target.requests);
    expect(r.reason).toMatch(/^most requests fail/);
    expect(r.notifications.map((n) => n.type)).toEqual(['started', 'shifted', 'rolled_back']);
  });

  it('low traffic: never promoted untested; rolled back for lack of evidence after holding', async () => {
    const r = await rehearse(loadScenario('low-traffic'));
    expect(r.outcome).toBe('rolled_back');
    expect(r.reason).toMatch(/^not enough traffic: \d+ of 100 requests: .* \(observed split [\d.]+% at a 10% weight\)$/);
    expect(r.durationSeconds).toBe(300 + 600);
    expect(r.checks.map((c) => c.next)).toEqual([...Array(4).fill('bake'), ...Array(10).fill('hold'), 'rollback']);
  });

  it('degrading: caught after it starts failing, not before', async () => {
    const r = await rehearse(loadScenario('degrading'));
    expect(r.outcome).toBe('rolled_back');
    expect(r.badFromSeconds).toBe(240);
    expect(r.steps.length).toBeGreaterThan(2);
    expect(r.steps.slice(0, 2).every((s) => s.verdict === 'healthy')).toBe(true);
    expect(r.detectionSeconds).toBe(r.endedAtSeconds - 240);
    expect(r.missed).toBe(false);
  });

  it("ends its progress with the plan's step count, the step reached, the target's final weight and the outcome", async () => {
    const ends = async (name: string) => {
      const events: RehearsalProgress[] = [];
      const r = await rehearse(loadScenario(name), { onProgress: (p) => events.push(p) });
      return { r, ended: events.at(-1) };
    };
    const healthy = await ends('healthy');
    expect(healthy.ended).toMatchObject({ kind: 'ended', step: 1, steps: 1, weightPercent: 100, outcome: 'promoted', atSeconds: healthy.r.durationSeconds });
    const degrading = await ends('degrading');
    expect(degrading.ended).toMatchObject({ kind: 'ended', step: degrading.r.steps.at(-1)!.step, steps: 9, weightPercent: 0, outcome: 'rolled_back' });
    expect(degrading.r.steps.length).toBeLessThan(9);
  });

  it('every built-in scenario parses', () => {
    for (const name of Object.keys(BUILTIN_SCENARIOS)) expect(loadScenario(name).name).toBe(name);
  });
});

describe('when the target was bad', () => {
  const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
  const worldOf = (scenario: Scenario) => new SimWorld({ rate: rateOf(scenario), baseline: scenario.baseline, target: scenario.target, seed: scenario.seed });

  it("follows the traffic model's behaviour: changes apply in order of time, whatever their order in the list", async () => {
    // Listed late first: the target recovers at 300 s and starts failing at 600 s.
    const scenario = parseScenario({
      name: 'unsorted',
      strategy: 'Canary10Percent15Minutes',
      traffic: { rps: 50 },
      baseline: steady,
      target: { ...steady, changes: [{ atSeconds: 600, errorRate: 0.5 }, { atSeconds: 300, errorRate: 0.001 }] },
    });
    expect(firstBadSecond(scenario, worldOf(scenario))).toBe(600);
    const r = await rehearse(scenario);
    expect(r).toMatchObject({ outcome: 'rolled_back', badFromSeconds: 600, missed: false });
    expect(r.detectionSeconds).toBe(r.endedAtSeconds - 600);
  });

  it('judges error rate, p99 over 1.2x and throttling against the baseline at the same moment', () => {
    const at = (target: object, baseline: object = steady) => {
      const scenario = parseScenario({ name: 'x', traffic: { rps: 1 }, baseline, target: { ...steady, ...target } });
      return firstBadSecond(scenario, worldOf(scenario));
    };
    expect(at({})).toBeNull();
    expect(at({ p99Ms: 240 })).toBeNull();
    expect(at({ p99Ms: 241 })).toBe(0);
    expect(at({ throttleRate: 0.01 })).toBe(0);
    expect(at({ changes: [{ atSeconds: 90, errorRate: 0.002 }] })).toBe(90);
    // The baseline gets worse too, at the same moment: no worse than the baseline.
    expect(at({ changes: [{ atSeconds: 90, errorRate: 0.002 }] }, { ...steady, changes: [{ atSeconds: 90, errorRate: 0.002 }] })).toBeNull();
  });

  it('a bad version the rollout did not roll back is missed', async () => {
    const scenario = parseScenario({ name: 'slightly-worse', traffic: { rps: 50 }, baseline: steady, target: { ...steady, errorRate: 0.0015 } });
    const r = await rehearse(scenario);
    expect(r).toMatchObject({ outcome: 'promoted', badFromSeconds: 0, detectionSeconds: null, missed: true });
  });

  it('the alias write can come before the end of the execution: the facts keep both moments', async () => {
    const r = await rehearse(loadScenario('crash'), { setup: lockReleaseThrottledSixTimes });
    expect(r).toMatchObject({ outcome: 'rolled_back', endedAtSeconds: 180, badFromSeconds: 0, detectionSeconds: 180 });
    expect(r.durationSeconds).toBeGreaterThan(180);
  });
});

/**
 * The lock's release is throttled six times: the execution retries after the rollback's write. The
 * retries' full jitter is random, so how long varies; six retries make it more than a second.
 */
function lockReleaseThrottledSixTimes(world: SimWorld): void {
  const release = world.registry.release.bind(world.registry);
  let calls = 0;
  world.registry.release = async (lock) => {
    calls += 1;
    if (calls <= 6) throw new ThrottledError('Rate exceeded');
    return release(lock);
  };
}

describe('virtual time and repeatability', () => {
  it('the workflow waits in virtual time: alias changes land exactly at the bakes', async () => {
    const r = await rehearse({ ...loadScenario('healthy'), strategy: 'Linear10PercentEvery10Minutes', metricDelaySeconds: 60 });
    expect(r.steps.map((s) => s.startedAtSeconds)).toEqual([0, 600, 1200, 1800, 2400, 3000, 3600, 4200, 4800]);
    expect(r.durationSeconds).toBe(5400);
  });

  it('the same seed gives the same result; another seed does not', async () => {
    const a = await rehearse(loadScenario('error-regression'));
    const b = await rehearse(loadScenario('error-regression'));
    const c = await rehearse({ ...loadScenario('error-regression'), seed: 2 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('many runs summarise into rates and percentiles', async () => {
    const { summary, results } = await rehearseMany(loadScenario('crash'), 5);
    expect(results.map((r) => r.seed)).toEqual([1, 2, 3, 4, 5]);
    expect(summary.outcomeShares).toEqual({ promoted: 0, rolled_back: 1, failed: 0 });
    expect(summary.outcomeCounts).toEqual({ promoted: 0, rolled_back: summary.runs, failed: 0 });
    expect(summary.detectionSeconds).toEqual({ median: 180, p95: 180, n: 5 });
  });

  it('many runs take the options of one: each run is set up the same way', async () => {
    const seen: number[] = [];
    const { results } = await rehearseMany(loadScenario('healthy'), 3, { setup: (world) => seen.push(world.startTime) });
    expect(seen).toHaveLength(3);
    expect(results.map((r) => r.seed)).toEqual([1, 2, 3]);
    const ended: RehearsalProgress[] = [];
    await rehearseMany(loadScenario('crash'), 2, { onProgress: (p) => p.kind === 'ended' && ended.push(p) });
    expect(ended.map((p) => p.outcome)).toEqual(['rolled_back', 'rolled_back']);
  });

  it('distribution uses nearest-rank percentiles and ignores missing values', () => {
    expect(distribution([5, null, 1, 3, 2, 4])).toEqual({ median: 3, p95: 5, n: 5 });
    expect(distribution([null])).toEqual({ median: null, p95: null, n: 0 });
  });
});

describe('scenario files', () => {
  it('refuse bad fields by name', () => {
    expect(() => parseScenario({ name: 'x', traffic: { rps: -1 }, baseline: { errorRate: 2, p50Ms: 10, p99Ms: 5 }, target: {} }, 'my.json')).toThrow(ScenarioError);
    try {
      parseScenario({ name: 'x', traffic: { rps: -1 }, baseline: { errorRate: 2, p50Ms: 10, p99Ms: 50 }, target: { errorRate: 0, p50Ms: 10, p99Ms: 5 } }, 'my.json');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('my.json is invalid');
      expect(message).toContain('traffic.rps: must be requests per second, 0 or more');
      expect(message).toContain('baseline.errorRate: the error rate must be a fraction from 0 to 1');
      expect(message).toContain('target.p99Ms: p99Ms must be at least p50Ms');
    }
  });

  it("a scenario's rollout input comes parsed, with the plan the rehearsal reports", async () => {
    const scenario = { ...loadScenario('healthy'), strategy: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' };
    const parsed = rolloutInputOf(scenario, { functionName: 'orders', alias: 'live', targetVersion: '2' });
    expect(parsed.plan.strategy).toBe('Linear10PercentEvery1Minute');
    expect(parsed.plan.steps).toHaveLength(9);
    expect((await rehearse(scenario)).strategy).toBe(parsed.plan.strategy);
  });

  it('a bad strategy in a scenario is refused before anything runs', async () => {
    await expect(rehearse({ ...loadScenario('healthy'), strategy: 'Canary99Percent' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('a traffic shape changes the rate over time', async () => {
    const r = await rehearse(parseScenario({ name: 'ramp', traffic: { shape: [{ atSeconds: 0, rps: 1 }, { atSeconds: 120, rps: 100 }] }, baseline: { errorRate: 0, p50Ms: 10, p99Ms: 50 }, target: { errorRate: 0, p50Ms: 10, p99Ms: 50 } }));
    const perMinute = r.timeline.map((p) => p.target.requests + p.baseline.requests);
    expect(perMinute[0]).toBeLessThan(120);
    expect(perMinute[3]).toBeGreaterThan(5000);
  });
});
