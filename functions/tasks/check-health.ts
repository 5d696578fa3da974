/**
 * CheckHealth: gathers the evidence a check has not judged yet — AWS/Lambda counts and slow
 * requests per version behind the alias for the fresh complete minutes, the baseline's reference
 * percentiles until the slow thresholds are fixed, alarms, custom metrics, probes — and hands it
 * to core's `assessCheck`, which folds it into the tally, judges and decides. The queries are
 * core's data (`core/evidence.ts`); this task only sends them and the probes.
 *
 * The same function verifies the target before any traffic moves (`{ action: "verify", state }`):
 * a round of probes, and a refusal when the target fails them. Each check reports the target's
 * weight in the service's metrics, so a dashboard shows every running rollout and where it stands.
 */
import { assessCheck, evidenceWindow } from '../core/check.js';
import { evidenceQueries, metricEvidence } from '../core/evidence.js';
import type { ProbeEvidence, ProbePolicy } from '../core/health.js';
import { judgeProbeAnswer, probesDue, tallyProbes, verifiedState } from '../core/probes.js';
import { weightMetrics } from '../core/service-metrics.js';
import { asRolloutState, type CaughtError, type RolloutState } from '../core/state.js';
import { EMPTY_TALLY } from '../core/tally.js';
import type { AlarmReader, Clock, Invoker, MetricsReader, ServiceMetrics } from '../ports.js';

export interface CheckHealthPorts {
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly clock: Clock;
  readonly serviceMetrics?: ServiceMetrics | undefined;
}

/** The pre-traffic verification's event, as the workflow's VerifyTarget state sends it. */
export interface VerifyEvent {
  readonly action: 'verify';
  readonly state: unknown;
}

function isVerify(event: unknown): event is VerifyEvent {
  return (event as Partial<VerifyEvent> | null)?.action === 'verify';
}

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, alarms, invoker, clock, serviceMetrics }: CheckHealthPorts) {
  /** Invokes the target version directly, one probe after another. */
  async function sendProbes(state: RolloutState, policy: ProbePolicy): Promise<ProbeEvidence> {
    const judged = [];
    for (let i = 0; i < policy.count; i++) {
      judged.push(judgeProbeAnswer(await invoker.invoke(state.rollout.functionName, state.rollout.targetVersion, policy.payload), policy.expect));
    }
    return tallyProbes(judged);
  }

  /** Before any traffic moves: the probes, when the policy has them. */
  async function verify(state: RolloutState): Promise<RolloutState & { readonly refusal?: CaughtError }> {
    const policy = state.rollout.health.probes;
    return policy ? verifiedState(state, await sendProbes(state, policy)) : state;
  }

  async function check(state: RolloutState): Promise<RolloutState> {
    const { rollout } = state;
    const now = clock.now();
    const asked = evidenceQueries(rollout, state.tally ?? EMPTY_TALLY, evidenceWindow(state, now));
    const series = [];
    for (const request of asked.requests) series.push(...(await metrics.getMetricData(request)));
    const { names } = rollout.health.alarms;
    const due = probesDue(state, now);
    const checked = assessCheck(
      state,
      {
        ...metricEvidence(asked, series),
        alarms: names.length > 0 ? await alarms.describeAlarms(names) : [],
        probes: due ? await sendProbes(state, due) : undefined,
      },
      now,
    );
    serviceMetrics?.emit(weightMetrics(checked));
    return checked;
  }

  return async function checkHealth(event: unknown): Promise<RolloutState> {
    return isVerify(event) ? verify(asRolloutState(event.state)) : check(asRolloutState(event));
  };
}
