/**
 * A rehearsal as one self-contained HTML page: how it ended and why, a timeline chart (traffic to
 * the new version, error rate and p99 latency per version per minute, each health check, the
 * moment of promotion or rollback), the steps, what the new version served, and the notifications.
 *
 * Everything is inline: CSS in a <style>, the chart as SVG drawn here from the numbers. No script,
 * font, stylesheet or image is loaded, and the page needs no JavaScript to show the chart.
 * Series and markers carry `data-series`, `data-verdict` and `data-marker` attributes so a test
 * (or a person with devtools) can find them.
 */
import { describeRouting } from '../functions/core/alias.js';
import type { VerdictKind } from '../functions/core/health.js';
import type { RehearsalCheck, RehearsalOutcome, RehearsalResult, TimelinePoint } from './rehearsal.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = escapeHtml;

// ---------------------------------------------------------------------------------------------
// Formatting

/** Seconds as m:ss (h:mm:ss from an hour), for virtual time. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (m === 0) return `${rest} s`;
  return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
}

const count = (n: number) => n.toLocaleString('en-US');
const percentOf = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(2)}%` : '–');
/** A coordinate, one decimal, no trailing zeros. */
const c = (n: number) => String(Math.round(n * 10) / 10);
/** A tick label: at most three decimals, no trailing zeros. */
const tickLabel = (n: number) => String(Number(n.toFixed(3)));

const OUTCOME_WORDS: Readonly<Record<RehearsalOutcome, string>> = { promoted: 'Promoted', rolled_back: 'Rolled back', failed: 'Failed' };
const VERDICTS: readonly VerdictKind[] = ['healthy', 'unhealthy', 'inconclusive'];

// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies); every series
// also differs by dash or marker shape, and every verdict by shape, so colour is never alone.
const COLOURS = {
  weight: '#1f2937',
  target: '#d55e00',
  baseline: '#0072b2',
  healthy: '#008a5e',
  unhealthy: '#c8102e',
  inconclusive: '#6b7280',
  promoted: '#008a5e',
  rolled_back: '#c8102e',
  failed: '#9a5b00',
  grid: '#e5e7eb',
  axis: '#6b7280',
  text: '#1f2937',
} as const;

// ---------------------------------------------------------------------------------------------
// Scales

interface Scale {
  readonly max: number;
  readonly ticks: readonly number[];
}

/** A 0-based axis with 1, 2, 2.5 or 5 × 10^k steps covering `max` in about `target` steps. */
export function niceScale(max: number, target = 4): Scale {
  const m = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = m / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * pow).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * pow;
  const n = Math.max(1, Math.ceil(m / step - 1e-9));
  return { max: n * step, ticks: Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12))) };
}

/** Minute ticks: the smallest whole-minute step giving at most 12 intervals. */
function timeTicks(maxSeconds: number): number[] {
  const step = [60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400].find((s) => maxSeconds / s <= 12) ?? Math.ceil(maxSeconds / 12 / 86400) * 86400;
  const ticks: number[] = [];
  for (let t = 0; t <= maxSeconds + 1e-9; t += step) ticks.push(t);
  return ticks;
}

// ---------------------------------------------------------------------------------------------
// The data the chart draws

/** Weight of the new version in the alias the rollout left behind, percent (routing is in percent). */
function finalWeightPercent(result: RehearsalResult): number {
  const { version, routing } = result.finalAlias;
  const target = result.target.version;
  if (version !== target) return routing[target] ?? 0;
  return 100 - Object.entries(routing).reduce((t, [v, w]) => (v === target ? t : t + w), 0);
}

/** Width of a timeline bucket: the spacing of the points, or a minute. */
function bucketSeconds(timeline: readonly TimelinePoint[]): number {
  const a = timeline[0];
  const b = timeline[1];
  return a && b && b.atSeconds > a.atSeconds ? b.atSeconds - a.atSeconds : 60;
}

/**
 * The traffic weight as a step line, in (seconds, percent): each timeline bucket that started
 * before the alias took its final routing holds its weight from its start to the next bucket (or
 * that moment), then the alias the rollout left behind from that moment to the end of the run.
 * 2 × (buckets before the final write) + 1 points, one more when the run went on after it.
 */
