/**
 * Metric alarms of the simulated CloudWatch, evaluated the way CloudWatch documents: at every
 * whole minute, over the newest datapoints the metric store lets it read, M out of N, with the
 * alarm's treatment of missing data.
 */
import { RejectedError } from '../../functions/core/errors.js';
import { floorTo, MINUTE_MS, type MetricStore, periodMs } from './metric-store.js';
import { parsePercentile } from './statistics.js';

/** How an alarm compares a datapoint with its threshold. */
export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** What a missing datapoint counts as when an alarm has fewer real ones than it evaluates. */
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

/** An alarm's state, as DescribeAlarms reports it. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** PutMetricAlarm, for a single metric and a static threshold. */
export interface MetricAlarmInput {
  readonly alarmName: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
  /** A multiple of 60. */
  readonly periodSeconds: number;
  /** N: how many of the most recent datapoints are evaluated. */
  readonly evaluationPeriods: number;
  /** M: how many of them must breach for ALARM. Default: evaluationPeriods. */
  readonly datapointsToAlarm?: number;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** Default "missing", as in CloudWatch. */
  readonly treatMissingData?: TreatMissingData;
}

/** DescribeAlarms' answer for one alarm. */
export interface AlarmDescription {
  readonly alarmName: string;
  readonly stateValue: AlarmState;
  readonly stateReason: string;
  /** Epoch ms of the last state change (or creation). */
  readonly stateUpdatedTimestamp: number;
}

/** One state change, for reports. */
export interface AlarmHistoryItem {
  readonly timestamp: number;
  readonly oldState: AlarmState;
  readonly newState: AlarmState;
  readonly reason: string;
}

/**
 * Evaluation reads this many periods more than `evaluationPeriods` (CloudWatch's "evaluation
 * range"; its documented example retrieves 5 datapoints for 3 evaluation periods). With the
 * default delay the two newest minutes are still in flight, and these two absorb them.
 */
const EXTRA_EVALUATION_PERIODS = 2;

interface AlarmRecord {
  def: Required<MetricAlarmInput>;
  state: AlarmState;
  reason: string;
  updatedAt: number;
  nextEvaluationAt: number;
  readonly history: AlarmHistoryItem[];
}

/**
 * The alarms of one account: PutMetricAlarm, DeleteAlarms and DescribeAlarms over a metric
 * store. An alarm is evaluated lazily, minute by minute, up to the `now` it is asked about.
 *
 * @example
 * const alarms = new MetricAlarms(new MetricStore(120));
 * alarms.put({ alarmName: 'errors', namespace: 'Custom', metricName: 'Errors', dimensions: {}, stat: 'Sum',
 *   periodSeconds: 60, evaluationPeriods: 3, threshold: 5, comparisonOperator: 'GreaterThanThreshold' }, now);
 * alarms.describe(['errors'], now)[0]?.stateValue; // 'INSUFFICIENT_DATA'
 */
export class MetricAlarms {
  private readonly alarms = new Map<string, AlarmRecord>();

  constructor(private readonly store: MetricStore) {}

  /**
   * PutMetricAlarm at `now`. A new alarm starts in INSUFFICIENT_DATA and is evaluated at every
   * whole minute after; updating an existing alarm replaces its definition and keeps its state,
   * as CloudWatch does.
   */
  put(input: MetricAlarmInput, now: number): void {
    const def: Required<MetricAlarmInput> = {
      ...input,
      datapointsToAlarm: input.datapointsToAlarm ?? input.evaluationPeriods,
      treatMissingData: input.treatMissingData ?? 'missing',
    };
    periodMs(def.periodSeconds);
    parsePercentile(def.stat);
    if (!Number.isInteger(def.evaluationPeriods) || def.evaluationPeriods < 1) {
      throw new RejectedError(`evaluationPeriods must be a whole number >= 1, got ${def.evaluationPeriods}`);
    }
    if (!Number.isInteger(def.datapointsToAlarm) || def.datapointsToAlarm < 1 || def.datapointsToAlarm > def.evaluationPeriods) {
      throw new RejectedError(`datapointsToAlarm must be from 1 to evaluationPeriods, got ${def.datapointsToAlarm}`);
    }
    const existing = this.alarms.get(def.alarmName);
    if (existing) {
      existing.def = def;
      return;
    }
    this.alarms.set(def.alarmName, {
      def,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      updatedAt: now,
      nextEvaluationAt: floorTo(now, MINUTE_MS) + MINUTE_MS,
      history: [],
    });
  }

