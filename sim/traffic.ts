/**
 * Requests to one Lambda alias, generated second by second in aggregate (or minute by minute, for
 * long rehearsals: `sliceSeconds`): arrivals are Poisson,
 * each request goes to a version at random by the alias's weights (as Lambda routes), some are
 * throttled, some of the rest fail, and durations are lognormal. What it generates goes to
 * CloudWatch under Lambda's three dimension sets, and into running totals and a timeline for
 * reports and charts.
 */
import type { AliasState } from '../functions/core/lambda-model.js';
import { Histogram, MetricAggregate, type MetricSink } from './cloudwatch/index.js';
import { normalQuantile, normalUpperQuantile } from '../functions/core/normal.js';
import { lognormalFromMedianP99, type LognormalParams, type Random } from './random.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;

/** How a version behaves from some moment on. */
export interface BehaviourSettings {
  /** Share of invocations that fail, 0..1 (1 = crashes on every request). */
  readonly errorRate: number;
  /** Median duration in ms. */
  readonly p50Ms: number;
  /** 99th-percentile duration in ms, at least p50Ms. */
  readonly p99Ms: number;
  /** Share of requests throttled before they run, 0..1. Default 0. */
  readonly throttleRate?: number;
}

/** A change of behaviour `atSeconds` after the model's start; unset fields stay as they were. */
export interface BehaviourChange extends Partial<BehaviourSettings> {
  readonly atSeconds: number;
}

/** A version's behaviour: settings from the start, then changes (a leak, a slow dependency). */
export interface BehaviourProfile extends BehaviourSettings {
  readonly changes?: readonly BehaviourChange[];
}

/** Requests per second: constant, or a function of seconds since the model's start. */
export type RequestRate = number | ((elapsedSeconds: number) => number);

export interface TrafficModelOptions {
  readonly functionName: string;
  readonly alias: string;
  readonly rate: RequestRate;
  /** Behaviour by version number. */
  readonly versions?: Readonly<Record<string, BehaviourProfile>>;
  /** For versions not in `versions`. Default: no errors, p50 50 ms, p99 200 ms. */
  readonly defaultProfile?: BehaviourProfile;
  /** This model's own stream; give it `random.fork()` so models do not disturb each other. */
  readonly random: Random;
  readonly cloudwatch: MetricSink;
  /** Epoch ms where traffic starts; `atSeconds` and the rate function count from here. */
  readonly startTime: number;
  /** Width of a timeline bucket, a multiple of `sliceSeconds`. Default 60. */
  readonly timelineSeconds?: number;
  /**
   * Traffic is generated in slices of this many seconds (a divisor of 60), and at every alias
   * change and change of behaviour. Per-minute counts have the same distribution whatever the
   * slice (Poisson arrivals add up, each request is routed and fails independently); a minute's
   * slice draws durations once for the minute rather than each second. Default 1.
   */
  readonly sliceSeconds?: number;
}

/** What one version served through the alias so far. */
export interface VersionTotals {
  /** Requests routed to the version, throttled ones included. */
  readonly requests: number;
  /** Requests that ran: what CloudWatch counts as Invocations. */
  readonly invocations: number;
  readonly errors: number;
  readonly throttles: number;
  /** Sum of durations in ms (sampled above 40 invocations per second). */
  readonly durationSumMs: number;
  /** Epoch ms of the first error, if any. */
  readonly firstErrorAt: number | undefined;
}

/** One timeline bucket, for charts. */
export interface TimelineBucket {
  /** Epoch ms; buckets are aligned to multiples of their width. */
  readonly startTime: number;
  readonly endTime: number;
  /** Percent by version, averaged over the part of the bucket generated so far. */
  readonly weights: Readonly<Record<string, number>>;
  readonly versions: Readonly<Record<string, TimelineVersion>>;
}

export interface TimelineVersion {
  readonly requests: number;
  readonly invocations: number;
  readonly errors: number;
  readonly throttles: number;
  /** Duration p99 in ms over the bucket; undefined without invocations. */
  readonly p99Ms: number | undefined;
}

const DEFAULT_PROFILE: BehaviourProfile = { errorRate: 0, p50Ms: 50, p99Ms: 200 };

// Above this many invocations in a second, durations are drawn one per stratum of the
// distribution and weighted, instead of one per request. The strata narrow towards the tail,
// so p99 and p99.9 stay accurate while the cost per second stays fixed.
const STRATA = buildStrata();
const EXACT_LIMIT = STRATA.length - 1;

