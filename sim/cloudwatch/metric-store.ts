/**
 * The metric store of the simulated CloudWatch: one aggregate per metric, dimension set and
 * minute, written by PutMetricData or the traffic model and read by GetMetricData with
 * CloudWatch's period and StartTime rules.
 *
 * Nothing is readable before AWS would have it: minute [m, m+60s) appears at m + 60 s + the
 * ingestion delay. Every read takes `now` from its caller, so the store holds no clock.
 */
import { RejectedError } from '../../functions/core/errors.js';
import type { MetricDataRequest, MetricSeries } from '../../functions/ports.js';
import { MetricAggregate, parsePercentile, type StatisticReader, type StatisticSet, statisticReader } from './statistics.js';

/** The store's resolution, and the step at which alarms are evaluated. */
export const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Where per-minute aggregates go; the traffic model writes through this. */
export interface MetricSink {
  /**
   * Merges `aggregate` into the minute holding `timestamp` (epoch ms) of one metric. The sink
   * may keep `aggregate` itself, and never changes it: the writer hands it over, may hand the same
   * one to other series, and does not change it afterwards.
   */
  putAggregate(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    timestamp: number,
    aggregate: MetricAggregate,
  ): void;
}

/** One datum of PutMetricData: exactly one of `value`, `values` (with optional `counts`) or `statisticValues`. */
export interface MetricDatumInput {
  readonly metricName: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Epoch ms; default now. */
  readonly timestamp?: number;
  readonly value?: number;
  readonly values?: readonly number[];
  /** How many times each of `values` occurred; default 1 each. */
  readonly counts?: readonly number[];
  readonly statisticValues?: StatisticSet;
}

/**
 * Per-minute aggregates of every metric, readable once their ingestion delay has passed.
 *
 * @example
 * const store = new MetricStore(120);
 * store.putMetricData('Custom', [{ metricName: 'Latency', value: 12 }], Date.now());
 */
export class MetricStore implements MetricSink {
  private readonly delayMs: number;
  private readonly series = new Map<string, MinuteSeries>();
  /** Series keys by dimension set and metric: a writer that keeps its dimension sets (the traffic model) is not keyed anew at every write. */
  private readonly keys = new WeakMap<Readonly<Record<string, string>>, Map<string, Map<string, string>>>();

  /** `delaySeconds`: how long after a minute ends its data becomes readable. */
  constructor(delaySeconds: number) {
    if (!(delaySeconds >= 0)) throw new RangeError(`delaySeconds must be >= 0, got ${delaySeconds}`);
    this.delayMs = delaySeconds * 1000;
  }

  /** Epoch ms from which the minute holding `timestamp` is readable. */
  visibleFrom(timestamp: number): number {
    return floorTo(timestamp, MINUTE_MS) + MINUTE_MS + this.delayMs;
  }

  /** {@inheritDoc MetricSink.putAggregate} */
  putAggregate(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    timestamp: number,
    aggregate: MetricAggregate,
  ): void {
    if (aggregate.sampleCount <= 0) return;
    const key = this.keyOf(namespace, metricName, dimensions);
    let minutes = this.series.get(key);
    if (!minutes) this.series.set(key, (minutes = new MinuteSeries()));
    minutes.put(floorTo(timestamp, MINUTE_MS), aggregate);
  }

  private keyOf(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
    let byNamespace = this.keys.get(dimensions);
    if (!byNamespace) this.keys.set(dimensions, (byNamespace = new Map()));
    let byMetric = byNamespace.get(namespace);
    if (!byMetric) byNamespace.set(namespace, (byMetric = new Map()));
    let key = byMetric.get(metricName);
    if (key === undefined) byMetric.set(metricName, (key = seriesKey(namespace, metricName, dimensions)));
    return key;
  }

