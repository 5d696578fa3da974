/**
 * The evidence a health check asks CloudWatch for, as data: for the complete minutes it has not
 * judged yet, AWS/Lambda counts and slow requests per minute per version behind the alias; the
 * baseline's reference percentiles while the slow thresholds are not fixed; the custom metrics
 * of the policy. Each query carries a typed key (what it measures, for which version); the answer
 * is read back through the lookup from query id to key built with the queries, never by parsing ids.
 */
import type { CheckEvidence } from './check.js';
import { functionNameOf } from './function-ref.js';
import type { MinuteEvidence, VersionMinute } from './judge.js';
import type { Rollout } from './state.js';
import type { Tally } from './tally.js';

/** One CloudWatch metric query: a metric, its dimensions, a statistic and a period. */
export interface MetricQuery {
  /** Unique within a request; lower-case first letter, then letters, digits or "_", as CloudWatch requires. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Sum, SampleCount, Average, Minimum, Maximum, a percentile such as p99, or a percentile rank such as PR(:300). */
  readonly stat: string;
  readonly periodSeconds: number;
}

/** A query's datapoints in ascending time order; periods with no data are absent. */
export interface MetricSeries {
  readonly id: string;
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
}

/** The versions a check compares. */
export const ROLES = ['target', 'baseline'] as const;
export type Role = (typeof ROLES)[number];

/** The AWS/Lambda counts read per minute, and where each lands in a minute's evidence. */
const COUNTS = { Invocations: 'invocations', Errors: 'errors', Throttles: 'throttles' } as const satisfies Record<string, keyof VersionMinute>;
export type CountMetric = keyof typeof COUNTS;
const PERCENTILES = ['p99', 'p90'] as const;
export type Percentile = (typeof PERCENTILES)[number];

/** How far back the baseline's reference percentiles look, at most: a check's cost must not grow with the rollout. */
export const REFERENCE_MINUTES = 10;

/**
 * What a query measures, for one version: a count per minute; the Duration samples per minute;
 * the share of a minute's durations at or under a slow threshold (CloudWatch's percentile rank,
 * `PR(:T)`); the baseline's reference percentile or sample count over the reference window; or
 * the policy's `index`-th custom metric.
 */
export type EvidenceKey =
  | { readonly kind: 'count'; readonly role: Role; readonly metric: CountMetric }
  | { readonly kind: 'samples'; readonly role: Role }
  | { readonly kind: 'slow'; readonly role: Role; readonly stat: Percentile }
  | { readonly kind: 'reference'; readonly stat: Percentile | 'samples' }
  | { readonly kind: 'custom'; readonly role: Role; readonly index: number };

/** One GetMetricData request: queries over [startTime, endTime), epoch ms. */
export interface EvidenceRequest {
  readonly queries: readonly MetricQuery[];
  readonly startTime: number;
  readonly endTime: number;
}

/** One check's requests, and the lookup from a query's id (unique across them) back to its key. */
export interface EvidenceQueries {
  readonly requests: readonly EvidenceRequest[];
  readonly keys: ReadonlyMap<string, EvidenceKey>;
  /** How many custom metrics the policy has: each gets evidence, answered or not. */
  readonly customMetrics: number;
  /** The complete minutes not judged yet that the check reads, [from, to). */
  readonly fresh: { readonly from: number; readonly to: number };
  /** The reference window the baseline's percentiles are read over, while the slow thresholds are not fixed. */
  readonly reference?: { readonly from: number; readonly to: number } | undefined;
}

/** The query id of a key: unique per key, and valid for CloudWatch (e.g. "targetErrors", "baselineSlowp99", "m0target"). */
function queryId(key: EvidenceKey): string {
  switch (key.kind) {
    case 'count':
      return `${key.role}${key.metric}`;
    case 'samples':
      return `${key.role}DurationSamples`;
    case 'slow':
      return `${key.role}Slow${key.stat}`;
    case 'reference':
      return `reference${key.stat}`;
    case 'custom':
      return `m${key.index}${key.role}`;
  }
}

