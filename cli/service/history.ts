/**
 * A real rollout's history for its report: the registry's record (`GET /rollouts/{id}`: each
 * step's shift and last check) and each version's AWS/Lambda minutes from CloudWatch, put in the
 * terms the rehearsal's report draws: seconds from the minute the rollout started, a per-minute
 * timeline, the checks, the totals, and the time from the target's first bad minute to the rollback.
 */
import { functionNameOf } from '../../functions/core/function-ref.js';
import type { MetricQuery, MetricSeries } from '../../functions/ports.js';
import type { RehearsalCheck, RehearsalStep, TimelinePoint } from '../../sim/rehearsal.js';
import { type ReportOutcome, type RolloutHistory, wilsonPercent } from '../../sim/report.js';
import { UsageError } from '../exit.js';
import { nextAfter } from './display.js';
import type { WireRollout } from './wire.js';

const MINUTE_MS = 60_000;
const ROLES = ['target', 'baseline'] as const;
type Role = (typeof ROLES)[number];
/** What each version's minutes are read as: counts as sums, latency as the minute's p99. */
const METRICS = [
  { name: 'Invocations', stat: 'Sum' },
  { name: 'Errors', stat: 'Sum' },
  { name: 'Throttles', stat: 'Sum' },
  { name: 'Duration', stat: 'p99' },
] as const;
type MetricName = (typeof METRICS)[number]['name'];
/** A minute is bad for latency when the target's p99 is over this many times the baseline's (as in the rehearsal). */
const P99_BAD_RATIO = 1.2;

const queryId = (role: Role, metric: MetricName) => `${role}${metric}`;
const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
const ceilMinute = (ms: number) => Math.ceil(ms / MINUTE_MS) * MINUTE_MS;

/** A rollout that can be reported: ended, with both versions known. */
type Reportable = WireRollout & { readonly baselineVersion: string; readonly endedAt: string };

/** The rollout, if it can be reported; otherwise why not. */
export function reportable(view: WireRollout): Reportable {
  if (view.endedAt === undefined) {
    throw new UsageError([`rollout ${view.rolloutId} has not ended (${view.status}); report it once it has (rollout status ${view.rolloutId} --watch waits for that)`]);
  }
  if (view.baselineVersion === undefined) {
    throw new UsageError([`rollout ${view.rolloutId} ended ${view.status} before it knew its baseline version (${view.reason ?? 'no reason recorded'}): no traffic moved, nothing to report`]);
  }
  return view as Reportable;
}

/** The GetMetricData queries: each version's minutes behind the alias, by ExecutedVersion. */
export function historyQueries(view: Reportable): MetricQuery[] {
  const name = functionNameOf(view.functionName);
  const versions: Record<Role, string> = { target: view.targetVersion, baseline: view.baselineVersion };
  return ROLES.flatMap((role) =>
    METRICS.map((m) => ({
      id: queryId(role, m.name),
      namespace: 'AWS/Lambda',
      metricName: m.name,
      dimensions: { FunctionName: name, Resource: `${name}:${view.alias}`, ExecutedVersion: versions[role] },
      stat: m.stat,
      periodSeconds: 60,
    })),
  );
}

/** The minutes to read: from the minute the rollout started to the minute after it ended. */
export function historyWindow(view: Reportable): { startTime: number; endTime: number } {
  return { startTime: floorMinute(Date.parse(view.startedAt)), endTime: ceilMinute(Date.parse(view.endedAt)) + MINUTE_MS };
}

/** The target's weight at `ms`: nothing before the first shift, each step's weight from its shift, the ending's from the end. */
function weightAt(view: Reportable, ms: number, finalWeight: number): number {
  if (ms >= Date.parse(view.endedAt)) return finalWeight;
  let weight = 0;
  for (const s of view.steps) if (Date.parse(s.shiftedAt) <= ms) weight = s.weightPercent;
  return weight;
}

/** The target's share of a minute, percent: its weights averaged over the minute's seconds. */
function minuteWeight(view: Reportable, start: number, finalWeight: number): number {
  const changes = [start, ...view.steps.map((s) => Date.parse(s.shiftedAt)), Date.parse(view.endedAt)].filter((t) => t > start && t < start + MINUTE_MS);
  const cuts = [start, ...changes.sort((a, b) => a - b), start + MINUTE_MS];
  let sum = 0;
  for (let i = 0; i + 1 < cuts.length; i++) sum += weightAt(view, cuts[i] as number, finalWeight) * ((cuts[i + 1] as number) - (cuts[i] as number));
  return Math.round((sum / MINUTE_MS) * 100) / 100;
}

const OUTCOMES: Readonly<Record<string, ReportOutcome>> = {
  promoted: 'promoted',
  rolled_back: 'rolled_back',
  aborted: 'aborted',
  drift: 'drift',
  refused: 'refused',
  timed_out: 'timed_out',
};

/**
 * The target was worse than the baseline in a minute: its error rate above the baseline's beyond
 * both 95% intervals (so a single error in a quiet minute is not enough), or its p99 over 1.2
 * times the baseline's.
 */