  /** DeleteAlarms. Unknown names are ignored. */
  delete(names: readonly string[]): void {
    for (const name of names) this.alarms.delete(name);
  }

  /** Whether an alarm of that name exists. */
  has(name: string): boolean {
    return this.alarms.has(name);
  }

  /** DescribeAlarms by name, evaluated up to `now`. Unknown names are simply absent from the answer. */
  describe(names: readonly string[], now: number): AlarmDescription[] {
    const out: AlarmDescription[] = [];
    for (const name of new Set(names)) {
      const alarm = this.alarms.get(name);
      if (!alarm) continue;
      this.evaluateUntil(alarm, now);
      out.push({ alarmName: name, stateValue: alarm.state, stateReason: alarm.reason, stateUpdatedTimestamp: alarm.updatedAt });
    }
    return out;
  }

  /** An alarm's state changes so far (evaluated up to `now`), oldest first; none for an unknown name. */
  history(name: string, now: number): AlarmHistoryItem[] {
    const alarm = this.alarms.get(name);
    if (!alarm) return [];
    this.evaluateUntil(alarm, now);
    return [...alarm.history];
  }

  private evaluateUntil(alarm: AlarmRecord, now: number): void {
    for (; alarm.nextEvaluationAt <= now; alarm.nextEvaluationAt += MINUTE_MS) {
      this.evaluate(alarm, alarm.nextEvaluationAt);
    }
  }

  private evaluate(alarm: AlarmRecord, at: number): void {
    const d = alarm.def;
    const step = d.periodSeconds * 1000;
    const end = floorTo(at, step);
    const range = d.evaluationPeriods + EXTRA_EVALUATION_PERIODS;
    const points: AlarmDatapoint[] = [];
    for (let i = range; i >= 1; i--) {
      const t = end - i * step;
      const value = this.store.aggregate(d.namespace, d.metricName, d.dimensions, t, t + step, at)?.statistic(d.stat);
      points.push(value === undefined ? { timestamp: t } : { timestamp: t, value, breaching: breaches(value, d) });
    }
    const outcome = evaluateAlarmDatapoints(
      points.map((p) => p.breaching),
      d.datapointsToAlarm,
      d.evaluationPeriods,
      d.treatMissingData,
    );
    if (outcome.state === undefined || outcome.state === alarm.state) return;
    const reason = describeOutcome(outcome, points, d);
    alarm.history.push({ timestamp: at, oldState: alarm.state, newState: outcome.state, reason });
    alarm.state = outcome.state;
    alarm.reason = reason;
    alarm.updatedAt = at;
  }
}

interface AlarmDatapoint {
  readonly timestamp: number;
  readonly value?: number;
  readonly breaching?: boolean;
}

/** What one evaluation concluded; `state` undefined means "keep the current state". */
export interface AlarmOutcome {
  readonly state: AlarmState | undefined;
  /** How many datapoints the decision used, real and filled in. */
  readonly evaluated: number;
  /** How many of those breached. */
  readonly breaching: number;
  /** How many missing datapoints were filled in by the missing-data treatment. */
  readonly filled: number;
}

