/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/** The rehearsal report: one self-contained HTML page whose chart is drawn from the numbers. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { rehearse, type RehearsalResult } from '../../sim/rehearsal.js';
import { escapeHtml, renderReport } from '../../sim/report.js';
import { loadScenario } from '../../sim/scenarios.js';

let crash: RehearsalResult;
let healthy: RehearsalResult;
let degrading: RehearsalResult;
beforeAll(async () => {
  crash = await rehearse(loadScenario('crash'));
  healthy = await rehearse(loadScenario('healthy'));
  degrading = await rehearse(loadScenario('degrading'));
});

const pointsOf = (html: string, series: string) => {
  const m = new RegExp(`data-series="${series}"[^>]*points="([^"]*)"`).exec(html) ?? new RegExp(`points="([^"]*)"[^>]*data-series="${series}"`).exec(html);
  return m?.[1]?.trim().split(/\s+/) ?? [];
};

describe('renderReport', () => {
  it('is self-contained: no scripts, no external stylesheets, fonts or images', () => {
    for (const r of [crash, healthy]) {
      const html = renderReport(r);
      expect(html).toMatch(/^<!doctype html>/i);
      expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href="(https?:|\/\/|file:)/i);
      expect(html.length).toBeLessThan(100_000);
    }
  });

  it('says how it ended and why, in words', () => {
    expect(renderReport(crash)).toContain('Rolled back');
    expect(renderReport(crash)).toContain(escapeHtml(crash.reason));
    expect(renderReport(healthy)).toContain('Promoted');
  });

  it('escapes everything that came from outside', () => {
    const html = renderReport({ ...crash, reason: '<script>alert("x")</script>', description: 'a & b' });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('a &amp; b');
  });

  it('draws the weight from the steps, and marks the rollback or the promotion', () => {
    const html = renderReport(degrading);
    // One corner per change of weight: 5 steps up, the drop to 0 at the rollback, and the start.
    expect(pointsOf(html, 'weight').length).toBeGreaterThanOrEqual(2 * degrading.steps.length);
    expect(html).toMatch(/data-marker="rollback"/);
    expect(renderReport(healthy)).toMatch(/data-marker="promotion"/);
    expect((html.match(/data-verdict="/g) ?? []).length).toBeGreaterThanOrEqual(degrading.checks.length);
    for (const s of ['target-error-rate', 'baseline-error-rate', 'target-p99', 'baseline-p99']) expect(html).toContain(`data-series="${s}"`);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must render the report (.ci/run installs Debian's chromium)`);

describe.skipIf(!haveChromium)('in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => browser?.close());

  it('renders the chart with the data: the weight at each step, the checks, the rollback where it happened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-report-'));
    const file = join(dir, 'degrading.html');
    writeFileSync(file, renderReport(degrading));
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${file}`);

    const svg = await page.locator('svg').first().boundingBox();
    expect(svg?.width).toBeGreaterThan(600);
    expect(svg?.height).toBeGreaterThan(300);

    // Map the weight line's rendered points back to percent with the y axis' own ticks.
    const read = await page.evaluate(() => {
      const line = document.querySelector('[data-series="weight"]') as SVGPolylineElement;
      const ticks = [...document.querySelectorAll('[data-panel="weight"] [data-axis="weight"]')].map((t) => ({ value: Number(t.getAttribute('data-value')), y: Number((t.querySelector('line') as SVGLineElement).getAttribute('y1')) }));
      const rollback = document.querySelector('[data-marker="rollback"]');
      const x = [...document.querySelectorAll('[data-axis="x"]')].map((t) => ({ value: Number(t.getAttribute('data-value')), x: Number((t.querySelector('line') as SVGLineElement).getAttribute('x1')) }));
      const points = [...line.points].map((p) => ({ x: p.x, y: p.y }));
      const visibleChecks = [...document.querySelectorAll('[data-verdict]')].filter((e) => (e as SVGGraphicsElement).getBBox().width > 0).length;
      return { ticks, x, points, rollbackX: Number(rollback?.querySelector('line')?.getAttribute('x1')), rollbackAt: Number(rollback?.getAttribute('data-at-seconds')), visibleChecks };
    });
    const [t0, t1] = [read.ticks[0]!, read.ticks.at(-1)!];
    const percentAt = (y: number) => t0.value + ((y - t0.y) / (t1.y - t0.y)) * (t1.value - t0.value);
    const heights = [...new Set(read.points.map((p) => Math.round(percentAt(p.y))))];
    expect(heights).toEqual(expect.arrayContaining(degrading.steps.map((s) => s.weightPercent)));
    const [x0, x1] = [read.x[0]!, read.x.at(-1)!];
    const secondsAt = (x: number) => x0.value + ((x - x0.x) / (x1.x - x0.x)) * (x1.value - x0.value);
    expect(Math.abs(secondsAt(read.rollbackX) - degrading.durationSeconds)).toBeLessThan(5);
    expect(read.rollbackAt).toBe(degrading.durationSeconds);
    expect(read.visibleChecks).toBeGreaterThanOrEqual(degrading.checks.length);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(dir, 'degrading.png'), fullPage: true });
    await page.close();
  });
});
