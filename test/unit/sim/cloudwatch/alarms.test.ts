import { describe, expect, it } from 'vitest';
import { RejectedError } from '../../../../functions/core/errors.js';
import { evaluateAlarmDatapoints, SimCloudWatch, type MetricAlarmInput, type TreatMissingData } from '../../../../sim/cloudwatch/index.js';
import { Random } from '../../../../sim/random.js';
import { TrafficModel } from '../../../../sim/traffic.js';
import { clocked, DIMS, MIN, START } from '../../support/sim-cloudwatch.js';

describe('evaluateAlarmDatapoints: the CloudWatch user guide’s tables', () => {
  // "How alarm state is evaluated when data is missing": 0 not breaching, X breaching, - missing,
  // oldest first, 5 datapoints retrieved. `undefined` = keep the current state.
  const parse = (row: string) => row.split(' ').map((c) => (c === '-' ? undefined : c === 'X'));
  const treatments: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
  const I = 'INSUFFICIENT_DATA';
  const R = undefined;

  it.each([
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', [I, R, 'ALARM', 'OK']],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - - - X', [I, R, 'ALARM', 'OK']],
    ['X - - - -', ['ALARM', R, 'ALARM', 'OK']],
  ])('3 out of 3: %s', (row, expected) => {
    treatments.forEach((treat, i) => expect(evaluateAlarmDatapoints(parse(row), 3, 3, treat).state, treat).toBe(expected[i]));
  });

  it.each([
    ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - X', [I, R, 'ALARM', 'OK']],
  ])('2 out of 3: %s', (row, expected) => {
    treatments.forEach((treat, i) => expect(evaluateAlarmDatapoints(parse(row), 2, 3, treat).state, treat).toBe(expected[i]));
  });

  it('evaluates the newest N real datapoints when there are enough, whatever the treatment', () => {
    for (const treat of treatments) {
      expect(evaluateAlarmDatapoints(parse('X X 0 0 0'), 2, 3, treat).state).toBe('OK');
      expect(evaluateAlarmDatapoints(parse('0 0 X - X'), 2, 3, treat)).toEqual({ state: 'ALARM', evaluated: 3, breaching: 2, filled: 0 });
    }
  });
});

