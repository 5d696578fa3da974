/**
 * The metrics lambda-rollout emits about itself: how rollouts start and end, how long a bad target
 * served before it was rolled back, how many requests it failed, and the weight of running
 * rollouts. Pure: each function turns facts a task already holds into metric points, and the
 * `ServiceMetrics` port sends them (CloudWatch embedded metric format on AWS). The names, units and
 * dimensions here are the contract the dashboard and the alarms in `infra/` read.
 *
 * Each fact is emitted where it is known, once per rollout:
 * - started, and every ending the workflow reaches (promoted, rolled back, drift, refused, failed):
 *   Notify, for the `started` event and for the ending it announces (NotifyEnding);
 * - endings the workflow never reaches (aborted, timed out, failed by an error no Catch catches):
 *   the guard, when it records the ending;
 * - RollbackFailed: the guard, as soon as it sees an execution that ended in RollbackFailed;
 * - the target's weight: ShiftWeight after each shift, CheckHealth after each check.
 */
import { ErrorName } from './errors.js';
import { functionNameOf } from './function-ref.js';
import type { GuardedStatus } from './guard.js';
import type { EndedStatus } from './registry.js';
import { positionOf, type RolloutState } from './state.js';

/** Where the metrics go and how they are dimensioned. */
export const SERVICE_METRICS = {
  namespace: 'LambdaRollout',
  /**
   * The `service` dimension every point carries. Each point is published twice: with `service` and
   * `FunctionName` (a series per function), and with `service` alone (the service-wide series the
   * alarms watch, since an alarm cannot SEARCH across functions).
   */
  service: 'lambda-rollout',
  serviceDimension: 'service',
  functionDimension: 'FunctionName',
} as const;

/** Metric names, by what they count or measure. */
export const METRIC = {
  /** Rollouts that took their alias's lock and began (Count). */
  started: 'RolloutsStarted',
  /** An execution ended in the workflow's RollbackFailed state: the alias may be left split (Count). */
  rollbackFailed: 'RollbackFailed',
  /** From the target's first traffic to the alias whole on the baseline, for rollbacks a health check decided (Seconds). */
  detectionSeconds: 'DetectionSeconds',
  /** Requests the target failed during the rollout, as its last health check counted them (Count). */
  failedTargetRequests: 'FailedTargetRequests',
  /** The share of the alias's traffic the target gets, at each shift and check (Percent). */
  targetWeightPercent: 'TargetWeightPercent',
} as const;

/** The metric each ending counts in (Count). */
export const ENDING_METRICS: Readonly<Record<EndedStatus, string>> = {
  promoted: 'RolloutsPromoted',
  rolled_back: 'RolloutsRolledBack',
  drift: 'RolloutsDrifted',
  refused: 'RolloutsRefused',
  aborted: 'RolloutsAborted',
  timed_out: 'RolloutsTimedOut',
  failed: 'RolloutsFailed',
};

export type MetricUnit = 'Count' | 'Seconds' | 'Percent';

