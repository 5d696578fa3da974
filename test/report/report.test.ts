/** The rehearsal report as text: one self-contained HTML page whose chart is drawn from the numbers. */
import { beforeAll, describe, expect, it } from 'vitest';
import { rehearse, type RehearsalResult } from '../../sim/rehearsal.js';
import { ERROR_AXIS_FLOOR_PERCENT, escapeHtml, renderReport, wilsonPercent } from '../../sim/report.js';
import { loadScenario } from '../../sim/scenarios.js';
import type { SimWorld } from '../../sim/world.js';
import { ThrottledError } from '../../functions/core/errors.js';
import { expectedWeightSteps } from './expected.js';

let crash: RehearsalResult;
let healthy: RehearsalResult;
let degrading: RehearsalResult;
let drifted: RehearsalResult;
let lateEnd: RehearsalResult;
beforeAll(async () => {
  // One at a time: a rehearsal owns the (fake) clock while it runs.
  crash = await rehearse(loadScenario('crash'));
  healthy = await rehearse(loadScenario('healthy'));
  degrading = await rehearse(loadScenario('degrading'));
  drifted = await rehearse(loadScenario('healthy'), { setup: operatorSetsTheAliasAt30Percent });
  lateEnd = await rehearse(loadScenario('crash'), { setup: lockReleaseThrottledSixTimes });
});

/**
 * The lock's release is throttled six times: the execution retries after the rollback's write. The
 * retries' full jitter is random, so how long varies; six retries make it more than a second.
 */
function lockReleaseThrottledSixTimes(world: SimWorld): void {
  const release = world.registry.release.bind(world.registry);
  let calls = 0;
  world.registry.release = async (lock) => {
    calls += 1;
    if (calls <= 6) throw new ThrottledError('Rate exceeded');
    return release(lock);
  };
}

/** An operator moves the alias to v1 with 30% on v2 right after the rollout's first shift: the rollout ends in drift. */
function operatorSetsTheAliasAt30Percent(world: SimWorld): void {
  const publish = world.notifier.publish.bind(world.notifier);
  let shifts = 0;
  world.notifier.publish = async (n) => {
    await publish(n);
    if (n.type === 'shifted' && ++shifts === 1) world.lambda.changeAliasExternally(world.functionName, world.alias, { functionVersion: world.baselineVersion, routing: { [world.targetVersion]: 30 } }, 'an operator');
  };
}

/** The `points` of the element carrying data-series="<name>", as numbers. */
function polylinePoints(html: string, series: string): Array<[number, number]> {
  const tag = new RegExp(`<polyline[^>]*data-series="${series}"[^>]*>`).exec(html)?.[0] ?? '';
  const points = /\spoints="([^"]*)"/.exec(tag)?.[1]?.trim() ?? '';
  return points ? points.split(/\s+/).map((p) => p.split(',').map(Number) as [number, number]) : [];
}

