/**
 * One health check, as data in and the next state out: which minutes count, the signals judged
 * from the evidence, the step's record, and the next move. CheckHealth only fetches the evidence.
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
} from './health.js';
import { type MinuteEvidence, totals } from './judge.js';
import type { RolloutState } from './state.js';

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
  /**
   * Evidence that could not be read even after the workflow's retries (throttling, 5xx, timeouts
   * that outlasted them), by source, with why in one line. What it would have judged is
   * inconclusive, never healthy and never unhealthy: see `assessCheck`.
   */
  readonly unreadable?: Unreadable | undefined;
}

/** The sources of evidence a check could not read, each with why. */
export interface Unreadable {
  /** GetMetricData: errors, latency, throttles and custom metrics. */
  readonly metrics?: string | undefined;
  /** DescribeAlarms. */
  readonly alarms?: string | undefined;
  /** Every due probe's Invoke failed transiently: none answered. */
  readonly probes?: string | undefined;
}

/**
 * The signals as far as the evidence could be read: whatever an unreadable source would have
 * judged is inconclusive, saying why, instead of what an empty answer would have meant (a missing
 * alarm, a custom metric with no data, not enough traffic).
 */
function readable(signals: readonly Signal[], unreadable: Unreadable): Signal[] {
  const from = (name: string): keyof Unreadable | undefined =>
    name === 'errors' || name.startsWith('metric ') ? 'metrics' : name.startsWith('alarm ') ? 'alarms' : undefined;
  const listed = signals.map((s): Signal => {
    const source = from(s.name);
    const why = source && unreadable[source];
    return why ? { name: s.name, verdict: 'inconclusive', reason: `could not read the ${source}: ${why}` } : s;
  });
  return unreadable.probes ? [...listed, { name: 'probes', verdict: 'inconclusive', reason: `no probe answered: ${unreadable.probes}` }] : listed;
}

/**
 * Judges the evidence and moves the rollout on: the step's record gets the verdict with its
 * numbers and every signal, and the cursor the next move.
 *
 * Evidence that could not be read (`evidence.unreadable`) makes the check inconclusive, so the
 * step holds at its weight and checks again, within the policy's hold budget
 * (`insufficientData.maxHoldSeconds`), then rolls back. What an operator wants while CloudWatch,
 * the alarms or the probes cannot be read for minutes: the release is not judged bad (rolling
 * back a healthy release costs a redeploy and hides the outage's real cause), nor good (absent
 * data is never healthy); its exposure does not grow while it waits; and an unjudged release
 * does not keep its share of traffic indefinitely. `then: proceed` never applies here: it is for
 * too little traffic, a known quantity, not for no evidence at all. An unhealthy signal from a
 * source that could be read still rolls back at once.
 */
export function assessCheck(state: RolloutState, evidence: CheckEvidence, now: number): RolloutState {
  const { rollout, cursor } = state;
  const unreadable = evidence.unreadable ?? {};
  const blind = Object.values(unreadable).some((why) => why !== undefined);
  const policy = blind ? { ...rollout.health, insufficientData: { ...rollout.health.insufficientData, then: 'rollback' as const } } : rollout.health;
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

  const signals: Signal[] = readable(
    [
      errorSignal,
      ...judgeLatency(policy, latency),
      judgeThrottles(policy, minutes),
      ...judgeAlarms(policy, evidence.alarms),
      ...policy.metrics.map((m, i) => judgeCustomMetric(m, evidence.metrics[i] ?? {})),
      ...(probes ? [judgeProbes(probes)] : []),
    ],
    unreadable,
  );
  // Passing probes make up for too little traffic, not for metrics that could not be read.
  const combined = combine(policy, minutes, signals, errors.noWorse, unreadable.metrics ? 0 : probesPassed);
  const shiftedAt = cursor.shiftedAt ?? state.history[0]?.shiftedAt ?? now;
  const split = observedSplit(minutes.filter((m) => m.at >= Math.ceil(shiftedAt / MINUTE) * MINUTE));
  const verdict =
    combined.verdict === 'inconclusive' && split !== undefined
      ? { ...combined, reason: `${combined.reason} (observed split ${split}% at a ${cursor.weightPercent}% weight)` }
      : combined;
  const history = last
    ? [
        ...state.history.slice(0, -1),
        {
          ...last,
          checks: last.checks + 1,
          checkedAt: now,
          verdict: verdict.verdict,
          reason: verdict.reason,
          // Unread metrics leave the counts as the last check that read them saw them.
          ...(unreadable.metrics ? {} : { target: verdict.target, baseline: verdict.baseline, observedSplitPercent: split }),
          signals: verdict.signals,
          probes: stepProbes,
        },
      ]
    : state.history;
  return { ...state, cursor: decide(rollout.plan, cursor, verdict, policy, now), history };
}