export function weightSteps(result: RehearsalResult): Array<readonly [number, number]> {
  const changed = result.endedAtSeconds;
  const width = bucketSeconds(result.timeline);
  const before = result.timeline.filter((p) => p.atSeconds < changed);
  const points: Array<readonly [number, number]> = [];
  before.forEach((p, i) => {
    const next = before[i + 1]?.atSeconds ?? p.atSeconds + width;
    points.push([p.atSeconds, p.targetWeightPercent], [Math.min(next, changed), p.targetWeightPercent]);
  });
  const final = finalWeightPercent(result);
  points.push([changed, final]);
  if (result.durationSeconds > changed) points.push([result.durationSeconds, final]);
  return points;
}

interface SeriesPoint {
  readonly at: number;
  readonly value: number | null;
}

/** Per-minute values placed at the middle of each bucket (clipped to the end of the rollout). */
function perMinute(result: RehearsalResult, value: (p: TimelinePoint) => number | null): SeriesPoint[] {
  const end = result.durationSeconds;
  const width = bucketSeconds(result.timeline);
  return result.timeline.map((p) => {
    const stop = Math.max(p.atSeconds, Math.min(p.atSeconds + width, end));
    return { at: (p.atSeconds + stop) / 2, value: value(p) };
  });
}

const errorRate = (s: { requests: number; errors: number }) => (s.requests > 0 ? (s.errors / s.requests) * 100 : null);

// ---------------------------------------------------------------------------------------------
// The chart

const W = 960;
const LEFT = 64;
const RIGHT = 24;
const PLOT_W = W - LEFT - RIGHT;
const LEGEND_Y = 12;
const PANELS = {
  weight: { top: 84, height: 150 },
  error: { top: 274, height: 110 },
  p99: { top: 424, height: 110 },
} as const;
const AXIS_Y = PANELS.p99.top + PANELS.p99.height;
const H = AXIS_Y + 44;

interface Panel {
  readonly top: number;
  readonly height: number;
  readonly scale: Scale;
}

function yOf(panel: Panel, value: number): number {
  return panel.top + panel.height - (Math.min(Math.max(value, 0), panel.scale.max) / panel.scale.max) * panel.height;
}

function panelFrame(name: string, title: string, panel: Panel, unit: string, xTicks: readonly number[], xOf: (t: number) => number): string {
  const grid = panel.scale.ticks
    .map((v) => {
      const y = c(yOf(panel, v));
      return `<g class="tick" data-axis="${name}" data-value="${v}"><line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${y}" y2="${y}" class="grid"/><text x="${LEFT - 6}" y="${y}" dy="0.32em" text-anchor="end">${esc(tickLabel(v) + unit)}</text></g>`;
    })
    .join('');
  const vgrid = xTicks.map((t) => `<line x1="${c(xOf(t))}" x2="${c(xOf(t))}" y1="${panel.top}" y2="${panel.top + panel.height}" class="grid"/>`).join('');
  return (
    `<g class="panel" data-panel="${name}">` +
    `<text x="${LEFT}" y="${panel.top - 10}" class="panel-title">${esc(title)}</text>` +
    vgrid +
    grid +
    `<rect x="${LEFT}" y="${panel.top}" width="${PLOT_W}" height="${panel.height}" class="frame"/>` +
    `</g>`
  );
}

