/**
 * An in-memory CloudWatch for the rehearsal: per-minute metric aggregates, GetMetricData with
 * CloudWatch's statistics, period and StartTime rules, an ingestion delay, and metric alarms
 * evaluated the way CloudWatch documents (M out of N datapoints, treatment of missing data).
 *
 * Time is `clock()` (default `Date.now`, which the rehearsal's fake timers drive). Nothing is
 * readable before AWS would have it: minute [m, m+60s) appears at m + 60 s + `delaySeconds`.
 */
import { RejectedError } from '../functions/core/errors.js';
import type { MetricDataRequest, MetricSeries, MetricsReader } from '../functions/ports.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

// Buckets 1/64 wide in log space: a quantile is off by at most ±0.8% of its value, whatever
// the unit, and a minute of Lambda durations fills a few hundred buckets.
const LN_BUCKET = Math.log1p(1 / 64);
const ZERO_KEY = Number.NEGATIVE_INFINITY;

/** A mergeable histogram of non-negative values with fractional weights, for percentiles. */
export class Histogram {
  private readonly buckets = new Map<number, number>();
  private totalWeight = 0;

  /** Total weight added. */
  get total(): number {
    return this.totalWeight;
  }

  /** Adds `weight` samples of `value`; values <= 0 land in one bucket that reads back as 0. */
  add(value: number, weight = 1): void {
    if (!(weight > 0)) return;
    const key = value > 0 ? Math.floor(Math.log(value) / LN_BUCKET) : ZERO_KEY;
    this.buckets.set(key, (this.buckets.get(key) ?? 0) + weight);
    this.totalWeight += weight;
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: Histogram): void {
    for (const [key, weight] of other.buckets) this.buckets.set(key, (this.buckets.get(key) ?? 0) + weight);
    this.totalWeight += other.totalWeight;
  }

  /**
   * The smallest bucket value with at least `fraction` of the weight at or below it (the
   * bucket's geometric middle), or undefined when empty.
   */
  quantile(fraction: number): number | undefined {
    if (this.totalWeight <= 0) return undefined;
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const target = fraction * this.totalWeight * (1 - 1e-12);
    let cumulative = 0;
    for (const key of keys) {
      cumulative += this.buckets.get(key) ?? 0;
      if (cumulative >= target) return key === ZERO_KEY ? 0 : Math.exp((key + 0.5) * LN_BUCKET);
    }
    const last = keys[keys.length - 1]!;
    return last === ZERO_KEY ? 0 : Math.exp((last + 0.5) * LN_BUCKET);
  }
}

/** A statistic set as PutMetricData's StatisticValues carries it. */
export interface StatisticSet {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
}

/**
 * Everything CloudWatch keeps of some samples: count, sum, extremes and, unless the samples
 * came as a statistic set or include negative values, a histogram for percentiles.
 */
export class MetricAggregate {
  sampleCount = 0;
  sum = 0;
  minimum = Number.POSITIVE_INFINITY;
  maximum = Number.NEGATIVE_INFINITY;
  /** Undefined once percentiles are unavailable, as CloudWatch has them for raw values only. */
  histogram: Histogram | undefined = new Histogram();

  /**
   * `count` samples of 0 or 1, `ones` of them 1: how Lambda's invocation metrics (binary
   * indicators, per the Lambda guide) look once aggregated.
   */
  static binary(count: number, ones: number): MetricAggregate {
    const agg = new MetricAggregate();
    if (count <= 0) return agg;
    agg.sampleCount = count;
    agg.sum = ones;
    agg.minimum = ones < count ? 0 : 1;
    agg.maximum = ones > 0 ? 1 : 0;
    agg.histogram!.add(0, count - ones);
    agg.histogram!.add(1, ones);
    return agg;
  }

  /** Built from parts; the histogram is taken as it is, not copied. */
  static of(parts: StatisticSet & { histogram?: Histogram | undefined }): MetricAggregate {
    const agg = new MetricAggregate();
    agg.sampleCount = parts.sampleCount;
    agg.sum = parts.sum;
    agg.minimum = parts.minimum;
    agg.maximum = parts.maximum;
    agg.histogram = parts.histogram;
    return agg;
  }

