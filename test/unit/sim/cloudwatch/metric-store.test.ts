import { afterEach, describe, expect, it, vi } from 'vitest';
import { RejectedError } from '../../../../functions/core/errors.js';
import type { MetricQuery } from '../../../../functions/ports.js';
import { MetricAggregate, type MetricDatumInput, SimCloudWatch } from '../../../../sim/cloudwatch/index.js';
import { Random } from '../../../../sim/random.js';
import { TrafficModel } from '../../../../sim/traffic.js';
import { clocked, DIMS, MIN, START } from '../../support/sim-cloudwatch.js';

const query = (stat: string, periodSeconds = 60, extra: Partial<MetricQuery> = {}): MetricQuery => ({
  id: 'q',
  namespace: 'Custom',
  metricName: 'Latency',
  dimensions: DIMS,
  stat,
  periodSeconds,
  ...extra,
});

async function series(cloudwatch: SimCloudWatch, q: MetricQuery, startTime: number, endTime: number) {
  const [s] = await cloudwatch.getMetricData({ startTime, endTime, queries: [q] });
  return s!;
}

describe('SimCloudWatch: ingestion delay', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps a minute invisible until 60 s + delay after it starts, then shows it', async () => {
    const { cloudwatch, setNow } = clocked();
    cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: START + 30_000, value: 5 }]);
    setNow(START + 60_000 + 120_000 - 1);
    expect((await series(cloudwatch, query('Sum'), START, START + MIN)).values).toEqual([]);
    setNow(START + 60_000 + 120_000);
    expect(await series(cloudwatch, query('Sum'), START, START + MIN)).toEqual({ id: 'q', timestamps: [START], values: [5] });
    expect(cloudwatch.visibleFrom(START + 59_999)).toBe(START + 180_000);
  });

  it('honours a configured delay, and reads Date.now by default (fake timers)', async () => {
    vi.useFakeTimers({ now: START });
    const cloudwatch = new SimCloudWatch({ delaySeconds: 60 });
    cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, value: 7 }]);
    vi.setSystemTime(START + 2 * MIN - 1);
    expect((await series(cloudwatch, query('Sum'), START, START + 5 * MIN)).values).toEqual([]);
    vi.setSystemTime(START + 2 * MIN);
    expect((await series(cloudwatch, query('Sum'), START, START + 5 * MIN)).values).toEqual([7]);
  });

  it('never shows data AWS would not have yet, even when it was generated ahead of the clock', async () => {
    const { cloudwatch, setNow } = clocked(120);
    for (let m = 0; m < 10; m++) {
      cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: START + m * MIN, value: 1 }]);
    }
    setNow(START + 5 * MIN);
    const s = await series(cloudwatch, query('Sum'), START, START + 10 * MIN);
    // Minutes 0, 1 and 2 have ended at least two minutes ago; minute 3 ends at +4 min, readable at +6.
    expect(s.timestamps).toEqual([START, START + MIN, START + 2 * MIN]);
  });

  it('calls beforeRead with now before answering, so the world can generate up to now', async () => {
    const { cloudwatch, setNow } = clocked(0);
    const seen: number[] = [];
    cloudwatch.beforeRead = (now) => {
      seen.push(now);
      cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: now - 90_000, value: 3 }]);
    };
    setNow(START + 3 * MIN);
    const s = await series(cloudwatch, query('Sum'), START, START + 3 * MIN);
    expect(seen).toEqual([START + 3 * MIN]);
    expect(s.values).toEqual([3]);
    cloudwatch.describeAlarms([], START + 4 * MIN);
    expect(seen).toEqual([START + 3 * MIN, START + 4 * MIN]);
  });
});

