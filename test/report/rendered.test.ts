/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The report rendered in headless Chromium, for rehearsals and for a real rollout (written by
 * `rollout report` from a local service, see test/cli/service.test.ts): the chart read back from
 * the page shows the numbers (weights, check times, the moment of rollback or promotion, each
 * version's requests and error rates), nothing is fetched, nothing logs an error, and a screenshot
 * lands in the OS temp dir for a person to look at.
 *
 * Needs Debian's chromium, executable at /usr/bin/chromium (.ci/run installs it when that file is not
 * executable, and sets CI). Without it the browser tests are skipped on a workstation, and fail when CI
 * is set: CI must verify the rendering.
 */
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { reportable, rolloutHistory } from '../../cli/service/history.js';
import type { WireRollout } from '../../cli/service/wire.js';
import { rehearse } from '../../sim/rehearsal.js';
import { renderReport, type Reported } from '../../sim/report.js';
import { loadScenario } from '../../sim/scenarios.js';
import { LocalAws } from '../cli/support/local-aws.js';
import { expectedWeightSteps } from './expected.js';

const CHROMIUM = '/usr/bin/chromium';
const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const haveChromium = executable(CHROMIUM);
const inCi = Boolean(process.env.CI);

it.runIf(inCi || haveChromium)('has Chromium to render the report with (required when CI is set)', () => {
  expect(haveChromium, `${CHROMIUM} is missing or not executable: CI must render the report (.ci/run installs Debian's chromium)`).toBe(true);
});

/** What the page says about its chart, in CSS pixels. */
interface Reading {
  svg: { x: number; y: number; width: number; height: number };
  xTicks: Array<{ value: number; x: number }>;
  weightTicks: Array<{ value: number; y: number }>;
  weight: Array<{ x: number; y: number }>;
  checks: Array<{ verdict: string; atSeconds: number; x: number; y: number; width: number; height: number; onTop: boolean; tooltip: string; fill: string }>;
  marker: { kind: string; x: number; top: number; bottom: number; label: string; labelWidth: number } | null;
  /** Drawn points of each version's requests and error rate, and the error-rate bands. */
  series: Record<string, number>;
  bands: number;
}

function readChart(): Reading {
  const svg = document.querySelector('svg.chart') as SVGSVGElement;
  const box = (e: Element) => e.getBoundingClientRect();
  const centre = (e: Element) => ({ x: box(e).x + box(e).width / 2, y: box(e).y + box(e).height / 2 });
  const ticks = (axis: string) =>
    [...document.querySelectorAll(`[data-axis="${axis}"]`)].map((g) => ({ value: Number(g.getAttribute('data-value')), ...centre(g.querySelector('line')!) }));
  const line = document.querySelector('polyline[data-series="weight"]') as SVGPolylineElement;
  const ctm = line.getScreenCTM()!;
  const weight: Array<{ x: number; y: number }> = [];
  for (let i = 0; i < line.points.numberOfItems; i++) {
    const p = new DOMPoint(line.points.getItem(i).x, line.points.getItem(i).y).matrixTransform(ctm);
    weight.push({ x: p.x, y: p.y });
  }
  const checks = [...document.querySelectorAll('g[data-verdict]')].map((g) => {
    const b = box(g);
    const { x, y } = centre(g);
    const shape = g.querySelector('circle, path')!;
    return {
      verdict: g.getAttribute('data-verdict') ?? '',
      atSeconds: Number(g.getAttribute('data-at-seconds')),
      x,
      y,
      width: b.width,
      height: b.height,
      onTop: document.elementFromPoint(x, y)?.closest('g[data-verdict]') === g,
      tooltip: g.querySelector('title')?.textContent ?? '',
      fill: getComputedStyle(shape).fill,
    };
  });
  const m = document.querySelector('[data-marker]');
  const mLine = m?.querySelector('line');
  const mText = m?.querySelector('text');
  const series = Object.fromEntries(
    ['target-requests', 'baseline-requests', 'target-error-rate', 'baseline-error-rate'].map((name) => [name, document.querySelectorAll(`[data-series-marks="${name}"] > *`).length]),
  );
  const bands = [...document.querySelectorAll('path[data-band]')].filter((b) => b.getBoundingClientRect().height > 0).length;
  return {
    series,
    bands,
    svg: { x: box(svg).x, y: box(svg).y, width: box(svg).width, height: box(svg).height },
    xTicks: ticks('x').map(({ value, x }) => ({ value, x })),
    weightTicks: ticks('weight').map(({ value, y }) => ({ value, y })),
    weight,
    checks,
    marker: m && mLine && mText ? { kind: m.getAttribute('data-marker') ?? '', x: centre(mLine).x, top: box(mLine).top, bottom: box(mLine).bottom, label: mText.textContent ?? '', labelWidth: box(mText).width } : null,
  };
}

