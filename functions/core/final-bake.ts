/**
 * The final bake: after the alias is wholly on the target, keep watching for `finalBakeSeconds`
 * (AWS AppConfig's bake time) before the rollout ends. The baseline no longer serves, so the
 * target's error rate is judged against the baseline's rate measured through the alias in the hour
 * before the rollout began (read by Prepare), alongside alarms and threshold metrics. Unhealthy
 * rolls back to the baseline, with the RevisionId Finalize wrote.
 *
 * The evidence is the judge's, read incrementally: each check folds only the new complete minutes
 * into the rollout's tally, and the final bake is a step at 100% from the promotion on, so the
 * tally's evidence at the current weight (`atWeight`) is the target's, since promotion, alone.
 */
import { type Assessed, type CheckEvidence, foldCheck, judgedOf, judgedText, readable, withCheck, withShortReason } from './check.js';
import type { RolloutControl } from './control.js';
import { decide } from './decide.js';
import type { MetricQuery, MetricSeries } from './evidence.js';
import { functionNameOf } from './function-ref.js';
import { asDryRun, combine, CRASH, type HealthPolicy, judgeAlarms, judgeCustomMetric, type Signal } from './health.js';
import { ERROR_RATIO_GRID, ERROR_RATIO_WEIGHTS, type VersionMinute, wilsonLower } from './judge.js';
import { normalUpperQuantile } from './normal.js';
import type { Cursor, PreRolloutBaseline, RolloutState, StepRecord } from './state.js';

const MINUTE = 60_000;
/** How far back the baseline is read before the rollout: an hour of complete minutes. */
export const PRE_ROLLOUT_WINDOW_SECONDS = 3600;

/**
 * The window of complete minutes before `now` whose baseline traffic the final bake compares with:
 * the hour ending at the last minute CloudWatch has finished.
 *
 * @example preRolloutWindow(Date.UTC(2026, 0, 5, 10), 120) // { start: 08:58, end: 09:58 }
 */
export function preRolloutWindow(now: number, metricDelaySeconds: number): { start: number; end: number } {
  const end = Math.floor((now - metricDelaySeconds * 1000) / MINUTE) * MINUTE;
  return { start: end - PRE_ROLLOUT_WINDOW_SECONDS * 1000, end };
}

/** The baseline's invocations and errors through the alias over the window, as two one-period queries. */
export function preRolloutQueries(functionName: string, alias: string, baselineVersion: string): MetricQuery[] {
  const name = functionNameOf(functionName);
  const dimensions = { FunctionName: name, Resource: `${name}:${alias}`, ExecutedVersion: baselineVersion };
  return (['Invocations', 'Errors'] as const).map((metricName) => ({
    id: `before${metricName}`,
    namespace: 'AWS/Lambda',
    metricName,
    dimensions,
    stat: 'Sum',
    periodSeconds: PRE_ROLLOUT_WINDOW_SECONDS,
  }));
}

/**
 * The pre-rollout baseline from CloudWatch's answer to `preRolloutQueries`: every datapoint summed
 * (none is zero traffic).
 *
 * @example preRolloutBaseline(window, [{ id: 'beforeInvocations', timestamps: [t], values: [6000] }, { id: 'beforeErrors', timestamps: [t], values: [6] }]) // { ...window, invocations: 6000, errors: 6 }
 */