/** A path through the points that exist, broken where a value is missing. */
function seriesPath(points: readonly SeriesPoint[], xOf: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p.value === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${c(xOf(p.at))} ${c(y(p.value))}`;
    pen = true;
  }
  return d;
}

function seriesMarkers(points: readonly SeriesPoint[], xOf: (t: number) => number, y: (v: number) => number, shape: 'circle' | 'square'): string {
  return points
    .filter((p): p is { at: number; value: number } => p.value !== null)
    .map((p) => (shape === 'circle' ? `<circle cx="${c(xOf(p.at))}" cy="${c(y(p.value))}" r="2.6"/>` : `<rect x="${c(xOf(p.at) - 2.5)}" y="${c(y(p.value) - 2.5)}" width="5" height="5"/>`))
    .join('');
}

function series(name: string, cls: string, points: readonly SeriesPoint[], xOf: (t: number) => number, y: (v: number) => number, shape: 'circle' | 'square'): string {
  return (
    `<path data-series="${name}" data-points="${points.filter((p) => p.value !== null).length}" class="${cls}" d="${seriesPath(points, xOf, y)}"/>` +
    `<g class="${cls}-marks" data-series-marks="${name}">${seriesMarkers(points, xOf, y, shape)}</g>`
  );
}

/** A verdict's marker shape centred on (x, y). */
function verdictShape(verdict: VerdictKind, x: number, y: number): string {
  if (verdict === 'healthy') return `<circle cx="${c(x)}" cy="${c(y)}" r="6"/>`;
  if (verdict === 'unhealthy') return `<path d="M${c(x)} ${c(y - 7.5)}L${c(x + 7)} ${c(y + 5.5)}L${c(x - 7)} ${c(y + 5.5)}Z"/>`;
  return `<path d="M${c(x)} ${c(y - 7)}L${c(x + 7)} ${c(y)}L${c(x)} ${c(y + 7)}L${c(x - 7)} ${c(y)}Z"/>`;
}

function checkMarker(check: RehearsalCheck, xOf: (t: number) => number, panel: Panel): string {
  const verdict = check.verdict;
  const tip = `Check at ${clock(check.atSeconds)}, step ${check.step} at ${check.weightPercent}%: ${check.verdict}. ${check.reason}. Next: ${check.next}.`;
  return (
    `<g class="check check-${verdict}" data-verdict="${verdict}" data-at-seconds="${check.atSeconds}" data-step="${check.step}">` +
    `<title>${esc(tip)}</title>${verdictShape(verdict, xOf(check.atSeconds), yOf(panel, check.weightPercent))}</g>`
  );
}

function legend(result: RehearsalResult): string {
  const row = (y: number, items: ReadonlyArray<{ swatch: string; label: string }>) => {
    let x = LEFT;
    return items
      .map((item) => {
        const g = `<g transform="translate(${c(x)} ${y})">${item.swatch}<text x="28" y="0" dy="0.32em">${esc(item.label)}</text></g>`;
        x += 28 + item.label.length * 7 + 18;
        return g;
      })
      .join('');
  };
  const seriesItems = [
    { swatch: `<line x1="0" x2="22" y1="0" y2="0" class="weight"/>`, label: `traffic to v${result.target.version}` },
    { swatch: `<line x1="0" x2="22" y1="0" y2="0" class="target"/><circle cx="11" cy="0" r="2.6" class="target-marks"/>`, label: `v${result.target.version} (new)` },
    { swatch: `<line x1="0" x2="22" y1="0" y2="0" class="baseline"/><rect x="8.5" y="-2.5" width="5" height="5" class="baseline-marks"/>`, label: `v${result.baseline.version} (baseline)` },
    { swatch: `<line x1="11" x2="11" y1="-8" y2="8" class="outcome outcome-${result.outcome}"/>`, label: OUTCOME_WORDS[result.outcome].toLowerCase() },
  ];
  const checkItems = VERDICTS.map((v) => ({ swatch: `<g class="check-${v}">${verdictShape(v, 11, 0)}</g>`, label: `${v} check` }));
  return `<g class="legend" data-legend="">${row(LEGEND_Y, seriesItems)}${row(LEGEND_Y + 22, checkItems)}</g>`;
}

/** Where the outcome line goes: the promotion's or rollback's alias write; a failure when the execution failed. */
function outcomeSecondsOf(result: RehearsalResult): number {
  return result.outcome === 'failed' ? result.durationSeconds : result.endedAtSeconds;
}

function chart(result: RehearsalResult): string {
  const end = result.durationSeconds;
  const outcomeAt = outcomeSecondsOf(result);
  const lastData = Math.max(end, ...result.checks.map((k) => k.atSeconds), ...result.timeline.map((p) => p.atSeconds));
  // Room after the end, so the final change and its label are not on the frame.
  const xMax = Math.max(60, (Math.floor(lastData / 60) + 1) * 60);
  const xOf = (t: number) => LEFT + (Math.min(Math.max(t, 0), xMax) / xMax) * PLOT_W;
  const xTicks = timeTicks(xMax);

  const weightPanel: Panel = { ...PANELS.weight, scale: { max: 100, ticks: [0, 25, 50, 75, 100] } };
  const rates = perMinute(result, (p) => errorRate(p.target));
  const baseRates = perMinute(result, (p) => errorRate(p.baseline));
  const p99s = perMinute(result, (p) => p.target.p99Ms);
  const baseP99s = perMinute(result, (p) => p.baseline.p99Ms);
  const maxOf = (...xs: SeriesPoint[][]) => Math.max(0, ...xs.flat().map((p) => p.value ?? 0));
  const errorPanel: Panel = { ...PANELS.error, scale: niceScale(maxOf(rates, baseRates)) };
  const p99Panel: Panel = { ...PANELS.p99, scale: niceScale(maxOf(p99s, baseP99s), 3) };

  const t = `v${result.target.version}`;
  const parts: string[] = [];
  parts.push(legend(result));
  parts.push(panelFrame('weight', `Traffic to ${t}, % of requests through the alias`, weightPanel, '%', xTicks, xOf));
  parts.push(panelFrame('error-rate', 'Error rate per minute, % of requests', errorPanel, '%', xTicks, xOf));
  parts.push(panelFrame('p99', 'p99 latency per minute, ms', p99Panel, '', xTicks, xOf));

  // Detection: from the new version's first bad request to the rollback.
  if (result.detectionSeconds !== null && result.badFromSeconds !== null) {
    const x1 = xOf(result.badFromSeconds);
    const x2 = xOf(result.badFromSeconds + result.detectionSeconds);
    parts.push(
      `<g data-region="detection"><rect x="${c(x1)}" y="${weightPanel.top}" width="${c(Math.max(1, x2 - x1))}" height="${weightPanel.height}" class="detection"/>` +
        `<text x="${c(x1 + 6)}" y="${weightPanel.top + 16}" class="detection-label">${esc(`${t} bad for ${duration(result.detectionSeconds)} before the rollback`)}</text></g>`,
    );
  }

  // Axis labels under the last panel.
  parts.push(
    `<g class="x-axis">` +
      xTicks
        .map((s) => `<g class="tick" data-axis="x" data-value="${s}"><line x1="${c(xOf(s))}" x2="${c(xOf(s))}" y1="${AXIS_Y}" y2="${AXIS_Y + 5}" class="axis"/><text x="${c(xOf(s))}" y="${AXIS_Y + 18}" text-anchor="middle">${tickLabel(s / 60)}</text></g>`)
        .join('') +
      `<text x="${LEFT + PLOT_W / 2}" y="${AXIS_Y + 38}" text-anchor="middle" class="axis-title">virtual time since the rollout started, minutes</text></g>`,
  );

  // The moment the rollout ended: promotion, rollback or failure (under the weight, so its last
  // change stays visible).
  const marker = result.outcome === 'promoted' ? 'promotion' : result.outcome === 'rolled_back' ? 'rollback' : 'failure';
  const xe = xOf(outcomeAt);
  const label = `${OUTCOME_WORDS[result.outcome]} at ${clock(outcomeAt)}`;
  const labelRight = xe + 6 + label.length * 7 <= LEFT + PLOT_W;
  parts.push(
    `<g data-marker="${marker}" data-at-seconds="${outcomeAt}" class="outcome-${result.outcome}"><title>${esc(`${label}: ${result.reason}`)}</title>` +
      `<line x1="${c(xe)}" x2="${c(xe)}" y1="${weightPanel.top - 22}" y2="${AXIS_Y}" class="outcome outcome-${result.outcome}"/>` +
      `<text x="${c(labelRight ? xe + 6 : xe - 6)}" y="${weightPanel.top - 10}" text-anchor="${labelRight ? 'start' : 'end'}" class="outcome-label">${esc(label)}</text></g>`,
  );

  // The weight: an area for reading, the step line as the data.
  const steps = weightSteps(result);
  const first = steps[0];
  const last = steps.at(-1);
  const wy = (v: number) => yOf(weightPanel, v);
  if (first && last) {
    parts.push(`<path class="weight-area" d="M${c(xOf(first[0]))} ${c(wy(0))}${steps.map(([s, v]) => `L${c(xOf(s))} ${c(wy(v))}`).join('')}L${c(xOf(last[0]))} ${c(wy(0))}Z"/>`);
  }
  parts.push(`<polyline data-series="weight" class="weight" points="${steps.map(([s, v]) => `${c(xOf(s))},${c(wy(v))}`).join(' ')}"/>`);

  parts.push(series('target-error-rate', 'target', rates, xOf, (v) => yOf(errorPanel, v), 'circle'));
  parts.push(series('baseline-error-rate', 'baseline', baseRates, xOf, (v) => yOf(errorPanel, v), 'square'));
  parts.push(series('target-p99', 'target', p99s, xOf, (v) => yOf(p99Panel, v), 'circle'));
  parts.push(series('baseline-p99', 'baseline', baseP99s, xOf, (v) => yOf(p99Panel, v), 'square'));

  // Checks on top of everything, on the weight they judged.
  parts.push(`<g class="checks">${result.checks.map((k) => checkMarker(k, xOf, weightPanel)).join('')}</g>`);

  const verdicts = VERDICTS
    .map((v) => [v, result.checks.filter((k) => k.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`);
  const aria =
    `Timeline of the ${result.scenario} rehearsal over ${duration(end)} of virtual time: traffic to ${t} by minute, ` +
    `error rate and p99 latency of ${t} and v${result.baseline.version}, ` +
    `${result.checks.length} health check${result.checks.length === 1 ? '' : 's'}${verdicts.length ? ` (${verdicts.join(', ')})` : ''}, ` +
    `${OUTCOME_WORDS[result.outcome].toLowerCase()} at ${clock(outcomeAt)}.`;
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(aria)}" font-size="12">${parts.join('')}</svg>`;
}

