/**
 * CheckHealth: reads AWS/Lambda Invocations and Errors for the target and the baseline behind the
 * alias (dimensions FunctionName, Resource, ExecutedVersion) since the step's shift, judges them,
 * and decides the next move.
 */
import { decide } from '../core/decide.js';
import { functionNameOf } from '../core/function-ref.js';
import { type Counts, judgeErrorRate } from '../core/health.js';
import { asRolloutState, type RolloutState } from '../core/state.js';
import type { Clock, MetricQuery, MetricsReader } from '../ports.js';
import { awsPorts } from '../aws/index.js';
import { lambdaHandler } from './middleware.js';

const MINUTE = 60_000;

/** The four queries of a check: invocations and errors per version served through the alias. */
export function versionQueries(functionName: string, alias: string, versions: { target: string; baseline: string }): MetricQuery[] {
  const name = functionNameOf(functionName);
  return (['target', 'baseline'] as const).flatMap((role) =>
    (['Invocations', 'Errors'] as const).map((metricName) => ({
      id: `${role}${metricName}`,
      namespace: 'AWS/Lambda',
      metricName,
      dimensions: { FunctionName: name, Resource: `${name}:${alias}`, ExecutedVersion: versions[role] },
      stat: 'Sum',
      periodSeconds: 60,
    })),
  );
}

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, clock }: { metrics: MetricsReader; clock: Clock }) {
  return async function checkHealth(event: unknown): Promise<RolloutState> {
    const state = asRolloutState(event);
    const { rollout, cursor } = state;
    const now = clock.now();
    const shiftedAt = cursor.shiftedAt ?? now;
    const series = await metrics.getMetricData({
      queries: versionQueries(rollout.functionName, rollout.alias, { target: rollout.targetVersion, baseline: rollout.baselineVersion }),
      startTime: Math.floor(shiftedAt / MINUTE) * MINUTE,
      endTime: Math.ceil(now / MINUTE) * MINUTE,
    });
    const sum = (id: string) => series.filter((s) => s.id === id).flatMap((s) => s.values).reduce((a, b) => a + b, 0);
    const counts = (role: string): Counts => ({ invocations: sum(`${role}Invocations`), errors: sum(`${role}Errors`) });
    const verdict = judgeErrorRate(rollout.health, counts('target'), counts('baseline'));
    const last = state.history.at(-1);
    const history = last
      ? [
          ...state.history.slice(0, -1),
          { ...last, checks: last.checks + 1, checkedAt: now, verdict: verdict.verdict, reason: verdict.reason, target: verdict.target, baseline: verdict.baseline },
        ]
      : state.history;
    return { ...state, cursor: decide(rollout.plan, cursor, verdict, rollout.health), history };
  };
}

export const handler = lambdaHandler(makeCheckHealth(awsPorts()));
