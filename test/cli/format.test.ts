import { describe, expect, it } from 'vitest';
import { HealthPolicySchema } from '../../functions/core/health.js';
import { toPlan } from '../../functions/core/strategy.js';
import {
  formatCount,
  formatDuration,
  formatPercent,
  manySummaryText,
  planFraction,
  planText,
  progressBar,
  progressLine,
  statusLine,
  stripAnsi,
  style,
  summaryText,
  table,
} from '../../cli/format.js';
import type { RehearsalProgress, RehearsalResult, RehearsalSummary } from '../../sim/rehearsal.js';

const ESC = '\x1b[';

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [60, '1m 00s'],
    [300, '5m 00s'],
    [545.4, '9m 05s'],
    [3600, '1h 00m 00s'],
    [5 * 3600 + 61, '5h 01m 01s'],
  ])('%s s reads %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});

describe('formatCount and formatPercent', () => {
  it('groups thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(13516)).toBe('13,516');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1500)).toBe('-1,500');
  });
  it('shows fractions as percentages without trailing zeros', () => {
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.25)).toBe('25%');
    expect(formatPercent(0.0034, 2)).toBe('0.34%');
    expect(formatPercent(0)).toBe('0%');
  });
});

describe('table', () => {
  it('pads every column to its widest cell and right-aligns where asked', () => {
    const text = table(['step', 'weight'], [['1', '10%'], ['10', '100%']], ['right', 'right']);
    expect(text.split('\n')).toEqual(['step  weight', '   1     10%', '  10    100%']);
  });
  it('ignores colour escapes when measuring', () => {
    const st = style(true);
    const lines = table(['verdict', 'n'], [[st.green('healthy'), '1'], ['no', '2']]).split('\n');
    expect(lines.map((l) => stripAnsi(l))).toEqual(['verdict  n', 'healthy  1', 'no       2']);
  });
});

describe('progressBar and planFraction', () => {
  it('fills the bar in proportion and clamps', () => {
    expect(progressBar(0, 10)).toBe('[----------]');
    expect(progressBar(0.5, 10)).toBe('[#####-----]');
    expect(progressBar(1, 10)).toBe('[##########]');
    expect(progressBar(7, 4)).toBe('[####]');
    expect(progressBar(Number.NaN, 4)).toBe('[----]');
  });
  it('counts the bakes passed, not the holds', () => {
    const plan = toPlan('Linear10PercentEvery1Minute'); // 9 steps of 60 s
    expect(planFraction(plan, 1, 0)).toBe(0);
    expect(planFraction(plan, 1, 30)).toBeCloseTo(30 / 540);
    expect(planFraction(plan, 3, 60)).toBeCloseTo(180 / 540);
    expect(planFraction(plan, 3, 600)).toBeCloseTo(180 / 540); // held well beyond its bake
    expect(planFraction(plan, 9, 60)).toBe(1);
    expect(planFraction(toPlan('AllAtOnce'), 0, 0)).toBe(0);
    expect(planFraction(toPlan('AllAtOnce'), 0, 0, true)).toBe(1);
  });
});

const progress = (p: Partial<RehearsalProgress>): RehearsalProgress => ({
  kind: 'checked',
  atSeconds: 300,
  step: 1,
  steps: 1,
  weightPercent: 10,
  target: { requests: 1454, errors: 1454 },
  baseline: { requests: 13516, errors: 13 },
  ...p,
});

describe('progress lines', () => {
  it('say when, which step, the verdict with its reason and what comes next', () => {
    const line = progressLine(progress({ verdict: 'unhealthy', reason: 'error rate over the limit', next: 'rollback' }));
    expect(line).toBe('[ 5m 00s] step 1/1 at 10%: unhealthy: error rate over the limit -> roll back');
  });
  it('give the requests and errors so far on a shift', () => {
    const line = progressLine(progress({ kind: 'shifted', atSeconds: 0, step: 2, steps: 9, weightPercent: 20 }));
    expect(line).toBe('[     0s] step 2/9: 20% of traffic to the new version  (new 1,454 req / 1,454 err, old 13,516 req / 13 err)');
  });
  it('colour the verdict only when asked', () => {
    const p = progress({ verdict: 'healthy', reason: 'fine', next: 'promote' });
    expect(progressLine(p, style(false))).not.toContain(ESC);
    expect(progressLine(p, style(true))).toContain(`${ESC}32mhealthy`);
  });
  it('put step, weight, bar and totals on the status line', () => {
    const line = statusLine(progress({ step: 3, steps: 9, weightPercent: 30, atSeconds: 150 }), 0.25, 8);
    expect(line).toContain('step 3/9');
    expect(line).toContain('30%');
    expect(line).toContain('[##------]');
    expect(line).toContain('new 1,454 req / 1,454 err, old 13,516 req / 13 err');
  });
});

const crash: RehearsalResult = {
  scenario: 'crash',
  description: 'Every request to the new version fails.',
  seed: 1,
  strategy: 'Canary10Percent5Minutes',
  outcome: 'rolled_back',
  reason: 'error rate over the limit of 1.11%: target 100.00% (897/897) vs baseline 0.11% (9/8061)',
  error: 'RolloutRolledBack',
  durationSeconds: 300,
  steps: [
    {
      step: 1,
      weightPercent: 10,
      startedAtSeconds: 0,
      checks: 1,
      verdict: 'unhealthy',
      reason: 'error rate over the limit',
      target: { invocations: 897, errors: 897 },
      baseline: { invocations: 8061, errors: 9 },
      judged: { fromSeconds: 0, toSeconds: 60, weights: [10], atWeight: 1 },
    },
  ],
  checks: [],
  target: { version: '2', requests: 1454, errors: 1454, throttles: 0 },
  baseline: { version: '1', requests: 13516, errors: 13, throttles: 0 },
  endedAtSeconds: 300,
  badFromSeconds: 0,
  detectionSeconds: 300,
  missed: false,
  finalAlias: { version: '1', routing: {} },
  notifications: [],
  timeline: [],
};

