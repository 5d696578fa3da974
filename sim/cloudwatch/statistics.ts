/**
 * The statistics of the simulated CloudWatch: what it keeps of a set of samples (count, sum,
 * extremes and a histogram for percentiles) and the statistics it computes from them, with
 * CloudWatch's rules on when percentiles exist.
 */
import { RejectedError } from '../../functions/core/errors.js';

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
   * The share of the weight whose bucket value is above `lower` and at most `upper` (either may
   * be absent: unbounded), 0 when empty.
   */
  share(lower: number | undefined, upper: number | undefined): number {
    if (this.totalWeight <= 0) return 0;
    let inside = 0;
    for (const [key, weight] of this.buckets) {
      const value = key === ZERO_KEY ? 0 : Math.exp((key + 0.5) * LN_BUCKET);
      if ((lower === undefined || value > lower) && (upper === undefined || value <= upper)) inside += weight;
    }
    return inside / this.totalWeight;
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
   * The value of a statistic: Sum, SampleCount, Average, Minimum, Maximum, a percentile pNN
   * or pNN.NN (0 to 100), or a percentile rank PR(lower:upper), the percentage of values above
   * `lower` and at most `upper`, from the histogram. Undefined when there is no sample, or for a
   * percentile or rank CloudWatch could not compute. Throws RejectedError for a statistic
   * CloudWatch would refuse.
   */
  statistic(stat: string): number | undefined {
    const rank = parsePercentileRank(stat);
    const percentile = parsePercentile(stat);
    if (this.sampleCount <= 0) return undefined;
    if (rank) return this.histogram ? 100 * this.histogram.share(rank.lower, rank.upper) : undefined;
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

/**
 * The percentile of "p99" or "p99.9" (case as CloudWatch writes it), undefined for the named
 * statistics. Throws RejectedError for a statistic CloudWatch would refuse.
 *
 * @example parsePercentile('p99.9') // 99.9
 */
export function parsePercentile(stat: string): number | undefined {
  if (parsePercentileRank(stat)) return undefined;
  const m = /^p(\d{1,3}(?:\.\d+)?)$/.exec(stat);
  if (!m) {
    if (['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'].includes(stat)) return undefined;
    throw new RejectedError(`unsupported statistic "${stat}": use Sum, SampleCount, Average, Minimum, Maximum, pNN.NN or PR(lower:upper)`);
  }
  const p = Number(m[1]);
  if (p > 100) throw new RejectedError(`percentile ${stat} is over 100`);
  return p;
}

/**
 * The bounds of a percentile rank, "PR(:300)" or "PR(100:2000)" (CloudWatch: the lower bound is
 * exclusive, the upper inclusive; either may be left out, not both); undefined for any other
 * statistic. Throws RejectedError for a rank without bounds or with them reversed.
 *
 * @example parsePercentileRank('PR(:300)') // { lower: undefined, upper: 300 }
 */
export function parsePercentileRank(stat: string): { lower: number | undefined; upper: number | undefined } | undefined {
  const m = /^PR\((\d+(?:\.\d+)?)?:(\d+(?:\.\d+)?)?\)$/.exec(stat);
  if (!m) return undefined;
  const lower = m[1] === undefined ? undefined : Number(m[1]);
  const upper = m[2] === undefined ? undefined : Number(m[2]);
  if (lower === undefined && upper === undefined) throw new RejectedError(`percentile rank ${stat} needs a bound`);
  if (lower !== undefined && upper !== undefined && lower >= upper) throw new RejectedError(`percentile rank ${stat}: the lower bound must be below the upper`);
  return { lower, upper };
}