describe('SimCloudWatch: statistics and periods', () => {
  it('computes Sum, SampleCount, Average, Minimum, Maximum and percentiles', async () => {
    const { cloudwatch, setNow } = clocked(0);
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: START, values }]);
    setNow(START + 10 * MIN);
    const at = async (stat: string) => (await series(cloudwatch, query(stat), START, START + MIN)).values[0];
    expect(await at('Sum')).toBe(500_500);
    expect(await at('SampleCount')).toBe(1000);
    expect(await at('Average')).toBe(500.5);
    expect(await at('Minimum')).toBe(1);
    expect(await at('Maximum')).toBe(1000);
    expect(await at('p0')).toBe(1);
    expect(await at('p100')).toBe(1000);
    // Histogram buckets are 1/64 wide in log space: within 0.8% plus one rank.
    expect(Math.abs((await at('p50'))! / 500 - 1)).toBeLessThan(0.01);
    expect(Math.abs((await at('p99'))! / 990 - 1)).toBeLessThan(0.01);
    expect(Math.abs((await at('p99.9'))! / 999 - 1)).toBeLessThan(0.01);
  });

  it('computes the percentile rank PR(lower:upper) from the histogram, lower bound exclusive, upper inclusive', async () => {
    const { cloudwatch, setNow } = clocked(0);
    cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: START, values: Array.from({ length: 1000 }, (_, i) => i + 1) }]);
    setNow(START + 10 * MIN);
    const at = async (stat: string) => (await series(cloudwatch, query(stat), START, START + MIN)).values[0];
    // Histogram buckets are 1/64 wide in log space: within one bucket of the threshold.
    expect(Math.abs((await at('PR(:300)'))! - 30)).toBeLessThan(0.6);
    expect(Math.abs((await at('PR(900:)'))! - 10)).toBeLessThan(0.9);
    expect(Math.abs((await at('PR(100:200)'))! - 10)).toBeLessThan(0.6);
    await expect(series(cloudwatch, query('PR(:)'), START, START + MIN)).rejects.toThrow('needs a bound');
    await expect(series(cloudwatch, query('PR(200:100)'), START, START + MIN)).rejects.toThrow('lower bound must be below the upper');
  });

  it('weights values by counts, as PutMetricData does', async () => {
    const { cloudwatch, setNow } = clocked(0);
    cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: START, values: [10, 1000], counts: [98, 2] }]);
    setNow(START + 10 * MIN);
    const at = async (stat: string) => (await series(cloudwatch, query(stat), START, START + MIN)).values[0];
    expect(await at('SampleCount')).toBe(100);
    expect(await at('Sum')).toBe(2980);
    expect(await at('p98')).toBeCloseTo(10, 0);
    expect(await at('p99')).toBeCloseTo(1000, -1);
  });

  it('has no percentiles for statistic sets or negative values, as CloudWatch', async () => {
    const { cloudwatch, setNow } = clocked(0);
    cloudwatch.putMetricData('Custom', [
      { metricName: 'Latency', dimensions: DIMS, timestamp: START, statisticValues: { sampleCount: 4, sum: 40, minimum: 5, maximum: 20 } },
      { metricName: 'Latency', dimensions: DIMS, timestamp: START, value: 10 },
      { metricName: 'Delta', dimensions: DIMS, timestamp: START, values: [-1, 3] },
    ]);
    setNow(START + 10 * MIN);
    expect((await series(cloudwatch, query('Sum'), START, START + MIN)).values).toEqual([50]);
    expect((await series(cloudwatch, query('Average'), START, START + MIN)).values).toEqual([10]);
    expect((await series(cloudwatch, query('p50'), START, START + MIN)).values).toEqual([]);
    expect((await series(cloudwatch, query('p50', 60, { metricName: 'Delta' }), START, START + MIN)).values).toEqual([]);
    expect((await series(cloudwatch, query('Minimum', 60, { metricName: 'Delta' }), START, START + MIN)).values).toEqual([-1]);
  });

  it('aggregates minutes into longer periods and leaves periods without data out', async () => {
    const { cloudwatch, setNow } = clocked(0);
    for (const m of [0, 1, 2, 3, 4, 10, 12]) {
      cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: START + m * MIN + 5000, value: m }]);
    }
    setNow(START + 60 * MIN);
    const s = await series(cloudwatch, query('Sum', 300), START, START + 20 * MIN);
    expect(s.timestamps).toEqual([START, START + 10 * MIN]);
    expect(s.values).toEqual([0 + 1 + 2 + 3 + 4, 10 + 12]);
    const max = await series(cloudwatch, query('Maximum', 300), START, START + 20 * MIN);
    expect(max.values).toEqual([4, 12]);
  });

  it('answers a growing window of percentiles as if merged afresh each time, and a late datum is counted', async () => {
    const { cloudwatch, setNow } = clocked(0);
    const data: MetricDatumInput[] = [];
    const put = (m: number, values: number[]) => {
      const datum = { metricName: 'Latency', dimensions: DIMS, timestamp: START + m * MIN + 1000, values };
      data.push(datum);
      cloudwatch.putMetricData('Custom', [datum]);
    };
    /** A store that has never answered: it merges every minute of the window. */
    const afresh = async (stat: string, windowMinutes: number) => {
      const fresh = clocked(0);
      fresh.cloudwatch.putMetricData('Custom', data);
      fresh.setNow(START + windowMinutes * MIN);
      return series(fresh.cloudwatch, query(stat, windowMinutes * 60), START, START + windowMinutes * MIN);
    };
    for (let m = 0; m < 30; m++) {
      put(m, Array.from({ length: 50 }, (_, i) => 10 + ((i * 7 + m * 13) % 97)));
      setNow(START + (m + 1) * MIN);
      for (const stat of ['p99', 'p50']) expect(await series(cloudwatch, query(stat, (m + 1) * 60), START, START + (m + 1) * MIN)).toEqual(await afresh(stat, m + 1));
    }
    // A datum arriving late for a minute already read changes the next answer.
    put(3, [5000]);
    expect((await series(cloudwatch, query('p100', 1800), START, START + 30 * MIN)).values).toEqual([5000]);
    expect(await series(cloudwatch, query('p99', 1800), START, START + 30 * MIN)).toEqual(await afresh('p99', 30));
  });

  it("keeps Lambda's 0/1 metrics without histograms, with the same percentiles", async () => {
    const binary = MetricAggregate.binary(1000, 7);
    const raw = new MetricAggregate();
    raw.addValue(0, 993);
    raw.addValue(1, 7);
    expect(binary.histogram).toBeUndefined();
    for (const stat of ['p0', 'p50', 'p99', 'p99.3', 'p99.4', 'p100', 'Sum', 'Average', 'SampleCount']) expect(binary.statistic(stat), stat).toBe(raw.statistic(stat));
    const merged = binary.copy();
    merged.merge(MetricAggregate.binary(10, 10));
    expect(merged).toMatchObject({ sampleCount: 1010, sum: 17, zeroOne: true });
    expect(binary.sampleCount).toBe(1000);
    merged.addValue(0.5, 10);
    expect(merged.zeroOne).toBe(false);
    expect(merged.statistic('p99.5')).toBeCloseTo(1, 1);
    expect(merged.statistic('p1')).toBe(0);
  });

  it('rounds StartTime down as GetMetricData documents, and anchors periods there', async () => {
    const { cloudwatch, setNow } = clocked(0);
    const t0 = Date.UTC(2025, 0, 1, 12, 32, 34);
    cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: DIMS, timestamp: t0, value: 1 }]);
    setNow(t0 + 10 * MIN);
    // Under 15 days old: to the minute, 12:32:00.
    expect((await series(cloudwatch, query('Sum', 120), t0, t0 + 5 * MIN)).timestamps).toEqual([Date.UTC(2025, 0, 1, 12, 32)]);
    // 15 to 63 days old: to 5 minutes, 12:30:00; older: to the hour.
    setNow(t0 + 20 * 24 * 60 * MIN);
    expect((await series(cloudwatch, query('Sum', 300), t0, t0 + 5 * MIN)).timestamps).toEqual([Date.UTC(2025, 0, 1, 12, 30)]);
    setNow(t0 + 70 * 24 * 60 * MIN);
    expect((await series(cloudwatch, query('Sum', 3600), t0, t0 + 5 * MIN)).timestamps).toEqual([Date.UTC(2025, 0, 1, 12, 0)]);
  });

  it('matches dimensions exactly, as CloudWatch does', async () => {
    const { cloudwatch, setNow } = clocked(0);
    cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', dimensions: { Api: 'orders', Stage: 'prod' }, timestamp: START, value: 1 }]);
    setNow(START + 10 * MIN);
    expect((await series(cloudwatch, query('Sum'), START, START + MIN)).values).toEqual([]);
    const both = query('Sum', 60, { dimensions: { Stage: 'prod', Api: 'orders' } });
    expect((await series(cloudwatch, both, START, START + MIN)).values).toEqual([1]);
  });

  it('refuses what CloudWatch refuses', async () => {
    const { cloudwatch } = clocked(0);
    const get = (q: Partial<MetricQuery>, startTime = START, endTime = START + MIN) =>
      cloudwatch.getMetricData({ startTime, endTime, queries: [query('Sum', 60, q)] });
    await expect(get({ stat: 'p101' })).rejects.toThrow(RejectedError);
    await expect(get({ stat: 'Median' })).rejects.toThrow(RejectedError);
    await expect(get({ periodSeconds: 90 })).rejects.toThrow(RejectedError);
    await expect(get({ periodSeconds: 10 })).rejects.toThrow(RejectedError);
    await expect(get({ id: 'Upper' })).rejects.toThrow(RejectedError);
    await expect(get({}, START + MIN, START + MIN)).rejects.toThrow(RejectedError);
    await expect(cloudwatch.getMetricData({ startTime: START, endTime: START + MIN, queries: [query('Sum'), query('Sum')] })).rejects.toThrow(
      /duplicate/,
    );
    expect(() => cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', value: 1, values: [1] }])).toThrow(RejectedError);
    expect(() => cloudwatch.putMetricData('Custom', [{ metricName: 'Latency', values: [1, 2], counts: [1] }])).toThrow(RejectedError);
  });
});

