import { describe, expect, it } from 'vitest';
import { SimCloudWatch } from '../../../sim/cloudwatch/index.js';
import { Random } from '../../../sim/random.js';
import { TrafficModel, type TrafficModelOptions } from '../../../sim/traffic.js';

const START = Date.UTC(2025, 0, 1, 12, 0, 0);
const MIN = 60_000;
const primaryOnly = { functionVersion: '1', routing: {} };

/** A model writing to a CloudWatch whose clock the test sets; no ingestion delay unless asked. */
function setup(options: Partial<TrafficModelOptions> & { seed?: number; delaySeconds?: number } = {}) {
  let now = START;
  const cloudwatch = new SimCloudWatch({ clock: () => now, delaySeconds: options.delaySeconds ?? 0 });
  const traffic = new TrafficModel({
    functionName: 'orders',
    alias: 'live',
    rate: 10,
    random: new Random(options.seed ?? 1),
    cloudwatch,
    startTime: START,
    ...options,
  });
  return { traffic, cloudwatch, setNow: (t: number) => (now = t) };
}

/** |observed - np| within `sigmas` binomial standard deviations. */
function expectBinomial(observed: number, n: number, p: number, sigmas = 4): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `${observed} vs ${n}·${p} = ${n * p} (sd ${sd.toFixed(1)})`).toBeLessThanOrEqual(sigmas * sd);
}