  /** Adds `count` samples of `value`. */
  addValue(value: number, count = 1): void {
    if (!Number.isFinite(value)) throw new RejectedError(`metric values must be finite numbers, got ${value}`);
    if (!(count > 0)) return;
    this.sampleCount += count;
    this.sum += value * count;
    this.minimum = Math.min(this.minimum, value);
    this.maximum = Math.max(this.maximum, value);
    // CloudWatch: percentiles are not available for metrics with any negative value.
    if (value < 0) this.histogram = undefined;
    this.histogram?.add(value, count);
  }

  /** Adds a statistic set; from then on this aggregate has no percentiles. */
  addStatisticSet(set: StatisticSet): void {
    this.merge(MetricAggregate.of({ ...set, histogram: undefined }));
  }

  /** Adds every sample of `other`. */
  merge(other: MetricAggregate): void {
    if (other.sampleCount <= 0) return;
    this.sampleCount += other.sampleCount;
    this.sum += other.sum;
    this.minimum = Math.min(this.minimum, other.minimum);
    this.maximum = Math.max(this.maximum, other.maximum);
    if (this.histogram && other.histogram) this.histogram.merge(other.histogram);
    else this.histogram = undefined;
  }

  /**
   * The value of a statistic: Sum, SampleCount, Average, Minimum, Maximum or a percentile pNN
   * or pNN.NN (0 to 100). Undefined when there is no sample, or for a percentile CloudWatch
   * could not compute. Throws RejectedError for a statistic CloudWatch would refuse.
   */
  statistic(stat: string): number | undefined {
    const percentile = parsePercentile(stat);
    if (this.sampleCount <= 0) return undefined;
    if (percentile !== undefined) {
      if (!this.histogram) return undefined;
      if (percentile === 0) return this.minimum;
      if (percentile === 100) return this.maximum;
      const q = this.histogram.quantile(percentile / 100);
      return q === undefined ? undefined : Math.min(this.maximum, Math.max(this.minimum, q));
    }
    switch (stat) {
      case 'Sum':
        return this.sum;
      case 'SampleCount':
        return this.sampleCount;
      case 'Average':
        return this.sum / this.sampleCount;
      case 'Minimum':
        return this.minimum;
      case 'Maximum':
        return this.maximum;
    }
    throw new RejectedError(`unsupported statistic "${stat}"`);
  }
}

/** The percentile of "p99" or "p99.9" (case as CloudWatch writes it), undefined for the named statistics. */
function parsePercentile(stat: string): number | undefined {
  const m = /^p(\d{1,3}(?:\.\d+)?)$/.exec(stat);
  if (!m) {
    if (['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'].includes(stat)) return undefined;
    throw new RejectedError(`unsupported statistic "${stat}": use Sum, SampleCount, Average, Minimum, Maximum or pNN.NN`);
  }
  const p = Number(m[1]);
  if (p > 100) throw new RejectedError(`percentile ${stat} is over 100`);
  return p;
}

/** Where per-minute aggregates go; the traffic model writes through this. */
export interface MetricSink {
  /** Merges `aggregate` into the minute holding `timestamp` (epoch ms) of one metric. */
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

export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** PutMetricAlarm, for a single metric and a static threshold. */
export interface MetricAlarmInput {
  readonly alarmName: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
  /** A multiple of 60. */
  readonly periodSeconds: number;
  /** N: how many of the most recent datapoints are evaluated. */
  readonly evaluationPeriods: number;
  /** M: how many of them must breach for ALARM. Default: evaluationPeriods. */
  readonly datapointsToAlarm?: number;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** Default "missing", as in CloudWatch. */
  readonly treatMissingData?: TreatMissingData;
}

/** DescribeAlarms' answer for one alarm. */
export interface AlarmDescription {
  readonly alarmName: string;
  readonly stateValue: AlarmState;
  readonly stateReason: string;
  /** Epoch ms of the last state change (or creation). */
  readonly stateUpdatedTimestamp: number;
}

/** One state change, for reports. */
export interface AlarmHistoryItem {
  readonly timestamp: number;
  readonly oldState: AlarmState;
  readonly newState: AlarmState;
  readonly reason: string;
}

export interface SimCloudWatchOptions {
  /**
   * Seconds after a minute ends before its data is readable. Default 120: AWS services
   * publish their metrics with a delay of one to a few minutes.
   */
  readonly delaySeconds?: number;
  /** Epoch ms now. Default `Date.now`, read at every call so fake timers drive it. */
  readonly clock?: () => number;
  /** Called with `now` before any read is answered; the world advances traffic to `now` here. */
  readonly beforeRead?: (now: number) => void;
}

/**
 * Evaluation reads this many periods more than `evaluationPeriods` (CloudWatch's "evaluation
 * range"; its documented example retrieves 5 datapoints for 3 evaluation periods). With the
 * default delay the two newest minutes are still in flight, and these two absorb them.
 */
const EXTRA_EVALUATION_PERIODS = 2;

interface AlarmRecord {
  def: Required<MetricAlarmInput>;
  state: AlarmState;
  reason: string;
  updatedAt: number;
  nextEvaluationAt: number;
  readonly history: AlarmHistoryItem[];
}

/**
 * CloudWatch, simulated. Stores one aggregate per metric, dimension set and minute; answers
 * GetMetricData and alarms from what is visible at the time asked.
 *
 * @example
 * const cw = new SimCloudWatch({ delaySeconds: 120 });
 * cw.putMetricData('Custom', [{ metricName: 'Latency', dimensions: { Api: 'a' }, value: 12 }]);
 */
export class SimCloudWatch implements MetricsReader, MetricSink {
  /** Called with `now` before any read is answered. Settable after construction. */
  beforeRead: ((now: number) => void) | undefined;
  private readonly delayMs: number;
  private readonly clock: () => number;
  private readonly series = new Map<string, Map<number, MetricAggregate>>();
  private readonly alarms = new Map<string, AlarmRecord>();

