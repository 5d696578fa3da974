/**
 * The capabilities the rollout tasks need from the outside world. Each has an AWS adapter in
 * `functions/aws/` and an in-memory twin in `sim/`, so the same handlers run on Lambda, in the
 * rehearsal and in tests.
 */
import type { AliasState, AliasUpdate, VersionConfig } from './core/lambda-model.js';
import type { Notification } from './core/notification.js';

/** Lambda's alias control plane. Errors are the classes in `core/errors.ts`. */
export interface LambdaControl {
  /** GetFunctionConfiguration for one version. Throws NotFoundError when function or version is missing. */
  getVersion(functionName: string, version: string): Promise<VersionConfig>;
  /** GetAlias. Throws NotFoundError when the function or alias is missing. */
  getAlias(functionName: string, alias: string): Promise<AliasState>;
  /**
   * UpdateAlias with the RevisionId last seen. Throws DriftError when the alias changed since,
   * UpdateInProgressError while Lambda is busy with the function, Throttled/Transient errors.
   */
  updateAlias(update: AliasUpdate): Promise<AliasState>;
}

/** One CloudWatch metric query: a metric, its dimensions, a statistic and a period. */
export interface MetricQuery {
  /** Unique within a request; lower-case first letter, as CloudWatch requires. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Sum, SampleCount, Average, Minimum, Maximum or a percentile such as p99. */
  readonly stat: string;
  readonly periodSeconds: number;
}

export interface MetricDataRequest {
  readonly queries: readonly MetricQuery[];
  /** Epoch milliseconds, inclusive. */
  readonly startTime: number;
  /** Epoch milliseconds, exclusive. */
  readonly endTime: number;
}

/** A query's datapoints in ascending time order; periods with no data are absent. */
export interface MetricSeries {
  readonly id: string;
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
}

/** CloudWatch GetMetricData, reduced to what the health checks need. */
export interface MetricsReader {
  getMetricData(request: MetricDataRequest): Promise<MetricSeries[]>;
}

/** Publishes rollout notifications (SNS on AWS). */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/** Wall-clock time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
