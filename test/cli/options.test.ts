import { describe, expect, it } from 'vitest';
import { applyOverrides, checkSimulateOptions, parseStrategyText } from '../../cli/options.js';
import { loadScenario, parseScenario } from '../../sim/scenarios.js';

const problemsOf = (raw: Parameters<typeof checkSimulateOptions>[0]) => {
  const checked = checkSimulateOptions(raw);
  return checked.ok ? [] : checked.problems;
};

describe('checkSimulateOptions', () => {
  it('accepts nothing at all, with the healthy scenario', () => {
    const checked = checkSimulateOptions({});
    expect(checked).toEqual({ ok: true, value: { scenario: 'healthy', overrides: {}, json: false } });
  });

  it('turns good values into numbers', () => {
    const checked = checkSimulateOptions({ rps: '2.5', canaryErrorRate: '0.05', baselineErrorRate: '0', canaryP99Ms: '450', seed: '42', metricDelaySeconds: '0', runs: '20', json: true });
    expect(checked.ok && checked.value).toEqual({
      scenario: 'healthy',
      overrides: { rps: 2.5, canaryErrorRate: 0.05, baselineErrorRate: 0, canaryP99Ms: 450, seed: 42, metricDelaySeconds: 0 },
      json: true,
      runs: 20,
    });
  });

  it.each([
    [{ canaryErrorRate: '5' }, '--canary-error-rate: must be a fraction from 0 to 1 (0.01 = 1%), got 5'],
    [{ baselineErrorRate: '-0.1' }, '--baseline-error-rate: must be a fraction from 0 to 1 (0.01 = 1%), got -0.1'],
    [{ rps: '-5' }, '--rps: must be requests per second, from 0 to 100000, got -5'],
    [{ rps: '10rps' }, '--rps: must be requests per second, from 0 to 100000, got 10rps'],
    [{ canaryP99Ms: '0' }, '--canary-p99-ms: must be a latency in milliseconds, more than 0, got 0'],
    [{ baselineP99Ms: 'fast' }, '--baseline-p99-ms: must be a latency in milliseconds, more than 0, got fast'],
    [{ metricDelaySeconds: '-1' }, '--metric-delay-seconds: must be a number of seconds from 0 to 900, got -1'],
    [{ metricDelaySeconds: '1e308' }, '--metric-delay-seconds: must be a number of seconds from 0 to 900, got 1e308'],
    [{ seed: '1.5' }, '--seed: must be a whole number from 0 to 2147483647, got 1.5'],
    [{ runs: '0' }, '--runs: must be a whole number from 1 to 1000, got 0'],
    [{ report: 'out.txt' }, '--report: must be a file name ending in .html, got out.txt'],
  ])('refuses %o: %s', (raw, message) => {
    expect(problemsOf(raw)).toEqual([message]);
  });

  it('reports every bad option at once', () => {
    expect(problemsOf({ rps: '-1', canaryErrorRate: '2', seed: 'x' })).toHaveLength(3);
  });

  it('refuses a report with --runs', () => {
    expect(problemsOf({ report: 'r.html', runs: '5' })).toEqual([expect.stringMatching(/^--report: .*cannot be combined with --runs/)]);
  });

  it('refuses a strategy that is not JSON, naming the option and showing the value', () => {
    expect(problemsOf({ strategy: '{"type":' })).toEqual([expect.stringMatching(/^--strategy: must be a preset name or a JSON strategy object; this is not valid JSON .*, got \{"type":$/)]);
  });
});

describe('parseStrategyText', () => {
  it('reads a preset name as a name and an object as JSON', () => {
    expect(parseStrategyText('Linear10PercentEvery1Minute')).toEqual({ ok: true, strategy: 'Linear10PercentEvery1Minute' });
    expect(parseStrategyText(' {"type":"allAtOnce"} ')).toEqual({ ok: true, strategy: { type: 'allAtOnce' } });
  });
});

describe('applyOverrides', () => {
  it('lays the options over the scenario', () => {
    const s = applyOverrides(loadScenario('healthy'), { rps: 5, canaryErrorRate: 0.2, baselineErrorRate: 0, metricDelaySeconds: 60, seed: 9, strategy: 'AllAtOnce' });
    expect(s.traffic).toEqual({ rps: 5 });
    expect(s.target.errorRate).toBe(0.2);
    expect(s.baseline.errorRate).toBe(0);
    expect(s.metricDelaySeconds).toBe(60);
    expect(s.seed).toBe(9);
    expect(s.strategy).toBe('AllAtOnce');
    expect(() => parseScenario(s)).not.toThrow();
  });

  it('lowers the p50 to a p99 below it, and leaves it otherwise', () => {
    const s = applyOverrides(loadScenario('healthy'), { canaryP99Ms: 20, baselineP99Ms: 500 });
    expect(s.target).toMatchObject({ p50Ms: 20, p99Ms: 20 });
    expect(s.baseline).toMatchObject({ p50Ms: 40, p99Ms: 500 });
    expect(() => parseScenario(s)).not.toThrow();
  });

  it('replaces a traffic shape with --rps', () => {
    const shaped = parseScenario({ ...loadScenario('healthy'), traffic: { shape: [{ atSeconds: 0, rps: 1 }, { atSeconds: 60, rps: 100 }] } });
    expect(applyOverrides(shaped, { rps: 3 }).traffic).toEqual({ rps: 3 });
    expect(applyOverrides(shaped, {}).traffic).toEqual(shaped.traffic);
  });
});