function buildStrata(): number[] {
  const edges: number[] = [];
  for (let i = 0; i < 18; i++) edges.push(i * 0.05);
  for (let i = 0; i < 9; i++) edges.push(0.9 + i * 0.01);
  for (let i = 0; i < 9; i++) edges.push(0.99 + i * 0.001);
  for (let i = 0; i < 4; i++) edges.push(0.999 + i * 0.00025);
  edges.push(1);
  return edges;
}

interface Counts {
  requests: number;
  invocations: number;
  errors: number;
  throttles: number;
}

interface MinuteVersion extends Counts {
  durationSum: number;
  durationMin: number;
  durationMax: number;
  readonly durations: Histogram;
}

interface BucketAcc {
  readonly startTime: number;
  readonly weightMs: Map<string, number>;
  coveredMs: number;
  readonly versions: Map<string, Counts & { readonly durations: Histogram }>;
}

interface MutableTotals extends Counts {
  durationSumMs: number;
  firstErrorAt: number | undefined;
}

interface ProfileStep {
  /** Seconds since start. */
  readonly at: number;
  readonly settings: BehaviourSettings;
  readonly effective: EffectiveBehaviour;
}

interface EffectiveBehaviour {
  readonly errorRate: number;
  readonly throttleRate: number;
  readonly latency: LognormalParams;
}

/**
 * Traffic to one alias. The caller advances it to each moment the alias changes and to every
 * read, passing the routing that held since the last advance, so the split is exact.
 *
 * @example
 * const traffic = new TrafficModel({ functionName: 'orders', alias: 'live', rate: 100,
 *   versions: { '4': { errorRate: 0.2, p50Ms: 80, p99Ms: 900 } },
 *   random: rnd.fork(), cloudwatch, startTime: Date.now() });
 * traffic.advanceTo(Date.now() + 60_000, { functionVersion: '3', routing: { '4': 10 } });
 */
export class TrafficModel {
  private readonly options: TrafficModelOptions;
  private readonly random: Random;
  private readonly rate: (elapsedSeconds: number) => number;
  private readonly timelineMs: number;
  private readonly sliceMs: number;
  private readonly profiles = new Map<string, ProfileStep[]>();
  private readonly totalsByVersion = new Map<string, MutableTotals>();
  private readonly buckets = new Map<number, BucketAcc>();
  private pending = new Map<number, Map<string, MinuteVersion>>();
  private shared: readonly [Readonly<Record<string, string>>, Readonly<Record<string, string>>] | undefined;
  private readonly byVersion = new Map<string, Readonly<Record<string, string>>>();
  private cursor: number;

  constructor(options: TrafficModelOptions) {
    this.options = options;
    this.random = options.random;
    const rate = options.rate;
    this.rate = typeof rate === 'number' ? () => rate : rate;
    if (typeof rate === 'number' && !(rate >= 0)) throw new RangeError(`rate must be >= 0 requests per second, got ${rate}`);
    this.timelineMs = (options.timelineSeconds ?? 60) * SECOND_MS;
    if (!(this.timelineMs >= SECOND_MS)) throw new RangeError('timelineSeconds must be at least 1');
    const slice = options.sliceSeconds ?? 1;
    if (!(Number.isInteger(slice) && slice >= 1 && 60 % slice === 0)) throw new RangeError(`sliceSeconds must divide 60, got ${slice}`);
    this.sliceMs = slice * SECOND_MS;
    if (this.timelineMs % this.sliceMs !== 0) throw new RangeError('timelineSeconds must be a multiple of sliceSeconds');
    this.cursor = options.startTime;
    for (const [version, profile] of Object.entries(options.versions ?? {})) this.profileOf(version, profile);
    this.profileOf('', options.defaultProfile ?? DEFAULT_PROFILE);
  }

  /** Epoch ms up to which traffic has been generated. */
  get time(): number {
    return this.cursor;
  }

  /**
   * Generates the traffic of [time, untilMs) with `alias`'s routing held throughout, and
   * writes its metrics. Does nothing when `untilMs` is not after `time`.
   */
  advanceTo(untilMs: number, alias: Pick<AliasState, 'functionVersion' | 'routing'>): void {
    if (!(untilMs > this.cursor)) return;
    const split = splitOf(alias);
    for (let t = this.cursor; t < untilMs; ) {
      const next = Math.min(untilMs, Math.floor(t / this.sliceMs) * this.sliceMs + this.sliceMs, this.nextChangeAfter(t, split));
      this.generate(t, next, split);
      t = next;
    }
    this.cursor = untilMs;
    this.flush();
  }