  constructor(options: SimCloudWatchOptions = {}) {
    const delaySeconds = options.delaySeconds ?? 120;
    if (!(delaySeconds >= 0)) throw new RangeError(`delaySeconds must be >= 0, got ${delaySeconds}`);
    this.delayMs = delaySeconds * 1000;
    this.clock = options.clock ?? (() => Date.now());
    this.beforeRead = options.beforeRead;
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
    const key = seriesKey(namespace, metricName, dimensions);
    let minutes = this.series.get(key);
    if (!minutes) this.series.set(key, (minutes = new Map()));
    const minute = floorTo(timestamp, MINUTE_MS);
    let stored = minutes.get(minute);
    if (!stored) minutes.set(minute, (stored = new MetricAggregate()));
    stored.merge(aggregate);
  }

  /** PutMetricData: custom metrics from any code, stored at one-minute resolution. */
  putMetricData(namespace: string, data: readonly MetricDatumInput[]): void {
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
      this.putAggregate(namespace, datum.metricName, datum.dimensions ?? {}, datum.timestamp ?? this.clock(), agg);
    }
  }

  /**
   * GetMetricData. StartTime is rounded down as CloudWatch documents (to the minute when under
   * 15 days old, 5 minutes under 63 days, else the hour); datapoints start there, one per
   * period, while their timestamp is before EndTime. Periods with no visible data are absent.
   */
  async getMetricData(request: MetricDataRequest): Promise<MetricSeries[]> {
    const now = this.readNow();
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
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let t = start; t < request.endTime; t += step) {
        const value = this.aggregate(q.namespace, q.metricName, q.dimensions, t, t + step, now)?.statistic(q.stat);
        if (value !== undefined) {
          timestamps.push(t);
          values.push(value);
        }
      }
      return { id: q.id, timestamps, values };
    });
  }

  /**
   * PutMetricAlarm. A new alarm starts in INSUFFICIENT_DATA and is evaluated at every whole
   * minute after; updating an existing alarm replaces its definition and keeps its state, as
   * CloudWatch does.
   */
  putMetricAlarm(input: MetricAlarmInput): void {
    const def: Required<MetricAlarmInput> = {
      ...input,
      datapointsToAlarm: input.datapointsToAlarm ?? input.evaluationPeriods,
      treatMissingData: input.treatMissingData ?? 'missing',
    };
    periodMs(def.periodSeconds);
    parsePercentile(def.stat);
    if (!Number.isInteger(def.evaluationPeriods) || def.evaluationPeriods < 1) {
      throw new RejectedError(`evaluationPeriods must be a whole number >= 1, got ${def.evaluationPeriods}`);
    }
    if (!Number.isInteger(def.datapointsToAlarm) || def.datapointsToAlarm < 1 || def.datapointsToAlarm > def.evaluationPeriods) {
      throw new RejectedError(`datapointsToAlarm must be from 1 to evaluationPeriods, got ${def.datapointsToAlarm}`);
    }
    const now = this.clock();
    const existing = this.alarms.get(def.alarmName);
    if (existing) {
      existing.def = def;
      return;
    }
    this.alarms.set(def.alarmName, {
      def,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      updatedAt: now,
      nextEvaluationAt: floorTo(now, MINUTE_MS) + MINUTE_MS,
      history: [],
    });
  }

  /** DeleteAlarms. Unknown names are ignored. */
  deleteAlarms(names: readonly string[]): void {
    for (const name of names) this.alarms.delete(name);
  }

  /**
   * DescribeAlarms by name, evaluated up to `now` (default the clock). Unknown names are
   * simply absent from the answer.
   */
  describeAlarms(names: readonly string[], now: number = this.clock()): AlarmDescription[] {
    this.beforeRead?.(now);
    const out: AlarmDescription[] = [];
    for (const name of new Set(names)) {
      const alarm = this.alarms.get(name);
      if (!alarm) continue;
      this.evaluateUntil(alarm, now);
      out.push({ alarmName: name, stateValue: alarm.state, stateReason: alarm.reason, stateUpdatedTimestamp: alarm.updatedAt });
    }
    return out;
  }

  /** An alarm's state changes so far (evaluated up to `now`), oldest first. */
  alarmHistory(name: string, now: number = this.clock()): AlarmHistoryItem[] {
    const alarm = this.alarms.get(name);
    if (!alarm) return [];
    this.beforeRead?.(now);
    this.evaluateUntil(alarm, now);
    return [...alarm.history];
  }

  private readNow(): number {
    const now = this.clock();
    this.beforeRead?.(now);
    return now;
  }

  /** The samples of [from, to) readable at `now`, or undefined when there are none. */
  private aggregate(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    from: number,
    to: number,
    now: number,
  ): MetricAggregate | undefined {
    const minutes = this.series.get(seriesKey(namespace, metricName, dimensions));
    if (!minutes) return undefined;
    let out: MetricAggregate | undefined;
    for (let m = floorTo(from, MINUTE_MS); m < to; m += MINUTE_MS) {
      if (m + MINUTE_MS + this.delayMs > now) break;
      const agg = minutes.get(m);
      if (!agg) continue;
      if (!out) out = new MetricAggregate();
      out.merge(agg);
    }
    return out;
  }

  private evaluateUntil(alarm: AlarmRecord, now: number): void {
    for (; alarm.nextEvaluationAt <= now; alarm.nextEvaluationAt += MINUTE_MS) {
      this.evaluate(alarm, alarm.nextEvaluationAt);
    }
  }

  private evaluate(alarm: AlarmRecord, at: number): void {
    const d = alarm.def;
    const step = d.periodSeconds * 1000;
    const end = floorTo(at, step);
    const range = d.evaluationPeriods + EXTRA_EVALUATION_PERIODS;
    const points: AlarmDatapoint[] = [];
    for (let i = range; i >= 1; i--) {
      const t = end - i * step;
      const value = this.aggregate(d.namespace, d.metricName, d.dimensions, t, t + step, at)?.statistic(d.stat);
      points.push(value === undefined ? { timestamp: t } : { timestamp: t, value, breaching: breaches(value, d) });
    }
    const outcome = evaluateAlarmDatapoints(
      points.map((p) => p.breaching),
      d.datapointsToAlarm,
      d.evaluationPeriods,
      d.treatMissingData,
    );
    if (outcome.state === undefined || outcome.state === alarm.state) return;
    const reason = describeOutcome(outcome, points, d);
    alarm.history.push({ timestamp: at, oldState: alarm.state, newState: outcome.state, reason });
    alarm.state = outcome.state;
    alarm.reason = reason;
    alarm.updatedAt = at;
  }
}

