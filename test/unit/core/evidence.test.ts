/** Evidence queries as data: what a check asks CloudWatch, and how the answer is read back by key. */
import { describe, expect, it } from 'vitest';
import { evidenceQueries, metricEvidence } from '../../../functions/core/evidence.js';
import { HealthPolicySchema } from '../../../functions/core/health.js';
import { EMPTY_TALLY, withLatencyThresholds } from '../../../functions/core/tally.js';
import type { Rollout } from '../../../functions/core/state.js';
import { runningState } from '../support/rollouts.js';

const T0 = Date.UTC(2026, 0, 5, 10);
const base = runningState().rollout;
const rollout = (health: unknown = {}): Rollout => ({ ...base, functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', health: HealthPolicySchema.parse(health) });
const custom = {
  metrics: [
    { name: 'checkout p95', namespace: 'Shop', metricName: 'CheckoutLatency', dimensions: { Version: '${version}', Service: '${functionName}:${alias}' }, stat: 'p95', compare: 'baseline' },
    { name: 'orders', namespace: 'Shop', metricName: 'Orders', stat: 'Sum', compare: 'threshold', threshold: 1, worseWhen: 'below' },
  ],
};
const behind = (version: string) => ({ FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: version });

const W = { start: T0, end: T0 + 180_000 };
const ids = (q: ReturnType<typeof evidenceQueries>) => q.requests.map((r) => r.queries.map((x) => x.id));

describe('evidenceQueries', () => {
  it('asks for the fresh minutes per minute, the baseline reference over the window, and custom metrics, each id valid and unique', () => {
    const asked = evidenceQueries(rollout(custom), EMPTY_TALLY, W);
    expect(ids(asked)).toEqual([
      ['targetInvocations', 'targetErrors', 'targetThrottles', 'baselineInvocations', 'baselineErrors', 'baselineThrottles'],
      ['referencep99', 'referencep90', 'referencesamples'],
      ['m0target', 'm0baseline', 'm1target'],
    ]);
    const all = asked.requests.flatMap((r) => r.queries);
    for (const q of all) expect(q.id).toMatch(/^[a-z][A-Za-z0-9_]*$/);
    expect(new Set(all.map((q) => q.id)).size).toBe(all.length);
    expect(asked.requests.map((r) => [r.startTime, r.endTime])).toEqual([[T0, T0 + 180_000], [T0, T0 + 180_000], [T0, T0 + 180_000]]);
    expect(all[1]).toEqual({ id: 'targetErrors', namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: behind('8'), stat: 'Sum', periodSeconds: 60 });
    expect(all[6]).toEqual({ id: 'referencep99', namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: behind('7'), stat: 'p99', periodSeconds: 180 });
    expect(all[10]).toEqual({ id: 'm0baseline', namespace: 'Shop', metricName: 'CheckoutLatency', dimensions: { Version: '7', Service: 'orders:live' }, stat: 'p95', periodSeconds: 180 });
  });

  it('reads only the minutes the tally has not judged, and once the thresholds are fixed, the slow requests per minute', () => {
    const judged = { ...withLatencyThresholds(EMPTY_TALLY, rollout().health, { p99: 200, p90: 100, samples: 2700 }, T0 + 120_000), through: T0 + 120_000 };
    const asked = evidenceQueries(rollout(), judged, W);
    expect(asked.fresh).toEqual({ from: T0 + 120_000, to: T0 + 180_000 });
    expect(asked.requests).toHaveLength(1);
    expect(asked.requests[0]).toMatchObject({ startTime: T0 + 120_000, endTime: T0 + 180_000 });
    const slow = asked.requests[0]!.queries.filter((q) => q.metricName === 'Duration');
    expect(slow.map((q) => `${q.id} ${q.stat}`)).toEqual(['targetDurationSamples SampleCount', 'targetSlowp99 PR(:300)', 'targetSlowp90 PR(:150)', 'baselineDurationSamples SampleCount', 'baselineSlowp99 PR(:300)', 'baselineSlowp90 PR(:150)']);
  });

  it('reads the reference over at most the last ten complete minutes', () => {
    const long = { start: T0, end: T0 + 3_600_000 };
    expect(evidenceQueries(rollout(), EMPTY_TALLY, long).reference).toEqual({ from: T0 + 3_000_000, to: T0 + 3_600_000 });
  });

  it('asks nothing before a complete minute, and leaves latency out when the policy does not judge it', () => {
    expect(evidenceQueries(rollout(custom), EMPTY_TALLY, { start: T0, end: T0 }).requests).toEqual([]);
    const { requests, keys } = evidenceQueries(rollout({ latency: { enabled: false } }), EMPTY_TALLY, W);
    expect(requests.flatMap((r) => r.queries).map((q) => q.metricName)).not.toContain('Duration');
    expect([...keys.values()].map((k) => k.kind)).toEqual(Array(6).fill('count'));
  });

  it('keys every query by what it measures', () => {
    const { keys } = evidenceQueries(rollout(custom), EMPTY_TALLY, W);
    expect(keys.get('baselineThrottles')).toEqual({ kind: 'count', role: 'baseline', metric: 'Throttles' });
    expect(keys.get('referencep90')).toEqual({ kind: 'reference', stat: 'p90' });
    expect(keys.get('m1target')).toEqual({ kind: 'custom', role: 'target', index: 1 });
  });
});

describe('metricEvidence', () => {
  const asked = evidenceQueries(rollout(custom), EMPTY_TALLY, W);
  const series = (id: string, points: [number, number][]) => ({ id, timestamps: points.map(([t]) => t), values: points.map(([, v]) => v) });

  it('sums counts per minute in time order, per version', () => {
    const { minutes } = metricEvidence(asked, [
      series('targetInvocations', [[T0 + 60_000, 100], [T0, 90]]),
      series('targetErrors', [[T0, 2]]),
      series('baselineInvocations', [[T0, 900]]),
      series('baselineThrottles', [[T0 + 60_000, 4]]),
    ]);
    expect(minutes).toEqual([
      { at: T0, target: { invocations: 90, errors: 2, throttles: 0 }, baseline: { invocations: 900, errors: 0, throttles: 0 } },
      { at: T0 + 60_000, target: { invocations: 100, errors: 0, throttles: 0 }, baseline: { invocations: 0, errors: 0, throttles: 4 } },
    ]);
  });

  it('turns percentile ranks into slow requests out of the samples', () => {
    const fixed = withLatencyThresholds(EMPTY_TALLY, rollout().health, { p99: 200, p90: 100, samples: 2700 }, T0);
    const slowAsked = evidenceQueries(rollout(), fixed, W);
    const { minutes } = metricEvidence(slowAsked, [
      series('targetDurationSamples', [[T0, 300]]),
      series('targetSlowp99', [[T0, 98]]),
      series('targetSlowp90', [[T0, 80]]),
      series('baselineDurationSamples', [[T0, 2700]]),
      series('baselineSlowp99', [[T0, 99.9]]),
      series('baselineSlowp90', [[T0, 90]]),
    ]);
    expect(minutes[0]?.slow).toEqual({ p99: { target: { events: 6, trials: 300 }, baseline: { events: 3, trials: 2700 } }, p90: { target: { events: 60, trials: 300 }, baseline: { events: 270, trials: 2700 } } });
  });

  it('reads the reference and custom metrics by key, undefined when CloudWatch had no value', () => {
    const evidence = metricEvidence(asked, [
      series('referencep99', [[T0, 200]]),
      series('referencesamples', [[T0, 8100]]),
      series('m0target', [[T0, 1.5]]),
      series('m1target', []),
      series('unasked', [[T0, 7]]),
    ]);
    expect(evidence.reference).toEqual({ p99: 200, samples: 8100 });
    expect(evidence.metrics).toEqual([{ target: 1.5, baseline: undefined }, { target: undefined, baseline: undefined }]);
    expect(evidence.minutes).toEqual([]);
  });

  it('has evidence for every custom metric even when nothing was asked (no complete minute yet)', () => {
    expect(metricEvidence(evidenceQueries(rollout(custom), EMPTY_TALLY, { start: T0, end: T0 }), [])).toEqual({
      minutes: [],
      reference: undefined,
      metrics: [{ target: undefined, baseline: undefined }, { target: undefined, baseline: undefined }],
    });
  });
});
