/**
 * CheckHealth: gathers the evidence since the target first got traffic — AWS/Lambda metrics
 * per version behind the alias (complete minutes only), latency percentiles, alarms, custom
 * metrics, probes — and what people asked for (the rollout's control record: gate decisions,
 * pause, promote), and hands them to core's `assessCheck` (or, after promotion, `assessFinalCheck`),
 * which judges and decides. When the decision opens or leaves a gate, the control record is told,
 * so the API accepts approvals for exactly the gate the rollout waits at. The queries are core's
 * data (`core/evidence.ts`); this task only sends them and the probes.
 */
import { assessCheck, evidenceWindow } from '../core/check.js';
import { emptyControl, withOpenGate } from '../core/control.js';
import { evidenceQueries, metricEvidence } from '../core/evidence.js';
import { assessFinalCheck } from '../core/final-bake.js';
import type { ProbeEvidence } from '../core/health.js';
import { judgeProbeAnswer, probesDue, tallyProbes } from '../core/probes.js';
import { asRolloutState, type RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, ControlStore, Invoker, MetricsReader } from '../ports.js';
import { logger } from '../logger.js';

export interface CheckHealthPorts {
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly controls: ControlStore;
  readonly clock: Clock;
}

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, alarms, invoker, controls, clock }: CheckHealthPorts) {
  /** Invokes the target version directly, one probe after another, when this step's probes are due. */
  async function sendProbes(state: RolloutState): Promise<ProbeEvidence | undefined> {
    const policy = probesDue(state);
    if (!policy || state.cursor.final) return undefined;
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
    const evidence = {
      ...metricEvidence(asked, series),
      alarms: names.length > 0 ? await alarms.describeAlarms(names) : [],
      probes: await sendProbes(state),
    };
    const control = await controlOf(rollout.id, rollout.executionArn, now);
    const next = state.cursor.final ? assessFinalCheck(state, evidence, now, control) : assessCheck(state, evidence, now, control);
    await tellOpenGate(next, now);
    return next;
  };

  async function controlOf(rolloutId: string, executionArn: string, now: number) {
    return (await controls.get(rolloutId)) ?? emptyControl(rolloutId, executionArn, now);
  }

  /** Records the gate the rollout now waits at (or that it waits at none), retrying a write that met a person's request. */
  async function tellOpenGate(next: RolloutState, now: number): Promise<void> {
    const gate = next.cursor.next === 'await' ? next.cursor.gate : undefined;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const told = withOpenGate(await controlOf(next.rollout.id, next.rollout.executionArn, now), gate, now);
      if (!told || (await controls.put(told))) return;
    }
    // Harmless: the next check writes it again.
    logger.warn('the control record kept changing while the open gate was written', { rolloutId: next.rollout.id });
  }
}
