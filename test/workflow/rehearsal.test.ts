/** Rehearsals of the built-in scenarios: outcomes, virtual time, repeatability by seed. */
import { describe, expect, it } from 'vitest';
import { distribution, firstBadSecond, rehearse, rehearseMany } from '../../sim/rehearsal.js';
import { BUILTIN_SCENARIOS, loadScenario, parseScenario, ScenarioError } from '../../sim/scenarios.js';
import { InvalidInputError } from '../../functions/core/errors.js';

describe('built-in scenarios', () => {
  it('healthy: promoted after the five-minute canary, alias wholly on the target', async () => {
    const r = await rehearse(loadScenario('healthy'));
    expect(r).toMatchObject({ outcome: 'promoted', error: null, durationSeconds: 300, detectionSeconds: null, targetWasBad: false, finalAlias: { version: '2', routing: {} } });
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ weightPercent: 10, verdict: 'healthy' });
    // About 10% of 50 requests/s for 300 s went to the new version.
    expect(r.target.requests).toBeGreaterThan(1300);
    expect(r.target.requests).toBeLessThan(1700);
  });

  it('crash: rolled back at the first check after the first complete metric minute', async () => {
    const r = await rehearse(loadScenario('crash'));
    // Shifted at 0 s; the minute [0 s, 60 s) is complete in CloudWatch at 60 s + 120 s.
    expect(r).toMatchObject({ outcome: 'rolled_back', error: 'RolloutRolledBack', detectionSeconds: 180, finalAlias: { version: '1', routing: {} } });
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
    const scenario = loadScenario('degrading');
    expect(firstBadSecond(scenario)).toBe(240);
    const r = await rehearse(scenario);
    expect(r.outcome).toBe('rolled_back');
    expect(r.steps.length).toBeGreaterThan(2);
    expect(r.steps.slice(0, 2).every((s) => s.verdict === 'healthy')).toBe(true);
    expect(r.detectionSeconds).toBeGreaterThan(0);
  });

  it('every built-in scenario parses', () => {
    for (const name of Object.keys(BUILTIN_SCENARIOS)) expect(loadScenario(name).name).toBe(name);
  });
});

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
    expect(summary.outcomes).toEqual({ promoted: 0, rolled_back: 1, failed: 0 });
    expect(summary.detectionSeconds).toEqual({ median: 180, p95: 180, n: 5 });
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
