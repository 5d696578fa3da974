/**
 * The health judge: the target version against the baseline, over the same alias and the same
 * complete metric minutes. Each signal (errors, latency, throttles, alarms, custom metrics,
 * probes) gives healthy, unhealthy or inconclusive with its numbers and a one-line reason; the
 * verdict combines them. Pure: data in, verdict out.
 *
 * Errors use a sequential test that stays valid however often it looks. Each error comes from
 * the target or the baseline; when both versions fail at the same rate, an error of minute m
 * comes from the target with probability q_m, the target's share of that minute's invocations.
 * If the target fails r times as often, that probability is r q / (r q + 1 - q). The likelihood
 * ratio of "r times as often" against "as often" is a martingale under the null, and so is its
 * average over a grid of r: by Ville's inequality it exceeds 1/alpha with probability at most
 * alpha, at any check, however many checks there are. No estimate of the baseline's rate is
 * needed, and an incident that raises both versions' errors (a broken dependency) is not blamed
 * on the target.
 *
 * The same origin test judges throttles (out of requests) and slow requests (out of Duration
 * samples). Its log likelihood ratios are sums over minutes, so a check carries one number per
 * grid ratio forward and folds in only the minutes it has not seen.
 */

/** One version's counts in one complete minute, through the alias. */
export interface VersionMinute {
  readonly invocations: number;
  readonly errors: number;
  readonly throttles: number;
}

export interface MinuteEvidence {
  /** Epoch ms of the minute's start. */
  readonly at: number;
  readonly target: VersionMinute;
  readonly baseline: VersionMinute;
  /**
   * Requests slower than the latency thresholds (events) out of the Duration samples (trials),
   * per version, when the check asked CloudWatch for them.
   */
  readonly slow?: { readonly p99: OriginMinute; readonly p90: OriginMinute } | undefined;
}

/** Ratios of the target's error rate to the baseline's that the test weighs, one against the other. */
export const ERROR_RATIO_GRID: readonly number[] = [1.4, 1.7, 2, 2.5, 3.5, 5, 10, 30, 100];
/**
 * The weight of each ratio of the grid (they add up to 1). Small ratios get more: they need the
 * most evidence, so a larger share there shortens detection where it is longest, while large
 * ratios pile up evidence so fast that a smaller share costs them little. Measured by
 * `npm run bench:judge` against a test told the true ratio.
 */
export const ERROR_RATIO_WEIGHTS: readonly number[] = [0.16, 0.14, 0.13, 0.11, 0.1, 0.1, 0.1, 0.09, 0.07];

/** Events (errors, throttles, slow requests) out of trials (the requests they could happen to), for one version. */
export interface Trials {
  readonly events: number;
  readonly trials: number;
}

/** One minute of an origin test: each version's events and trials. */
export interface OriginMinute {
  readonly target: Trials;
  readonly baseline: Trials;
}

/**
 * The log likelihood ratios of an origin test after one more minute, one per grid ratio: `logs`
 * plus the minute's log of "the target's events are r times as likely as the baseline's"
 * against "as likely". Sums of these are all a sequential test needs to carry from check to
 * check. A minute where either version had no trials, or nothing happened, adds nothing.
 *
 * @example foldOrigin([0], { target: { events: 10, trials: 600 }, baseline: { events: 0, trials: 5400 } }, [10])[0]! > 0 // true
 */
export function foldOrigin(logs: readonly number[], minute: OriginMinute, grid: readonly number[] = ERROR_RATIO_GRID): number[] {
  const n = minute.target.trials + minute.baseline.trials;
  const events = minute.target.events + minute.baseline.events;
  if (n === 0 || events === 0) return grid.map((_, i) => logs[i] ?? 0);
  const q = minute.target.trials / n;
  return grid.map((r, i) => (logs[i] ?? 0) + minute.target.events * Math.log(r) - events * Math.log(r * q + 1 - q));
}