/**
 * One alarm evaluation over the evaluation range, oldest first: true breaching, false not,
 * undefined missing. Follows "How alarm state is evaluated when data is missing" in the
 * CloudWatch user guide, and reproduces every row of its two example tables:
 *
 * - at least N real datapoints: the newest N decide, the treatment is not used;
 * - none: `missing` gives INSUFFICIENT_DATA, `ignore` keeps the state, `breaching` ALARM,
 *   `notBreaching` OK;
 * - some: the missing ones are filled in up to N. `breaching` and `notBreaching` count them
 *   as such. `missing` and `ignore` do not count them: ALARM with M real breaches, OK once a
 *   real datapoint does not breach, otherwise undecided (INSUFFICIENT_DATA for `missing`,
 *   unchanged for `ignore`), except that `missing` keeps judging a metric that stopped
 *   reporting (none of the newest N present) by the datapoints it last had.
 */
export function evaluateAlarmDatapoints(
  range: readonly (boolean | undefined)[],
  datapointsToAlarm: number,
  evaluationPeriods: number,
  treatMissingData: TreatMissingData,
): AlarmOutcome {
  const m = datapointsToAlarm;
  const n = evaluationPeriods;
  const real = range.filter((p): p is boolean => p !== undefined);
  if (real.length >= n) {
    const newest = real.slice(real.length - n);
    const b = newest.filter(Boolean).length;
    return { state: b >= m ? 'ALARM' : 'OK', evaluated: n, breaching: b, filled: 0 };
  }
  const b = real.filter(Boolean).length;
  const filled = n - real.length;
  const outcome = (state: AlarmState | undefined, breaching = b): AlarmOutcome => ({
    state,
    evaluated: n,
    breaching,
    filled,
  });
  switch (treatMissingData) {
    case 'breaching':
      return outcome(b + filled >= m ? 'ALARM' : 'OK', b + filled);
    case 'notBreaching':
      return outcome(b >= m ? 'ALARM' : 'OK');
    case 'missing':
    case 'ignore': {
      if (real.length === 0) return outcome(treatMissingData === 'missing' ? 'INSUFFICIENT_DATA' : undefined);
      if (b >= m) return outcome('ALARM');
      if (b < real.length) return outcome('OK');
      if (treatMissingData === 'ignore') return outcome(undefined);
      const stoppedReporting = range.slice(range.length - n).every((p) => p === undefined);
      return outcome(stoppedReporting ? 'ALARM' : 'INSUFFICIENT_DATA');
    }
  }
}

function breaches(value: number, d: Required<MetricAlarmInput>): boolean {
  switch (d.comparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= d.threshold;
    case 'GreaterThanThreshold':
      return value > d.threshold;
    case 'LessThanThreshold':
      return value < d.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= d.threshold;
  }
}

const OPERATOR_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

// Worded like CloudWatch's own reasons, so a report reads the same as the console.
function describeOutcome(outcome: AlarmOutcome, points: readonly AlarmDatapoint[], d: Required<MetricAlarmInput>): string {
  const real = points.filter((p) => p.value !== undefined);
  if (outcome.state === 'INSUFFICIENT_DATA') {
    return `Insufficient Data: ${points.length - real.length} datapoints were unknown.`;
  }
  const shown = real
    .slice(-d.evaluationPeriods)
    .reverse()
    .map((p) => `${+p.value!.toPrecision(6)} (${new Date(p.timestamp).toISOString()})`)
    .join(', ');
  const filled = outcome.filled > 0 ? ` and ${outcome.filled} missing datapoints treated as ${d.treatMissingData}` : '';
  const verb = outcome.state === 'ALARM' ? 'Threshold Crossed' : 'Threshold not crossed';
  return (
    `${verb}: ${outcome.breaching} out of the last ${outcome.evaluated} datapoints [${shown}]${filled} ` +
    `were ${OPERATOR_WORDS[d.comparisonOperator]} the threshold (${d.threshold}) ` +
    `(minimum ${d.datapointsToAlarm} datapoints for OK -> ALARM transition).`
  );
}
