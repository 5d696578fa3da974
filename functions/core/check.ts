/**
 * One health check, as data in and the next state out: which minutes count, the signals judged
 * from the evidence, the step's record, and the next move. CheckHealth only fetches the evidence.
 */
import type { RolloutControl } from './control.js';
import { decide } from './decide.js';
import {
  type AlarmEvidence,
  asDryRun,
  combine,
  type CustomMetricEvidence,
  judgeAlarms,
  judgeCustomMetric,
  judgeErrors,
  judgeLatency,
  judgeProbes,
  judgeThrottles,
  type LatencyEvidence,
  observedSplit,
  type ProbeEvidence,
  type Signal,
  type Verdict,
} from './health.js';
import { type MinuteEvidence, totals } from './judge.js';
import type { RolloutState, StepRecord } from './state.js';

const MINUTE = 60_000;

/**
 * The complete metric minutes a check at `now` may read: from the minute the target first got
 * traffic (in the final bake: the minute of the promotion) to the last minute CloudWatch has
 * finished (`metricDelaySeconds`). Empty when `end <= start`.
 *
 * @example evidenceWindow(state, shiftedAt + 180_000) // { start: minute of the shift, end: start + 60_000 } with a 120 s delay
 */
export function evidenceWindow(state: RolloutState, now: number): { start: number; end: number } {
  // The final bake judges the target alone, from its promotion on.
  const since = state.cursor.final ? state.history.at(-1) : state.history[0];
  const firstTraffic = since?.shiftedAt ?? state.cursor.shiftedAt ?? now;
  return {
    start: Math.floor(firstTraffic / MINUTE) * MINUTE,
    end: Math.floor((now - state.rollout.health.metricDelaySeconds * 1000) / MINUTE) * MINUTE,
  };
}

/** What a check gathered. */
export interface CheckEvidence {
  /** Complete minutes since the target first got traffic (empty when none is complete yet). */
  readonly minutes: readonly MinuteEvidence[];
  readonly latency: { readonly target: { p99?: number | undefined; p90?: number | undefined }; readonly baseline: { p99?: number | undefined; p90?: number | undefined } };
  readonly alarms: readonly AlarmEvidence[];
  /** One per `health.metrics` entry, in order. */
  readonly metrics: readonly CustomMetricEvidence[];
  /** The probes sent in this check, if any. */
  readonly probes?: ProbeEvidence | undefined;
}

/**
 * Judges the evidence and moves the rollout on: the step's record gets the verdict with its
 * numbers and every signal, and the cursor the next move, with what people asked for (`control`:
 * gate decisions, pause, promote) folded in.
 */
export function assessCheck(state: RolloutState, evidence: CheckEvidence, now: number, control?: RolloutControl): RolloutState {
  const { rollout, cursor } = state;
  const policy = rollout.health;
  const { minutes } = evidence;
  const errors = judgeErrors(policy, minutes);
  const window = evidenceWindow(state, now);
  const errorSignal: Signal =
    window.end > window.start
      ? errors
      : { ...errors, reason: `no complete metric minute yet: CloudWatch has a minute about ${policy.metricDelaySeconds}s after it ends` };
  const latency: LatencyEvidence = {
    target: { ...evidence.latency.target, samples: totals(minutes, 'target').invocations },
    baseline: { ...evidence.latency.baseline, samples: totals(minutes, 'baseline').invocations },
  };
  const last = state.history.at(-1);
  const { probes } = evidence;
  const stepProbes = probes ? { sent: (last?.probes?.sent ?? 0) + probes.sent, passed: (last?.probes?.passed ?? 0) + probes.passed } : last?.probes;
  const probesPassed = state.history.reduce((n, h) => n + (h === last ? 0 : (h.probes?.passed ?? 0)), 0) + (stepProbes?.passed ?? 0);

  const signals: Signal[] = [
    asDryRun(errorSignal, policy.errors.dryRun),
    ...judgeLatency(policy, latency).map((s) => asDryRun(s, policy.latency.dryRun)),
    asDryRun(judgeThrottles(policy, minutes), policy.throttles.dryRun),
    ...judgeAlarms(policy, evidence.alarms).map((s) => asDryRun(s, policy.alarms.dryRun)),
    ...policy.metrics.map((m, i) => asDryRun(judgeCustomMetric(m, evidence.metrics[i] ?? {}), m.dryRun)),
    ...(probes ? [asDryRun(judgeProbes(probes), policy.probes?.dryRun)] : []),
  ];
  const combined = combine(policy, minutes, signals, errors.noWorse, probesPassed);
  const shiftedAt = cursor.shiftedAt ?? state.history[0]?.shiftedAt ?? now;
  const split = observedSplit(minutes.filter((m) => m.at >= Math.ceil(shiftedAt / MINUTE) * MINUTE));
  const verdict =
    combined.verdict === 'inconclusive' && split !== undefined
      ? { ...combined, reason: `${combined.reason} (observed split ${split}% at a ${cursor.weightPercent}% weight)` }
      : combined;
  const checked = withCheck(state, verdict, now, { observedSplitPercent: split, probes: stepProbes });
  return { ...checked, cursor: decide(rollout.plan, cursor, verdict, policy, now, { gates: rollout.gates, control }) };
}

/**
 * The state with a check recorded on the current step: one more check, its time, the verdict with
 * its numbers and every signal, and `extra` (the observed split, the step's probes).
 *
 * @example withCheck(state, verdict, now).history.at(-1)?.checks // one more than before
 */
export function withCheck(state: RolloutState, verdict: Verdict, now: number, extra: Partial<Pick<StepRecord, 'observedSplitPercent' | 'probes'>> = {}): RolloutState {
  const last = state.history.at(-1);
  if (!last) return state;
  const record: StepRecord = {
    ...last,
    checks: last.checks + 1,
    checkedAt: now,
    verdict: verdict.verdict,
    reason: verdict.reason,
    target: verdict.target,
    baseline: verdict.baseline,
    observedSplitPercent: extra.observedSplitPercent,
    signals: verdict.signals,
    probes: extra.probes,
  };
  return { ...state, history: [...state.history.slice(0, -1), record] };
}
