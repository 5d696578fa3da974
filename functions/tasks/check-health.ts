/**
 * CheckHealth: gathers the evidence since the target first got traffic — AWS/Lambda metrics
 * per version behind the alias (complete minutes only), latency percentiles, alarms, custom
 * metrics, probes — and hands it to core's `assessCheck`, which judges it and decides. The
 * queries are core's data (`core/evidence.ts`); this task only sends them and the probes. The
 * check's whole detail goes to the rollout registry; the state keeps a short record, with the
 * loop counted towards the execution's history (`core/continuation.ts`).
 */
import { assessCheck, type CheckDetail, evidenceWindow } from '../core/check.js';
import { afterCheck } from '../core/continuation.js';
import { evidenceQueries, metricEvidence } from '../core/evidence.js';
import type { ProbeEvidence } from '../core/health.js';
import { judgeProbeAnswer, probesDue, tallyProbes } from '../core/probes.js';
import { asRolloutState, factsOf, type RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, Invoker, MetricsReader, RolloutRegistry } from '../ports.js';
import { logger } from '../logger.js';

export interface CheckHealthPorts {
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly registry: Pick<RolloutRegistry, 'recordCheck'>;
  readonly clock: Clock;
}

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, alarms, invoker, registry, clock }: CheckHealthPorts) {
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
    const assessed = assessCheck(
      state,
      {
        ...metricEvidence(asked, series),
        alarms: names.length > 0 ? await alarms.describeAlarms(names) : [],
        probes: await sendProbes(state),
      },
      now,
    );
    if (assessed.check) await recordCheck(assessed.state, assessed.check, now);
    return { ...assessed.state, cursor: afterCheck(state.cursor, assessed.state.cursor) };
  };

  /**
   * Keeps the check's detail on the rollout's record. Best effort: the detail is for people, the
   * verdict and the next move are in the state, so a registry that cannot take it never stops a
   * rollout.
   */
  async function recordCheck(state: RolloutState, check: CheckDetail, now: number): Promise<void> {
    try {
      await registry.recordCheck({ ...factsOf(state), check, at: new Date(now).toISOString() });
    } catch (error) {
      logger.warn("could not record the check's detail in the registry", { rolloutId: state.rollout.id, error: error as Error });
    }
  }
}