export function preRolloutBaseline(window: { start: number; end: number }, series: readonly MetricSeries[]): PreRolloutBaseline {
  const sum = (id: string) => series.filter((s) => s.id === id).reduce((t, s) => t + s.values.reduce((a, v) => a + v, 0), 0);
  return { ...window, invocations: sum('beforeInvocations'), errors: sum('beforeErrors') };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const rate = (e: number, n: number) => (n > 0 ? e / n : 0);

/**
 * The sequential test's log likelihood ratio for "the target fails `r` times as often as `q0`"
 * against "`q0`", averaged over the judge's grid of ratios with its weights (a ratio that would make
 * a rate of 1 or more is left out, its weight with it: the average stays a supermartingale). Each
 * request adds its own term, so the sum over any minutes depends only on their totals: the running
 * counts since promotion carry the whole test, however many checks read them.
 *
 * @example oneSampleLogRatio({ invocations: 2000, errors: 100 }, 0.002) // well above Math.log(100)
 */
export function oneSampleLogRatio(target: Pick<VersionMinute, 'invocations' | 'errors'>, q0: number): number {
  const terms = ERROR_RATIO_GRID.flatMap((r, i) =>
    r * q0 < 1 ? [{ weight: ERROR_RATIO_WEIGHTS[i] ?? 0, log: target.errors * Math.log(r) + (target.invocations - target.errors) * Math.log((1 - r * q0) / (1 - q0)) }] : [],
  );
  if (terms.length === 0) return Number.NEGATIVE_INFINITY;
  const max = Math.max(...terms.map((t) => t.log));
  return max + Math.log(terms.reduce((sum, t) => sum + t.weight * Math.exp(t.log - max), 0));
}

/**
 * The target's errors after promotion (its running counts since then) against the baseline's rate
 * before the rollout. The null is "no worse than the baseline's rate plus the tolerance" (q0); the
 * sequential test (`oneSampleLogRatio`) stays valid however often the bake checks (Ville's
 * inequality), as the split test does while both versions serve.
 *
 * @example judgeFinalErrors(policy, { invocations: 2000, errors: 100, throttles: 0 }, { start, end, invocations: 60_000, errors: 60 }).verdict // 'unhealthy'
 */
export function judgeFinalErrors(policy: HealthPolicy, target: Pick<VersionMinute, 'invocations' | 'errors'>, before: PreRolloutBaseline | undefined): Signal {
  const t = target;
  const p = policy.errors;
  const b = before ?? { invocations: 0, errors: 0 };
  const q0 = Math.min(0.999_999, rate(b.errors, b.invocations) + p.tolerance);
  const vs = `target ${pct(rate(t.errors, t.invocations))} (${t.errors}/${t.invocations}) since promotion vs baseline ${pct(rate(b.errors, b.invocations))} (${b.errors}/${b.invocations}) in the hour before the rollout`;
  const signal = (verdict: Signal['verdict'], why: string): Signal => ({ name: 'errors', verdict, reason: `${why}: ${vs}` });

  if (p.test === 'none') return signal('skipped', 'errors not judged (errors.test is "none")');
  if (wilsonLower(t.errors, t.invocations, CRASH.z) > CRASH.rate) return signal('unhealthy', `most requests fail (over ${pct(CRASH.rate)} with 99% confidence)`);
  if (p.maxRate !== undefined && t.invocations >= policy.minRequests && rate(t.errors, t.invocations) > p.maxRate) {
    return signal('unhealthy', `error rate above the ceiling of ${pct(p.maxRate)}`);
  }
  if (b.invocations < policy.minRequests) return signal('inconclusive', `the baseline served too few requests before the rollout to compare with (${b.invocations} of ${policy.minRequests})`);
  const above = rate(t.errors, t.invocations) > q0;
  if (p.test === 'sequential') {
    if (above && oneSampleLogRatio(t, q0) >= Math.log(1 / p.falseRollbackRate)) return signal('unhealthy', `error rate higher than the baseline's before the rollout (likelihood ratio over ${Math.round(1 / p.falseRollbackRate)})`);
  } else if (t.invocations >= policy.minRequests) {
    const z = (rate(t.errors, t.invocations) - q0) / Math.sqrt((q0 * (1 - q0)) / t.invocations);
    if (above && z >= normalUpperQuantile(p.falseRollbackRate)) return signal('unhealthy', `error rate higher than the baseline's before the rollout (z ${z.toFixed(2)})`);
  }
  if (t.invocations < policy.minRequests) return signal('inconclusive', `not enough traffic since promotion: ${t.invocations} of ${policy.minRequests} requests`);
  return signal('healthy', "error rate no worse than the baseline's before the rollout");
}

/**
 * How long the final bake lasts: `finalBakeSeconds`; none after a full promotion a person asked
 * for; after a promotion with `full: false`, at least what was left of the plan's bakes.
 *
 * @example finalBakeSeconds(stateWithPromotion({ full: false }), now) // the rest of the current bake plus the later steps' bakes
 */
export function finalBakeSeconds(state: RolloutState, now: number): number {
  const { rollout, cursor } = state;
  const planned = rollout.finalBakeSeconds ?? 0;
  if (!cursor.promotion) return planned;
  if (cursor.promotion.full) return 0;
  const rest = Math.max(0, Math.ceil(((cursor.bakeEndsAt ?? now) - now) / 1000)) + rollout.plan.steps.slice(cursor.step + 1).reduce((t, s) => t + s.bakeSeconds, 0);
  return Math.max(planned, rest);
}

/**
 * The state once Finalize promoted, when the promotion is still to be verified: `bake` for a final
 * bake (a step record at 100% marked final, checked every `checkEverySeconds`), or `verify` when
 * only the postTraffic hook is to answer. Unchanged when there is nothing to verify.
 *
 * @example verifyingState(promoted, 600, now).cursor // { next: 'bake', final: true, weightPercent: 100, bakeEndsAt: now + 600_000, ... }
 */
export function verifyingState(promoted: RolloutState, bakeSeconds: number, now: number): RolloutState {
  const hasPostHook = promoted.rollout.hooks?.postTraffic !== undefined;
  if (bakeSeconds <= 0 && !hasPostHook) return promoted;
  if (bakeSeconds <= 0) return { ...promoted, cursor: { ...promoted.cursor, next: 'verify', final: true } };
  const cursor: Cursor = {
    ...promoted.cursor,
    step: promoted.rollout.plan.steps.length,
    weightPercent: 100,
    bakeSeconds,
    next: 'bake',
    final: true,
    heldSeconds: 0,
    shiftedAt: now,
    bakeEndsAt: now + bakeSeconds * 1000,
    waitSeconds: Math.min(promoted.rollout.health.checkEverySeconds, bakeSeconds),
    gate: undefined,
    paused: undefined,
    announce: undefined,
  };
  const record: StepRecord = { step: cursor.step, weightPercent: 100, shiftedAt: now, revisionId: promoted.alias.revisionId, checks: 0, final: true };
  return { ...promoted, cursor, history: [...promoted.history, record] };
}

/**
 * A check of the final bake: the fresh minutes folded into the tally as any check's are; the
 * target's errors since promotion against the baseline before the rollout, alarms, and threshold
 * metrics (a metric compared with the baseline has nothing to compare with once the baseline
 * serves nothing), as far as they could be read (`readable`: unreadable evidence is inconclusive,
 * the bake holds, then rolls back); then the next move. When the bake is over and healthy, the
 * outcome says the promotion was watched and how it went.
 *
 * @example assessFinalCheck(state, evidence, state.cursor.bakeEndsAt).state.cursor.next // 'promote': done
 */
export function assessFinalCheck(state: RolloutState, evidence: CheckEvidence, now: number, control?: RolloutControl): Assessed {
  const { rollout } = state;
  // No probes after promotion: real traffic, all of it on the target, is the evidence.
  const { tally, window, policy, unreadable } = foldCheck(state, { ...evidence, probes: undefined }, now);
  const since: VersionMinute = tally.atWeight?.target ?? { invocations: 0, errors: 0, throttles: 0 };
  const errors = judgeFinalErrors(policy, since, rollout.baselineBefore);
  const signals = readable(
    [
      asDryRun(window.end > window.start ? errors : { ...errors, reason: `no complete metric minute yet: CloudWatch has a minute about ${policy.metricDelaySeconds}s after it ends` }, policy.errors.dryRun),
      ...judgeAlarms(policy, evidence.alarms).map((s) => asDryRun(s, policy.alarms.dryRun)),
      ...policy.metrics.map((m, i): Signal =>
        m.compare === 'baseline'
          ? { name: `metric ${m.name}`, verdict: 'skipped', reason: `${m.name} is compared with the baseline, which serves nothing after promotion` }
          : asDryRun(judgeCustomMetric(m, evidence.metrics[i] ?? {}), m.dryRun),
      ),
    ],
    unreadable,
  );
  const noProbes = { sent: 0, passed: 0 };
  const verdict = combine(policy, { ...tally, target: since, baseline: tally.atWeight?.baseline ?? { invocations: 0, errors: 0, throttles: 0 }, probes: noProbes }, signals, false);
  const judged = judgedOf(tally);
  const cursor = decide(rollout.plan, state.cursor, verdict, policy, now, { gates: rollout.gates, control });
  const said = policy.advance === 'schedule' ? `${verdict.reason} (${judgedText(judged, 100)})` : verdict.reason;
  // While the bake waits for its first complete minute wholly on the target, that wait is the story.
  const reason = cursor.awaiting !== undefined ? (cursor.reason ?? said) : said;
  const { state: checked, check } = withCheck(state, { ...verdict, reason }, now, cursor.next, { judged });
  const outcome =
    cursor.next === 'promote' && state.outcome
      ? { ...state.outcome, reason: `${state.outcome.reason}; watched ${state.cursor.bakeSeconds}s after promotion: ${verdict.reason}` }
      : state.outcome;
  return { state: { ...checked, tally, cursor: withShortReason(cursor), outcome }, check };
}