  /** Running totals by version: a copy, safe to keep. */
  totals(): Record<string, VersionTotals> {
    const out: Record<string, VersionTotals> = {};
    for (const [version, t] of this.totalsByVersion) out[version] = { ...t };
    return out;
  }

  /** The timeline so far, oldest bucket first. */
  timeline(): TimelineBucket[] {
    return [...this.buckets.values()]
      .sort((a, b) => a.startTime - b.startTime)
      .map((b) => {
        const weights: Record<string, number> = {};
        for (const [version, ms] of b.weightMs) weights[version] = b.coveredMs > 0 ? ms / b.coveredMs : 0;
        const versions: Record<string, TimelineVersion> = {};
        for (const [version, c] of b.versions) {
          versions[version] = {
            requests: c.requests,
            invocations: c.invocations,
            errors: c.errors,
            throttles: c.throttles,
            p99Ms: c.durations.quantile(0.99),
          };
        }
        return { startTime: b.startTime, endTime: b.startTime + this.timelineMs, weights, versions };
      });
  }

  /** How `version` behaves at epoch ms `at`, changes applied. */
  behaviourAt(version: string, at: number): BehaviourSettings {
    const { errorRate, p50Ms, p99Ms, throttleRate } = this.stepAt(version, at).settings;
    return { errorRate, p50Ms, p99Ms, throttleRate: throttleRate ?? 0 };
  }

  private profileOf(version: string, profile: BehaviourProfile): void {
    const { errorRate, p50Ms, p99Ms, throttleRate } = profile;
    let settings: BehaviourSettings = { errorRate, p50Ms, p99Ms, throttleRate };
    const steps: ProfileStep[] = [{ at: Number.NEGATIVE_INFINITY, settings, effective: effective(version, settings) }];
    for (const change of [...(profile.changes ?? [])].sort((a, b) => a.atSeconds - b.atSeconds)) {
      settings = {
        errorRate: change.errorRate ?? settings.errorRate,
        p50Ms: change.p50Ms ?? settings.p50Ms,
        p99Ms: change.p99Ms ?? settings.p99Ms,
        throttleRate: change.throttleRate ?? settings.throttleRate,
      };
      steps.push({ at: change.atSeconds, settings, effective: effective(version, settings) });
    }
    this.profiles.set(version, steps);
  }

  /** Epoch ms of the first change of behaviour after `t` of a version in the split; Infinity when none. */
  private nextChangeAfter(t: number, split: readonly (readonly [string, number])[]): number {
    let next = Number.POSITIVE_INFINITY;
    for (const [version] of split) {
      for (const step of this.profiles.get(version) ?? this.profiles.get('')!) {
        const at = this.options.startTime + step.at * SECOND_MS;
        if (at > t && at < next) next = at;
      }
    }
    return next;
  }

