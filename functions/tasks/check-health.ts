/**
 * CheckHealth: gathers the evidence since the target first got traffic — AWS/Lambda metrics
 * per version behind the alias (complete minutes only), latency percentiles, alarms, custom
 * metrics, probes — and hands it to core's `assessCheck`, which judges it and decides. The
 * queries are core's data (`core/evidence.ts`); this task only sends them and the probes.
 *
 * A read that fails transiently is thrown, for the workflow's Retry. When the retries are spent
 * the workflow runs the same check again as `{ unreadable, state }` (CheckReadableEvidence): each
 * source is read once more, and one that still fails transiently is judged unreadable
 * (inconclusive: the step holds) while every source that could be read is judged as usual. A probe
 * whose Invoke fails transiently is not a failed probe: it is not counted, and when no probe
 * answers, the probes are due again at the next check.
 */
import { assessCheck, evidenceWindow, type Unreadable } from '../core/check.js';
import { causeMessage, oneLine, TRANSIENT_ERRORS } from '../core/errors.js';
import { evidenceQueries, metricEvidence } from '../core/evidence.js';
import type { ProbeEvidence } from '../core/health.js';
import { judgeProbeAnswer, probesDue, tallyProbes } from '../core/probes.js';
import { asRolloutState, type CaughtError, type RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, Invoker, MetricsReader } from '../ports.js';
import { logger } from '../logger.js';

export interface CheckHealthPorts {
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly clock: Clock;
}

/** The second try, after the workflow's retries failed: the caught error, and the state as the check received it. */
export interface UnreadableEvent {
  readonly unreadable: CaughtError;
  readonly state: unknown;
}

const isTransient = (error: unknown) => error instanceof Error && TRANSIENT_ERRORS.includes(error.name);
const why = (error: unknown) => oneLine(`${(error as Error).name}: ${(error as Error).message}`);

/** CheckHealth over its ports. */
export function makeCheckHealth({ metrics, alarms, invoker, clock }: CheckHealthPorts) {
  /**
   * Invokes the target version directly, one probe after another, when this step's probes are due.
   * Probes whose Invoke failed transiently are left out; when none answered, there is no probe
   * evidence, and why.
   */
  async function sendProbes(state: RolloutState): Promise<{ evidence?: ProbeEvidence; unanswered?: string }> {
    const policy = probesDue(state);
    if (!policy) return {};
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
    if (judged.length === 0) return { unanswered: `${policy.count} probes, every Invoke failed (${why(failure)})` };
    return { evidence: tallyProbes(judged) };
  }

  async function check(state: RolloutState, lenient: boolean): Promise<RolloutState> {
    const { rollout } = state;
    const now = clock.now();
    const unreadable: { -readonly [K in keyof Unreadable]: Unreadable[K] } = {};
    // Strict: a failure is thrown for the workflow's Retry. Lenient: a transient one makes the source unreadable.
    async function read<T>(source: 'metrics' | 'alarms', call: () => Promise<T>, none: T): Promise<T> {
      try {
        return await call();
      } catch (error) {
        if (!lenient || !isTransient(error)) throw error;
        unreadable[source] = why(error);
        return none;
      }
    }
    const { start, end } = evidenceWindow(state, now);
    const asked = evidenceQueries(rollout, (end - start) / 1000);
    const series = end > start ? await read('metrics', () => metrics.getMetricData({ queries: asked.queries, startTime: start, endTime: end }), []) : [];
    const { names } = rollout.health.alarms;
    const alarmStates = names.length > 0 ? await read('alarms', () => alarms.describeAlarms(names), []) : [];
    const probes = await sendProbes(state);
    if (probes.unanswered) unreadable.probes = probes.unanswered;
    return assessCheck(state, { ...metricEvidence(asked, series), alarms: alarmStates, probes: probes.evidence, unreadable }, now);
  }

  return async function checkHealth(event: unknown): Promise<RolloutState> {
    if (typeof event === 'object' && event !== null && 'unreadable' in event) {
      const { unreadable: caught, state } = event as UnreadableEvent;
      logger.warn('the evidence could not be read after the retries; judging what can be read', { error: caught.Error, cause: oneLine(causeMessage(caught.Cause)) });
      // The Catch put the error beside the state; the next state goes on without it.
      const { unreadable: _caught, ...received } = state as Record<string, unknown>;
      return check(asRolloutState(received), true);
    }
    return check(asRolloutState(event), false);
  };
}
