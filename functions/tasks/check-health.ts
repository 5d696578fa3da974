/**
 * CheckHealth: gathers the evidence a check has not judged yet — AWS/Lambda counts and slow
 * requests per version behind the alias for the fresh complete minutes, the baseline's reference
 * percentiles until the slow thresholds are fixed, alarms, custom metrics, probes — and hands it
 * to core's `assessCheck` (or, after promotion, `assessFinalCheck`), which folds it into the
 * tally, judges and decides, with what people asked for (the rollout's control record: gate
 * decisions, pause, promote) folded in. When the decision opens or leaves a gate, the control
 * record is told, so the API accepts approvals for exactly the gate the rollout waits at. The
 * queries are core's data (`core/evidence.ts`); this task only sends them and the probes. Each
 * check reports the target's weight in the service's metrics, so a dashboard shows every running
 * rollout and where it stands.
 * The check's whole detail (every signal with its reason) goes to the rollout registry; the state
 * keeps a short record, with the loop counted towards the execution's history
 * (`core/continuation.ts`).
 *
 * The same function verifies the target before any traffic moves (`{ action: "verify", state }`):
 * a round of probes, and a refusal when the target fails them.
 *
 * A read that fails transiently is thrown, for the workflow's Retry. When the retries are spent
 * the workflow runs the same check again as `{ unreadable, state }` (CheckReadableEvidence): each
 * source is read once more, and one that still fails transiently is judged unreadable
 * (inconclusive: the step holds) while every source that could be read is judged as usual. A probe
 * whose Invoke fails transiently is not a failed probe: it is not counted, and when no probe
 * answers, the probes are due again at the next check. The control record is not evidence: a
 * read of it that fails is thrown, even then (a pause or a rejection must never be missed).
 */
import { assessCheck, type CheckDetail, evidenceWindow, type Unreadable } from '../core/check.js';
import { afterCheck } from '../core/continuation.js';
import { emptyControl, type RolloutControl, withOpenGate } from '../core/control.js';
import { causeMessage, oneLine, TRANSIENT_ERRORS } from '../core/errors.js';
import { evidenceQueries, metricEvidence } from '../core/evidence.js';
import { assessFinalCheck, preRolloutBaseline, preRolloutQueries, preRolloutWindow } from '../core/final-bake.js';
import type { ProbeEvidence, ProbePolicy } from '../core/health.js';
import { judgeProbeAnswer, probesDue, tallyProbes, verifiedState } from '../core/probes.js';
import { weightMetrics } from '../core/service-metrics.js';
import { asRolloutState, type CaughtError, factsOf, type RolloutState } from '../core/state.js';
import { EMPTY_TALLY } from '../core/tally.js';
import { logger } from '../logger.js';
import type { AlarmReader, Clock, ControlStore, Invoker, MetricSeries, MetricsReader, RolloutRegistry, ServiceMetrics } from '../ports.js';

export interface CheckHealthPorts {
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly controls: ControlStore;
  /** Where each check's detail is kept (`RolloutRecord.lastCheck`); without one, the detail is not kept. */
  readonly registry?: Pick<RolloutRegistry, 'recordCheck'> | undefined;
  readonly clock: Clock;
  readonly serviceMetrics?: ServiceMetrics | undefined;
}

/** The pre-traffic verification's event, as the workflow's VerifyTarget state sends it. */
export interface VerifyEvent {
  readonly action: 'verify';
  readonly state: unknown;
}

/** The second try, after the workflow's retries failed: the caught error, and the state as the check received it. */
export interface UnreadableEvent {
  readonly unreadable: CaughtError;
  readonly state: unknown;
}

const isVerify = (event: unknown): event is VerifyEvent => (event as Partial<VerifyEvent> | null)?.action === 'verify';
const isUnreadable = (event: unknown): event is UnreadableEvent => typeof event === 'object' && event !== null && 'unreadable' in event;
const isTransient = (error: unknown) => error instanceof Error && TRANSIENT_ERRORS.includes(error.name);
const why = (error: unknown) => oneLine(`${(error as Error).name}: ${(error as Error).message}`);

