/**
 * One health check, as data in and the next state out: which minutes count, the tally carried
 * forward with the fresh minutes folded in, the signals judged from it, the step's record (with
 * the minutes and weights judged), and the next move. CheckHealth only fetches the evidence.
 * The state keeps a short record of the check; its whole detail (every signal) is returned apart,
 * for the rollout registry, so the state stays small however many alarms and metrics are judged.
 */
import type { RolloutControl } from './control.js';
import { clockTime, decide } from './decide.js';
import {
  type AlarmEvidence,
  asDryRun,
  combine,
  type CustomMetricEvidence,
  type HealthPolicy,
  judgeAlarms,
  judgeCustomMetric,
  judgeErrors,
  judgeLatency,
  judgeProbes,
  judgeThrottles,
  observedSplit,
  type ProbeEvidence,
  type Signal,
  type Verdict,
} from './health.js';
import type { MinuteEvidence } from './judge.js';
import { type Cursor, type Judged, type NextAction, type RolloutState, shortReason, type StepRecord } from './state.js';
import { EMPTY_TALLY, foldMinutes, type Shift, type Tally, withLatencyThresholds, withProbes } from './tally.js';

const MINUTE = 60_000;

/**
 * The complete metric minutes a check at `now` may read: from the minute the target first got
 * traffic to the last minute CloudWatch has finished (`metricDelaySeconds`). Empty when
 * `end <= start`. The tally carries which of them were judged already (the final bake's among them).
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
  /** The complete minutes not judged yet that had data (a minute without any had no traffic). */
  readonly minutes: readonly MinuteEvidence[];
  /** The baseline's percentiles over the reference window, when the check read them. */
  readonly reference?: { readonly p99?: number | undefined; readonly p90?: number | undefined; readonly samples: number } | undefined;
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

/** The longest reason of one signal the registry keeps (an alarm's reason is CloudWatch's, up to 1,023 characters). */
export const MAX_SIGNAL_REASON_CHARS = 512;

/**
 * Everything one check judged, for the rollout registry (`RolloutRecord.lastCheck`): the step's
 * verdict with its numbers, every signal with its reason, and the move it decided. Bounded: at
 * most one signal per judged thing (errors, latency, throttles, probes, and the policy's at most
 * 100 alarms and 20 custom metrics), each reason cut to `MAX_SIGNAL_REASON_CHARS`.
 */
