/**
 * What the judge carries from check to check, so that a check reads from CloudWatch only the
 * complete minutes it has not judged yet: running totals, the sequential tests' summed log
 * likelihood ratios (a few numbers per test, not lists of minutes), the latency thresholds once
 * they are fixed, which weights the judged minutes were served at, and the evidence gathered
 * entirely at the current weight. Its size does not grow with the rollout's length.
 */
import { errorsOf, foldOrigin, type MinuteEvidence, type OriginMinute, throttlesOf, type Trials, type VersionMinute } from './judge.js';

const MINUTE = 60_000;

/** A sequential origin test over requests slower than a fixed threshold. */
export interface SlowTest {
  /** A request slower than this is slow, ms. Fixed before the test read any minute. */
  readonly thresholdMs: number;
  /** Summed log likelihood ratios, one per grid ratio. */
  readonly logs: readonly number[];
  readonly target: Trials;
  readonly baseline: Trials;
}

/** The latency tests, once their thresholds are fixed. */
export interface LatencyTally {
  /** The baseline's p99 and p90 the thresholds were set from (ms), and over how many samples. */
  readonly reference: { readonly p99: number; readonly p90: number; readonly samples: number };
  /** Epoch ms: the tests read the minutes from here on, none of those the reference came from. */
  readonly from: number;
  readonly p99: SlowTest;
  readonly p90: SlowTest;
}

/** The latency part of a health policy that sets the slow thresholds. */
export interface LatencyLimits {
  readonly enabled: boolean;
  readonly minSamples: number;
  readonly p99: { readonly maxRatio: number; readonly maxIncreaseMs: number };
  readonly p90: { readonly maxRatio: number; readonly maxIncreaseMs: number };
}

/**
 * The current step's evidence: the minutes judged since it began (and the weights they were
 * served at, a minute across a shift counting for both), and those served entirely at its weight
 * (complete minutes that started at or after its shift).
 */
export interface AtWeight {
  readonly weightPercent: number;
  /** When this weight took effect, epoch ms. */
  readonly shiftedAt: number;
  /** The first minute judged during this step, epoch ms (the tally's end when the step began). */
  readonly judgedFrom: number;
  /** The weights of the minutes judged during this step, lowest first. */
  readonly weights: readonly number[];
  /** Complete minutes judged entirely at this weight (with or without traffic). */
  readonly minutes: number;
  readonly target: VersionMinute;
  readonly baseline: VersionMinute;
}

export interface Tally {
  /** The complete minutes judged so far, [from, through), epoch ms; absent before the first. */
  readonly from?: number | undefined;
  readonly through?: number | undefined;
  /** Counts since the target first got traffic. */
  readonly target: VersionMinute;
  readonly baseline: VersionMinute;
  /** The error test's summed log likelihood ratios, one per grid ratio. */
  readonly errors: readonly number[];
  /** The throttle test's, likewise. */
  readonly throttles: readonly number[];
  readonly latency?: LatencyTally | undefined;
  readonly atWeight?: AtWeight | undefined;
  /** Every probe sent so far, before traffic and at each step. */
  readonly probes: { readonly sent: number; readonly passed: number };
}

const ZERO: VersionMinute = { invocations: 0, errors: 0, throttles: 0 };

/** Nothing judged yet. */
export const EMPTY_TALLY: Tally = { target: ZERO, baseline: ZERO, errors: [], throttles: [], probes: { sent: 0, passed: 0 } };

/** A weight and when it took effect: the steps of the rollout so far, in order. */
export interface Shift {
  readonly weightPercent: number;
  readonly shiftedAt: number;
}

const add = (a: VersionMinute, b: VersionMinute): VersionMinute => ({ invocations: a.invocations + b.invocations, errors: a.errors + b.errors, throttles: a.throttles + b.throttles });
const addTrials = (a: Trials, b: Trials): Trials => ({ events: a.events + b.events, trials: a.trials + b.trials });

function foldSlow(test: SlowTest, minute: OriginMinute): SlowTest {
  return { ...test, logs: foldOrigin(test.logs, minute), target: addTrials(test.target, minute.target), baseline: addTrials(test.baseline, minute.baseline) };
}

/**
 * The weights served during [from, to): every shift whose time at the weight overlaps it.
 *
 * @example weightsDuring([{ weightPercent: 10, shiftedAt: 0 }, { weightPercent: 20, shiftedAt: 90_000 }], 60_000, 120_000) // [10, 20]
 */
export function weightsDuring(shifts: readonly Shift[], from: number, to: number): number[] {
  return shifts.filter((s, i) => s.shiftedAt < to && (shifts[i + 1]?.shiftedAt ?? Number.POSITIVE_INFINITY) > from).map((s) => s.weightPercent);
}