/** A linear map fitted through the first and last ticks, checked against the ticks between. */
function axis(ticks: Array<{ value: number; at: number }>): (px: number) => number {
  const a = ticks[0]!;
  const b = ticks.at(-1)!;
  const toValue = (px: number) => a.value + ((px - a.at) / (b.at - a.at)) * (b.value - a.value);
  const halfPixel = Math.abs((b.value - a.value) / (b.at - a.at)) / 2;
  for (const t of ticks) expect(Math.abs(toValue(t.at) - t.value)).toBeLessThanOrEqual(halfPixel);
  return toValue;
}

/**
 * A real rollout of a crashing version on the local service, reported by `rollout report` (the
 * page), with the history the page was drawn from (its record read back with `rollout status --json`;
 * the weights, checks and ending do not depend on the metrics).
 */
async function reportedRollout(): Promise<{ file: string; history: Reported }> {
  const aws = await LocalAws.start();
  try {
    await aws.world({ target: { errorRate: 1, p50Ms: 40, p99Ms: 200 } });
    const started = await aws.rollout(['start', '--function', 'orders', '--alias', 'live', '--version', '2', '--wait', '--json', '--poll-seconds', '0.05']);
    const id = String((JSON.parse(started.stdout) as { rolloutId: string }).rolloutId);
    const file = join(tmpdir(), 'lambda-rollout-report-rollout.html');
    const [report, status] = await Promise.all([aws.rollout(['report', id, '--out', file]), aws.rollout(['status', id, '--json'])]);
    if (report.code !== 0) throw new Error(`rollout report failed: ${report.stderr}`);
    return { file, history: rolloutHistory(reportable(JSON.parse(status.stdout) as WireRollout), []) };
  } finally {
    await aws.stop();
  }
}

