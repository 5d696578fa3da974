/**
 * How long a healthy release takes under a plan and a health policy: the workflow's own timing
 * (bakes, the check cadence, the wait for the first complete metric minute at each weight, the
 * adaptive strategy's early advances), computed by running `decide` on healthy verdicts. What
 * `rollout plan` prints, and what a healthy rehearsal takes to the second.
 */
import { decide, firstCursor, startBake } from './decide.js';
import type { HealthPolicy, Verdict } from './health.js';
import type { Plan } from './strategy.js';

const MINUTE = 60_000;

/** A verdict with every signal healthy and enough evidence that the target is no worse. */
const HEALTHY: Verdict = {
  verdict: 'healthy',
  reason: 'healthy',
  target: { invocations: 0, errors: 0 },
  baseline: { invocations: 0, errors: 0 },
  signals: [],
  noWorse: true,
};

/** Before the first complete metric minute is in CloudWatch, there is nothing to judge. */
const NO_DATA_YET: Verdict = { ...HEALTHY, verdict: 'inconclusive', reason: 'no complete metric minute yet', noWorse: false };

/** One step of a healthy run: its weight, when it shifted and when the next move came, seconds from the start. */
export interface ExpectedStep {
  readonly weightPercent: number;
  readonly shiftedAtSeconds: number;
  readonly doneAtSeconds: number;
}

/**
 * The timeline of a healthy release started at `startMs` (epoch ms; default a whole minute, as
 * the rehearsal starts): every check healthy once the first complete metric minute is in
 * CloudWatch (inconclusive before), with enough traffic that no step holds for more, and the
 * adaptive strategy advancing as soon as it may. A start inside a minute can add up to a minute
 * per step, since each weight waits for a minute served entirely at it. `promotes` is false when
 * the policy would give up before the first minute is in (holds too short for the metric delay).
 *
 * @example expectedRun(toPlan('Canary10Percent5Minutes'), HealthPolicySchema.parse({})).durationSeconds // 300
 */
export function expectedRun(plan: Plan, policy: HealthPolicy, startMs = 0): { durationSeconds: number; promotes: boolean; steps: ExpectedStep[] } {
  const steps: ExpectedStep[] = [];
  let cursor = firstCursor(plan);
  let now = startMs;
  const seconds = (ms: number) => (ms - startMs) / 1000;
  const firstData = Math.floor(startMs / MINUTE) * MINUTE + MINUTE + policy.metricDelaySeconds * 1000;
  while (cursor.next === 'shift') {
    const shiftedAt = now;
    cursor = startBake(cursor, now, policy);
    while (cursor.next === 'bake' || cursor.next === 'hold') {
      now += (cursor.waitSeconds ?? 0) * 1000;
      cursor = decide(plan, cursor, now >= firstData ? HEALTHY : NO_DATA_YET, policy, now);
    }
    steps.push({ weightPercent: plan.steps[steps.length]?.weightPercent ?? 0, shiftedAtSeconds: seconds(shiftedAt), doneAtSeconds: seconds(now) });
  }
  return { durationSeconds: seconds(now), promotes: cursor.next === 'promote', steps };
}