/**
 * The tally after the complete minutes of [range.from, range.to): `minutes` holds those that had
 * data (a minute without any is a minute without traffic). Counts, tests and the current step's
 * evidence (the step of the last of `shifts`) move on; minutes already judged are never counted
 * twice.
 *
 * @example foldMinutes(EMPTY_TALLY, [minute], { from: m, to: m + 60_000 }, [{ weightPercent: 10, shiftedAt: m }]).atWeight?.minutes // 1
 */
export function foldMinutes(tally: Tally, minutes: readonly MinuteEvidence[], range: { from: number; to: number }, shifts: readonly Shift[]): Tally {
  const from = Math.max(range.from, tally.through ?? range.from);
  const current = shifts.at(-1);
  let atWeight = current && tally.atWeight?.shiftedAt === current.shiftedAt ? tally.atWeight : current && { ...current, judgedFrom: from, weights: [], minutes: 0, target: ZERO, baseline: ZERO };
  if (!(range.to > from)) return { ...tally, atWeight };
  let { target, baseline, errors, throttles, latency } = tally;
  for (const m of minutes) {
    if (m.at < from || m.at >= range.to) continue;
    target = add(target, m.target);
    baseline = add(baseline, m.baseline);
    errors = foldOrigin(errors, errorsOf(m));
    throttles = foldOrigin(throttles, throttlesOf(m));
    if (latency && m.slow && m.at >= latency.from) latency = { ...latency, p99: foldSlow(latency.p99, m.slow.p99), p90: foldSlow(latency.p90, m.slow.p90) };
    if (atWeight && m.at >= atWeight.shiftedAt) atWeight = { ...atWeight, target: add(atWeight.target, m.target), baseline: add(atWeight.baseline, m.baseline) };
  }
  if (atWeight) {
    const firstWhole = Math.max(from, Math.ceil(atWeight.shiftedAt / MINUTE) * MINUTE);
    const weights = [...new Set([...atWeight.weights, ...weightsDuring(shifts, from, range.to)])].sort((a, b) => a - b);
    atWeight = { ...atWeight, weights, minutes: atWeight.minutes + Math.max(0, Math.round((range.to - firstWhole) / MINUTE)) };
  }
  return { ...tally, from: tally.from ?? from, through: range.to, target, baseline, errors, throttles, latency, atWeight };
}

/**
 * The tally with its latency thresholds fixed from the baseline's p99 and p90 over `samples`
 * requests, when there are at least `latency.minSamples` of them: a request is slow above the
 * reference times `maxRatio`, and by more than `maxIncreaseMs`. The tests read minutes from
 * `from` on, none of which the reference saw. Unchanged when the thresholds are already fixed,
 * latency is not judged, or the reference is short.
 *
 * @example withLatencyThresholds(EMPTY_TALLY, policy, { p99: 200, p90: 100, samples: 2700 }, m).latency?.p99.thresholdMs // 300
 */
export function withLatencyThresholds(tally: Tally, policy: { readonly latency: LatencyLimits }, reference: { p99?: number | undefined; p90?: number | undefined; samples: number }, from: number): Tally {
  const l = policy.latency;
  const { p99, p90, samples } = reference;
  if (tally.latency || !l.enabled || p99 === undefined || p90 === undefined || samples < l.minSamples) return tally;
  const test = (ref: number, limit: { maxRatio: number; maxIncreaseMs: number }): SlowTest => ({
    thresholdMs: Math.ceil(Math.max(ref * limit.maxRatio, ref + limit.maxIncreaseMs)),
    logs: [],
    target: { events: 0, trials: 0 },
    baseline: { events: 0, trials: 0 },
  });
  return { ...tally, latency: { reference: { p99, p90, samples }, from, p99: test(p99, l.p99), p90: test(p90, l.p90) } };
}

/**
 * A tally of some minutes, judged from scratch: for tests and benchmarks that hold minutes as
 * a list. `shifts` default to one weight from before the first minute.
 *
 * @example tallyOf([minute]).target.invocations // minute.target.invocations
 */
export function tallyOf(minutes: readonly MinuteEvidence[], shifts: readonly Shift[] = [{ weightPercent: 0, shiftedAt: minutes[0]?.at ?? 0 }], base: Tally = EMPTY_TALLY): Tally {
  if (minutes.length === 0) return base;
  const from = Math.min(...minutes.map((m) => m.at));
  const to = Math.max(...minutes.map((m) => m.at)) + MINUTE;
  return foldMinutes(base, [...minutes].sort((a, b) => a.at - b.at), { from, to }, shifts);
}

/**
 * Adds probe answers to the tally's count.
 *
 * @example withProbes(EMPTY_TALLY, { sent: 3, passed: 3 }).probes // { sent: 3, passed: 3 }
 */
export function withProbes(tally: Tally, probes: { sent: number; passed: number } | undefined): Tally {
  return probes ? { ...tally, probes: { sent: tally.probes.sent + probes.sent, passed: tally.probes.passed + probes.passed } } : tally;
}