  /** PutMetricData: custom metrics from any code; a datum without a timestamp is stored at `now`. */
  putMetricData(namespace: string, data: readonly MetricDatumInput[], now: number): void {
    for (const datum of data) {
      const kinds = [datum.value !== undefined, datum.values !== undefined, datum.statisticValues !== undefined];
      if (kinds.filter(Boolean).length !== 1) {
        throw new RejectedError(`${datum.metricName}: give exactly one of value, values or statisticValues`);
      }
      if (datum.counts && datum.counts.length !== datum.values?.length) {
        throw new RejectedError(`${datum.metricName}: counts must match values one for one`);
      }
      const agg = new MetricAggregate();
      if (datum.value !== undefined) agg.addValue(datum.value);
      datum.values?.forEach((v, i) => agg.addValue(v, datum.counts?.[i] ?? 1));
      if (datum.statisticValues) agg.addStatisticSet(datum.statisticValues);
      this.putAggregate(namespace, datum.metricName, datum.dimensions ?? {}, datum.timestamp ?? now, agg);
    }
  }

  /**
   * GetMetricData as answered at `now`. StartTime is rounded down as CloudWatch documents (to
   * the minute when under 15 days old, 5 minutes under 63 days, else the hour); datapoints start
   * there, one per period, while their timestamp is before EndTime. Periods with no visible data
   * are absent.
   */
  getMetricData(request: MetricDataRequest, now: number): MetricSeries[] {
    if (!(request.startTime < request.endTime)) {
      throw new RejectedError('The parameter StartTime must be less than the parameter EndTime.');
    }
    const ids = new Set<string>();
    for (const q of request.queries) {
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.id)) throw new RejectedError(`query id "${q.id}" must start with a lower-case letter`);
      if (ids.has(q.id)) throw new RejectedError(`duplicate query id "${q.id}"`);
      ids.add(q.id);
      periodMs(q.periodSeconds);
      parsePercentile(q.stat);
    }
    const start = roundStartTime(request.startTime, now);
    return request.queries.map((q) => {
      const step = periodMs(q.periodSeconds);
      const key = seriesKey(q.namespace, q.metricName, q.dimensions);
      const minutes = this.series.get(key);
      const read = statisticReader(q.stat);
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let t = start; minutes && t < request.endTime; t += step) {
        const value = this.statistic(minutes, read, t, t + step, now);
        if (value !== undefined) {
          timestamps.push(t);
          values.push(value);
        }
      }
      return { id: q.id, timestamps, values };
    });
  }

  /** The samples of [from, to) readable at `now`, or undefined when there are none. */
  aggregate(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    from: number,
    to: number,
    now: number,
  ): MetricAggregate | undefined {
    return this.series.get(seriesKey(namespace, metricName, dimensions))?.merge(floorTo(from, MINUTE_MS), this.readableTo(to, now));
  }

  /**
   * A statistic of [from, to) readable at `now`, in time proportional to the minutes asked for:
   * a one-minute period reads the stored minute as it is; other statistics than percentiles add
   * up counts, sums and extremes without touching histograms; a percentile merges histograms,
   * only those of the minutes added since the same window was last asked for.
   */
  private statistic(minutes: MinuteSeries, read: StatisticReader, from: number, to: number, now: number): number | undefined {
    const first = floorTo(from, MINUTE_MS);
    const end = this.readableTo(to, now);
    if (end <= first) return undefined;
    if (end - first === MINUTE_MS) {
      const minute = minutes.get(first);
      return minute && read(minute);
    }
    const merged = read.percentile ? minutes.window(first, end) : minutes.merge(first, end, withoutHistogram());
    return merged && read(merged);
  }

  /** The end of [.., to) cut to the minutes readable at `now`: minute m is readable from m + 60 s + the delay. */
  private readableTo(to: number, now: number): number {
    return Math.min(to, floorTo(now - this.delayMs, MINUTE_MS));
  }
}

/** Minutes in a day: a series keeps its minutes in arrays of a day each. */
const DAY_MINUTES = 24 * 60;

/**
 * One series' per-minute aggregates, by minute, in arrays of a day each: a month of minutes is
 * written and read by index, not hashed, and held compactly.
 */