export interface CheckDetail extends Required<Pick<StepRecord, 'step' | 'weightPercent'>>, Pick<StepRecord, 'target' | 'baseline' | 'observedSplitPercent' | 'probes' | 'judged'> {
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
 * The signals as far as the evidence could be read: whatever an unreadable source would have
 * judged is inconclusive, saying why, instead of what an empty answer would have meant (a missing
 * alarm, a custom metric with no data, not enough traffic). A dry-run signal stays dry run.
 *
 * @example readable([errorsSignal], { metrics: 'ThrottlingException' })[0]?.verdict // 'inconclusive'
 */
export function readable(signals: readonly Signal[], unreadable: Unreadable): Signal[] {
  const from = (name: string): keyof Unreadable | undefined =>
    name === 'errors' || name.startsWith('latency') || name === 'throttles' || name.startsWith('metric ') ? 'metrics' : name.startsWith('alarm ') ? 'alarms' : undefined;
  const listed = signals.map((s): Signal => {
    const source = from(s.name);
    const why = source && unreadable[source];
    return why ? { name: s.name, verdict: 'inconclusive', reason: `could not read the ${source}: ${why}`, ...(s.dryRun ? { dryRun: true } : {}) } : s;
  });
  return unreadable.probes ? [...listed, { name: 'probes', verdict: 'inconclusive', reason: `no probe answered: ${unreadable.probes}` }] : listed;
}

/**
 * The weights of the rollout so far and when each took effect.
 *
 * @example shiftsOf(state)[0] // { weightPercent: 10, shiftedAt: state.history[0].shiftedAt }
 */
export function shiftsOf(state: RolloutState): Shift[] {
  return state.history.map((h) => ({ weightPercent: h.weightPercent, shiftedAt: h.shiftedAt }));
}

/**
 * What a step's checks have judged, in words: "judged minutes 10:01-10:03 at 10%; none yet at 20%".
 *
 * @example judgedText({ from, to, weights: [10], atWeight: 0 }, 20) // 'judged minutes 10:01-10:03 at 10%; none yet at 20%'
 */
export function judgedText(judged: Judged | undefined, weightPercent: number): string {
  const at = judged && judged.to > judged.from ? `judged minutes ${clockTime(judged.from)}-${clockTime(judged.to)} at ${judged.weights.map((w) => `${w}%`).join(', ')}` : 'no new complete minute judged';
  return judged && judged.atWeight > 0 ? `${at} (${judged.atWeight} entirely at ${weightPercent}%)` : `${at}; none yet at ${weightPercent}%`;
}

/**
 * What the step's checks have judged so far: bounded, a minute range and a few weights.
 *
 * @example judgedOf(tally)?.atWeight // complete minutes judged entirely at the step's weight
 */
export function judgedOf(tally: Tally): Judged | undefined {
  const step = tally.atWeight;
  return step && { from: step.judgedFrom, to: Math.max(step.judgedFrom, tally.through ?? step.judgedFrom), weights: step.weights, atWeight: step.minutes };
}

/** A check's evidence folded in: the tally carried forward, the window it read, and the policy it judges with. */
export interface FoldedCheck {
  readonly tally: Tally;
  readonly window: { readonly start: number; readonly end: number };
  /** The rollout's policy; with unreadable evidence, `insufficientData.then` is "rollback" (see `assessCheck`). */
  readonly policy: HealthPolicy;
  readonly unreadable: Unreadable;
}

/**
 * The fresh minutes folded into the tally (and, once the baseline's reference is in, the slow
 * thresholds fixed for the minutes after it), unless the metrics could not be read; the probes
 * counted. Shared by the checks of the plan's steps and of the final bake.
 *
 * @example foldCheck(state, evidence, now).tally.through // the end of the minutes judged so far
 */
export function foldCheck(state: RolloutState, evidence: CheckEvidence, now: number): FoldedCheck {
  const { rollout } = state;
  const unreadable = evidence.unreadable ?? {};
  const blind = Object.values(unreadable).some((why) => why !== undefined);
  const policy = blind ? { ...rollout.health, insufficientData: { ...rollout.health.insufficientData, then: 'rollback' as const } } : rollout.health;
  const window = evidenceWindow(state, now);
  const before = state.tally ?? EMPTY_TALLY;
  const folded = unreadable.metrics ? before : foldMinutes(before, evidence.minutes, { from: window.start, to: window.end }, shiftsOf(state));
  const tally = withProbes(evidence.reference && !unreadable.metrics ? withLatencyThresholds(folded, policy, evidence.reference, window.end) : folded, evidence.probes);
  return { tally, window, policy, unreadable };
}

/**
 * Judges the evidence and moves the rollout on: the fresh minutes go into the tally (and, once
 * the baseline's reference is in, the slow thresholds are fixed for the minutes after it); the
 * step's record gets the verdict with its numbers, what was judged and a reason cut to
 * `MAX_REASON_CHARS`; the cursor the next move, with what people asked for (`control`: gate
 * decisions, pause, promote) folded in; and the check's detail (every signal with its reason)
 * comes back apart, for the registry. A signal the policy runs dry (`dryRun`) is judged and
 * reported, never acted on.
 *
 * Evidence that could not be read (`evidence.unreadable`) makes the check inconclusive, so the
 * step holds at its weight and checks again, within the policy's hold budget
 * (`insufficientData.maxHoldSeconds`), then rolls back. What an operator wants while CloudWatch,
 * the alarms or the probes cannot be read for minutes: the release is not judged bad (rolling
 * back a healthy release costs a redeploy and hides the outage's real cause), nor good (absent
 * data is never healthy); its exposure does not grow while it waits; and an unjudged release
 * does not keep its share of traffic indefinitely. `then: proceed` never applies here: it is for
 * too little traffic, a known quantity, not for no evidence at all. An unhealthy signal from a
 * source that could be read still rolls back at once. Minutes that could not be read are not
 * folded into the tally: the next check asks for them again.
 */
export function assessCheck(state: RolloutState, evidence: CheckEvidence, now: number, control?: RolloutControl): Assessed {
  const { rollout, cursor } = state;
  const { tally, window, policy, unreadable } = foldCheck(state, evidence, now);
  const errors = judgeErrors(policy, tally);
  const errorSignal: Signal =
    window.end > window.start
      ? errors
      : { ...errors, reason: `no complete metric minute yet: CloudWatch has a minute about ${policy.metricDelaySeconds}s after it ends` };
  const last = state.history.at(-1);
  const { probes } = evidence;
  const stepProbes = probes ? { sent: (last?.probes?.sent ?? 0) + probes.sent, passed: (last?.probes?.passed ?? 0) + probes.passed, lastAt: now } : last?.probes;

  const signals: Signal[] = readable(
    [
      asDryRun(errorSignal, policy.errors.dryRun),
      ...judgeLatency(policy, tally).map((s) => asDryRun(s, policy.latency.dryRun)),
      asDryRun(judgeThrottles(policy, tally), policy.throttles.dryRun),
      ...judgeAlarms(policy, evidence.alarms).map((s) => asDryRun(s, policy.alarms.dryRun)),
      ...policy.metrics.map((m, i) => asDryRun(judgeCustomMetric(m, evidence.metrics[i] ?? {}), m.dryRun)),
      ...(probes ? [asDryRun(judgeProbes(probes), policy.probes?.dryRun)] : []),
    ],
    unreadable,
  );
  // Passing probes make up for too little traffic, not for metrics that could not be read.
  const combined = combine(policy, unreadable.metrics ? { ...tally, probes: { ...tally.probes, passed: 0 } } : tally, signals, errors.noWorse);
  const judged = judgedOf(tally);
  const split = observedSplit(tally.atWeight && tally.atWeight.minutes > 0 ? tally.atWeight : undefined);
  const said =
    policy.advance === 'schedule'
      ? `${combined.reason} (${judgedText(judged, cursor.weightPercent)})`
      : combined.verdict === 'inconclusive' && split !== undefined
        ? `${combined.reason} (observed split ${split}% at a ${cursor.weightPercent}% weight)`
        : combined.reason;
  const verdict = { ...combined, reason: said };
  const next = decide(rollout.plan, cursor, verdict, policy, now, { gates: rollout.gates, control });
  // While the step waits for its first complete minute in CloudWatch, that wait is the story.
  const reason = next.awaiting !== undefined ? (next.reason ?? said) : said;
  const { state: checked, check } = withCheck(state, { ...verdict, reason }, now, next.next, { observedSplitPercent: split, probes: stepProbes, judged });
  return { state: { ...checked, tally, cursor: withShortReason(next) }, check };
}

/**
 * The cursor with its reason cut to `MAX_REASON_CHARS`, as the state keeps it.
 *
 * @example withShortReason({ ...cursor, reason: 'x'.repeat(400) }).reason?.length // 300
 */
export function withShortReason(cursor: Cursor): Cursor {
  return cursor.reason === undefined ? cursor : { ...cursor, reason: shortReason(cursor.reason) };
}

/**
 * A check recorded on the current step: in the state, one more check, its time, the verdict with
 * its numbers, a reason cut to `MAX_REASON_CHARS` and `extra` (the observed split, the step's
 * probes, what was judged); apart, for the registry, the check's whole detail with every signal.
 *
 * @example withCheck(state, verdict, now, 'shift').state.history.at(-1)?.checks // one more than before
 */
export function withCheck(
  state: RolloutState,
  verdict: Verdict,
  now: number,
  next: NextAction,
  extra: Partial<Pick<StepRecord, 'observedSplitPercent' | 'probes' | 'judged'>> = {},
): Assessed {
  const last = state.history.at(-1);
  if (!last) return { state, check: undefined };
  const numbers = { target: verdict.target, baseline: verdict.baseline, observedSplitPercent: extra.observedSplitPercent, probes: extra.probes, judged: extra.judged };
  const record: StepRecord = { ...last, checks: last.checks + 1, checkedAt: now, verdict: verdict.verdict, reason: shortReason(verdict.reason), ...numbers };
  const check: CheckDetail = {
    at: now,
    step: last.step,
    weightPercent: last.weightPercent,
    verdict: verdict.verdict,
    reason: shortReason(verdict.reason, MAX_SIGNAL_REASON_CHARS),
    ...numbers,
    signals: verdict.signals.map((sig) => ({ ...sig, reason: shortReason(sig.reason, MAX_SIGNAL_REASON_CHARS) })),
    next,
  };
  return { state: { ...state, history: [...state.history.slice(0, -1), record] }, check };
}