describe.skipIf(!haveChromium)('the report in headless Chromium', () => {
  let browser: Browser;
  const results: Record<string, Reported> = {};
  let rolloutFile: string;
  beforeAll(async () => {
    const rollout = reportedRollout();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    for (const name of ['crash', 'healthy', 'degrading']) results[name] = await rehearse(loadScenario(name));
    const { file, history } = await rollout;
    results.rollout = history;
    rolloutFile = file;
  });
  afterAll(async () => browser?.close());

  it.each([
    ['crash', 'rollback', 1100],
    ['healthy', 'promotion', 1100],
    ['degrading', 'rollback', 1100],
    ['crash', 'rollback', 480],
    ['rollout', 'rollback', 1100],
  ] as const)('%s: the chart shows the weights, the checks, each version\'s requests and error rates, and the %s where they happened (viewport %ipx)', async (name, marker, width) => {
    const r = results[name]!;
    const file = name === 'rollout' ? rolloutFile : join(tmpdir(), `lambda-rollout-report-${name}-${width}.html`);
    if (name !== 'rollout') writeFileSync(file, renderReport(r));
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const read = await page.evaluate(readChart);

    // A chart that takes up room, fitting the viewport.
    expect(read.svg.width).toBeGreaterThan(Math.min(600, width - 100));
    expect(read.svg.height).toBeGreaterThan(read.svg.width * 0.3);
    expect(read.svg.x + read.svg.width).toBeLessThanOrEqual(width);

    // The axes, read from their rendered ticks.
    const secondsAt = axis(read.xTicks.map((t) => ({ value: t.value, at: t.x })));
    const percentAt = axis(read.weightTicks.map((t) => ({ value: t.value, at: t.y })));
    const pxPerMinute = Math.abs(read.xTicks[1]!.x - read.xTicks[0]!.x) / ((read.xTicks[1]!.value - read.xTicks[0]!.value) / 60);
    const secondsTolerance = 60 / pxPerMinute; // a pixel's worth of time

    // The weight line: every rendered point back at its (time, weight).
    const expected = expectedWeightSteps(r);
    expect(read.weight).toHaveLength(expected.length);
    read.weight.forEach((p, i) => {
      expect(Math.abs(secondsAt(p.x) - expected[i]![0])).toBeLessThanOrEqual(secondsTolerance);
      expect(Math.abs(percentAt(p.y) - expected[i]![1])).toBeLessThanOrEqual(1);
    });
    // Just after each shift, the line sits at that step's weight (10% for the canary's first step).
    const weightJustAfter = (seconds: number) => {
      for (let i = 0; i + 1 < read.weight.length; i++) {
        const [a, b] = [read.weight[i]!, read.weight[i + 1]!];
        const [ta, tb] = [secondsAt(a.x), secondsAt(b.x)];
        if (Math.abs(a.y - b.y) < 0.5 && ta <= seconds + 1 && seconds + 1 < tb) return percentAt(a.y);
      }
      return NaN;
    };
    for (const s of r.steps) expect(weightJustAfter(s.startedAtSeconds)).toBeCloseTo(s.weightPercent, 0);
    if (name === 'crash' || name === 'healthy') expect(weightJustAfter(0)).toBeCloseTo(10, 0);
    expect(percentAt(read.weight.at(-1)!.y)).toBeCloseTo(r.outcome === 'promoted' ? 100 : 0, 0);

    // Each check: visible, on top, at its time and the weight it judged, coloured by verdict, with its reason.
    expect(read.checks.map((k) => k.verdict)).toEqual(r.checks.map((k) => k.verdict));
    read.checks.forEach((k, i) => {
      const check = r.checks[i]!;
      expect(k.width).toBeGreaterThan(5);
      expect(k.height).toBeGreaterThan(5);
      expect(k.x).toBeGreaterThan(read.svg.x);
      expect(k.x).toBeLessThan(read.svg.x + read.svg.width);
      expect(k.onTop).toBe(true);
      expect(Math.abs(secondsAt(k.x) - check.atSeconds)).toBeLessThanOrEqual(2 * secondsTolerance);
      expect(Math.abs(percentAt(k.y) - check.weightPercent)).toBeLessThanOrEqual(2);
      expect(k.tooltip).toContain(check.reason);
    });
    const fills = new Map(read.checks.map((k) => [k.verdict, k.fill]));
    expect(new Set(fills.values()).size).toBe(fills.size);
    for (const k of r.checks) await expect(page.locator(`g[data-verdict="${k.verdict}"][data-at-seconds="${k.atSeconds}"]`).isVisible()).resolves.toBe(true);

    // The outcome line at the moment the rollout ended, labelled in words, spanning the panels.
    expect(read.marker?.kind).toBe(marker);
    expect(Math.abs(secondsAt(read.marker!.x) - r.durationSeconds)).toBeLessThanOrEqual(secondsTolerance);
    expect(read.marker!.label).toMatch(marker === 'rollback' ? /^Rolled back at \d+:\d\d$/ : /^Promoted at \d+:\d\d$/);
    expect(read.marker!.labelWidth).toBeGreaterThan(40);
    expect(read.marker!.bottom - read.marker!.top).toBeGreaterThan(read.svg.height * 0.6);
    await expect(page.getByText(read.marker!.label, { exact: true }).isVisible()).resolves.toBe(true);

    // Each version's requests and error rate, one point per minute it served, and the rates' bands.
    const served = (role: 'target' | 'baseline') => r.timeline.filter((p) => p[role].requests > 0).length;
    if (name !== 'rollout') {
      // (The history read back without its metrics knows the minutes, not what each version served.)
      for (const role of ['target', 'baseline'] as const) {
        expect(read.series[`${role}-requests`]).toBe(r.timeline.length);
        expect(read.series[`${role}-error-rate`]).toBe(served(role));
      }
    }
    expect(read.series['target-requests']).toBeGreaterThan(0);
    expect(read.series['target-error-rate']).toBeGreaterThan(0);
    expect(read.bands).toBe(2);

    // Nothing fetched but the file itself; nothing complained.
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);

    const png = join(tmpdir(), `lambda-rollout-report-${name}-${width}.png`);
    await page.screenshot({ path: png, fullPage: true });
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });
});