function badMinute(p: TimelinePoint): boolean {
  const t = wilsonPercent(p.target.errors, p.target.requests);
  const b = wilsonPercent(p.baseline.errors, p.baseline.requests);
  const errors = t !== null && b !== null && t.low > b.high;
  const latency = p.target.p99Ms !== null && p.baseline.p99Ms !== null && p.target.p99Ms > p.baseline.p99Ms * P99_BAD_RATIO;
  return errors || latency;
}

/** The rollout's history as the report draws it, from its record and each version's minutes. */
export function rolloutHistory(view: Reportable, series: readonly MetricSeries[]): RolloutHistory {
  const { startTime } = historyWindow(view);
  const at = (iso: string) => (Date.parse(iso) - startTime) / 1000;
  const values = new Map(series.map((s) => [s.id, new Map(s.timestamps.map((t, i) => [t, s.values[i] ?? 0]))]));
  const value = (role: Role, metric: MetricName, minute: number) => values.get(queryId(role, metric))?.get(minute);
  const promoted = view.status === 'promoted';
  const finalWeight = promoted ? 100 : 0;
  const served = (role: Role, minute: number) => {
    const invocations = value(role, 'Invocations', minute) ?? 0;
    const throttles = value(role, 'Throttles', minute) ?? 0;
    const p99 = value(role, 'Duration', minute);
    return { requests: invocations + throttles, errors: value(role, 'Errors', minute) ?? 0, throttles, p99Ms: p99 === undefined ? null : Math.round(p99) };
  };

  const end = Date.parse(view.endedAt);
  const timeline: TimelinePoint[] = [];
  const throttles: Record<Role, number> = { target: 0, baseline: 0 };
  for (let minute = startTime; minute < Math.max(end, startTime + MINUTE_MS); minute += MINUTE_MS) {
    const { throttles: t, ...target } = served('target', minute);
    const { throttles: b, ...baseline } = served('baseline', minute);
    throttles.target += t;
    throttles.baseline += b;
    timeline.push({ atSeconds: (minute - startTime) / 1000, targetWeightPercent: minuteWeight(view, minute, finalWeight), target, baseline });
  }
  const total = (role: Role) => ({
    requests: timeline.reduce((n, p) => n + p[role].requests, 0),
    errors: timeline.reduce((n, p) => n + p[role].errors, 0),
  });

  const steps: RehearsalStep[] = view.steps.map((s) => ({
    step: s.step,
    weightPercent: s.weightPercent,
    startedAtSeconds: at(s.shiftedAt),
    checks: s.checks,
    verdict: s.verdict ?? null,
    reason: s.reason ?? null,
    target: { invocations: s.target?.invocations ?? 0, errors: s.target?.errors ?? 0 },
    baseline: { invocations: s.baseline?.invocations ?? 0, errors: s.baseline?.errors ?? 0 },
    judged: s.judged ? { fromSeconds: at(s.judged.from), toSeconds: at(s.judged.to), weights: s.judged.weights, atWeight: s.judged.atWeight } : null,
  }));
  const checks: RehearsalCheck[] = view.steps.flatMap((s) =>
    s.verdict !== undefined && s.checkedAt !== undefined
      ? [{ atSeconds: at(s.checkedAt), step: s.step, weightPercent: s.weightPercent, verdict: s.verdict, reason: s.reason ?? '', next: nextAfter(view, s) ?? 'bake' }]
      : [],
  );

  const firstShift = view.steps[0] ? at(view.steps[0].shiftedAt) : null;
  const bad = firstShift === null ? undefined : timeline.find((p) => p.atSeconds + 60 > firstShift && p.target.requests > 0 && badMinute(p));
  const badFromSeconds = bad === undefined || firstShift === null ? null : Math.max(bad.atSeconds, firstShift);
  const endedAtSeconds = at(view.endedAt);
  const outcome = OUTCOMES[view.status] ?? 'failed';
  return {
    kind: 'rollout',
    rolloutId: view.rolloutId,
    functionName: view.functionName,
    alias: view.alias,
    startedAt: startTime,
    startedBy: view.startedBy,
    executionArn: view.executionArn,
    strategy: view.strategy ?? '',
    outcome,
    reason: view.reason ?? '',
    error: promoted ? null : (view.execution.error ?? null),
    durationSeconds: endedAtSeconds,
    steps,
    checks,
    target: { version: view.targetVersion, ...total('target'), throttles: throttles.target },
    baseline: { version: view.baselineVersion, ...total('baseline'), throttles: throttles.baseline },
    endedAtSeconds,
    badFromSeconds,
    detectionSeconds: outcome === 'rolled_back' && badFromSeconds !== null ? Math.max(0, endedAtSeconds - badFromSeconds) : null,
    missed: badFromSeconds !== null && promoted,
    finalAlias: { version: view.finalVersion ?? (promoted ? view.targetVersion : view.baselineVersion), routing: {} },
    timeline,
  };
}