/**
 * An origin test's verdict from its summed logs: the likelihood ratio averaged over the grid
 * with its weights (equal weights for a grid of one's own), and the grid ratio that explains the
 * data best. An average of martingales is a martingale: Ville's bound holds for the average.
 *
 * @example originEvidence([Math.log(200), 0], [2, 10]).likelihoodRatio // 100.5
 */
export function originEvidence(logs: readonly number[], grid: readonly number[] = ERROR_RATIO_GRID, weights: readonly number[] = grid === ERROR_RATIO_GRID ? ERROR_RATIO_WEIGHTS : grid.map(() => 1 / grid.length)) {
  const all = grid.map((_, i) => logs[i] ?? 0);
  const max = Math.max(...all);
  const logMean = max + Math.log(all.reduce((s, l, i) => s + (weights[i] ?? 0) * Math.exp(l - max), 0));
  const best = grid[all.indexOf(max)] ?? 1;
  return { likelihoodRatio: Math.exp(Math.min(logMean, 700)), logLikelihoodRatio: logMean, bestRatio: best };
}

/**
 * A minute's errors out of invocations, per version.
 *
 * @example errorsOf(minute).target // { events: minute.target.errors, trials: minute.target.invocations }
 */
export function errorsOf(m: MinuteEvidence): OriginMinute {
  return { target: { events: m.target.errors, trials: m.target.invocations }, baseline: { events: m.baseline.errors, trials: m.baseline.invocations } };
}

/**
 * A minute's throttles out of requests (invocations plus throttles), per version.
 *
 * @example throttlesOf(minute).target.trials // minute.target.invocations + minute.target.throttles
 */
export function throttlesOf(m: MinuteEvidence): OriginMinute {
  const of = (v: VersionMinute) => ({ events: v.throttles, trials: v.invocations + v.throttles });
  return { target: of(m.target), baseline: of(m.baseline) };
}

/**
 * Log of the likelihood ratio that the target's errors are `ratio` times as likely as the
 * baseline's, against equally likely, from per-minute counts.
 */
export function errorOriginLogRatio(minutes: readonly MinuteEvidence[], ratio: number): number {
  return minutes.reduce((logs, m) => foldOrigin(logs, errorsOf(m), [ratio]), [0])[0] ?? 0;
}

/**
 * The evidence that the target fails more often than the baseline: the grid-averaged
 * likelihood ratio, and the grid ratio that explains the data best.
 *
 * @example errorEvidence([{ at: 0, target: { invocations: 100, errors: 100, throttles: 0 }, baseline: { invocations: 900, errors: 1, throttles: 0 } }]).likelihoodRatio > 100 // true
 */
export function errorEvidence(minutes: readonly MinuteEvidence[], grid: readonly number[] = ERROR_RATIO_GRID) {
  return originEvidence(minutes.reduce<number[]>((logs, m) => foldOrigin(logs, errorsOf(m), grid), []), grid);
}

/**
 * Wilson score upper bound of a proportion, one-sided at standard-normal quantile `z`.
 *
 * @example wilsonUpper(0, 600, 1.2816) // ~0.0027
 */
export function wilsonUpper(successes: number, n: number, z: number): number {
  if (n === 0) return 1;
  const p = successes / n;
  const z2 = z * z;
  return Math.min(1, (p + z2 / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n));
}

/** Wilson score lower bound of a proportion, one-sided at standard-normal quantile `z`. */
export function wilsonLower(successes: number, n: number, z: number): number {
  if (n === 0) return 0;
  const p = successes / n;
  const z2 = z * z;
  return Math.max(0, (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n));
}

/**
 * Two-proportion z statistic (target minus baseline, pooled). The fixed-sample test that
 * inflates false rollbacks when repeated; kept for comparison.
 */
export function twoProportionZ(target: { n: number; x: number }, baseline: { n: number; x: number }): number {
  if (target.n === 0 || baseline.n === 0) return 0;
  const p = (target.x + baseline.x) / (target.n + baseline.n);
  const se = Math.sqrt(p * (1 - p) * (1 / target.n + 1 / baseline.n));
  return se === 0 ? 0 : (target.x / target.n - baseline.x / baseline.n) / se;
}