interface AlarmDatapoint {
  readonly timestamp: number;
  readonly value?: number;
  readonly breaching?: boolean;
}

/** What one evaluation concluded; `state` undefined means "keep the current state". */
export interface AlarmOutcome {
  readonly state: AlarmState | undefined;
  /** How many datapoints the decision used, real and filled in. */
  readonly evaluated: number;
  /** How many of those breached. */
  readonly breaching: number;
  /** How many missing datapoints were filled in by the missing-data treatment. */
  readonly filled: number;
}

/**
 * One alarm evaluation over the evaluation range, oldest first: true breaching, false not,
 * undefined missing. Follows "How alarm state is evaluated when data is missing" in the
 * CloudWatch user guide, and reproduces every row of its two example tables:
 *
 * - at least N real datapoints: the newest N decide, the treatment is not used;
 * - none: `missing` gives INSUFFICIENT_DATA, `ignore` keeps the state, `breaching` ALARM,
 *   `notBreaching` OK;
 * - some: the missing ones are filled in up to N. `breaching` and `notBreaching` count them
 *   as such. `missing` and `ignore` do not count them: ALARM with M real breaches, OK once a
 *   real datapoint does not breach, otherwise undecided (INSUFFICIENT_DATA for `missing`,
 *   unchanged for `ignore`), except that `missing` keeps judging a metric that stopped
 *   reporting (none of the newest N present) by the datapoints it last had.
 */