function versionOf(rollout: Rollout, role: Role): string {
  return role === 'target' ? rollout.targetVersion : rollout.baselineVersion;
}

/**
 * CloudWatch's percentile rank statistic: the percentage of values at or under `thresholdMs`.
 *
 * @example percentileRank(300) // 'PR(:300)'
 */
export function percentileRank(thresholdMs: number): string {
  return `PR(:${thresholdMs})`;
}

type Asked = [EvidenceKey, Omit<MetricQuery, 'id'>];

/**
 * The requests of a check over the complete minutes `window` (since the target first got
 * traffic), given what the tally has judged already:
 *
 * - the fresh minutes, [the tally's end, window end), one datapoint a minute: invocations,
 *   errors and throttles for each version behind the alias, and, once the slow thresholds are
 *   fixed, the Duration samples and the percentile rank of each threshold;
 * - while the thresholds are not fixed (and latency is judged): the baseline's p99, p90 and
 *   sample count over at most the last {@link REFERENCE_MINUTES} complete minutes, one datapoint;
 * - each custom metric over the whole window, one datapoint, for the target and, when it is
 *   compared with the baseline, for the baseline, with `${version}`, `${functionName}` and
 *   `${alias}` filled in its dimensions.
 *
 * @example evidenceQueries(rollout, EMPTY_TALLY, { start: m, end: m + 60_000 }).requests[0]?.queries[0] // { id: 'targetInvocations', namespace: 'AWS/Lambda', metricName: 'Invocations', stat: 'Sum', periodSeconds: 60, ... }
 */
export function evidenceQueries(rollout: Rollout, tally: Tally, window: { start: number; end: number }): EvidenceQueries {
  const name = functionNameOf(rollout.functionName);
  const behindAlias = (role: Role) => ({ FunctionName: name, Resource: `${name}:${rollout.alias}`, ExecutedVersion: versionOf(rollout, role) });
  const fill = (value: string, role: Role) =>
    value.replaceAll('${version}', versionOf(rollout, role)).replaceAll('${functionName}', name).replaceAll('${alias}', rollout.alias);
  const policy = rollout.health;
  const { start, end } = window;
  const fresh = { from: Math.max(start, tally.through ?? start), to: end };
  const duration = (role: Role, stat: string, periodSeconds: number): Omit<MetricQuery, 'id'> => ({ namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: behindAlias(role), stat, periodSeconds });
  const keys = new Map<string, EvidenceKey>();
  const request = (asked: Asked[], from: number, to: number): EvidenceRequest => ({
    queries: asked.map(([key, query]) => {
      const id = queryId(key);
      keys.set(id, key);
      return { id, ...query };
    }),
    startTime: from,
    endTime: to,
  });
  const requests: EvidenceRequest[] = [];

  if (fresh.to > fresh.from) {
    const thresholds = tally.latency;
    requests.push(
      request(
        ROLES.flatMap((role): Asked[] => [
          ...(Object.keys(COUNTS) as CountMetric[]).map((metric): Asked => [{ kind: 'count', role, metric }, { namespace: 'AWS/Lambda', metricName: metric, dimensions: behindAlias(role), stat: 'Sum', periodSeconds: 60 }]),
          ...(thresholds
            ? [
                [{ kind: 'samples', role }, duration(role, 'SampleCount', 60)] as Asked,
                ...PERCENTILES.map((stat): Asked => [{ kind: 'slow', role, stat }, duration(role, percentileRank(thresholds[stat].thresholdMs), 60)]),
              ]
            : []),
        ]),
        fresh.from,
        fresh.to,
      ),
    );
  }
  const reference = policy.latency.enabled && !tally.latency && end > start ? { from: Math.max(start, end - REFERENCE_MINUTES * 60_000), to: end } : undefined;
  if (reference) {
    const seconds = (reference.to - reference.from) / 1000;
    requests.push(
      request(
        [
          ...PERCENTILES.map((stat): Asked => [{ kind: 'reference', stat }, duration('baseline', stat, seconds)]),
          [{ kind: 'reference', stat: 'samples' }, duration('baseline', 'SampleCount', seconds)],
        ],
        reference.from,
        reference.to,
      ),
    );
  }
  if (policy.metrics.length > 0 && end > start) {
    const seconds = (end - start) / 1000;
    requests.push(
      request(
        policy.metrics.flatMap((m, index) =>
          (m.compare === 'baseline' ? ROLES : (['target'] as const)).map((role): Asked => [
            { kind: 'custom', role, index },
            { namespace: m.namespace, metricName: m.metricName, dimensions: Object.fromEntries(Object.entries(m.dimensions).map(([k, v]) => [k, fill(v, role)])), stat: m.stat, periodSeconds: seconds },
          ]),
        ),
        start,
        end,
      ),
    );
  }
  return { requests, keys, customMetrics: policy.metrics.length, fresh, reference };
}