/** A round of probes: what the answers say, or, when no Invoke answered, the last transient failure. */
type ProbeRound = { readonly evidence: ProbeEvidence } | { readonly evidence?: undefined; readonly failure: unknown };

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, alarms, invoker, controls, registry, clock, serviceMetrics }: CheckHealthPorts) {
  /** Invokes the target version directly, one probe after another; an Invoke that fails transiently is left out. */
  async function sendProbes(state: RolloutState, policy: ProbePolicy): Promise<ProbeRound> {
    const judged = [];
    let failure: unknown;
    for (let i = 0; i < policy.count; i++) {
      try {
        judged.push(judgeProbeAnswer(await invoker.invoke(state.rollout.functionName, state.rollout.targetVersion, policy.payload), policy.expect));
      } catch (error) {
        if (!isTransient(error)) throw error;
        failure = error;
      }
    }
    return judged.length > 0 ? { evidence: tallyProbes(judged) } : { failure };
  }

  /** Before any traffic moves: the probes, when the policy has them; none answering is retried by the workflow. */
  async function verify(state: RolloutState): Promise<RolloutState & { readonly refusal?: CaughtError }> {
    const policy = state.rollout.health.probes;
    if (!policy) return state;
    const round = await sendProbes(state, policy);
    if (!round.evidence) throw round.failure;
    return verifiedState(state, round.evidence);
  }

  /**
   * The state with the baseline's error rate before the rollout, which the final bake compares the
   * target with: Prepare reads it when the input asks for a final bake; a promotion a person asked
   * for with the remaining checks (`full: false`) needs it too, and reads it here, at the first
   * check after promotion (CloudWatch still has the hour before the rollout began).
   */
  async function withBaselineBefore(state: RolloutState): Promise<RolloutState> {
    const { rollout } = state;
    const window = preRolloutWindow(Date.parse(rollout.startedAt), rollout.health.metricDelaySeconds);
    const queries = preRolloutQueries(rollout.functionName, rollout.alias, rollout.baselineVersion);
    const baselineBefore = preRolloutBaseline(window, await metrics.getMetricData({ queries, startTime: window.start, endTime: window.end }));
    return { ...state, rollout: { ...rollout, baselineBefore } };
  }

  /** A check; `lenient` after the workflow's retries: a source that still fails transiently is judged unreadable. */
  async function check(received: RolloutState, lenient: boolean): Promise<RolloutState> {
    const now = clock.now();
    const unreadable: { -readonly [K in keyof Unreadable]: Unreadable[K] } = {};
    async function read<T>(source: 'metrics' | 'alarms', call: () => Promise<T>, none: T): Promise<T> {
      try {
        return await call();
      } catch (error) {
        if (!lenient || !isTransient(error)) throw error;
        unreadable[source] = why(error);
        return none;
      }
    }
    const missingBaseline = received.cursor.final === true && received.rollout.baselineBefore === undefined;
    const state = missingBaseline ? await read('metrics', () => withBaselineBefore(received), received) : received;
    const { rollout } = state;
    const asked = evidenceQueries(rollout, state.tally ?? EMPTY_TALLY, evidenceWindow(state, now));
    const series = await read(
      'metrics',
      async () => {
        const all: MetricSeries[] = [];
        for (const request of asked.requests) all.push(...(await metrics.getMetricData(request)));
        return all;
      },
      [],
    );
    const { names } = rollout.health.alarms;
    const alarmStates = names.length > 0 ? await read('alarms', () => alarms.describeAlarms(names), []) : [];
    // After promotion, real traffic, all of it on the target, is the evidence: no probes.
    const due = state.cursor.final ? undefined : probesDue(state, now);
    const round = due ? await sendProbes(state, due) : undefined;
    if (round && !round.evidence) unreadable.probes = `${due?.count} probes, every Invoke failed (${why(round.failure)})`;
    const evidence = { ...metricEvidence(asked, series), alarms: alarmStates, probes: round?.evidence, unreadable };
    const control = await controlOf(rollout.id, rollout.executionArn, now);
    const assessed = state.cursor.final ? assessFinalCheck(state, evidence, now, control) : assessCheck(state, evidence, now, control);
    if (assessed.check && registry) await recordCheck(registry, assessed.state, assessed.check, now);
    await tellOpenGate(assessed.state, control, now);
    const checked = { ...assessed.state, cursor: afterCheck(state.cursor, assessed.state.cursor, { unreadable: lenient }) };
    serviceMetrics?.emit(weightMetrics(checked));
    return checked;
  }

  /**
   * Keeps the check's detail on the rollout's record. Best effort: the detail is for people, the
   * verdict and the next move are in the state, so a registry that cannot take it never stops a
   * rollout.
   */
  async function recordCheck(registry: Pick<RolloutRegistry, 'recordCheck'>, state: RolloutState, check: CheckDetail, now: number): Promise<void> {
    try {
      await registry.recordCheck({ ...factsOf(state), check, at: new Date(now).toISOString() });
    } catch (error) {
      logger.warn("could not record the check's detail in the registry", { error: error as Error });
    }
  }

  async function controlOf(rolloutId: string, executionArn: string, now: number): Promise<RolloutControl> {
    return (await controls.get(rolloutId)) ?? emptyControl(rolloutId, executionArn, now);
  }

  /** Records the gate the rollout now waits at (or that it waits at none), reading again after a write that met a person's request. */
  async function tellOpenGate(next: RolloutState, read: RolloutControl, now: number): Promise<void> {
    const gate = next.cursor.next === 'await' ? next.cursor.gate : undefined;
    let control = read;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const told = withOpenGate(control, gate, now);
      if (!told || (await controls.put(told))) return;
      control = await controlOf(next.rollout.id, next.rollout.executionArn, now);
    }
    // Harmless: the next check writes it again.
    logger.warn('the control record kept changing while the open gate was written', { rolloutId: next.rollout.id });
  }

  return async function checkHealth(event: unknown): Promise<RolloutState> {
    if (isVerify(event)) return verify(asRolloutState(event.state));
    if (isUnreadable(event)) {
      const { unreadable: caught, state } = event;
      logger.warn('the evidence could not be read after the retries; judging what can be read', { error: caught.Error, cause: oneLine(causeMessage(caught.Cause)) });
      // The Catch put the error beside the state; the next state goes on without it.
      const { unreadable: _caught, ...received } = state as Record<string, unknown>;
      return check(asRolloutState(received), true);
    }
    return check(asRolloutState(event), false);
  };
}
