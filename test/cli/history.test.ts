/** A real rollout's history for its report: from the registry's record and each version's CloudWatch minutes. */
import { describe, expect, it } from 'vitest';
import { historyQueries, historyWindow, reportable, rolloutHistory } from '../../cli/service/history.js';
import type { MetricSeries } from '../../functions/ports.js';
import { renderReport } from '../../sim/report.js';
import { at, counts, step, view } from './support/views.js';

const minute = (m: number) => Date.parse(at(m));

/** Per-minute series for one version: invocations, errors, p99, from minute 0. */
function minutes(role: 'target' | 'baseline', rows: readonly (readonly [number, number, number])[]): MetricSeries[] {
  const ts = rows.map((_, m) => minute(m));
  return [
    { id: `${role}Invocations`, timestamps: ts, values: rows.map((r) => r[0]) },
    { id: `${role}Errors`, timestamps: ts, values: rows.map((r) => r[1]) },
    { id: `${role}Throttles`, timestamps: ts, values: rows.map(() => 0) },
    { id: `${role}Duration`, timestamps: ts, values: rows.map((r) => r[2]) },
  ];
}

/** Shifted to 10% at 10:00:30, to 20% at 10:01:30, unhealthy at 10:02:30, rolled back at 10:02:40. */
const rolledBack = reportable(
  view({
    status: 'rolled_back',
    startedAt: at(0, 20),
    endedAt: at(2, 40),
    reason: 'errors 10x the baseline',
    finalVersion: '7',
    steps: [
      step(1, 10, 0, { shiftedAt: at(0, 30), checkedAt: at(1, 30), verdict: 'healthy', reason: 'fine', target: counts(300, 0), baseline: counts(2700, 3) }),
      step(2, 20, 1, { shiftedAt: at(1, 30), checkedAt: at(2, 30), verdict: 'unhealthy', reason: 'errors 10x the baseline', target: counts(900, 90), baseline: counts(5100, 5) }),
    ],
    execution: { arn: 'x', status: 'FAILED', error: 'RolloutRolledBack' },
  }),
);
const series = [
  ...minutes('target', [[150, 0, 200], [450, 30, 210], [400, 60, 205]]),
  ...minutes('baseline', [[2850, 3, 200], [2550, 2, 200], [1600, 1, 200]]),
];

describe('the queries and the window', () => {
  it('asks for each version behind the alias by ExecutedVersion, counts as sums and latency as p99, a minute at a time', () => {
    const queries = historyQueries(rolledBack);
    expect(queries.map((q) => `${q.id}:${q.stat}`)).toEqual([
      'targetInvocations:Sum', 'targetErrors:Sum', 'targetThrottles:Sum', 'targetDuration:p99',
      'baselineInvocations:Sum', 'baselineErrors:Sum', 'baselineThrottles:Sum', 'baselineDuration:p99',
    ]);
    expect(queries[0]).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'Invocations', periodSeconds: 60, dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '8' } });
    expect(queries[4]?.dimensions.ExecutedVersion).toBe('7');
  });

  it('reads from the minute the rollout started to the minute after it ended', () => {
    expect(historyWindow(rolledBack)).toEqual({ startTime: minute(0), endTime: minute(4) });
  });

  it('refuses a rollout that has not ended, or ended before it knew its baseline', () => {
    expect(() => reportable(view())).toThrow(/has not ended \(running\)/);
    expect(() => reportable(view({ status: 'refused', endedAt: at(0), baselineVersion: undefined, reason: 'no alias live' }))).toThrow(/before it knew its baseline version \(no alias live\)/);
  });
});

describe('rolloutHistory', () => {
  const h = rolloutHistory(rolledBack, series);

  it('counts seconds from the minute the rollout started in: each step, each check, the end', () => {
    expect(h.startedAt).toBe(minute(0));
    expect(h.steps.map((s) => [s.step, s.weightPercent, s.startedAtSeconds, s.verdict])).toEqual([[1, 10, 30, 'healthy'], [2, 20, 90, 'unhealthy']]);
    expect(h.checks.map((k) => [k.atSeconds, k.verdict, k.next])).toEqual([[90, 'healthy', 'shift'], [150, 'unhealthy', 'rollback']]);
    expect([h.endedAtSeconds, h.durationSeconds]).toEqual([160, 160]);
    expect(h).toMatchObject({ outcome: 'rolled_back', error: 'RolloutRolledBack', reason: 'errors 10x the baseline', finalAlias: { version: '7', routing: {} } });
  });

  it("gives each minute the target's share of it, weights averaged over the minute's seconds", () => {
    // 10:00 half at 0, half at 10%; 10:01 half at 10, half at 20%; 10:02 40 s at 20%, then 0 after the rollback.
    expect(h.timeline.map((p) => p.targetWeightPercent)).toEqual([5, 15, 13.33]);
  });

  it('totals what CloudWatch counted for each version, and finds the first bad minute beyond both intervals', () => {
    expect(h.target).toEqual({ version: '8', requests: 1000, errors: 90, throttles: 0 });
    expect(h.baseline).toEqual({ version: '7', requests: 7000, errors: 6, throttles: 0 });
    // 10:00: no errors at all; 10:01: 30 of 450 against 2 of 2,550, far beyond noise.
    expect(h.badFromSeconds).toBe(60);
    expect(h.detectionSeconds).toBe(100);
    expect(h.missed).toBe(false);
  });

  it('a single error in a quiet minute is not a bad minute', () => {
    const quiet = rolloutHistory(rolledBack, [...minutes('target', [[62, 1, 200], [62, 0, 200], [62, 0, 200]]), ...minutes('baseline', [[3000, 3, 200], [3000, 3, 200], [3000, 3, 200]])]);
    expect(quiet.badFromSeconds).toBeNull();
    expect(quiet.detectionSeconds).toBeNull();
  });

  it('renders as a rollout report: the rollout, its function, no notifications, clock time on the axis', () => {
    const html = renderReport(h);
    expect(html).toContain('<h1>Rollout: orders-live-v8-3f2a9c01b7d4</h1>');
    expect(html).toContain('<dt>Function</dt><dd>orders:live</dd>');
    expect(html).toContain('minutes since 2026-01-05 10:00 UTC');
    expect(html).toContain('Each step&#39;s last check: the registry keeps the last check of every step.');
    expect(html).not.toContain('<h2>Notifications</h2>');
    expect(html).toContain('Detection: 1 min 40 s from v8&#39;s first bad minute to the rollback.');
  });
});