describe('SimCloudWatch: alarms', () => {
  const alarm = (overrides: Partial<MetricAlarmInput> = {}): MetricAlarmInput => ({
    alarmName: 'orders-errors',
    namespace: 'Custom',
    metricName: 'Errors',
    dimensions: DIMS,
    stat: 'Sum',
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    threshold: 5,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    treatMissingData: 'missing',
    ...overrides,
  });
  const put = (cw: SimCloudWatch, minute: number, value: number) =>
    cw.putMetricData('Custom', [{ metricName: 'Errors', dimensions: DIMS, timestamp: START + minute * MIN, value }]);
  const state = (cw: SimCloudWatch, at: number, name = 'orders-errors') => cw.describeAlarms([name], at)[0]!;

  it('starts in INSUFFICIENT_DATA, goes OK on healthy data and ALARM after M of N breaching datapoints', () => {
    const { cloudwatch, setNow } = clocked(120);
    setNow(START + 10_000);
    cloudwatch.putMetricAlarm(alarm());
    expect(cloudwatch.describeAlarms(['orders-errors'], START + 10_000)).toEqual([
      { alarmName: 'orders-errors', stateValue: 'INSUFFICIENT_DATA', stateReason: 'Unchecked: Initial alarm creation', stateUpdatedTimestamp: START + 10_000 },
    ]);
    for (let m = 0; m < 20; m++) put(cloudwatch, m, m >= 10 ? 9 : 1);
    // Minute 0 is readable at 12:03; the alarm evaluates on whole minutes.
    expect(state(cloudwatch, START + 3 * MIN - 1).stateValue).toBe('INSUFFICIENT_DATA');
    const ok = state(cloudwatch, START + 3 * MIN);
    expect(ok.stateValue).toBe('OK');
    expect(ok.stateUpdatedTimestamp).toBe(START + 3 * MIN);
    // Minutes 10, 11, 12 breach; minute 12 is readable at 12:15.
    expect(state(cloudwatch, START + 15 * MIN - 1).stateValue).toBe('OK');
    const alarmed = state(cloudwatch, START + 15 * MIN);
    expect(alarmed.stateValue).toBe('ALARM');
    expect(alarmed.stateUpdatedTimestamp).toBe(START + 15 * MIN);
    expect(alarmed.stateReason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints \[9 .*greater than or equal to the threshold \(5\)/);
    expect(cloudwatch.alarmHistory('orders-errors', START + 15 * MIN).map((h) => h.newState)).toEqual(['OK', 'ALARM']);
  });

  it('2 out of 3 alarms on non-consecutive breaches', () => {
    const { cloudwatch } = clocked(0);
    cloudwatch.putMetricAlarm(alarm({ datapointsToAlarm: 2 }));
    [1, 9, 1, 9].forEach((v, m) => put(cloudwatch, m, v));
    expect(state(cloudwatch, START + 3 * MIN).stateValue).toBe('OK'); // 1 9 1: one breach
    expect(state(cloudwatch, START + 4 * MIN).stateValue).toBe('ALARM'); // 9 1 9: two
  });

  it('with no data at all: missing stays INSUFFICIENT_DATA, breaching alarms, notBreaching is OK, ignore keeps its state', () => {
    const { cloudwatch } = clocked(120);
    const modes: TreatMissingData[] = ['missing', 'breaching', 'notBreaching', 'ignore'];
    for (const mode of modes) cloudwatch.putMetricAlarm(alarm({ alarmName: mode, treatMissingData: mode }));
    const states = cloudwatch.describeAlarms(modes, START + 10 * MIN).map((a) => a.stateValue);
    expect(states).toEqual(['INSUFFICIENT_DATA', 'ALARM', 'OK', 'INSUFFICIENT_DATA']);
  });

  it('when the metric stops: ignore keeps ALARM, notBreaching returns to OK, missing ends in INSUFFICIENT_DATA', () => {
    const { cloudwatch } = clocked(0);
    const modes: TreatMissingData[] = ['missing', 'breaching', 'notBreaching', 'ignore'];
    for (const mode of modes) cloudwatch.putMetricAlarm(alarm({ alarmName: mode, treatMissingData: mode }));
    for (let m = 0; m < 5; m++) put(cloudwatch, m, 9);
    expect(cloudwatch.describeAlarms(modes, START + 5 * MIN).map((a) => a.stateValue)).toEqual(['ALARM', 'ALARM', 'ALARM', 'ALARM']);
    // Data stops after minute 4. At 12:08 the range (minutes 3..7) holds two breaches.
    expect(cloudwatch.describeAlarms(modes, START + 8 * MIN).map((a) => a.stateValue)).toEqual(['ALARM', 'ALARM', 'OK', 'ALARM']);
    expect(cloudwatch.describeAlarms(modes, START + 30 * MIN).map((a) => a.stateValue)).toEqual(['INSUFFICIENT_DATA', 'ALARM', 'OK', 'ALARM']);
  });

  it('reads the delay-shifted range, so in-flight minutes do not count as missing', () => {
    const { cloudwatch } = clocked(120);
    cloudwatch.putMetricAlarm(alarm({ treatMissingData: 'breaching' }));
    for (let m = 0; m < 60; m++) put(cloudwatch, m, 1);
    const history = cloudwatch.alarmHistory('orders-errors', START + 60 * MIN);
    // Breaching while nothing is readable; OK from 12:03, when minute 0 is: one real
    // non-breaching datapoint beats two filled-in breaching ones for 3 out of 3. Then the two
    // newest minutes are always in flight, and never flip it back.
    expect(history.map((h) => [h.newState, h.timestamp])).toEqual([
      ['ALARM', START + MIN],
      ['OK', START + 3 * MIN],
    ]);
  });

  it('works on the Lambda metrics the traffic model writes', () => {
    const { cloudwatch, setNow } = clocked(120);
    const versions = { '1': { errorRate: 0, p50Ms: 20, p99Ms: 80 }, '2': { errorRate: 1, p50Ms: 5, p99Ms: 10 } };
    const traffic = new TrafficModel({ functionName: 'orders', alias: 'live', rate: 50, versions, random: new Random(3), cloudwatch, startTime: START });
    let routing = { functionVersion: '1', routing: {} as Record<string, number> };
    cloudwatch.beforeRead = (now) => traffic.advanceTo(now, routing);
    cloudwatch.putMetricAlarm({
      alarmName: 'canary-errors',
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '2' },
      stat: 'Sum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    setNow(START + 5 * MIN);
    expect(state(cloudwatch, START + 5 * MIN, 'canary-errors').stateValue).toBe('OK');
    routing = { functionVersion: '1', routing: { '2': 10 } };
    // The canary starts failing in minute 5, which is readable from 12:08.
    expect(state(cloudwatch, START + 8 * MIN - 1, 'canary-errors').stateValue).toBe('OK');
    const fired = state(cloudwatch, START + 8 * MIN, 'canary-errors');
    expect(fired.stateValue).toBe('ALARM');
    expect(fired.stateUpdatedTimestamp).toBe(START + 8 * MIN);
  });

  it('ignores unknown names, answers each name once, and keeps state when an alarm is updated', () => {
    const { cloudwatch } = clocked(0);
    cloudwatch.putMetricAlarm(alarm());
    put(cloudwatch, 0, 9);
    put(cloudwatch, 1, 9);
    put(cloudwatch, 2, 9);
    expect(cloudwatch.describeAlarms(['nope', 'orders-errors', 'orders-errors'], START + 3 * MIN).map((a) => [a.alarmName, a.stateValue])).toEqual([
      ['orders-errors', 'ALARM'],
    ]);
    cloudwatch.putMetricAlarm(alarm({ threshold: 100 }));
    expect(state(cloudwatch, START + 3 * MIN).stateValue).toBe('ALARM');
    expect(state(cloudwatch, START + 4 * MIN).stateValue).toBe('OK');
    cloudwatch.deleteAlarms(['orders-errors']);
    expect(cloudwatch.describeAlarms(['orders-errors'])).toEqual([]);
  });

  it('refuses an impossible alarm', () => {
    const { cloudwatch } = clocked(0);
    expect(() => cloudwatch.putMetricAlarm(alarm({ datapointsToAlarm: 4 }))).toThrow(RejectedError);
    expect(() => cloudwatch.putMetricAlarm(alarm({ evaluationPeriods: 0 }))).toThrow(RejectedError);
    expect(() => cloudwatch.putMetricAlarm(alarm({ periodSeconds: 30 }))).toThrow(RejectedError);
    expect(() => cloudwatch.putMetricAlarm(alarm({ stat: 'Median' }))).toThrow(RejectedError);
  });
});