  /** Requests expected in [from, to): the rate of each second at its middle, for the part of it inside. */
  private expectedArrivals(from: number, to: number): number {
    let expected = 0;
    for (let t = from; t < to; ) {
      const next = Math.min(to, Math.floor(t / SECOND_MS) * SECOND_MS + SECOND_MS);
      const elapsedMid = ((t + next) / 2 - this.options.startTime) / SECOND_MS;
      const rate = this.rate(elapsedMid);
      if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`rate at ${elapsedMid}s is ${rate}; it must be a finite number >= 0`);
      expected += (rate * (next - t)) / SECOND_MS;
      t = next;
    }
    return expected;
  }

  private stepAt(version: string, at: number): ProfileStep {
    const steps = this.profiles.get(version) ?? this.profiles.get('')!;
    const elapsed = (at - this.options.startTime) / SECOND_MS;
    let current = steps[0]!;
    for (let i = 1; i < steps.length && steps[i]!.at <= elapsed; i++) current = steps[i]!;
    return current;
  }

  /** One slice, [from, to), within one slice period and with the routing and behaviour fixed. */
  private generate(from: number, to: number, split: readonly (readonly [string, number])[]): void {
    const bucket = this.bucketAt(from);
    const span = to - from;
    bucket.coveredMs += span;
    for (const [version, weight] of split) {
      bucket.weightMs.set(version, (bucket.weightMs.get(version) ?? 0) + weight * span);
    }

    const arrivals = this.random.poisson(this.expectedArrivals(from, to));
    if (arrivals === 0) return;

    // Multinomial split as a chain of binomials: each request is routed independently.
    let remaining = arrivals;
    let remainingShare = 100;
    for (let i = 0; i < split.length && remaining > 0; i++) {
      const [version, weight] = split[i]!;
      const last = i === split.length - 1;
      const n = last ? remaining : this.random.binomial(remaining, Math.min(1, Math.max(0, weight / remainingShare)));
      remaining -= n;
      remainingShare -= weight;
      if (n > 0) this.serve(version, n, from, to, bucket);
    }
  }

  /** `n` requests that reached `version` in [from, to). */
  private serve(version: string, n: number, from: number, to: number, bucket: BucketAcc): void {
    const b = this.stepAt(version, from).effective;
    const throttles = this.random.binomial(n, b.throttleRate);
    const invocations = n - throttles;
    const errors = this.random.binomial(invocations, b.errorRate);

    const minute = this.minuteAt(from, version);
    let bv = bucket.versions.get(version);
    if (!bv) bucket.versions.set(version, (bv = { requests: 0, invocations: 0, errors: 0, throttles: 0, durations: new Histogram() }));
    const totals = this.totalsOf(version);
    for (const c of [minute, bv, totals] as Counts[]) {
      c.requests += n;
      c.invocations += invocations;
      c.errors += errors;
      c.throttles += throttles;
    }
    if (errors > 0 && totals.firstErrorAt === undefined) {
      // The earliest of `errors` uniform arrival times in [from, to).
      totals.firstErrorAt = from + (to - from) * -Math.expm1(Math.log(this.random.uniformOpen()) / errors);
    }
    if (invocations > 0) {
      const sum = this.durations(invocations, b.latency, minute, bv.durations);
      totals.durationSumMs += sum;
    }
  }

  /** Draws the durations of `count` invocations into the histograms; returns their sum. */
  private durations(count: number, p: LognormalParams, minute: MinuteVersion, timeline: Histogram): number {
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    if (count <= EXACT_LIMIT) {
      for (let i = 0; i < count; i++) {
        const v = this.random.lognormal(p);
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
        minute.durations.add(v);
        timeline.add(v);
      }
    } else {
      for (let i = 0; i < EXACT_LIMIT; i++) {
        const lo = STRATA[i]!;
        const hi = STRATA[i + 1]!;
        const v = Math.exp(p.mu + p.sigma * normalQuantile(lo + (hi - lo) * this.random.uniformOpen()));
        const w = count * (hi - lo);
        sum += v * w;
        minute.durations.add(v, w);
        timeline.add(v, w);
      }
      // The extremes of `count` draws, by their order-statistic distributions.
      const maxTail = -Math.expm1(Math.log(this.random.uniformOpen()) / count);
      const minTail = -Math.expm1(Math.log(this.random.uniformOpen()) / count);
      max = Math.exp(p.mu + p.sigma * normalUpperQuantile(maxTail));
      min = Math.exp(p.mu - p.sigma * normalUpperQuantile(minTail));
    }
    minute.durationSum += sum;
    minute.durationMin = Math.min(minute.durationMin, min);
    minute.durationMax = Math.max(minute.durationMax, max);
    return sum;
  }

  private bucketAt(t: number): BucketAcc {
    const start = Math.floor(t / this.timelineMs) * this.timelineMs;
    let b = this.buckets.get(start);
    if (!b) this.buckets.set(start, (b = { startTime: start, weightMs: new Map(), coveredMs: 0, versions: new Map() }));
    return b;
  }

  private minuteAt(t: number, version: string): MinuteVersion {
    const start = Math.floor(t / MINUTE_MS) * MINUTE_MS;
    let byVersion = this.pending.get(start);
    if (!byVersion) this.pending.set(start, (byVersion = new Map()));
    let m = byVersion.get(version);
    if (!m) {
      m = {
        requests: 0,
        invocations: 0,
        errors: 0,
        throttles: 0,
        durationSum: 0,
        durationMin: Number.POSITIVE_INFINITY,
        durationMax: Number.NEGATIVE_INFINITY,
        durations: new Histogram(),
      };
      byVersion.set(version, m);
    }
    return m;
  }

  /**
   * Lambda's dimension sets for invocations of a weighted alias: the function and the alias
   * (every version), and the alias with the version that ran. Made once, so CloudWatch keys
   * each series once.
   */
  private sharedDimensionSets(): readonly [Readonly<Record<string, string>>, Readonly<Record<string, string>>] {
    const { functionName, alias } = this.options;
    this.shared ??= [{ FunctionName: functionName }, { FunctionName: functionName, Resource: `${functionName}:${alias}` }];
    return this.shared;
  }

  private versionDimensions(version: string): Readonly<Record<string, string>> {
    let dimensions = this.byVersion.get(version);
    if (!dimensions) {
      const { functionName, alias } = this.options;
      this.byVersion.set(version, (dimensions = { FunctionName: functionName, Resource: `${functionName}:${alias}`, ExecutedVersion: version }));
    }
    return dimensions;
  }

  private totalsOf(version: string): MutableTotals {
    let t = this.totalsByVersion.get(version);
    if (!t) {
      t = { requests: 0, invocations: 0, errors: 0, throttles: 0, durationSumMs: 0, firstErrorAt: undefined };
      this.totalsByVersion.set(version, t);
    }
    return t;
  }

  /**
   * Writes what was generated since the last flush, under the three dimension sets Lambda
   * publishes for alias invocations: the function, the alias (Resource) and the alias with
   * the version that ran (ExecutedVersion). CloudWatch merges partial minutes.
   */
  private flush(): void {
    const { cloudwatch } = this.options;
    const [functionSet, aliasSet] = this.sharedDimensionSets();
    for (const [minute, byVersion] of this.pending) {
      // The function's and the alias's dimension sets add up every version's invocations.
      const everyVersion = new Map<string, MetricAggregate>();
      for (const [version, m] of byVersion) {
        for (const [name, agg] of metricsOf(m)) {
          const sum = everyVersion.get(name);
          if (sum) sum.merge(agg);
          else everyVersion.set(name, agg.copy());
          cloudwatch.putAggregate('AWS/Lambda', name, this.versionDimensions(version), minute, agg);
        }
      }
      // The same numbers under both: the store keeps one aggregate for the two series.
      for (const [name, agg] of everyVersion) {
        cloudwatch.putAggregate('AWS/Lambda', name, functionSet, minute, agg);
        cloudwatch.putAggregate('AWS/Lambda', name, aliasSet, minute, agg);
      }
    }
    this.pending = new Map();
  }
}

