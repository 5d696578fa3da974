/**
 * CheckHealth: gathers the evidence since the target first got traffic — AWS/Lambda metrics
 * per version behind the alias (complete minutes only), latency percentiles, alarms, custom
 * metrics, probes — judges it and decides the next move.
 */
import { decide } from '../core/decide.js';
import { functionNameOf } from '../core/function-ref.js';
import { combine, observedSplit, judgeAlarms, judgeCustomMetric, judgeErrors, judgeLatency, judgeProbes, judgeThrottles, type CustomMetric, type Signal } from '../core/health.js';
import type { MinuteEvidence } from '../core/judge.js';
import { judgeProbeAnswer } from '../core/probes.js';
import { asRolloutState, type Rollout, type RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, Invoker, MetricQuery, MetricSeries, MetricsReader } from '../ports.js';
import { awsPorts } from '../aws/index.js';
import { lambdaHandler } from './middleware.js';

const MINUTE = 60_000;
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
    const { rollout, cursor } = state;
    const policy = rollout.health;
    const now = clock.now();
    const firstTraffic = state.history[0]?.shiftedAt ?? cursor.shiftedAt ?? now;
    const start = Math.floor(firstTraffic / MINUTE) * MINUTE;
    const end = Math.floor((now - policy.metricDelaySeconds * 1000) / MINUTE) * MINUTE;
    const periodSeconds = (end - start) / 1000;

    let series: MetricSeries[] = [];
    if (end > start) {
      series = await metrics.getMetricData({
        queries: [
          ...versionQueries(rollout),
          ...(policy.latency.enabled ? latencyQueries(rollout, periodSeconds) : []),
          ...customQueries(rollout, policy.metrics, periodSeconds),
        ],
        startTime: start,
        endTime: end,
      });
    }
    const value = (id: string) => series.find((s) => s.id === id)?.values[0];
    const minutes = minutesFrom(series);
    const errors = judgeErrors(policy, minutes);
    const errorSignal: Signal =
      end > start ? errors : { ...errors, reason: `no complete metric minute yet: CloudWatch has a minute about ${policy.metricDelaySeconds}s after it ends` };
    const samples = minutes.reduce((n, m) => n + m.target.invocations, 0);
    const alarmStates = policy.alarms.names.length > 0 ? await alarms.describeAlarms(policy.alarms.names) : [];
    const probes = await sendProbes(state);
    const last = state.history.at(-1);
    const stepProbes = probes ? { sent: (last?.probes?.sent ?? 0) + probes.sent, passed: (last?.probes?.passed ?? 0) + probes.passed } : last?.probes;
    const probesPassed = state.history.reduce((n, h) => n + (h === last ? 0 : (h.probes?.passed ?? 0)), 0) + (stepProbes?.passed ?? 0);

    const signals: Signal[] = [
      errorSignal,
      ...judgeLatency(policy, {
        target: { p99: value('targetDurationp99'), p90: value('targetDurationp90'), samples },
        baseline: { p99: value('baselineDurationp99'), p90: value('baselineDurationp90'), samples: minutes.reduce((n, m) => n + m.baseline.invocations, 0) },
      }),
      judgeThrottles(policy, minutes),
      ...judgeAlarms(policy, alarmStates),
      ...policy.metrics.map((m, i) => judgeCustomMetric(m, { target: value(`m${i}target`), baseline: value(`m${i}baseline`) })),
      ...(probes ? [judgeProbes(probes)] : []),
    ];
    const combined = combine(policy, minutes, signals, errors.noWorse, probesPassed);
    const stepMinutes = minutes.filter((m) => m.at >= Math.ceil((cursor.shiftedAt ?? firstTraffic) / MINUTE) * MINUTE);
    const split = observedSplit(stepMinutes);
    const verdict =
      combined.verdict === 'inconclusive' && split !== undefined
        ? { ...combined, reason: `${combined.reason} (observed split ${split}% at a ${cursor.weightPercent}% weight)` }
        : combined;
    const history = last
      ? [
          ...state.history.slice(0, -1),
          { ...last, checks: last.checks + 1, checkedAt: now, verdict: verdict.verdict, reason: verdict.reason, target: verdict.target, baseline: verdict.baseline, observedSplitPercent: split, signals: verdict.signals, probes: stepProbes },
        ]
      : state.history;
    const next = decide(rollout.plan, cursor, verdict, policy, now);
    return { ...state, cursor: next, history };
  };
}

export const handler = lambdaHandler(makeCheckHealth(awsPorts()));
