/**
 * The evidence a health check asks CloudWatch for, as data: AWS/Lambda counts per minute and
 * latency percentiles per version behind the alias, and the custom metrics of the policy. Each
 * query carries a typed key (what it measures, for which version); the answer is read back
 * through the lookup from query id to key built with the queries, never by parsing ids.
 */
import type { CheckEvidence } from './check.js';
import { functionNameOf } from './function-ref.js';
import type { MinuteEvidence, VersionMinute } from './judge.js';
import type { Rollout } from './state.js';

/** One CloudWatch metric query: a metric, its dimensions, a statistic and a period. */
export interface MetricQuery {
  /** Unique within a request; lower-case first letter, then letters, digits or "_", as CloudWatch requires. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Sum, SampleCount, Average, Minimum, Maximum or a percentile such as p99. */
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

/** What a query measures: a count per minute, a latency percentile, or the policy's `index`-th custom metric; each for one version. */
export type EvidenceKey =
  | { readonly kind: 'count'; readonly role: Role; readonly metric: CountMetric }
  | { readonly kind: 'latency'; readonly role: Role; readonly stat: Percentile }
  | { readonly kind: 'custom'; readonly role: Role; readonly index: number };

/** One check's queries, and the lookup from a query's id back to its key. */
export interface EvidenceQueries {
  readonly queries: readonly MetricQuery[];
  readonly keys: ReadonlyMap<string, EvidenceKey>;
  /** How many custom metrics the policy has: each gets evidence, answered or not. */
  readonly customMetrics: number;
}

/** The query id of a key: unique per key, and valid for CloudWatch (e.g. "targetErrors", "baselineDurationp99", "m0target"). */
function queryId(key: EvidenceKey): string {
  switch (key.kind) {
    case 'count':
      return `${key.role}${key.metric}`;
    case 'latency':
      return `${key.role}Duration${key.stat}`;
    case 'custom':
      return `m${key.index}${key.role}`;
  }
}

function versionOf(rollout: Rollout, role: Role): string {
  return role === 'target' ? rollout.targetVersion : rollout.baselineVersion;
}

/**
 * The queries of a check whose window is `periodSeconds` long: invocations, errors and throttles
 * per minute for each version behind the alias; p99 and p90 duration over the window (when the
 * policy judges latency); and each custom metric over the window, for the target and, when it is
 * compared with the baseline, for the baseline, with `${version}`, `${functionName}` and `${alias}`
 * filled in its dimensions.
 *
 * @example evidenceQueries(rollout, 180).queries[0] // { id: 'targetInvocations', namespace: 'AWS/Lambda', metricName: 'Invocations', stat: 'Sum', periodSeconds: 60, ... }
 */
export function evidenceQueries(rollout: Rollout, periodSeconds: number): EvidenceQueries {
  const name = functionNameOf(rollout.functionName);
  const behindAlias = (role: Role) => ({ FunctionName: name, Resource: `${name}:${rollout.alias}`, ExecutedVersion: versionOf(rollout, role) });
  const fill = (value: string, role: Role) =>
    value.replaceAll('${version}', versionOf(rollout, role)).replaceAll('${functionName}', name).replaceAll('${alias}', rollout.alias);
  const policy = rollout.health;
  const asked: [EvidenceKey, Omit<MetricQuery, 'id'>][] = [
    ...ROLES.flatMap((role) =>
      (Object.keys(COUNTS) as CountMetric[]).map((metric): [EvidenceKey, Omit<MetricQuery, 'id'>] => [
        { kind: 'count', role, metric },
        { namespace: 'AWS/Lambda', metricName: metric, dimensions: behindAlias(role), stat: 'Sum', periodSeconds: 60 },
      ]),
    ),
    ...(policy.latency.enabled
      ? ROLES.flatMap((role) =>
          PERCENTILES.map((stat): [EvidenceKey, Omit<MetricQuery, 'id'>] => [
            { kind: 'latency', role, stat },
            { namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: behindAlias(role), stat, periodSeconds },
          ]),
        )
      : []),
    ...policy.metrics.flatMap((m, index) =>
      (m.compare === 'baseline' ? ROLES : (['target'] as const)).map((role): [EvidenceKey, Omit<MetricQuery, 'id'>] => [
        { kind: 'custom', role, index },
        {
          namespace: m.namespace,
          metricName: m.metricName,
          dimensions: Object.fromEntries(Object.entries(m.dimensions).map(([k, v]) => [k, fill(v, role)])),
          stat: m.stat,
          periodSeconds,
        },
      ]),
    ),
  ];
  const queries: MetricQuery[] = [];
  const keys = new Map<string, EvidenceKey>();
  for (const [key, query] of asked) {
    const id = queryId(key);
    queries.push({ id, ...query });
    keys.set(id, key);
  }
  return { queries, keys, customMetrics: policy.metrics.length };
}

/**
 * The metric evidence in CloudWatch's answer to `asked`: the counts summed per minute (sorted by
 * time), the first value of each latency percentile and custom metric (undefined when CloudWatch
 * had none). Series whose id was not asked for are ignored.
 *
 * @example metricEvidence(asked, [{ id: 'targetErrors', timestamps: [t], values: [2] }]).minutes // [{ at: t, target: { invocations: 0, errors: 2, throttles: 0 }, baseline: { ... } }]
 */
export function metricEvidence(asked: EvidenceQueries, series: readonly MetricSeries[]): Pick<CheckEvidence, 'minutes' | 'latency' | 'metrics'> {
  const byMinute = new Map<number, Record<Role, { -readonly [K in keyof VersionMinute]: number }>>();
  const latency: Record<Role, Record<Percentile, number | undefined>> = { target: { p99: undefined, p90: undefined }, baseline: { p99: undefined, p90: undefined } };
  const metrics: Record<Role, number | undefined>[] = Array.from({ length: asked.customMetrics }, () => ({ target: undefined, baseline: undefined }));
  const read = new Set<string>();
  for (const s of series) {
    const key = asked.keys.get(s.id);
    if (key?.kind === 'count') {
      s.timestamps.forEach((at, i) => {
        const minute = byMinute.get(at) ?? { target: { invocations: 0, errors: 0, throttles: 0 }, baseline: { invocations: 0, errors: 0, throttles: 0 } };
        minute[key.role][COUNTS[key.metric]] += s.values[i] ?? 0;
        byMinute.set(at, minute);
      });
    } else if (key && !read.has(s.id)) {
      // One value over the window: the first series answering the query counts.
      read.add(s.id);
      if (key.kind === 'latency') latency[key.role][key.stat] = s.values[0];
      else {
        const metric = metrics[key.index];
        if (metric) metric[key.role] = s.values[0];
      }
    }
  }
  const minutes: MinuteEvidence[] = [...byMinute.entries()].sort(([a], [b]) => a - b).map(([at, m]) => ({ at, ...m }));
  return { minutes, latency, metrics };
}
