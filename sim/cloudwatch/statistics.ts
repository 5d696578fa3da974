/**
 * The statistics of the simulated CloudWatch: what it keeps of a set of samples (count, sum,
 * extremes and a histogram for percentiles) and the statistics it computes from them, with
 * CloudWatch's rules on when percentiles exist.
 */
import { RejectedError } from '../../functions/core/errors.js';

// Buckets 1/64 wide in log space: a quantile is off by at most ±0.8% of its value, whatever
// the unit, and a minute of Lambda durations fills a few hundred buckets.
const LN_BUCKET = Math.log1p(1 / 64);

/** The buckets of an empty histogram: never written to, replaced at the first bucket. */
const NO_BUCKETS: number[] = [];

/** The index of the first key >= `key` in ascending `keys`. */
function lowerBound(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A mergeable histogram of non-negative values with fractional weights, for percentiles. The
 * buckets are kept as two sorted arrays (bucket index, weight), not a map: a month of per-minute
 * aggregates holds millions of buckets, merging is a walk of two sorted lists, and a quantile
 * needs no sort.
 */
export class Histogram {
  /** Bucket indexes (log of the value over LN_BUCKET, rounded down), ascending; shared and empty until the first bucket. */
  private keys: number[] = NO_BUCKETS;
  /** The weight of each bucket of `keys`. */
  private weights: number[] = NO_BUCKETS;
  /** The weight of values <= 0, which read back as 0 and come before every bucket. */
  private zero = 0;
  private totalWeight = 0;

  /** Total weight added. */
  get total(): number {
    return this.totalWeight;
  }

  /** Adds `weight` samples of `value`; values <= 0 land in one bucket that reads back as 0. */
  add(value: number, weight = 1): void {
    if (!(weight > 0)) return;
    this.totalWeight += weight;
    if (!(value > 0)) {
      this.zero += weight;
      return;
    }
    const key = Math.floor(Math.log(value) / LN_BUCKET);
    if (this.keys === NO_BUCKETS) {
      this.keys = [key];
      this.weights = [weight];
      return;
    }
    // Values often come in ascending order (a minute's strata): appending needs no search.
    const last = this.keys.length - 1;
    if (key >= (this.keys[last] as number)) {
      if (key === this.keys[last]) this.weights[last] = (this.weights[last] as number) + weight;
      else {
        this.keys.push(key);
        this.weights.push(weight);
      }
      return;
    }
    const i = lowerBound(this.keys, key);
    if (this.keys[i] === key) this.weights[i] = (this.weights[i] as number) + weight;
    else {
      this.keys.splice(i, 0, key);
      this.weights.splice(i, 0, weight);
    }
  }

  /** An independent copy. */
  copy(): Histogram {
    const h = new Histogram();
    h.merge(this);
    return h;
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: Histogram): void {
    this.zero += other.zero;
    this.totalWeight += other.totalWeight;
    if (other.keys.length === 0) return;
    if (this.keys.length === 0) {
      this.keys = [...other.keys];
      this.weights = [...other.weights];
      return;
    }
    const keys: number[] = [];
    const weights: number[] = [];
    let i = 0;
    let j = 0;
    while (i < this.keys.length || j < other.keys.length) {
      const a = i < this.keys.length ? (this.keys[i] as number) : Number.POSITIVE_INFINITY;
      const b = j < other.keys.length ? (other.keys[j] as number) : Number.POSITIVE_INFINITY;
      if (a === b) {
        keys.push(a);
        weights.push((this.weights[i++] as number) + (other.weights[j++] as number));
      } else if (a < b) {
        keys.push(a);
        weights.push(this.weights[i++] as number);
      } else {
        keys.push(b);
        weights.push(other.weights[j++] as number);
      }
    }
    this.keys = keys;
    this.weights = weights;
  }

  /**
   * The share of the weight whose bucket value is above `lower` and at most `upper` (either may
   * be absent: unbounded), 0 when empty.
   */
  share(lower: number | undefined, upper: number | undefined): number {
    if (this.totalWeight <= 0) return 0;
    const within = (value: number) => (lower === undefined || value > lower) && (upper === undefined || value <= upper);
    let inside = within(0) ? this.zero : 0;
    // A bucket reads back as its geometric middle, which rises with its index: the buckets inside
    // are one run of indexes, found by search rather than by reading every bucket's value.
    const from = lower === undefined ? 0 : this.firstAbove(lower);
    const to = upper === undefined ? this.keys.length : this.firstAbove(upper);
    for (let i = from; i < to; i++) inside += this.weights[i] as number;
    return inside / this.totalWeight;
  }

  /** The index of the first bucket whose value is above `value` (all of them when `value` is not positive). */
  private firstAbove(value: number): number {
    if (!(value > 0)) return 0;
    // Bucket k reads back as exp((k + 0.5) * LN_BUCKET): above `value` when k > log(value) / LN_BUCKET - 0.5.
    const bound = Math.log(value) / LN_BUCKET - 0.5;
    let i = lowerBound(this.keys, Math.floor(bound));
    while (i < this.keys.length && Math.exp(((this.keys[i] as number) + 0.5) * LN_BUCKET) <= value) i++;
    return i;
  }

  /**
   * The smallest bucket value with at least `fraction` of the weight at or below it (the
   * bucket's geometric middle), or undefined when empty.
   */
  quantile(fraction: number): number | undefined {
    if (this.totalWeight <= 0) return undefined;
    const target = fraction * this.totalWeight * (1 - 1e-12);
    let cumulative = 0;
    if (this.zero > 0) {
      cumulative += this.zero;
      if (cumulative >= target) return 0;
    }
    for (let i = 0; i < this.keys.length; i++) {
      cumulative += this.weights[i] as number;
      if (cumulative >= target) return Math.exp(((this.keys[i] as number) + 0.5) * LN_BUCKET);
    }
    const last = this.keys.at(-1);
    return last === undefined ? 0 : Math.exp((last + 0.5) * LN_BUCKET);
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
  histogram: Histogram | undefined;
  /**
   * Every sample is 0 or 1 (Lambda's invocation metrics): percentiles follow from how many are
   * 1, so no histogram is kept. A month of per-minute aggregates holds a million of these.
   */
  zeroOne = false;

  /** No samples yet; by default raw values will come, so percentiles are kept. */
  constructor(percentiles = true) {
    this.histogram = percentiles ? new Histogram() : undefined;
  }

  /**
   * `count` samples of 0 or 1, `ones` of them 1: how Lambda's invocation metrics (binary
   * indicators, per the Lambda guide) look once aggregated.
   */
  static binary(count: number, ones: number): MetricAggregate {
    if (count <= 0) return new MetricAggregate();
    const agg = MetricAggregate.of({ sampleCount: count, sum: ones, minimum: ones < count ? 0 : 1, maximum: ones > 0 ? 1 : 0 });
    agg.zeroOne = true;
    return agg;
  }

  /** Built from parts; the histogram is taken as it is, not copied. */
  static of(parts: StatisticSet & { histogram?: Histogram | undefined }): MetricAggregate {
    const agg = new MetricAggregate(false);
    agg.histogram = parts.histogram;
    agg.sampleCount = parts.sampleCount;
    agg.sum = parts.sum;
    agg.minimum = parts.minimum;
    agg.maximum = parts.maximum;
    return agg;
  }

  /** An independent copy. */
  copy(): MetricAggregate {
    const agg = MetricAggregate.of({ sampleCount: this.sampleCount, sum: this.sum, minimum: this.minimum, maximum: this.maximum, histogram: this.histogram?.copy() });
    agg.zeroOne = this.zeroOne;
    return agg;
  }

  /** The histogram percentiles are read from: the kept one, or one built from the count of ones. */
  percentileHistogram(): Histogram | undefined {
    if (!this.zeroOne) return this.histogram;
    const built = new Histogram();
    built.add(0, this.sampleCount - this.sum);
    built.add(1, this.sum);
    return built;
  }

  /** Adds `count` samples of `value`. */
  addValue(value: number, count = 1): void {
    if (!Number.isFinite(value)) throw new RejectedError(`metric values must be finite numbers, got ${value}`);
    if (!(count > 0)) return;
    this.keepHistogram();
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
    const first = this.sampleCount <= 0 && this.histogram !== undefined;
    this.sampleCount += other.sampleCount;
    this.sum += other.sum;
    this.minimum = Math.min(this.minimum, other.minimum);
    this.maximum = Math.max(this.maximum, other.maximum);
    if (first) {
      // Nothing here yet: the samples are of whatever kind `other`'s are.
      this.zeroOne = other.zeroOne;
      this.histogram = other.histogram?.copy();
      return;
    }
    if (this.zeroOne && other.zeroOne) return;
    this.keepHistogram();
    const theirs = this.histogram && other.percentileHistogram();
    if (this.histogram && theirs) this.histogram.merge(theirs);
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
    return statisticReader(stat)(this);
  }

  /** From now on samples of any value come: keep a histogram of the zeros and ones so far. */
  private keepHistogram(): void {
    if (!this.zeroOne) return;
    this.histogram = this.percentileHistogram();
    this.zeroOne = false;
  }
}

/** One statistic's value of an aggregate (undefined without samples), and whether it needs histograms (a percentile or a percentile rank). */
export type StatisticReader = ((aggregate: MetricAggregate) => number | undefined) & { readonly percentile: boolean };

/**
 * Reads one statistic from aggregates: the statistic is parsed once, for a query that reads
 * thousands of minutes. Throws RejectedError for a statistic CloudWatch would refuse.
 *
 * @example statisticReader('Sum')(aggregate) // aggregate.sum
 */
export function statisticReader(stat: string): StatisticReader {
  const rank = parsePercentileRank(stat);
  const percentile = parsePercentile(stat);
  const read = rank
    ? (a: MetricAggregate) => rankOf(a, rank)
    : percentile === undefined
      ? namedStatistic(stat)
      : (a: MetricAggregate) => percentileOf(a, percentile);
  return Object.assign((a: MetricAggregate) => (a.sampleCount > 0 ? read(a) : undefined), { percentile: rank !== undefined || percentile !== undefined });
}

function namedStatistic(stat: string): (a: MetricAggregate) => number {
  switch (stat) {
    case 'Sum':
      return (a) => a.sum;
    case 'SampleCount':
      return (a) => a.sampleCount;
    case 'Average':
      return (a) => a.sum / a.sampleCount;
    case 'Minimum':
      return (a) => a.minimum;
    case 'Maximum':
      return (a) => a.maximum;
  }
  throw new RejectedError(`unsupported statistic "${stat}"`);
}

/** A percentile, 0 to 100, as CloudWatch has it: from raw values only, within the extremes. */
function percentileOf(a: MetricAggregate, percentile: number): number | undefined {
  const histogram = a.percentileHistogram();
  if (!histogram) return undefined;
  if (percentile === 0) return a.minimum;
  if (percentile === 100) return a.maximum;
  const q = histogram.quantile(percentile / 100);
  return q === undefined ? undefined : Math.min(a.maximum, Math.max(a.minimum, q));
}

/** A percentile rank, the percentage of values above `lower` and at most `upper`: from raw values only. */
function rankOf(a: MetricAggregate, rank: { lower: number | undefined; upper: number | undefined }): number | undefined {
  const histogram = a.percentileHistogram();
  return histogram ? 100 * histogram.share(rank.lower, rank.upper) : undefined;
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
