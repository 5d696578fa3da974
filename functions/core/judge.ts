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
}

/** Ratios of the target's error rate to the baseline's that the test weighs equally. */
export const ERROR_RATIO_GRID: readonly number[] = [1.5, 2, 3, 5, 10, 30, 100, 1000];

/**
 * Log of the likelihood ratio that the target's errors are `ratio` times as likely as the
 * baseline's, against equally likely, from per-minute counts.
 */
export function errorOriginLogRatio(minutes: readonly MinuteEvidence[], ratio: number): number {
  let log = 0;
  for (const m of minutes) {
    const n = m.target.invocations + m.baseline.invocations;
    const errors = m.target.errors + m.baseline.errors;
    if (n === 0 || errors === 0) continue;
    const q = m.target.invocations / n;
    log += m.target.errors * Math.log(ratio) - errors * Math.log(ratio * q + 1 - q);
  }
  return log;
}

/**
 * The evidence that the target fails more often than the baseline: the grid-averaged
 * likelihood ratio, and the grid ratio that explains the data best.
 *
 * @example errorEvidence([{ at: 0, target: { invocations: 100, errors: 100, throttles: 0 }, baseline: { invocations: 900, errors: 1, throttles: 0 } }]).likelihoodRatio > 100 // true
 */
export function errorEvidence(minutes: readonly MinuteEvidence[], grid: readonly number[] = ERROR_RATIO_GRID) {
  const logs = grid.map((r) => errorOriginLogRatio(minutes, r));
  const max = Math.max(...logs);
  const logMean = max + Math.log(logs.reduce((s, l) => s + Math.exp(l - max), 0) / logs.length);
  const best = grid[logs.indexOf(max)] ?? 1;
  return { likelihoodRatio: Math.exp(Math.min(logMean, 700)), logLikelihoodRatio: logMean, bestRatio: best };
}

/** Sums of a version's minutes. */
export function totals(minutes: readonly MinuteEvidence[], role: 'target' | 'baseline'): VersionMinute {
  return minutes.reduce(
    (t, m) => ({ invocations: t.invocations + m[role].invocations, errors: t.errors + m[role].errors, throttles: t.throttles + m[role].throttles }),
    { invocations: 0, errors: 0, throttles: 0 },
  );
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