// ---------------------------------------------------------------------------------------------
// The page

const CSS = `
:root{color-scheme:light;--text:${COLOURS.text};--muted:#4b5563;--line:#d1d5db}
*{box-sizing:border-box}
body{margin:0;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--text);background:#fff}
main,header{max-width:1008px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px}
.description{margin:0 0 12px;color:var(--muted)}
.outcome{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;margin:0 0 12px;padding:10px 12px;border-left:6px solid;border-radius:4px}
.outcome-promoted{border-color:${COLOURS.promoted};background:#e8f5ef}
.outcome-rolled_back{border-color:${COLOURS.rolled_back};background:#fdecee}
.outcome-failed{border-color:${COLOURS.failed};background:#fdf3e1}
.badge{display:inline-block;padding:2px 8px;border-radius:3px;color:#fff;font-weight:700;white-space:nowrap}
.outcome-promoted .badge,.verdict-healthy{background:${COLOURS.promoted}}
.outcome-rolled_back .badge,.verdict-unhealthy{background:${COLOURS.rolled_back}}
.outcome-failed .badge{background:${COLOURS.failed}}
.verdict-inconclusive{background:${COLOURS.inconclusive}}
.verdict-none{background:#9ca3af}
.verdict{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600}
.reason{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;overflow-wrap:anywhere}
dl.facts{display:flex;flex-wrap:wrap;gap:8px 36px;margin:0}
dl.facts div{min-width:0;max-width:100%}
dl.facts dt{font-size:12px;color:var(--muted)}
dl.facts dd{margin:0;font-weight:600;overflow-wrap:break-word}
figure{margin:0}
figcaption{color:var(--muted);font-size:12px;margin-top:4px}
svg.chart{display:block;width:100%;max-width:${W}px;height:auto;font-family:inherit}
svg .grid{stroke:${COLOURS.grid};stroke-width:1}
svg .frame{fill:none;stroke:${COLOURS.axis};stroke-width:1}
svg .axis{stroke:${COLOURS.axis}}
svg text{fill:var(--text)}
svg .tick text{fill:var(--muted)}
svg .panel-title,svg .outcome-label{font-weight:600}
svg .axis-title{fill:var(--muted)}
svg .weight{fill:none;stroke:${COLOURS.weight};stroke-width:2.5;stroke-linejoin:miter}
svg .weight-area{fill:${COLOURS.weight};fill-opacity:.08;stroke:none}
svg .target{fill:none;stroke:${COLOURS.target};stroke-width:2}
svg .baseline{fill:none;stroke:${COLOURS.baseline};stroke-width:2;stroke-dasharray:6 4}
svg .target-marks{fill:${COLOURS.target}}
svg .baseline-marks{fill:${COLOURS.baseline}}
svg .check-healthy{fill:${COLOURS.healthy};stroke:#fff;stroke-width:1.5}
svg .check-unhealthy{fill:${COLOURS.unhealthy};stroke:#fff;stroke-width:1.5}
svg .check-inconclusive{fill:#fff;stroke:${COLOURS.inconclusive};stroke-width:2}
svg .outcome{stroke-width:2}
svg line.outcome-promoted{stroke:${COLOURS.promoted}}
svg line.outcome-rolled_back{stroke:${COLOURS.rolled_back}}
svg line.outcome-failed{stroke:${COLOURS.failed};stroke-dasharray:4 3}
svg g.outcome-promoted text{fill:${COLOURS.promoted}}
svg g.outcome-rolled_back text{fill:${COLOURS.rolled_back}}
svg g.outcome-failed text{fill:${COLOURS.failed}}
svg .outcome-label{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
svg .detection{fill:${COLOURS.rolled_back};fill-opacity:.07}
svg .detection-label{fill:${COLOURS.rolled_back};font-size:11px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;background:#f3f4f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.reason{min-width:16em}
.table-wrap{overflow-x:auto}
footer{max-width:1008px;margin:28px auto 0;color:var(--muted);font-size:12px}
@media print{body{padding:0}}
`
  .trim()
  .replace(/\n/g, '');