/**
 * The metric evidence in CloudWatch's answers to `asked`: the fresh minutes (sorted by time)
 * with their counts and, when asked, their slow requests (samples times one minus the
 * percentile rank); the baseline's reference percentiles; the first value of each custom
 * metric (undefined when CloudWatch had none). Series whose id was not asked for are ignored.
 *
 * @example metricEvidence(asked, [{ id: 'targetErrors', timestamps: [t], values: [2] }]).minutes // [{ at: t, target: { invocations: 0, errors: 2, throttles: 0 }, baseline: { ... } }]
 */
export function metricEvidence(asked: EvidenceQueries, series: readonly MetricSeries[]): Pick<CheckEvidence, 'minutes' | 'reference' | 'metrics'> {
  type Minute = Record<Role, { -readonly [K in keyof VersionMinute]: number } & { samples: number; rank: Partial<Record<Percentile, number>> }>;
  const byMinute = new Map<number, Minute>();
  const blank = (): Minute['target'] => ({ invocations: 0, errors: 0, throttles: 0, samples: 0, rank: {} });
  const reference: { p99?: number; p90?: number; samples: number } = { samples: 0 };
  const metrics: Record<Role, number | undefined>[] = Array.from({ length: asked.customMetrics }, () => ({ target: undefined, baseline: undefined }));
  const read = new Set<string>();
  let slowAsked = false;
  for (const s of series) {
    const key = asked.keys.get(s.id);
    if (!key) continue;
    if (key.kind === 'count' || key.kind === 'samples' || key.kind === 'slow') {
      slowAsked ||= key.kind !== 'count';
      s.timestamps.forEach((at, i) => {
        if (at < asked.fresh.from || at >= asked.fresh.to) return;
        const minute = byMinute.get(at) ?? { target: blank(), baseline: blank() };
        const value = s.values[i] ?? 0;
        if (key.kind === 'count') minute[key.role][COUNTS[key.metric]] += value;
        else if (key.kind === 'samples') minute[key.role].samples += value;
        else minute[key.role].rank[key.stat] = value;
        byMinute.set(at, minute);
      });
    } else if (!read.has(s.id)) {
      // One value over the window: the first series answering the query counts.
      read.add(s.id);
      const value = s.values[0];
      if (key.kind === 'reference') {
        if (key.stat === 'samples') reference.samples = value ?? 0;
        else reference[key.stat] = value;
      } else {
        const metric = metrics[key.index];
        if (metric) metric[key.role] = value;
      }
    }
  }
  const slowOf = (v: Minute['target'], stat: Percentile) => ({ events: Math.round(v.samples * (1 - (v.rank[stat] ?? 100) / 100)), trials: v.samples });
  const minutes: MinuteEvidence[] = [...byMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, m]) => ({
      at,
      target: { invocations: m.target.invocations, errors: m.target.errors, throttles: m.target.throttles },
      baseline: { invocations: m.baseline.invocations, errors: m.baseline.errors, throttles: m.baseline.throttles },
      ...(slowAsked ? { slow: { p99: { target: slowOf(m.target, 'p99'), baseline: slowOf(m.baseline, 'p99') }, p90: { target: slowOf(m.target, 'p90'), baseline: slowOf(m.baseline, 'p90') } } } : {}),
    }));
  return { minutes, reference: asked.reference ? reference : undefined, metrics };
}
