/**
 * CheckHealth: gathers the evidence since the target first got traffic — AWS/Lambda metrics
 * per version behind the alias (complete minutes only), latency percentiles, alarms, custom
 * metrics, probes — and hands it to core's `assessCheck`, which judges it and decides.
 */
import { assessCheck, evidenceWindow } from '../core/check.js';
import { functionNameOf } from '../core/function-ref.js';
import type { CustomMetric } from '../core/health.js';
import type { MinuteEvidence } from '../core/judge.js';
import { judgeProbeAnswer } from '../core/probes.js';
import { asRolloutState, type Rollout, type RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, Invoker, MetricQuery, MetricSeries, MetricsReader } from '../ports.js';

const ROLES = ['target', 'baseline'] as const;
type Role = (typeof ROLES)[number];
const COUNTS = ['Invocations', 'Errors', 'Throttles'] as const;

function versionOf(rollout: Rollout, role: Role): string {
  return role === 'target' ? rollout.targetVersion : rollout.baselineVersion;
}

/** The per-minute count queries: invocations, errors and throttles per version behind the alias. */
export function versionQueries(rollout: Rollout): MetricQuery[] {
  const name = functionNameOf(rollout.functionName);
  return ROLES.flatMap((role) =>
    COUNTS.map((metricName) => ({
      id: `${role}${metricName}`,
      namespace: 'AWS/Lambda',
      metricName,
      dimensions: { FunctionName: name, Resource: `${name}:${rollout.alias}`, ExecutedVersion: versionOf(rollout, role) },
      stat: 'Sum',
      periodSeconds: 60,
    })),
  );
}

function latencyQueries(rollout: Rollout, periodSeconds: number): MetricQuery[] {
  const name = functionNameOf(rollout.functionName);
  return ROLES.flatMap((role) =>
    (['p99', 'p90'] as const).map((stat) => ({
      id: `${role}Duration${stat}`,
      namespace: 'AWS/Lambda',
      metricName: 'Duration',
      dimensions: { FunctionName: name, Resource: `${name}:${rollout.alias}`, ExecutedVersion: versionOf(rollout, role) },
      stat,
      periodSeconds,
    })),
  );
}

function customQueries(rollout: Rollout, metrics: readonly CustomMetric[], periodSeconds: number): MetricQuery[] {
  const fill = (value: string, version: string) =>
    value.replaceAll('${version}', version).replaceAll('${functionName}', functionNameOf(rollout.functionName)).replaceAll('${alias}', rollout.alias);
  return metrics.flatMap((m, i) =>
    (m.compare === 'baseline' ? ROLES : (['target'] as const)).map((role) => ({
      id: `m${i}${role}`,
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: Object.fromEntries(Object.entries(m.dimensions).map(([k, v]) => [k, fill(v, versionOf(rollout, role))])),
      stat: m.stat,
      periodSeconds,
    })),
  );
}

/** Per-minute counts from the count series. */
export function minutesFrom(series: readonly MetricSeries[]): MinuteEvidence[] {
  const byMinute = new Map<number, Record<Role, { invocations: number; errors: number; throttles: number }>>();
  for (const s of series) {
    const role = ROLES.find((r) => s.id.startsWith(r));
    const metric = COUNTS.find((c) => s.id === `${role}${c}`);
    if (!role || !metric) continue;
    s.timestamps.forEach((at, i) => {
      const minute = byMinute.get(at) ?? { target: { invocations: 0, errors: 0, throttles: 0 }, baseline: { invocations: 0, errors: 0, throttles: 0 } };
      const key = metric === 'Invocations' ? 'invocations' : metric === 'Errors' ? 'errors' : 'throttles';
      minute[role][key] += s.values[i] ?? 0;
      byMinute.set(at, minute);
    });
  }
  return [...byMinute.entries()].sort(([a], [b]) => a - b).map(([at, m]) => ({ at, ...m }));
}

export interface CheckHealthPorts {
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly clock: Clock;
}

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, alarms, invoker, clock }: CheckHealthPorts) {
  async function sendProbes(state: RolloutState) {
    const policy = state.rollout.health.probes;
    // Once per step: the step's record holds its probes once they were sent.
    if (!policy || state.history.at(-1)?.probes) return undefined;
    let passed = 0;
    let failure: string | undefined;
    for (let i = 0; i < policy.count; i++) {
      const answer = await invoker.invoke(state.rollout.functionName, state.rollout.targetVersion, policy.payload);
      const judged = judgeProbeAnswer(answer, policy.expect);
      if (judged.ok) passed += 1;
      else failure ??= judged.failure;
    }
    return { sent: policy.count, passed, failure };
  }

  return async function checkHealth(event: unknown): Promise<RolloutState> {
    const state = asRolloutState(event);
    const { rollout } = state;
    const policy = rollout.health;
    const now = clock.now();
    const { start, end } = evidenceWindow(state, now);
    const periodSeconds = (end - start) / 1000;
    const series =
      end > start
        ? await metrics.getMetricData({
            queries: [
              ...versionQueries(rollout),
              ...(policy.latency.enabled ? latencyQueries(rollout, periodSeconds) : []),
              ...customQueries(rollout, policy.metrics, periodSeconds),
            ],
            startTime: start,
            endTime: end,
          })
        : [];
    const value = (id: string) => series.find((s) => s.id === id)?.values[0];
    return assessCheck(
      state,
      {
        minutes: minutesFrom(series),
        latency: {
          target: { p99: value('targetDurationp99'), p90: value('targetDurationp90') },
          baseline: { p99: value('baselineDurationp99'), p90: value('baselineDurationp90') },
        },
        alarms: policy.alarms.names.length > 0 ? await alarms.describeAlarms(policy.alarms.names) : [],
        metrics: policy.metrics.map((_, i) => ({ target: value(`m${i}target`), baseline: value(`m${i}baseline`) })),
        probes: await sendProbes(state),
      },
      now,
    );
  };
}