export function evaluateAlarmDatapoints(
  range: readonly (boolean | undefined)[],
  datapointsToAlarm: number,
  evaluationPeriods: number,
  treatMissingData: TreatMissingData,
): AlarmOutcome {
  const m = datapointsToAlarm;
  const n = evaluationPeriods;
  const real = range.filter((p): p is boolean => p !== undefined);
  if (real.length >= n) {
    const newest = real.slice(real.length - n);
    const b = newest.filter(Boolean).length;
    return { state: b >= m ? 'ALARM' : 'OK', evaluated: n, breaching: b, filled: 0 };
  }
  const b = real.filter(Boolean).length;
  const filled = n - real.length;
  const outcome = (state: AlarmState | undefined, breaching = b): AlarmOutcome => ({
    state,
    evaluated: n,
    breaching,
    filled,
  });
  switch (treatMissingData) {
    case 'breaching':
      return outcome(b + filled >= m ? 'ALARM' : 'OK', b + filled);
    case 'notBreaching':
      return outcome(b >= m ? 'ALARM' : 'OK');
    case 'missing':
    case 'ignore': {
      if (real.length === 0) return outcome(treatMissingData === 'missing' ? 'INSUFFICIENT_DATA' : undefined);
      if (b >= m) return outcome('ALARM');
      if (b < real.length) return outcome('OK');
      if (treatMissingData === 'ignore') return outcome(undefined);
      const stoppedReporting = range.slice(range.length - n).every((p) => p === undefined);
      return outcome(stoppedReporting ? 'ALARM' : 'INSUFFICIENT_DATA');
    }
  }
}

function breaches(value: number, d: Required<MetricAlarmInput>): boolean {
  switch (d.comparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= d.threshold;
    case 'GreaterThanThreshold':
      return value > d.threshold;
    case 'LessThanThreshold':
      return value < d.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= d.threshold;
  }
}

const OPERATOR_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

// Worded like CloudWatch's own reasons, so a report reads the same as the console.
function describeOutcome(outcome: AlarmOutcome, points: readonly AlarmDatapoint[], d: Required<MetricAlarmInput>): string {
  const real = points.filter((p) => p.value !== undefined);
  if (outcome.state === 'INSUFFICIENT_DATA') {
    return `Insufficient Data: ${points.length - real.length} datapoints were unknown.`;
  }
  const shown = real
    .slice(-d.evaluationPeriods)
    .reverse()
    .map((p) => `${+p.value!.toPrecision(6)} (${new Date(p.timestamp).toISOString()})`)
    .join(', ');
  const filled = outcome.filled > 0 ? ` and ${outcome.filled} missing datapoints treated as ${d.treatMissingData}` : '';
  const verb = outcome.state === 'ALARM' ? 'Threshold Crossed' : 'Threshold not crossed';
  return (
    `${verb}: ${outcome.breaching} out of the last ${outcome.evaluated} datapoints [${shown}]${filled} ` +
    `were ${OPERATOR_WORDS[d.comparisonOperator]} the threshold (${d.threshold}) ` +
    `(minimum ${d.datapointsToAlarm} datapoints for OK -> ALARM transition).`
  );
}

function seriesKey(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => `${k}=${dimensions[k]}`)
    .join('\u0001');
  return `${namespace}\u0000${metricName}\u0000${dims}`;
}

function periodMs(periodSeconds: number): number {
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

function floorTo(t: number, step: number): number {
  return Math.floor(t / step) * step;
}
