/** Evidence queries as data: what a check asks CloudWatch, and how the answer is read back by key. */
import { describe, expect, it } from 'vitest';
import { evidenceQueries, metricEvidence } from '../../../functions/core/evidence.js';
import { HealthPolicySchema } from '../../../functions/core/health.js';
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

describe('evidenceQueries', () => {
  it('asks for counts per minute, latency over the window and custom metrics, each id valid for CloudWatch and unique', () => {
    const { queries } = evidenceQueries(rollout(custom), 180);
    expect(queries.map((q) => q.id)).toEqual([
      'targetInvocations', 'targetErrors', 'targetThrottles', 'baselineInvocations', 'baselineErrors', 'baselineThrottles',
      'targetDurationp99', 'targetDurationp90', 'baselineDurationp99', 'baselineDurationp90',
      'm0target', 'm0baseline', 'm1target',
    ]);
    for (const q of queries) expect(q.id).toMatch(/^[a-z][A-Za-z0-9_]*$/);
    expect(new Set(queries.map((q) => q.id)).size).toBe(queries.length);
    expect(queries[1]).toEqual({ id: 'targetErrors', namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: behind('8'), stat: 'Sum', periodSeconds: 60 });
    expect(queries[8]).toEqual({ id: 'baselineDurationp99', namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: behind('7'), stat: 'p99', periodSeconds: 180 });
    expect(queries[11]).toEqual({ id: 'm0baseline', namespace: 'Shop', metricName: 'CheckoutLatency', dimensions: { Version: '7', Service: 'orders:live' }, stat: 'p95', periodSeconds: 180 });
  });

  it('leaves latency out when the policy does not judge it', () => {
    const { queries, keys } = evidenceQueries(rollout({ latency: { enabled: false } }), 180);
    expect(queries.map((q) => q.metricName)).not.toContain('Duration');
    expect([...keys.values()].map((k) => k.kind)).toEqual(Array(6).fill('count'));
  });

  it('keys every query by what it measures', () => {
    const { queries, keys } = evidenceQueries(rollout(custom), 180);
    expect(queries.map((q) => keys.get(q.id))).toContainEqual({ kind: 'count', role: 'baseline', metric: 'Throttles' });
    expect(keys.get('targetDurationp90')).toEqual({ kind: 'latency', role: 'target', stat: 'p90' });
    expect(keys.get('m1target')).toEqual({ kind: 'custom', role: 'target', index: 1 });
  });
});

describe('metricEvidence', () => {
  const asked = evidenceQueries(rollout(custom), 180);
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

  it('reads latency and custom metrics by key, undefined when CloudWatch had no value', () => {
    const evidence = metricEvidence(asked, [
      series('targetDurationp99', [[T0, 250]]),
      series('baselineDurationp99', [[T0, 200]]),
      series('m0target', [[T0, 1.5]]),
      series('m1target', []),
      series('unasked', [[T0, 7]]),
    ]);
    expect(evidence.latency).toEqual({ target: { p99: 250, p90: undefined }, baseline: { p99: 200, p90: undefined } });
    expect(evidence.metrics).toEqual([{ target: 1.5, baseline: undefined }, { target: undefined, baseline: undefined }]);
    expect(evidence.minutes).toEqual([]);
  });

  it('has evidence for every custom metric even when nothing was asked (no complete minute yet)', () => {
    expect(metricEvidence(asked, [])).toEqual({
      minutes: [],
      latency: { target: { p99: undefined, p90: undefined }, baseline: { p99: undefined, p90: undefined } },
      metrics: [{ target: undefined, baseline: undefined }, { target: undefined, baseline: undefined }],
    });
  });
});