function verdictChip(verdict: VerdictKind | null): string {
  if (verdict === null) return `<span class="verdict verdict-none">none</span>`;
  return `<span class="verdict verdict-${verdict}">${verdict}</span>`;
}

function stepsTable(result: RehearsalResult): string {
  if (result.steps.length === 0) return `<p>The rollout ended before its first step.</p>`;
  const rows = result.steps
    .map(
      (s) =>
        `<tr data-step="${s.step}"><td class="num">${s.step}</td><td class="num">${s.weightPercent}%</td><td class="num">${clock(s.startedAtSeconds)}</td><td class="num">${s.checks}</td><td>${verdictChip(s.verdict)}</td>` +
        `<td class="num">${count(s.target.invocations)}</td><td class="num">${count(s.target.errors)} (${percentOf(s.target.errors, s.target.invocations)})</td>` +
        `<td class="num">${count(s.baseline.invocations)}</td><td class="num">${count(s.baseline.errors)} (${percentOf(s.baseline.errors, s.baseline.invocations)})</td>` +
        `<td class="reason">${esc(s.reason ?? '–')}</td></tr>`,
    )
    .join('');
  return (
    `<div class="table-wrap"><table><caption class="sr">Steps of the rollout. Invocations and errors are what the step's last check saw in CloudWatch; throttled requests are not invocations.</caption><thead><tr>` +
    `<th class="num" scope="col">Step</th><th class="num" scope="col">Weight</th><th class="num" scope="col">Started</th><th class="num" scope="col">Checks</th><th scope="col">Verdict</th>` +
    `<th class="num" scope="col">v${esc(result.target.version)} invocations</th><th class="num" scope="col">v${esc(result.target.version)} errors</th>` +
    `<th class="num" scope="col">v${esc(result.baseline.version)} invocations</th><th class="num" scope="col">v${esc(result.baseline.version)} errors</th><th scope="col">Reason</th>` +
    `</tr></thead><tbody>${rows}</tbody></table></div>`
  );
}