class MinuteSeries {
  private readonly days = new Map<number, (MetricAggregate | undefined)[]>();
  /**
   * The last percentile window merged: a health check asks for the same window start again and
   * again with a later end, so only the minutes added since are merged.
   */
  private merged: { from: number; to: number; aggregate: MetricAggregate } | undefined;

  /** The aggregate of the minute starting at `minute` (epoch ms), if any. */
  get(minute: number): MetricAggregate | undefined {
    const index = minute / MINUTE_MS;
    const day = Math.floor(index / DAY_MINUTES);
    return this.days.get(day)?.[index - day * DAY_MINUTES];
  }

  /**
   * Merges `aggregate` into the minute starting at `minute`, keeping `aggregate` itself when the
   * minute is new. A stored aggregate is never changed (a writer may hand the same one to several
   * series): a later datum for the minute replaces it with a merged copy.
   */
  put(minute: number, aggregate: MetricAggregate): void {
    const index = minute / MINUTE_MS;
    const day = Math.floor(index / DAY_MINUTES);
    let slots = this.days.get(day);
    if (!slots) this.days.set(day, (slots = new Array<MetricAggregate | undefined>(DAY_MINUTES)));
    const slot = index - day * DAY_MINUTES;
    const stored = slots[slot];
    if (stored) {
      const merged = stored.copy();
      merged.merge(aggregate);
      slots[slot] = merged;
    } else slots[slot] = aggregate;
    // A late datum for a minute already merged into the window makes the window stale.
    if (this.merged && minute < this.merged.to) this.merged = undefined;
  }

  /**
   * The minutes of [from, to) merged into `into` (default a new aggregate), or undefined when
   * none of them has samples and nothing was given to merge into.
   */
  merge(from: number, to: number, into?: MetricAggregate): MetricAggregate | undefined {
    let out = into;
    for (let m = from; m < to; m += MINUTE_MS) {
      const agg = this.get(m);
      if (!agg) continue;
      out ??= new MetricAggregate();
      out.merge(agg);
    }
    return out?.sampleCount ? out : undefined;
  }

  /** [from, to) merged with histograms, extending the last window when it starts at `from` and ends no later than `to`. */
  window(from: number, to: number): MetricAggregate | undefined {
    const last = this.merged;
    if (last?.from === from && last.to <= to) {
      this.merge(last.to, to, last.aggregate);
      last.to = to;
      return last.aggregate;
    }
    const aggregate = this.merge(from, to);
    this.merged = aggregate && { from, to, aggregate };
    return aggregate;
  }
}

/** An empty aggregate without a histogram: what a sum, count, average or extreme needs. */
function withoutHistogram(): MetricAggregate {
  return MetricAggregate.of({ sampleCount: 0, sum: 0, minimum: Number.POSITIVE_INFINITY, maximum: Number.NEGATIVE_INFINITY });
}

/**
 * A period in ms. Throws RejectedError for a period the store cannot answer: it keeps
 * one-minute resolution, so periods are whole minutes.
 */
export function periodMs(periodSeconds: number): number {
  if (!Number.isInteger(periodSeconds) || periodSeconds < 60 || periodSeconds % 60 !== 0) {
    throw new RejectedError(
      `period ${periodSeconds}s is not supported: the simulation keeps one-minute resolution, so use a multiple of 60`,
    );
  }
  return periodSeconds * 1000;
}

/** GetMetricData's documented StartTime rounding, by the age of StartTime at `now`. */
export function roundStartTime(startTime: number, now: number): number {
  const age = now - startTime;
  if (age > 63 * DAY_MS) return floorTo(startTime, 60 * MINUTE_MS);
  if (age > 15 * DAY_MS) return floorTo(startTime, 5 * MINUTE_MS);
  return floorTo(startTime, MINUTE_MS);
}

/** `t` rounded down to a multiple of `step`. */
export function floorTo(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

function seriesKey(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => `${k}=${dimensions[k]}`)
    .join('\u0001');
  return `${namespace}\u0000${metricName}\u0000${dims}`;
}
