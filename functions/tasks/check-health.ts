/**
 * CheckHealth: gathers the evidence since the target first got traffic — AWS/Lambda metrics
 * per version behind the alias (complete minutes only), latency percentiles, alarms, custom
 * metrics, probes — and hands it to core's `assessCheck`, which judges it and decides. The
 * queries are core's data (`core/evidence.ts`); this task only sends them and the probes. Each
 * check reports the target's weight in the service's metrics, so a dashboard shows every running
 * rollout and where it stands.
 */
import { assessCheck, evidenceWindow } from '../core/check.js';
import { evidenceQueries, metricEvidence } from '../core/evidence.js';
import type { ProbeEvidence } from '../core/health.js';
import { judgeProbeAnswer, probesDue, tallyProbes } from '../core/probes.js';
import { weightMetrics } from '../core/service-metrics.js';
import { asRolloutState, type RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, Invoker, MetricsReader, ServiceMetrics } from '../ports.js';

export interface CheckHealthPorts {
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly clock: Clock;
  readonly serviceMetrics?: ServiceMetrics | undefined;
}

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, alarms, invoker, clock, serviceMetrics }: CheckHealthPorts) {
  /** Invokes the target version directly, one probe after another, when this step's probes are due. */
  async function sendProbes(state: RolloutState): Promise<ProbeEvidence | undefined> {
    const policy = probesDue(state);
    if (!policy) return undefined;
    const judged = [];
    for (let i = 0; i < policy.count; i++) {
      judged.push(judgeProbeAnswer(await invoker.invoke(state.rollout.functionName, state.rollout.targetVersion, policy.payload), policy.expect));
    }
    return tallyProbes(judged);
  }

  return async function checkHealth(event: unknown): Promise<RolloutState> {
    const state = asRolloutState(event);
    const { rollout } = state;
    const now = clock.now();
    const { start, end } = evidenceWindow(state, now);
    const asked = evidenceQueries(rollout, (end - start) / 1000);
    const series = end > start ? await metrics.getMetricData({ queries: asked.queries, startTime: start, endTime: end }) : [];
    const { names } = rollout.health.alarms;
    const checked = assessCheck(
      state,
      {
        ...metricEvidence(asked, series),
        alarms: names.length > 0 ? await alarms.describeAlarms(names) : [],
        probes: await sendProbes(state),
      },
      now,
    );
    serviceMetrics?.emit(weightMetrics(checked));
    return checked;
  };
}