export interface MetricPoint {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

/** Points about one function's rollouts. */
export interface MetricEmission {
  /** The bare function name (the `FunctionName` dimension); absent when an input named none. */
  readonly functionName?: string | undefined;
  readonly points: readonly MetricPoint[];
}

/**
 * Errors no Catch can catch (`States.ALL` matches neither): an execution that failed with one never
 * reached the workflow's ending path, so its ending was not counted there.
 */
export const UNCATCHABLE_ERRORS: readonly string[] = ['States.DataLimitExceeded', 'States.Runtime'];

const count = (name: string): MetricPoint => ({ name, unit: 'Count', value: 1 });
const dimension = (functionName: string | undefined) => (functionName ? { functionName: functionNameOf(functionName) } : {});

/**
 * A rollout that began.
 *
 * @example startedMetrics(state).points // [{ name: 'RolloutsStarted', unit: 'Count', value: 1 }]
 */
export function startedMetrics(state: RolloutState): MetricEmission {
  return { ...dimension(state.rollout.functionName), points: [count(METRIC.started)] };
}

/**
 * The target's weight as the rollout last wrote or saw the alias.
 *
 * @example weightMetrics(stateAt30Percent).points // [{ name: 'TargetWeightPercent', unit: 'Percent', value: 30 }]
 */
export function weightMetrics(state: RolloutState): MetricEmission {
  return { ...dimension(state.rollout.functionName), points: [{ name: METRIC.targetWeightPercent, unit: 'Percent', value: positionOf(state).weightPercent }] };
}

/**
 * Seconds from the target's first traffic to the alias whole on the baseline, when a health check
 * found the target unhealthy and the rollout rolled back; undefined otherwise (no verdict behind
 * the rollback, or the alias left as someone else set it). The judge reads every minute since the
 * first traffic, so that is where the evidence it found unhealthy begins.
 *
 * @example detectionSeconds({ ...rolledBack, history: [{ shiftedAt: T0, verdict: 'unhealthy', ... }], outcome: { at: iso(T0 + 240_000), ... } }) // 240
 */
export function detectionSeconds(state: RolloutState): number | undefined {
  const firstTraffic = state.history[0]?.shiftedAt;
  const judged = state.history.findLast((step) => step.verdict !== undefined);
  if (state.outcome?.status !== 'rolled_back' || judged?.verdict !== 'unhealthy' || firstTraffic === undefined) return undefined;
  const seconds = (Date.parse(state.outcome.at) - firstTraffic) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * Requests the target failed since its first traffic, as the last health check counted them;
 * undefined before any check.
 *
 * @example failedTargetRequests(runningState()) // 1 (the last checked step counted 1 error in 600 requests)
 */
export function failedTargetRequests(state: RolloutState): number | undefined {
  return state.history.findLast((step) => step.target !== undefined)?.target?.errors;
}

/**
 * How a rollout ended: one count in its ending's metric and, when its last state is known, the
 * detection time of a rollback and the requests the target failed.
 *
 * @example endingMetrics('rolled_back', 'orders', rolledBack).points.map((p) => p.name) // ['RolloutsRolledBack', 'DetectionSeconds', 'FailedTargetRequests']
 */
export function endingMetrics(status: EndedStatus, functionName: string | undefined, state?: RolloutState): MetricEmission {
  const detected = state ? detectionSeconds(state) : undefined;
  const failed = state ? failedTargetRequests(state) : undefined;
  return {
    ...dimension(functionName),
    points: [
      count(ENDING_METRICS[status]),
      ...(detected !== undefined ? [{ name: METRIC.detectionSeconds, unit: 'Seconds' as const, value: detected }] : []),
      ...(failed !== undefined ? [{ name: METRIC.failedTargetRequests, unit: 'Count' as const, value: failed }] : []),
    ],
  };
}

/**
 * Whether the guard counts the ending it records: only for executions that never reached the
 * workflow's ending path (aborted, timed out, or failed by an error no Catch catches). Every other
 * failed execution ended in one of the workflow's Fail states, after NotifyEnding counted it.
 *
 * @example guardCountsEnding('ABORTED', undefined) // true
 * @example guardCountsEnding('FAILED', 'RolloutRolledBack') // false
 */
export function guardCountsEnding(status: GuardedStatus, error: string | undefined): boolean {
  return status !== 'FAILED' || UNCATCHABLE_ERRORS.includes(error ?? '');
}

/**
 * The RollbackFailed count for an execution that failed with that error, else undefined.
 *
 * @example rollbackFailedMetrics('FAILED', 'RollbackFailed', 'orders')?.points // [{ name: 'RollbackFailed', unit: 'Count', value: 1 }]
 */
export function rollbackFailedMetrics(status: GuardedStatus, error: string | undefined, functionName: string | undefined): MetricEmission | undefined {
  if (status !== 'FAILED' || error !== ErrorName.RollbackFailed) return undefined;
  return { ...dimension(functionName), points: [count(METRIC.rollbackFailed)] };
}