describe('summaryText', () => {
  it('tells the outcome and reason, the virtual duration, each step, what the new version served and the detection time', () => {
    const lines = summaryText(crash).split('\n');
    expect(lines[0]).toBe(`ROLLED BACK: ${crash.reason}`);
    expect(lines).toContain('virtual duration: 5m 00s');
    const header = lines.findIndex((l) => l.includes('verdict'));
    expect(lines[header]).toMatch(/step\s+weight\s+verdict\s+checks\s+new: errors of invocations\s+old: errors of invocations/);
    expect(lines[header + 1]).toMatch(/^\s+1\s+10%\s+unhealthy\s+1\s+897 of 897 \(100%\)\s+9 of 8,061 \(0\.11%\)$/);
    expect(lines).toContain('new version (v2) served 1,454 requests, 1,454 failed (100%)');
    expect(lines).toContain('first bad request to rollback: 300s');
    expect(lines).toContain('alias now: v1 100%');
  });

  it('says nothing of detection for a good version, and shows a split alias', () => {
    const promoted: RehearsalResult = { ...crash, outcome: 'promoted', reason: 'v2 serves 100%', badFromSeconds: null, detectionSeconds: null, finalAlias: { version: '1', routing: { '2': 25 } } };
    const text = summaryText(promoted);
    expect(text.startsWith('PROMOTED: v2 serves 100%')).toBe(true);
    expect(text).not.toContain('first bad request');
    expect(text).toContain('alias now: v1 75% + v2 25%');
  });

  it('warns when a worse version was not caught: promoted, or left serving by a failed rollout', () => {
    const promoted = summaryText({ ...crash, outcome: 'promoted', detectionSeconds: null, missed: true, finalAlias: { version: '2', routing: {} } });
    expect(promoted).toContain('behaved worse than the old one in this scenario, and was promoted anyway');
    const drifted = summaryText({ ...crash, outcome: 'failed', error: 'AliasDrift', detectionSeconds: null, missed: true, finalAlias: { version: '1', routing: { '2': 30 } } });
    expect(drifted).toContain('behaved worse than the old one in this scenario, and was not rolled back');
    expect(summaryText(crash)).not.toContain('behaved worse');
  });

  it('has no escapes without colour, and colours the outcome with it', () => {
    expect(summaryText(crash, style(false))).not.toContain(ESC);
    expect(summaryText(crash, style(true))).toContain(`${ESC}31mROLLED BACK`);
  });
});

describe('manySummaryText', () => {
  it('shows outcome counts and shares and median and p95 of duration, detection and errors', () => {
    const summary: RehearsalSummary = {
      scenario: 'error-regression',
      strategy: 'Canary10Percent5Minutes',
      runs: 20,
      firstSeed: 1,
      outcomeCounts: { promoted: 2, rolled_back: 18, failed: 0 },
      outcomeShares: { promoted: 0.1, rolled_back: 0.9, failed: 0 },
      durationSeconds: { median: 300, p95: 360, n: 20 },
      detectionSeconds: { median: 300, p95: 360, n: 18 },
      targetErrors: { median: 47, p95: 1550, n: 20 },
      targetRequests: { median: 1486, p95: 1526, n: 20 },
    };
    const lines = manySummaryText(summary).split('\n');
    expect(lines[0]).toBe('20 runs of scenario error-regression, seeds 1 to 20, strategy Canary10Percent5Minutes');
    expect(lines).toContainEqual(expect.stringMatching(/^promoted\s+2\s+10%$/));
    expect(lines).toContainEqual(expect.stringMatching(/^rolled back\s+18\s+90%$/));
    expect(lines).toContainEqual(expect.stringMatching(/^virtual duration\s+5m 00s\s+6m 00s\s+20$/));
    expect(lines).toContainEqual(expect.stringMatching(/^first bad request to rollback\s+300s\s+360s\s+18$/));
    expect(lines).toContainEqual(expect.stringMatching(/^new version errors\s+47\s+1,550\s+20$/));
  });
});

describe('planText', () => {
  it("lists each step with its weight, bake and start in a healthy release, then promotion and the total, the metric delay included", () => {
    const lines = planText(toPlan('Linear10PercentEvery1Minute'), HealthPolicySchema.parse({})).split('\n');
    expect(lines[0]).toBe('Linear10PercentEvery1Minute: 9 steps');
    const rows = lines.filter((l) => /^\s+\d+\s+\d+%/.test(l));
    expect(rows).toHaveLength(9);
    expect(rows[0]).toMatch(/^\s+1\s+10%\s+1m 00s\s+0s$/);
    expect(rows[8]).toMatch(/^\s+9\s+90%\s+1m 00s\s+24m 00s$/);
    expect(lines).toContainEqual(expect.stringMatching(/^then\s+100%\s+promote\s+27m 00s$/));
    expect(lines).toContain("total: 27m 00s when every check is healthy (9m 00s of bakes, and the wait for each weight's first complete metric minute, in CloudWatch 120s after it ends)");
  });
  it('keeps the bakes alone when the policy advances on schedule', () => {
    const lines = planText(toPlan('Linear10PercentEvery1Minute'), HealthPolicySchema.parse({ advance: 'schedule' })).split('\n');
    expect(lines).toContain('total: 11m 00s when every check is healthy (9m 00s of bakes)');
  });
});
