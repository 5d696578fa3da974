/**
 * An in-memory CloudWatch for the rehearsal: per-minute metric aggregates, GetMetricData with
 * CloudWatch's statistics, period and StartTime rules, an ingestion delay, and metric alarms
 * evaluated the way CloudWatch documents (M out of N datapoints, treatment of missing data).
 *
 * `statistics` computes, `metric-store` stores and answers GetMetricData, `alarms` evaluates;
 * this module gives them one clock and the hook that lets the world generate traffic up to the
 * moment of every read.
 */
import type { MetricDataRequest, MetricSeries, MetricsReader } from '../../functions/ports.js';
import { type AlarmDescription, type AlarmHistoryItem, type MetricAlarmInput, MetricAlarms } from './alarms.js';
import { type MetricDatumInput, type MetricSink, MetricStore } from './metric-store.js';
import type { MetricAggregate } from './statistics.js';

export {
  type AlarmDescription,
  type AlarmHistoryItem,
  type AlarmOutcome,
  type AlarmState,
  type ComparisonOperator,
  evaluateAlarmDatapoints,
  type MetricAlarmInput,
  type TreatMissingData,
} from './alarms.js';
export type { MetricDatumInput, MetricSink } from './metric-store.js';
export { Histogram, MetricAggregate, type StatisticSet } from './statistics.js';

export interface SimCloudWatchOptions {
  /**
   * Seconds after a minute ends before its data is readable. Default 120: AWS services
   * publish their metrics with a delay of one to a few minutes.
   */
  readonly delaySeconds?: number;
  /** Epoch ms now. Default `Date.now`, read at every call so fake timers drive it. */
  readonly clock?: () => number;
  /** Called with `now` before any read is answered; the world advances traffic to `now` here. */
  readonly beforeRead?: (now: number) => void;
}

/**
 * CloudWatch, simulated. Stores one aggregate per metric, dimension set and minute; answers
 * GetMetricData and alarms from what is visible at the time asked.
 *
 * @example
 * const cw = new SimCloudWatch({ delaySeconds: 120 });
 * cw.putMetricData('Custom', [{ metricName: 'Latency', dimensions: { Api: 'a' }, value: 12 }]);
 */
export class SimCloudWatch implements MetricsReader, MetricSink {
  /** Called with `now` before any read is answered. Settable after construction. */
  beforeRead: ((now: number) => void) | undefined;
  private readonly clock: () => number;
  private readonly store: MetricStore;
  private readonly alarms: MetricAlarms;

  constructor(options: SimCloudWatchOptions = {}) {
    this.store = new MetricStore(options.delaySeconds ?? 120);
    this.alarms = new MetricAlarms(this.store);
    this.clock = options.clock ?? (() => Date.now());
    this.beforeRead = options.beforeRead;
  }

  /** Epoch ms from which the minute holding `timestamp` is readable. */
  visibleFrom(timestamp: number): number {
    return this.store.visibleFrom(timestamp);
  }

  /** {@inheritDoc MetricSink.putAggregate} */
  putAggregate(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    timestamp: number,
    aggregate: MetricAggregate,
  ): void {
    this.store.putAggregate(namespace, metricName, dimensions, timestamp, aggregate);
  }

  /** PutMetricData: custom metrics from any code, stored at one-minute resolution. */
  putMetricData(namespace: string, data: readonly MetricDatumInput[]): void {
    this.store.putMetricData(namespace, data, this.clock());
  }

  /** GetMetricData, answered from what is readable now (see {@link MetricStore.getMetricData}). */
  async getMetricData(request: MetricDataRequest): Promise<MetricSeries[]> {
    const now = this.clock();
    this.beforeRead?.(now);
    return this.store.getMetricData(request, now);
  }

  /**
   * PutMetricAlarm. A new alarm starts in INSUFFICIENT_DATA and is evaluated at every whole
   * minute after; updating an existing alarm replaces its definition and keeps its state.
   */
  putMetricAlarm(input: MetricAlarmInput): void {
    this.alarms.put(input, this.clock());
  }

  /** DeleteAlarms. Unknown names are ignored. */
  deleteAlarms(names: readonly string[]): void {
    this.alarms.delete(names);
  }

  /**
   * DescribeAlarms by name, evaluated up to `now` (default the clock). Unknown names are
   * simply absent from the answer.
   */
  describeAlarms(names: readonly string[], now: number = this.clock()): AlarmDescription[] {
    this.beforeRead?.(now);
    return this.alarms.describe(names, now);
  }

  /** An alarm's state changes so far (evaluated up to `now`), oldest first. */
  alarmHistory(name: string, now: number = this.clock()): AlarmHistoryItem[] {
    // An unknown name reads nothing, so the world need not generate traffic for it.
    if (!this.alarms.has(name)) return [];
    this.beforeRead?.(now);
    return this.alarms.history(name, now);
  }
}
