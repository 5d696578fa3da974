/**
 * One health check, as data in and the next state out: which minutes count, the signals judged
 * from the evidence, the step's record, and the next move. CheckHealth only fetches the evidence.
 * The state keeps a short record of the check; its whole detail (every signal) is returned apart,
 * for the rollout registry, so the state stays small however many alarms and metrics are judged.
 */
import { decide } from './decide.js';
import {
  type AlarmEvidence,
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
import { type NextAction, type RolloutState, shortReason, type StepRecord } from './state.js';

const MINUTE = 60_000;

/**
 * The complete metric minutes a check at `now` may read: from the minute the target first got
 * traffic to the last minute CloudWatch has finished (`metricDelaySeconds`). Empty when
 * `end <= start`.
 *
 * @example evidenceWindow(state, shiftedAt + 180_000) // { start: minute of the shift, end: start + 60_000 } with a 120 s delay
 */
export function evidenceWindow(state: RolloutState, now: number): { start: number; end: number } {
  const firstTraffic = state.history[0]?.shiftedAt ?? state.cursor.shiftedAt ?? now;
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

/** The longest reason of one signal the registry keeps (an alarm's reason is CloudWatch's, up to 1,023 characters). */
export const MAX_SIGNAL_REASON_CHARS = 512;

/**
 * Everything one check judged, for the rollout registry (`RolloutRecord.lastCheck`): the step's
 * verdict with its numbers, every signal with its reason, and the move it decided. Bounded: at
 * most one signal per judged thing (errors, latency, throttles, probes, and the policy's at most
 * 100 alarms and 20 custom metrics), each reason cut to `MAX_SIGNAL_REASON_CHARS`.
 */
export interface CheckDetail extends Required<Pick<StepRecord, 'step' | 'weightPercent'>>, Pick<StepRecord, 'target' | 'baseline' | 'observedSplitPercent' | 'probes'> {
  /** Epoch ms. */
  readonly at: number;
  readonly verdict: Verdict['verdict'];
  readonly reason: string;
  readonly signals: readonly Signal[];
  readonly next: NextAction;
}

/** A check's result: the next state, and the check's detail for the registry. */
export interface Assessed {
  readonly state: RolloutState;
  /** Undefined when no step has been shifted to yet (nothing was judged). */
  readonly check: CheckDetail | undefined;
}

/**
 * Judges the evidence and moves the rollout on: the step's record gets the verdict with its
 * numbers and a short reason, the cursor the next move, and the check's detail comes back apart.
 */
export function assessCheck(state: RolloutState, evidence: CheckEvidence, now: number): Assessed {
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
    errorSignal,
    ...judgeLatency(policy, latency),
    judgeThrottles(policy, minutes),
    ...judgeAlarms(policy, evidence.alarms),
    ...policy.metrics.map((m, i) => judgeCustomMetric(m, evidence.metrics[i] ?? {})),
    ...(probes ? [judgeProbes(probes)] : []),
  ];
  const combined = combine(policy, minutes, signals, errors.noWorse, probesPassed);
  const shiftedAt = cursor.shiftedAt ?? state.history[0]?.shiftedAt ?? now;
  const split = observedSplit(minutes.filter((m) => m.at >= Math.ceil(shiftedAt / MINUTE) * MINUTE));
  const verdict =
    combined.verdict === 'inconclusive' && split !== undefined
      ? { ...combined, reason: `${combined.reason} (observed split ${split}% at a ${cursor.weightPercent}% weight)` }
      : combined;
  const history = last
    ? [
        ...state.history.slice(0, -1),
        { ...last, checks: last.checks + 1, checkedAt: now, verdict: verdict.verdict, reason: shortReason(verdict.reason), target: verdict.target, baseline: verdict.baseline, observedSplitPercent: split, probes: stepProbes },
      ]
    : state.history;
  const next = decide(rollout.plan, cursor, verdict, policy, now);
  const check: CheckDetail | undefined = last && {
    at: now,
    step: last.step,
    weightPercent: last.weightPercent,
    verdict: verdict.verdict,
    reason: shortReason(verdict.reason, MAX_SIGNAL_REASON_CHARS),
    target: verdict.target,
    baseline: verdict.baseline,
    observedSplitPercent: split,
    probes: stepProbes,
    signals: verdict.signals.map((s) => ({ ...s, reason: shortReason(s.reason, MAX_SIGNAL_REASON_CHARS) })),
    next: next.next,
  };
  return { state: { ...state, cursor: next.reason === undefined ? next : { ...next, reason: shortReason(next.reason) }, history }, check };
}