describe('SimCloudWatch: Lambda’s dimension sets agree', () => {
  it('function total = sum over aliases; alias total = sum over ExecutedVersion', async () => {
    const { cloudwatch, setNow } = clocked(120);
    const random = new Random(99);
    const versions = {
      '3': { errorRate: 0.01, p50Ms: 20, p99Ms: 200, throttleRate: 0.02 },
      '4': { errorRate: 0.2, p50Ms: 50, p99Ms: 900 },
      '5': { errorRate: 0, p50Ms: 10, p99Ms: 30 },
    };
    const live = new TrafficModel({ functionName: 'orders', alias: 'live', rate: 150, versions, random: random.fork(), cloudwatch, startTime: START });
    const beta = new TrafficModel({ functionName: 'orders', alias: 'beta', rate: 20, versions, random: random.fork(), cloudwatch, startTime: START });
    live.advanceTo(START + 4 * MIN + 1234, { functionVersion: '3', routing: { '4': 30, '5': 5 } });
    live.advanceTo(START + 10 * MIN, { functionVersion: '3', routing: { '4': 60 } });
    beta.advanceTo(START + 10 * MIN, { functionVersion: '5', routing: {} });
    setNow(START + 15 * MIN);

    const read = async (metricName: string, dimensions: Record<string, string>, stat: string) => {
      const s = await series(cloudwatch, { id: 'q', namespace: 'AWS/Lambda', metricName, dimensions, stat, periodSeconds: 60 }, START, START + 10 * MIN);
      expect(s.timestamps.length).toBeGreaterThan(0);
      return new Map(s.timestamps.map((t, i) => [t, s.values[i]!]));
    };
    const add = (maps: Map<number, number>[]) => {
      const out = new Map<number, number>();
      for (const m of maps) for (const [t, v] of m) out.set(t, (out.get(t) ?? 0) + v);
      return out;
    };
    const close = (a: Map<number, number>, b: Map<number, number>) => {
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [t, v] of a) expect(b.get(t)).toBeCloseTo(v, 6);
    };
    for (const [metricName, stat] of [
      ['Invocations', 'Sum'],
      ['Errors', 'Sum'],
      ['Errors', 'SampleCount'],
      ['Throttles', 'Sum'],
      ['Duration', 'SampleCount'],
      ['Duration', 'Sum'],
    ] as const) {
      const fn = await read(metricName, { FunctionName: 'orders' }, stat);
      const aliases = await Promise.all(['live', 'beta'].map((a) => read(metricName, { FunctionName: 'orders', Resource: `orders:${a}` }, stat)));
      close(fn, add(aliases));
      const liveVersions = await Promise.all(
        ['3', '4', '5'].map((v) => read(metricName, { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: v }, stat)),
      );
      close(aliases[0]!, add(liveVersions));
    }
    // And CloudWatch agrees with the model's own totals.
    const totals = live.totals();
    const invocations = [...(await read('Invocations', { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '4' }, 'Sum')).values()];
    expect(invocations.reduce((t, v) => t + v, 0)).toBe(totals['4']!.invocations);
    // Errors is a 0/1 indicator per invocation: its Average over the window is the error rate.
    const whole = await series(
      cloudwatch,
      { id: 'q', namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '4' }, stat: 'Average', periodSeconds: 600 },
      START,
      START + 10 * MIN,
    );
    const n = totals['4']!.invocations;
    expect(whole.values[0]).toBeCloseTo(totals['4']!.errors / n, 12);
    expect(Math.abs(whole.values[0]! - 0.2)).toBeLessThan(4 * Math.sqrt((0.2 * 0.8) / n));
  });
});