/** Chi-square(df) quantile by Wilson–Hilferty; z = ±3.719 leaves 1e-4 in a tail. */
function chiSquareQuantile(df: number, z: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

async function sum(cloudwatch: SimCloudWatch, metricName: string, dimensions: Record<string, string>, stat = 'Sum', from = START, to = START + 24 * 60 * MIN, periodSeconds = 24 * 60 * 60) {
  const [series] = await cloudwatch.getMetricData({
    startTime: from,
    endTime: to,
    queries: [{ id: 'q', namespace: 'AWS/Lambda', metricName, dimensions, stat, periodSeconds }],
  });
  return series!.values[0];
}

const EXECUTED = (v: string) => ({ FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: v });

describe('TrafficModel: routing split', () => {
  it('splits by weight within binomial bounds at low traffic, and the split varies as Lambda’s does', () => {
    const { traffic } = setup({ rate: 2, seed: 11 });
    traffic.advanceTo(START + 60 * MIN, { functionVersion: '1', routing: { '2': 10 } });
    const totals = traffic.totals();
    const n = totals['1']!.requests + totals['2']!.requests;
    expect(Math.abs(n - 7200)).toBeLessThan(5 * Math.sqrt(7200));
    expectBinomial(totals['2']!.requests, n, 0.1);

    // Per minute the target's count is Poisson(12) (thinning): its index of dispersion is
    // chi-square(59). A split that rounded weights deterministically would fail this.
    const perMinute = traffic.timeline().map((b) => b.versions['2']?.requests ?? 0);
    expect(perMinute).toHaveLength(60);
    const mean = perMinute.reduce((t, x) => t + x, 0) / 60;
    const dispersion = perMinute.reduce((t, x) => t + (x - mean) ** 2, 0) / mean;
    expect(dispersion).toBeGreaterThan(chiSquareQuantile(59, -3.719));
    expect(dispersion).toBeLessThan(chiSquareQuantile(59, 3.719));
  });

  it('splits by weight within binomial bounds at 1,000 rps', () => {
    const { traffic } = setup({ rate: 1000, seed: 12 });
    traffic.advanceTo(START + 10 * MIN, { functionVersion: '1', routing: { '2': 5 } });
    const t = traffic.totals();
    const n = t['1']!.requests + t['2']!.requests;
    expect(Math.abs(n - 600_000)).toBeLessThan(5 * Math.sqrt(600_000));
    expectBinomial(t['2']!.requests, n, 0.05);
  });

  it('splits three ways, each version within its bounds', () => {
    const { traffic } = setup({ rate: 200, seed: 13 });
    traffic.advanceTo(START + 10 * MIN, { functionVersion: '3', routing: { '4': 25, '5': 10 } });
    const t = traffic.totals();
    const n = ['3', '4', '5'].reduce((s, v) => s + t[v]!.requests, 0);
    expectBinomial(t['3']!.requests, n, 0.65);
    expectBinomial(t['4']!.requests, n, 0.25);
    expectBinomial(t['5']!.requests, n, 0.1);
  });

  it('holds each routing over exactly the interval it was given', () => {
    const { traffic } = setup({ rate: 100, seed: 14 });
    traffic.advanceTo(START + 30_000, primaryOnly);
    traffic.advanceTo(START + 90_000, { functionVersion: '1', routing: { '2': 40 } });
    traffic.advanceTo(START + 120_000, primaryOnly);
    const [first, second] = traffic.timeline();
    // First minute: 30 s at 0% then 30 s at 40%; second minute: 30 s at 40%, 30 s at 0%.
    expect(first!.weights['2']).toBeCloseTo(20, 10);
    expect(second!.weights['2']).toBeCloseTo(20, 10);
    expect(first!.weights['1']).toBeCloseTo(80, 10);
    const total = traffic.totals()['2']!.requests;
    expectBinomial(total, 12_000, 0.4 * 0.5, 5);
  });

  it('does nothing when asked to advance to the past', () => {
    const { traffic } = setup({ rate: 100 });
    traffic.advanceTo(START + MIN, primaryOnly);
    const before = traffic.totals();
    traffic.advanceTo(START + 30_000, primaryOnly);
    traffic.advanceTo(START + MIN, primaryOnly);
    expect(traffic.totals()).toEqual(before);
    expect(traffic.time).toBe(START + MIN);
  });

  it('follows a rate that is a function of time', () => {
    const { traffic } = setup({ rate: (s) => (s < 300 ? 10 : 200), seed: 15 });
    traffic.advanceTo(START + 10 * MIN, primaryOnly);
    const perMinute = traffic.timeline().map((b) => b.versions['1']!.requests);
    for (const [i, count] of perMinute.entries()) {
      const expected = (i < 5 ? 10 : 200) * 60;
      expect(Math.abs(count - expected)).toBeLessThan(5 * Math.sqrt(expected));
    }
  });
});

describe('TrafficModel: a minute at a time', () => {
  it('gives each minute the same distribution as second by second: counts, split, errors and latency', async () => {
    const versions = { '1': { errorRate: 0.01, p50Ms: 40, p99Ms: 200 }, '2': { errorRate: 0.05, p50Ms: 60, p99Ms: 400 } };
    const { traffic, cloudwatch, setNow } = setup({ rate: 20, seed: 31, sliceSeconds: 60, versions });
    traffic.advanceTo(START + 120 * MIN, { functionVersion: '1', routing: { '2': 10 } });
    const perMinute = traffic.timeline().map((b) => (b.versions['1']?.requests ?? 0) + (b.versions['2']?.requests ?? 0));
    expect(perMinute).toHaveLength(120);
    const mean = perMinute.reduce((t, x) => t + x, 0) / 120;
    expect(Math.abs(mean - 1200)).toBeLessThan(5 * Math.sqrt(1200 / 120));
    // Poisson per minute, not a fixed count: its index of dispersion is chi-square(119).
    const dispersion = perMinute.reduce((t, x) => t + (x - mean) ** 2, 0) / mean;
    expect(dispersion).toBeGreaterThan(chiSquareQuantile(119, -3.719));
    expect(dispersion).toBeLessThan(chiSquareQuantile(119, 3.719));
    const t = traffic.totals();
    expectBinomial(t['2']!.requests, t['1']!.requests + t['2']!.requests, 0.1);
    expectBinomial(t['2']!.errors, t['2']!.invocations, 0.05);
    setNow(START + 200 * MIN);
    const p99 = await sum(cloudwatch, 'Duration', EXECUTED('2'), 'p99', START, START + 120 * MIN, 7200);
    expect(p99).toBeGreaterThan(400 * 0.9);
    expect(p99).toBeLessThan(400 * 1.1);
  });

  it('starts a change of behaviour at its second, not at the next minute', () => {
    const { traffic } = setup({ rate: 100, seed: 32, sliceSeconds: 60, versions: { '1': { errorRate: 0, p50Ms: 10, p99Ms: 50, changes: [{ atSeconds: 90, errorRate: 1 }] } } });
    traffic.advanceTo(START + 3 * MIN, primaryOnly);
    const [first, second, third] = traffic.timeline().map((b) => b.versions['1']!);
    expect(first!.errors).toBe(0);
    expectBinomial(second!.errors, second!.invocations, 0.5, 5);
    expect(third!.errors).toBe(third!.invocations);
  });

  it('refuses slices that do not divide a minute, and timelines that are not made of slices', () => {
    expect(() => setup({ sliceSeconds: 7 })).toThrow('sliceSeconds must divide 60, got 7');
    expect(() => setup({ sliceSeconds: 60, timelineSeconds: 90 })).toThrow('timelineSeconds must be a multiple of sliceSeconds');
  });
});

describe('TrafficModel: behaviour', () => {
  it('fails at the configured error rate, and only the version that fails', async () => {
    const { traffic, cloudwatch, setNow } = setup({
      rate: 500,
      seed: 21,
      versions: { '1': { errorRate: 0, p50Ms: 30, p99Ms: 100 }, '2': { errorRate: 0.02, p50Ms: 30, p99Ms: 100 } },
    });
    traffic.advanceTo(START + 10 * MIN, { functionVersion: '1', routing: { '2': 50 } });
    const t = traffic.totals();
    expect(t['1']!.errors).toBe(0);
    expectBinomial(t['2']!.errors, t['2']!.invocations, 0.02);
    setNow(START + 20 * MIN);
    expect(await sum(cloudwatch, 'Errors', EXECUTED('2'))).toBe(t['2']!.errors);
    expect(await sum(cloudwatch, 'Errors', EXECUTED('1'))).toBe(0);
  });

  it('a crashing version fails every invocation from its first request', () => {
    const { traffic } = setup({ rate: 50, seed: 22, versions: { '2': { errorRate: 1, p50Ms: 5, p99Ms: 20 } } });
    traffic.advanceTo(START + 2 * MIN, primaryOnly);
    traffic.advanceTo(START + 4 * MIN, { functionVersion: '1', routing: { '2': 10 } });
    const t = traffic.totals()['2']!;
    expect(t.invocations).toBeGreaterThan(0);
    expect(t.errors).toBe(t.invocations);
    expect(t.firstErrorAt).toBeGreaterThanOrEqual(START + 2 * MIN);
    expect(t.firstErrorAt).toBeLessThan(START + 2 * MIN + 2000);
    expect(traffic.totals()['1']!.firstErrorAt).toBeUndefined();
  });

  it('throttles at the configured rate; throttled requests are not invocations', async () => {
    const { traffic, cloudwatch, setNow } = setup({
      rate: 300,
      seed: 23,
      versions: { '1': { errorRate: 0.01, p50Ms: 30, p99Ms: 100, throttleRate: 0.1 } },
    });
    traffic.advanceTo(START + 10 * MIN, primaryOnly);
    const t = traffic.totals()['1']!;
    expectBinomial(t.throttles, t.requests, 0.1);
    expect(t.invocations).toBe(t.requests - t.throttles);
    expectBinomial(t.errors, t.invocations, 0.01);
    setNow(START + 20 * MIN);
    expect(await sum(cloudwatch, 'Invocations', EXECUTED('1'))).toBe(t.invocations);
    expect(await sum(cloudwatch, 'Throttles', EXECUTED('1'))).toBe(t.throttles);
    expect(await sum(cloudwatch, 'Duration', EXECUTED('1'), 'SampleCount')).toBe(t.invocations);
  });

  it('degrades after the configured time, not before', () => {
    const { traffic } = setup({
      rate: 100,
      seed: 24,
      versions: { '1': { errorRate: 0, p50Ms: 30, p99Ms: 100, changes: [{ atSeconds: 600, errorRate: 0.3, p99Ms: 2000 }] } },
    });
    traffic.advanceTo(START + 20 * MIN, primaryOnly);
    const buckets = traffic.timeline();
    const before = buckets.slice(0, 10).map((b) => b.versions['1']!);
    const after = buckets.slice(10).map((b) => b.versions['1']!);
    expect(before.reduce((t, b) => t + b.errors, 0)).toBe(0);
    expectBinomial(
      after.reduce((t, b) => t + b.errors, 0),
      after.reduce((t, b) => t + b.invocations, 0),
      0.3,
    );
    expect(Math.max(...before.map((b) => b.p99Ms!))).toBeLessThan(130);
    expect(Math.min(...after.map((b) => b.p99Ms!))).toBeGreaterThan(1400);
    expect(traffic.behaviourAt('1', START + 599_000)).toEqual({ errorRate: 0, p50Ms: 30, p99Ms: 100, throttleRate: 0 });
    expect(traffic.behaviourAt('1', START + 600_000)).toEqual({ errorRate: 0.3, p50Ms: 30, p99Ms: 2000, throttleRate: 0 });
  });

  it('uses the default profile for versions it was not told about', () => {
    const { traffic } = setup({ rate: 100, seed: 25, defaultProfile: { errorRate: 0.5, p50Ms: 10, p99Ms: 50 } });
    traffic.advanceTo(START + 5 * MIN, { functionVersion: '8', routing: {} });
    const t = traffic.totals()['8']!;
    expectBinomial(t.errors, t.invocations, 0.5);
  });

  it('refuses impossible profiles', () => {
    const bad = (profile: object) => () => setup({ versions: { '1': profile as never } });
    expect(bad({ errorRate: 1.5, p50Ms: 10, p99Ms: 20 })).toThrow(/version 1: errorRate/);
    expect(bad({ errorRate: 0, p50Ms: 30, p99Ms: 20 })).toThrow(/version 1/);
    expect(bad({ errorRate: 0, p50Ms: 10, p99Ms: 20, throttleRate: -0.1 })).toThrow(/throttleRate/);
    expect(bad({ errorRate: 0, p50Ms: 10, p99Ms: 20, changes: [{ atSeconds: 60, errorRate: 2 }] })).toThrow(/errorRate/);
    expect(() => setup({ rate: -1 })).toThrow(RangeError);
  });
});

describe('TrafficModel: durations', () => {
  const profile = { errorRate: 0, p50Ms: 100, p99Ms: 1000 };

  it('at 1,000 rps one minute’s p50 and p99 land on the configured ones', async () => {
    const { traffic, cloudwatch, setNow } = setup({ rate: 1000, seed: 31, versions: { '1': profile } });
    traffic.advanceTo(START + 3 * MIN, primaryOnly);
    setNow(START + 10 * MIN);
    for (let minute = 0; minute < 3; minute++) {
      const from = START + minute * MIN;
      const p50 = await sum(cloudwatch, 'Duration', EXECUTED('1'), 'p50', from, from + MIN, 60);
      const p99 = await sum(cloudwatch, 'Duration', EXECUTED('1'), 'p99', from, from + MIN, 60);
      expect(Math.abs(p50! / 100 - 1)).toBeLessThan(0.03);
      expect(Math.abs(p99! / 1000 - 1)).toBeLessThan(0.05);
    }
    const p999 = await sum(cloudwatch, 'Duration', EXECUTED('1'), 'p99.9', START, START + 3 * MIN, 180);
    const expected999 = Math.exp(Math.log(100) + (Math.log(10) / 2.3263478740408408) * 3.090232306167813);
    expect(Math.abs(p999! / expected999 - 1)).toBeLessThan(0.08);
    // The mean of a lognormal is exp(mu + sigma²/2).
    const sigma = Math.log(10) / 2.3263478740408408;
    const average = await sum(cloudwatch, 'Duration', EXECUTED('1'), 'Average', START, START + 3 * MIN, 180);
    expect(Math.abs(average! / (100 * Math.exp((sigma * sigma) / 2)) - 1)).toBeLessThan(0.03);
    const max = await sum(cloudwatch, 'Duration', EXECUTED('1'), 'Maximum', START, START + 3 * MIN, 180);
    expect(max!).toBeGreaterThan(p999!);
  });

  it('at 30 rps (one draw per request) the half-hour p99 lands on the configured one', async () => {
    const { traffic, cloudwatch, setNow } = setup({ rate: 30, seed: 32, versions: { '1': profile } });
    traffic.advanceTo(START + 30 * MIN, primaryOnly);
    setNow(START + 40 * MIN);
    const p99 = await sum(cloudwatch, 'Duration', EXECUTED('1'), 'p99', START, START + 30 * MIN, 1800);
    const p50 = await sum(cloudwatch, 'Duration', EXECUTED('1'), 'p50', START, START + 30 * MIN, 1800);
    // ~54,000 samples: standard errors about 1.6% (p99) and 0.5% (p50).
    expect(Math.abs(p99! / 1000 - 1)).toBeLessThan(0.08);
    expect(Math.abs(p50! / 100 - 1)).toBeLessThan(0.03);
  });
});

describe('TrafficModel: reproducibility and bookkeeping', () => {
  const run = (seed: number) => {
    const { traffic } = setup({
      rate: (s) => 20 + s / 10,
      seed,
      versions: { '2': { errorRate: 0.05, p50Ms: 40, p99Ms: 400, throttleRate: 0.01 } },
    });
    traffic.advanceTo(START + 3 * MIN, primaryOnly);
    traffic.advanceTo(START + 7 * MIN + 500, { functionVersion: '1', routing: { '2': 10 } });
    traffic.advanceTo(START + 12 * MIN, { functionVersion: '1', routing: { '2': 50 } });
    return { totals: traffic.totals(), timeline: traffic.timeline() };
  };

  it('the same seed gives identical traffic, a different seed different traffic', () => {
    expect(run(5)).toEqual(run(5));
    expect(run(5).totals).not.toEqual(run(6).totals);
  });

  it('the timeline adds up to the totals', () => {
    const { totals, timeline } = run(7);
    for (const version of ['1', '2']) {
      const fromTimeline = timeline.reduce(
        (acc, b) => {
          const v = b.versions[version];
          return v ? { requests: acc.requests + v.requests, errors: acc.errors + v.errors, throttles: acc.throttles + v.throttles } : acc;
        },
        { requests: 0, errors: 0, throttles: 0 },
      );
      expect(fromTimeline).toEqual({ requests: totals[version]!.requests, errors: totals[version]!.errors, throttles: totals[version]!.throttles });
    }
    expect(timeline.map((b) => b.startTime)).toEqual(Array.from({ length: 12 }, (_, i) => START + i * MIN));
    for (const b of timeline) expect(Object.values(b.weights).reduce((t, w) => t + w, 0)).toBeCloseTo(100, 9);
  });

  it('loses and double-counts nothing when advanced in uneven slices', async () => {
    const { traffic, cloudwatch, setNow } = setup({ rate: 50, seed: 8 });
    for (let t = START; t < START + 5 * MIN; t += 7_300) traffic.advanceTo(t, primaryOnly);
    traffic.advanceTo(START + 5 * MIN, primaryOnly);
    setNow(START + 10 * MIN);
    const t = traffic.totals()['1']!;
    expect(Math.abs(t.requests - 15_000)).toBeLessThan(5 * Math.sqrt(15_000));
    expect(await sum(cloudwatch, 'Invocations', { FunctionName: 'orders' })).toBe(t.invocations);
  });
});