function checksTable(result: RehearsalResult): string {
  if (result.checks.length === 0) return `<p>No health check ran.</p>`;
  const rows = result.checks
    .map(
      (k) =>
        `<tr><td class="num">${clock(k.atSeconds)}</td><td class="num">${k.step}</td><td class="num">${k.weightPercent}%</td><td>${verdictChip(k.verdict)}</td><td>${esc(k.next)}</td><td class="reason">${esc(k.reason)}</td></tr>`,
    )
    .join('');
  return (
    `<div class="table-wrap"><table><thead><tr><th class="num" scope="col">At</th><th class="num" scope="col">Step</th><th class="num" scope="col">Weight</th><th scope="col">Verdict</th><th scope="col">Next</th><th scope="col">Reason</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div>`
  );
}

function notificationsTable(result: RehearsalResult): string {
  if (result.notifications.length === 0) return `<p>No notification was sent.</p>`;
  const rows = result.notifications.map((n) => `<tr><td class="num">${clock(n.atSeconds)}</td><td>${esc(n.type)}</td><td class="reason">${esc(n.subject)}</td></tr>`).join('');
  return `<div class="table-wrap"><table><thead><tr><th class="num" scope="col">At</th><th scope="col">Type</th><th scope="col">Subject</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const fact = (term: string, value: string, attrs = '') => `<div${attrs}><dt>${esc(term)}</dt><dd>${value}</dd></div>`;

function served(label: string, s: RehearsalResult['target']): string {
  const throttles = s.throttles > 0 ? `, ${count(s.throttles)} throttled` : '';
  return `${esc(label)} v${esc(s.version)}: ${count(s.requests)} requests, ${count(s.errors)} failed (${percentOf(s.errors, s.requests)})${throttles}`;
}

/** The rehearsal as one self-contained HTML page. */
export function renderReport(result: RehearsalResult): string {
  const outcome = OUTCOME_WORDS[result.outcome];
  const aliasText = describeRouting({ functionVersion: result.finalAlias.version, routing: result.finalAlias.routing });
  const t = `v${result.target.version}`;

  const header =
    `<header><h1>Rehearsal: ${esc(result.scenario)}</h1>` +
    (result.description ? `<p class="description">${esc(result.description)}</p>` : '') +
    `<p class="outcome outcome-${result.outcome}" data-outcome="${result.outcome}"><span class="badge">${esc(outcome)}</span><span class="reason" data-reason="">${esc(result.reason)}</span></p>` +
    `<dl class="facts">` +
    fact('Scenario', esc(result.scenario)) +
    fact('Strategy', esc(result.strategy)) +
    fact('Outcome', esc(outcome) + (result.error && result.outcome !== 'promoted' ? ` (${esc(result.error)})` : '')) +
    fact('Virtual duration', esc(duration(result.durationSeconds))) +
    fact('Seed', esc(result.seed)) +
    fact('Versions', `${esc(t)} (new) vs v${esc(result.baseline.version)} (baseline)`) +
    fact('Alias afterwards', esc(aliasText)) +
    (result.detectionSeconds !== null ? fact('Detection time', esc(duration(result.detectionSeconds)), ' data-detection=""') : '') +
    `</dl></header>`;

  const caption =
    `Top: share of traffic ${esc(t)} had in each minute (step line), with each health check at the weight it judged. ` +
    `Middle and bottom: error rate and p99 latency per minute of ${esc(t)} (solid) and v${esc(result.baseline.version)} (dashed). ` +
    `The vertical line marks the ${result.outcome === 'promoted' ? 'promotion' : result.outcome === 'rolled_back' ? 'rollback' : 'failure'}. Hover a check for its reason; the tables below hold the same numbers.`;

  const totals =
    `<ul class="totals">` +
    `<li data-totals="target">${served('New version', result.target)}</li>` +
    `<li data-totals="baseline">${served('Baseline', result.baseline)}</li>` +
    (result.detectionSeconds !== null
      ? `<li>Detection: ${esc(duration(result.detectionSeconds))} from ${esc(t)}'s first bad request to the rollback.</li>`
      : result.missed
        ? `<li data-missed="">${esc(t)} was worse than the baseline during the rollout and was not rolled back.</li>`
        : '') +
    `</ul>`;

  const title = `Rehearsal ${result.scenario}: ${outcome.toLowerCase()} — lambda-rollout`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}</style></head><body>` +
    header +
    `<main><section><h2>Timeline</h2><figure>${chart(result)}<figcaption>${caption}</figcaption></figure></section>` +
    `<section><h2>Steps</h2>${stepsTable(result)}</section>` +
    `<section><h2>Health checks</h2>${checksTable(result)}</section>` +
    `<section><h2>What was served</h2><p>Every request through the alias during the rehearsal (the simulation's ground truth).</p>${totals}</section>` +
    `<section><h2>Notifications</h2>${notificationsTable(result)}</section></main>` +
    `<footer>lambda-rollout local rehearsal: the real rollout workflow run against a simulated Lambda and CloudWatch in virtual time (seed ${esc(result.seed)}).</footer>` +
    `</body></html>\n`
  );
}