/**
 * What Lambda publishes of a version's minute, each metric as its own new aggregate. Lambda
 * documents Invocations, Errors and Throttles as binary indicators: every request that arrives
 * reports Throttles 0 or 1, every one that runs Invocations 1 and Errors 0 or 1. Throttled
 * requests are not Invocations.
 */
function metricsOf(m: MinuteVersion): [string, MetricAggregate][] {
  const metrics: [string, MetricAggregate][] = [
    ['Throttles', MetricAggregate.binary(m.requests, m.throttles)],
    ['Invocations', MetricAggregate.binary(m.invocations, m.invocations)],
    ['Errors', MetricAggregate.binary(m.invocations, m.errors)],
  ];
  if (m.invocations > 0) {
    metrics.push(['Duration', MetricAggregate.of({ sampleCount: m.invocations, sum: m.durationSum, minimum: m.durationMin, maximum: m.durationMax, histogram: m.durations })]);
  }
  return metrics;
}

/** The alias's routing as [version, percent] pairs: primary first, then the others by version. */
function splitOf(alias: Pick<AliasState, 'functionVersion' | 'routing'>): [string, number][] {
  const extra = Object.entries(alias.routing)
    .filter(([v, w]) => w > 0 && v !== alias.functionVersion)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  const rest = 100 - extra.reduce((t, [, w]) => t + w, 0);
  return [[alias.functionVersion, Math.max(0, rest)], ...extra];
}

function effective(version: string, s: BehaviourSettings): EffectiveBehaviour {
  const label = version === '' ? 'the default profile' : `version ${version}`;
  const throttleRate = s.throttleRate ?? 0;
  if (!(s.errorRate >= 0 && s.errorRate <= 1)) throw new RangeError(`${label}: errorRate must be in [0, 1], got ${s.errorRate}`);
  if (!(throttleRate >= 0 && throttleRate <= 1)) throw new RangeError(`${label}: throttleRate must be in [0, 1], got ${throttleRate}`);
  try {
    return { errorRate: s.errorRate, throttleRate, latency: lognormalFromMedianP99(s.p50Ms, s.p99Ms) };
  } catch (e) {
    throw new RangeError(`${label}: ${(e as Error).message}`);
  }
}