/** Vertices of the <path data-series="<name>">. */
function pathPoints(html: string, series: string): Array<[number, number]> {
  const tag = new RegExp(`<path[^>]*data-series="${series}"[^>]*>`).exec(html)?.[0] ?? '';
  const d = /\sd="([^"]*)"/.exec(tag)?.[1] ?? '';
  return [...d.matchAll(/[ML]\s*(-?[\d.]+)[ ,]+(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** The SVG coordinate of a tick line: x1 for the x axis, y1 for a y axis. */
function tick(html: string, axis: string, value: number): number {
  const m = new RegExp(`data-axis="${axis}" data-value="${value}"><line x1="([\\d.]+)" x2="[\\d.]+" y1="([\\d.]+)"`).exec(html);
  if (!m) throw new Error(`no ${axis} tick at ${value}`);
  return Number(axis === 'x' ? m[1] : m[2]);
}

const count = (html: string, s: string) => html.split(s).length - 1;

describe('renderReport', () => {
  it('is one self-contained page: no script, no link, no URL, no src or href of any kind', () => {
    for (const r of [crash, healthy]) {
      const html = renderReport(r);
      expect(html).toMatch(/^<!doctype html><html lang="en">/i);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|url\(|\bsrc\s*=|\bhref\s*=|https?:|file:|\/\/[a-z]/i);
      expect(html).toMatch(/<style>[^<]+<\/style>/);
      expect(html).toMatch(/<title>Rehearsal [^<]+<\/title>/);
      expect(html).toMatch(/<svg [^>]*role="img" aria-label="[^"]{40,}"/);
    }
  });

  it('heads the page with the scenario, strategy, outcome in words and colour, the reason, the virtual duration and the seed', () => {
    const html = renderReport(crash);
    expect(html).toContain('<h1>Rehearsal: crash</h1>');
    expect(html).toContain('<p class="outcome outcome-rolled_back" data-outcome="rolled_back"><span class="badge">Rolled back</span>');
    expect(html).toContain(escapeHtml(crash.reason));
    expect(html).toContain(`<dt>Strategy</dt><dd>${crash.strategy}</dd>`);
    expect(html).toContain(`<dt>Virtual duration</dt><dd>${crash.durationSeconds / 60} min</dd>`);
    expect(html).toContain(`<dt>Seed</dt><dd>${crash.seed}</dd>`);
    expect(html).toContain(`<dt>Detection time</dt><dd>${crash.detectionSeconds! / 60} min</dd>`);
    const h = renderReport(healthy);
    expect(h).toContain('data-outcome="promoted"><span class="badge">Promoted</span>');
    expect(h).not.toContain('Detection time');
  });

  it('escapes every text that came from outside: reasons, subjects, names', () => {
    const evil = `</title><script>alert("x")</script> & 'q'`;
    const escaped = '&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;';
    const r: RehearsalResult = {
      ...crash,
      scenario: evil,
      description: evil,
      strategy: evil,
      reason: evil,
      steps: crash.steps.map((s) => ({ ...s, reason: evil })),
      checks: crash.checks.map((k) => ({ ...k, reason: evil })),
      notifications: crash.notifications.map((n) => ({ ...n, type: evil, subject: evil })),
    };
    const html = renderReport(r);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('alert("');
    expect(html).toContain(escaped);
    // The reason in the header, in the outcome marker's tooltip, and each step, check and subject.
    expect(count(html, escaped)).toBeGreaterThanOrEqual(2 + r.steps.length + r.checks.length + r.notifications.length);
    // Only the page's own <title> elements: the document's, one per check, the outcome marker's.
    expect(count(html, '</title>')).toBe(1 + r.checks.length + 1);
    expect(count(html, '<title>')).toBe(count(html, '</title>'));
  });

  it.each(['crash', 'healthy', 'degrading'] as const)('draws the weight of %s as a step line: two points per minute of the timeline and the end', (name) => {
    const r = { crash, healthy, degrading }[name];
    const html = renderReport(r);
    const points = polylinePoints(html, 'weight');
    const expected = expectedWeightSteps(r);
    expect(points).toHaveLength(2 * r.timeline.length + 1);
    expect(expected).toHaveLength(points.length);
    // Back from SVG units to seconds and percent with the axes' own ticks.
    const x0 = tick(html, 'x', 0);
    const x60 = tick(html, 'x', 60);
    const y0 = tick(html, 'weight', 0);
    const y100 = tick(html, 'weight', 100);
    points.forEach(([x, y], i) => {
      const [seconds, percent] = expected[i]!;
      expect(((x - x0) / (x60 - x0)) * 60).toBeCloseTo(seconds, 0);
      expect(((y - y0) / (y100 - y0)) * 100).toBeCloseTo(percent, 0);
    });
  });

  it('draws error rate and p99 per version from each minute that has requests', () => {
    const html = renderReport(degrading);
    const withRequests = (v: 'target' | 'baseline') => degrading.timeline.filter((p) => p[v].requests > 0).length;
    const withP99 = (v: 'target' | 'baseline') => degrading.timeline.filter((p) => p[v].p99Ms !== null).length;
    expect(pathPoints(html, 'target-error-rate')).toHaveLength(withRequests('target'));
    expect(pathPoints(html, 'baseline-error-rate')).toHaveLength(withRequests('baseline'));
    expect(pathPoints(html, 'target-p99')).toHaveLength(withP99('target'));
    expect(pathPoints(html, 'baseline-p99')).toHaveLength(withP99('baseline'));
    // The target's error rate climbs after it starts failing: its highest point is higher (smaller y) than the baseline's.
    const top = (s: string) => Math.min(...pathPoints(html, s).map(([, y]) => y));
    expect(top('target-error-rate')).toBeLessThan(top('baseline-error-rate'));
  });

  it('marks each check by verdict with its reason, and the rollback or the promotion where it happened', () => {
    for (const r of [crash, healthy, degrading]) {
      const html = renderReport(r);
      const verdicts = [...html.matchAll(/<g class="check[^"]*" data-verdict="([^"]+)" data-at-seconds="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g)];
      expect(verdicts.map((m) => [m[1], Number(m[2])])).toEqual(r.checks.map((k) => [k.verdict, k.atSeconds]));
      verdicts.forEach((m, i) => expect(m[3]).toContain(escapeHtml(r.checks[i]!.reason)));
    }
    expect(renderReport(crash)).toMatch(new RegExp(`data-marker="rollback" data-at-seconds="${crash.endedAtSeconds}"[^>]*><title>Rolled back at `));
    expect(renderReport(crash)).not.toContain('data-marker="promotion"');
    expect(renderReport(healthy)).toMatch(new RegExp(`data-marker="promotion" data-at-seconds="${healthy.endedAtSeconds}"[^>]*><title>Promoted at `));
    expect(renderReport(healthy)).not.toContain('data-marker="rollback"');
  });

  it('tables the steps, the totals the new version served, the detection time and the notifications', () => {
    const html = renderReport(degrading);
    expect(count(html, '<tr data-step="')).toBe(degrading.steps.length);
    for (const s of degrading.steps) {
      expect(html).toContain(`<tr data-step="${s.step}"><td class="num">${s.step}</td><td class="num">${s.weightPercent}%</td>`);
      expect(html).toContain(`<td class="num">${s.target.invocations.toLocaleString('en-US')}</td>`);
    }
    expect(html).toContain(`New version v2: ${degrading.target.requests.toLocaleString('en-US')} requests, ${degrading.target.errors.toLocaleString('en-US')} failed`);
    expect(html).toContain(`Detection: ${degrading.detectionSeconds! / 60} min`);
    for (const n of degrading.notifications) expect(html).toContain(`<td class="reason">${escapeHtml(n.subject)}</td>`);
  });

  it('reads the alias left behind in percent: a drift leaving 30% on the new version says 30% and ends the weight line at 30%', () => {
    expect(drifted).toMatchObject({ outcome: 'failed', error: 'AliasDrift' });
    expect(drifted.finalAlias).toEqual({ version: '1', routing: { '2': 30 } });
    const html = renderReport(drifted);
    expect(html).toContain('<dt>Alias afterwards</dt><dd>v1 70% + v2 30%</dd>');
    const last = polylinePoints(html, 'weight').at(-1)!;
    const y0 = tick(html, 'weight', 0);
    const y100 = tick(html, 'weight', 100);
    expect(((last[1] - y0) / (y100 - y0)) * 100).toBeCloseTo(30, 0);
  });

  it('draws the rollback, the weight drop and the detection band at the alias write, not at the end of the execution', () => {
    expect(lateEnd.endedAtSeconds).toBe(180);
    expect(lateEnd.durationSeconds).toBeGreaterThan(lateEnd.endedAtSeconds + 1);
    const html = renderReport(lateEnd);
    const x0 = tick(html, 'x', 0);
    const x60 = tick(html, 'x', 60);
    const secondsAt = (x: number) => ((x - x0) / (x60 - x0)) * 60;
    expect(html).toMatch(/data-marker="rollback" data-at-seconds="180"[^>]*><title>Rolled back at 3:00: /);
    // The weight drops to 0% at the write and stays there to the end of the execution.
    const points = polylinePoints(html, 'weight');
    expect(points).toHaveLength(expectedWeightSteps(lateEnd).length);
    const y0 = tick(html, 'weight', 0);
    const [dropX, dropY] = points.at(-2)!;
    const [endX, endY] = points.at(-1)!;
    expect(secondsAt(dropX)).toBeCloseTo(180, 0);
    expect(secondsAt(endX)).toBeCloseTo(lateEnd.durationSeconds, 0);
    expect([dropY, endY]).toEqual([y0, y0]);
    // The detection band spans the first bad request to the rollback.
    const band = /data-region="detection"><rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(html);
    expect(secondsAt(Number(band?.[1]))).toBeCloseTo(0, 0);
    expect(secondsAt(Number(band?.[1]) + Number(band?.[2]))).toBeCloseTo(180, 0);
  });

  it('draws requests per minute for each version, every minute of the timeline', () => {
    const html = renderReport(degrading);
    expect(pathPoints(html, 'target-requests')).toHaveLength(degrading.timeline.length);
    expect(pathPoints(html, 'baseline-requests')).toHaveLength(degrading.timeline.length);
    expect(html).toContain('Requests per minute, by version');
  });

  it('does not turn noise into an incident: the error axis spans at least 0 to 1%, and each rate has its 95% interval as a band', () => {
    // The healthy rehearsal's highest minute is a few errors among a few hundred requests, well under 1%.
    const html = renderReport(healthy);
    const ticks = [...html.matchAll(/data-axis="error-rate" data-value="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...ticks)).toBe(ERROR_AXIS_FLOOR_PERCENT);
    for (const role of ['target', 'baseline']) {
      const band = new RegExp(`<path data-band="${role}-error-rate" data-points="(\\d+)" class="${role}-band" d="(M[^"]+Z)"/>`).exec(html);
      expect(Number(band?.[1])).toBe(healthy.timeline.filter((p) => p[role as 'target'].requests > 0).length);
    }
    // A crash still fills its panel: the axis follows rates above the floor.
    const crashTicks = [...renderReport(crash).matchAll(/data-axis="error-rate" data-value="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...crashTicks)).toBe(100);
  });

  it('wilsonPercent: a wide interval from few requests, a narrow one from many, none from none', () => {
    const few = wilsonPercent(1, 62)!;
    expect([few.low, few.high].map((x) => Number(x.toFixed(1)))).toEqual([0.3, 8.6]);
    const many = wilsonPercent(100, 62_000)!;
    expect(many.high - many.low).toBeLessThan(0.07);
    expect(wilsonPercent(0, 0)).toBeNull();
    expect(wilsonPercent(0, 50)!.low).toBe(0);
    expect(wilsonPercent(50, 50)!.high).toBeCloseTo(100, 9);
  });

  it('says when a worse version was not caught, and only then', () => {
    const missed = renderReport({ ...healthy, badFromSeconds: 0, missed: true });
    expect(missed).toContain('<li data-missed="">v2 was worse than the baseline during the rollout and was not rolled back.</li>');
    for (const r of [healthy, crash, degrading]) expect(renderReport(r)).not.toContain('data-missed');
  });

  it('stays under 100 KB for a 30-minute rehearsal', async () => {
    for (const strategy of ['Canary10Percent30Minutes', 'Linear10PercentEvery3Minutes']) {
      const r = await rehearse({ ...loadScenario('healthy'), strategy });
      expect(r.durationSeconds).toBeGreaterThanOrEqual(27 * 60);
      const html = renderReport(r);
      expect(Buffer.byteLength(html)).toBeLessThan(100_000);
      expect(polylinePoints(html, 'weight')).toHaveLength(2 * r.timeline.length + 1);
    }
  });
});
