/**
 * A rollout as one self-contained HTML page, for a rehearsal or for a real rollout read back from
 * AWS: how it ended and why, a timeline chart (traffic to the new version, requests, error rate
 * and p99 latency per version per minute, each health check, the moment of promotion or
 * rollback), the steps, what the new version served, and (for a rehearsal) the notifications.
 *
 * Everything is inline: CSS in a <style>, the chart as SVG drawn here from the numbers. No script,
 * font, stylesheet or image is loaded, and the page needs no JavaScript to show the chart.
 * Series and markers carry `data-series`, `data-verdict` and `data-marker` attributes so a test
 * (or a person with devtools) can find them.
 */
import { describeRouting } from '../functions/core/alias.js';
import type { VerdictKind } from '../functions/core/health.js';
import type { RehearsalCheck, RehearsalOutcome, RehearsalResult, TimelinePoint } from './rehearsal.js';

/** How a reported rollout ended: a rehearsal's outcomes, and the endings only a real rollout has. */
export type ReportOutcome = RehearsalOutcome | 'aborted' | 'drift' | 'refused' | 'timed_out';

/**
 * A real rollout's history, read back from AWS (the registry's steps and checks, CloudWatch's
 * per-version minutes), in the rehearsal's terms: seconds count from `startedAt`, the minute the
 * rollout started in; `target` and `baseline` are what CloudWatch counted for each version through
 * the alias (requests are invocations plus throttles); `checks` are each step's last check, which
 * is what the registry keeps.
 */
export interface RolloutHistory extends Omit<RehearsalResult, 'scenario' | 'description' | 'seed' | 'outcome' | 'notifications'> {
  readonly kind: 'rollout';
  readonly rolloutId: string;
  readonly functionName: string;
  readonly alias: string;
  readonly outcome: ReportOutcome;
  /** Epoch ms of second 0: the start of the minute the rollout started in. */
  readonly startedAt: number;
  readonly startedBy: string;
  readonly executionArn: string;
}

/** What a report is drawn from. */
export type Reported = RehearsalResult | RolloutHistory;

const isRollout = (r: Reported): r is RolloutHistory => 'kind' in r && r.kind === 'rollout';

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

const OUTCOME_WORDS: Readonly<Record<ReportOutcome, string>> = {
  promoted: 'Promoted',
  rolled_back: 'Rolled back',
  failed: 'Failed',
  aborted: 'Aborted',
  drift: 'Drift',
  refused: 'Refused',
  timed_out: 'Timed out',
};
/** The colours and the marker of an outcome: every ending that is neither a promotion nor a rollback is drawn as a failure. */
const outcomeClass = (o: ReportOutcome): RehearsalOutcome => (o === 'promoted' || o === 'rolled_back' ? o : 'failed');
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
function finalWeightPercent(result: Reported): number {
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
export function weightSteps(result: Reported): Array<readonly [number, number]> {
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
function perMinute(result: Reported, value: (p: TimelinePoint) => number | null): SeriesPoint[] {
  const end = result.durationSeconds;
  const width = bucketSeconds(result.timeline);
  return result.timeline.map((p) => {
    const stop = Math.max(p.atSeconds, Math.min(p.atSeconds + width, end));
    return { at: (p.atSeconds + stop) / 2, value: value(p) };
  });
}

const errorRate = (s: { requests: number; errors: number }) => (s.requests > 0 ? (s.errors / s.requests) * 100 : null);

/**
 * The error-rate axis never spans less than 0 to 1%: a few errors in a quiet minute, or a rate of
 * 0.02% among thousands, do not fill the panel as if they were an incident.
 */
export const ERROR_AXIS_FLOOR_PERCENT = 1;

/** z for a two-sided 95% interval. */
const Z95 = 1.959964;

/**
 * The 95% Wilson score interval of a rate observed as `errors` in `requests`, in percent: wide
 * when a minute had few requests (1 error in 62 is 0.3% to 8.6%), narrow when it had many. Null
 * without requests.
 *
 * @example wilsonPercent(1, 62) // { low: 0.29, high: 8.59 } (rounded)
 */
export function wilsonPercent(errors: number, requests: number): { low: number; high: number } | null {
  if (!(requests > 0)) return null;
  const p = Math.min(1, Math.max(0, errors / requests));
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * requests)) / (1 + z2 / requests);
  const half = (Z95 / (1 + z2 / requests)) * Math.sqrt((p * (1 - p)) / requests + z2 / (4 * requests * requests));
  return { low: Math.max(0, centre - half) * 100, high: Math.min(1, centre + half) * 100 };
}

// ---------------------------------------------------------------------------------------------
// The chart

const W = 960;
const LEFT = 64;
const RIGHT = 24;
const PLOT_W = W - LEFT - RIGHT;
const LEGEND_Y = 12;
const PANELS = {
  weight: { top: 84, height: 150 },
  requests: { top: 274, height: 90 },
  error: { top: 404, height: 110 },
  p99: { top: 554, height: 110 },
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

function legend(result: Reported): string {
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
    { swatch: `<rect x="0" y="-6" width="22" height="12" class="target-band"/>`, label: '95% interval of an error rate' },
    { swatch: `<line x1="11" x2="11" y1="-8" y2="8" class="outcome outcome-${outcomeClass(result.outcome)}"/>`, label: OUTCOME_WORDS[result.outcome].toLowerCase() },
  ];
  const checkItems = VERDICTS.map((v) => ({ swatch: `<g class="check-${v}">${verdictShape(v, 11, 0)}</g>`, label: `${v} check` }));
  return `<g class="legend" data-legend="">${row(LEGEND_Y, seriesItems)}${row(LEGEND_Y + 22, checkItems)}</g>`;
}

/**
 * Where the outcome line goes: the alias write of a promotion or rollback; a rehearsal's failure
 * where its execution ended; a real rollout's other endings where the registry recorded them.
 */
function outcomeSecondsOf(result: Reported): number {
  return result.outcome === 'failed' && !isRollout(result) ? result.durationSeconds : result.endedAtSeconds;
}

/**
 * A band from each point's low to its high, broken where a point has none: one closed path per
 * run of points that have an interval.
 */
function bandPath(points: readonly { at: number; band: { low: number; high: number } | null }[], xOf: (t: number) => number, y: (v: number) => number): string {
  const runs: { at: number; band: { low: number; high: number } }[][] = [[]];
  for (const p of points) {
    if (p.band) runs.at(-1)?.push({ at: p.at, band: p.band });
    else if ((runs.at(-1)?.length ?? 0) > 0) runs.push([]);
  }
  return runs
    .filter((run) => run.length > 0)
    .map((run) => {
      // A lone minute still gets a band a few pixels wide.
      const pts = run.length > 1 ? run.map((p) => ({ x: xOf(p.at), band: p.band })) : [-3, 3].map((dx) => ({ x: xOf(run[0]!.at) + dx, band: run[0]!.band }));
      const top = pts.map((p) => `${c(p.x)} ${c(y(p.band.high))}`).join('L');
      const bottom = [...pts].reverse().map((p) => `${c(p.x)} ${c(y(p.band.low))}`).join('L');
      return `M${top}L${bottom}Z`;
    })
    .join('');
}

/** The time axis' title: virtual seconds for a rehearsal, the wall clock for a real rollout. */
function timeAxisTitle(result: Reported): string {
  if (!isRollout(result)) return 'virtual time since the rollout started, minutes';
  return `minutes since ${new Date(result.startedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function chart(result: Reported): string {
  const end = result.durationSeconds;
  const outcomeAt = outcomeSecondsOf(result);
  const lastData = Math.max(end, ...result.checks.map((k) => k.atSeconds), ...result.timeline.map((p) => p.atSeconds));
  // Room after the end, so the final change and its label are not on the frame.
  const xMax = Math.max(60, (Math.floor(lastData / 60) + 1) * 60);
  const xOf = (t: number) => LEFT + (Math.min(Math.max(t, 0), xMax) / xMax) * PLOT_W;
  const xTicks = timeTicks(xMax);

  const weightPanel: Panel = { ...PANELS.weight, scale: { max: 100, ticks: [0, 25, 50, 75, 100] } };
  const requests = perMinute(result, (p) => p.target.requests);
  const baseRequests = perMinute(result, (p) => p.baseline.requests);
  const rates = perMinute(result, (p) => errorRate(p.target));
  const baseRates = perMinute(result, (p) => errorRate(p.baseline));
  const bands = (role: 'target' | 'baseline') => perMinute(result, () => null).map((point, i) => {
    const p = result.timeline[i] as TimelinePoint;
    return { at: point.at, band: wilsonPercent(p[role].errors, p[role].requests) };
  });
  const p99s = perMinute(result, (p) => p.target.p99Ms);
  const baseP99s = perMinute(result, (p) => p.baseline.p99Ms);
  const maxOf = (...xs: SeriesPoint[][]) => Math.max(0, ...xs.flat().map((p) => p.value ?? 0));
  const requestsPanel: Panel = { ...PANELS.requests, scale: niceScale(maxOf(requests, baseRequests), 3) };
  const errorPanel: Panel = { ...PANELS.error, scale: niceScale(Math.max(ERROR_AXIS_FLOOR_PERCENT, maxOf(rates, baseRates))) };
  const p99Panel: Panel = { ...PANELS.p99, scale: niceScale(maxOf(p99s, baseP99s), 3) };

  const t = `v${result.target.version}`;
  const parts: string[] = [];
  parts.push(legend(result));
  parts.push(panelFrame('weight', `Traffic to ${t}, % of requests through the alias`, weightPanel, '%', xTicks, xOf));
  parts.push(panelFrame('requests', 'Requests per minute, by version', requestsPanel, '', xTicks, xOf));
  parts.push(panelFrame('error-rate', 'Error rate per minute, % of requests, with its 95% interval', errorPanel, '%', xTicks, xOf));
  parts.push(panelFrame('p99', 'p99 latency per minute, ms', p99Panel, '', xTicks, xOf));

  // Detection: from the new version's first bad request (or minute) to the rollback.
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
      `<text x="${LEFT + PLOT_W / 2}" y="${AXIS_Y + 38}" text-anchor="middle" class="axis-title">${esc(timeAxisTitle(result))}</text></g>`,
  );

  // The moment the rollout ended: promotion, rollback or another ending (under the weight, so its
  // last change stays visible).
  const kind = outcomeClass(result.outcome);
  const marker = kind === 'promoted' ? 'promotion' : kind === 'rolled_back' ? 'rollback' : 'failure';
  const xe = xOf(outcomeAt);
  const label = `${OUTCOME_WORDS[result.outcome]} at ${clock(outcomeAt)}`;
  const labelRight = xe + 6 + label.length * 7 <= LEFT + PLOT_W;
  parts.push(
    `<g data-marker="${marker}" data-at-seconds="${outcomeAt}" class="outcome-${kind}"><title>${esc(`${label}: ${result.reason}`)}</title>` +
      `<line x1="${c(xe)}" x2="${c(xe)}" y1="${weightPanel.top - 22}" y2="${AXIS_Y}" class="outcome outcome-${kind}"/>` +
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

  parts.push(series('target-requests', 'target', requests, xOf, (v) => yOf(requestsPanel, v), 'circle'));
  parts.push(series('baseline-requests', 'baseline', baseRequests, xOf, (v) => yOf(requestsPanel, v), 'square'));
  // The intervals under the rates: a minute with few requests shows as a wide band, not a spike.
  for (const role of ['baseline', 'target'] as const) {
    const band = bands(role);
    parts.push(`<path data-band="${role}-error-rate" data-points="${band.filter((b) => b.band).length}" class="${role}-band" d="${bandPath(band, xOf, (v) => yOf(errorPanel, v))}"/>`);
  }
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
  const subject = isRollout(result) ? `rollout ${result.rolloutId} over ${duration(end)}` : `${result.scenario} rehearsal over ${duration(end)} of virtual time`;
  const aria =
    `Timeline of the ${subject}: traffic to ${t} by minute, ` +
    `requests, error rate and p99 latency of ${t} and v${result.baseline.version}, ` +
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
svg .target-band{fill:${COLOURS.target};fill-opacity:.16;stroke:none}
svg .baseline-band{fill:${COLOURS.baseline};fill-opacity:.12;stroke:none}
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

function stepsTable(result: Reported): string {
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

function checksTable(result: Reported): string {
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

function notificationsTable(notifications: RehearsalResult['notifications']): string {
  if (notifications.length === 0) return `<p>No notification was sent.</p>`;
  const rows = notifications.map((n) => `<tr><td class="num">${clock(n.atSeconds)}</td><td>${esc(n.type)}</td><td class="reason">${esc(n.subject)}</td></tr>`).join('');
  return `<div class="table-wrap"><table><thead><tr><th class="num" scope="col">At</th><th scope="col">Type</th><th scope="col">Subject</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const fact = (term: string, value: string, attrs = '') => `<div${attrs}><dt>${esc(term)}</dt><dd>${value}</dd></div>`;

function served(label: string, s: Reported['target']): string {
  const throttles = s.throttles > 0 ? `, ${count(s.throttles)} throttled` : '';
  return `${esc(label)} v${esc(s.version)}: ${count(s.requests)} requests, ${count(s.errors)} failed (${percentOf(s.errors, s.requests)})${throttles}`;
}

/** The words that differ between a rehearsal's page and a real rollout's. */
function wording(result: Reported) {
  const t = `v${result.target.version}`;
  const b = `v${result.baseline.version}`;
  if (!isRollout(result)) {
    return {
      title: `Rehearsal ${result.scenario}`,
      heading: `Rehearsal: ${result.scenario}`,
      description: result.description,
      facts: fact('Scenario', esc(result.scenario)),
      durationTerm: 'Virtual duration',
      endFacts: fact('Seed', esc(result.seed)),
      served: 'Every request through the alias during the rehearsal (the simulation\'s ground truth).',
      detection: `from ${t}'s first bad request to the rollback`,
      checks: 'Every health check, as it ran.',
      footer: `lambda-rollout local rehearsal: the real rollout workflow run against a simulated Lambda and CloudWatch in virtual time (seed ${esc(result.seed)}).`,
    };
  }
  return {
    title: `Rollout ${result.rolloutId}`,
    heading: `Rollout: ${result.rolloutId}`,
    description: `${result.functionName}:${result.alias}, ${t} (new) against ${b}, started by ${result.startedBy}.`,
    facts: fact('Function', esc(`${result.functionName}:${result.alias}`)),
    durationTerm: 'Duration',
    endFacts: fact('Execution', esc(result.executionArn)),
    served:
      'What CloudWatch counted for each version through the alias (AWS/Lambda by ExecutedVersion, one-minute periods) in the minutes of the rollout: requests are invocations plus throttles. ' +
      `A bad minute is one where ${t}'s error rate was above ${b}'s beyond both 95% intervals, or its p99 over 1.2 times ${b}'s.`,
    detection: `from ${t}'s first bad minute to the rollback`,
    checks: "Each step's last check: the registry keeps the last check of every step.",
    footer: `lambda-rollout: rollout ${esc(result.rolloutId)}, from the rollout registry and CloudWatch.`,
  };
}

/** A rehearsal's result, or a real rollout's history, as one self-contained HTML page. */
export function renderReport(result: Reported): string {
  const outcome = OUTCOME_WORDS[result.outcome];
  const kind = outcomeClass(result.outcome);
  const words = wording(result);
  const aliasText = describeRouting({ functionVersion: result.finalAlias.version, routing: result.finalAlias.routing });
  const t = `v${result.target.version}`;

  const header =
    `<header><h1>${esc(words.heading)}</h1>` +
    (words.description ? `<p class="description">${esc(words.description)}</p>` : '') +
    `<p class="outcome outcome-${kind}" data-outcome="${result.outcome}"><span class="badge">${esc(outcome)}</span><span class="reason" data-reason="">${esc(result.reason)}</span></p>` +
    `<dl class="facts">` +
    words.facts +
    fact('Strategy', esc(result.strategy)) +
    fact('Outcome', esc(outcome) + (result.error && result.outcome !== 'promoted' ? ` (${esc(result.error)})` : '')) +
    fact(words.durationTerm, esc(duration(result.durationSeconds))) +
    words.endFacts +
    fact('Versions', `${esc(t)} (new) vs v${esc(result.baseline.version)} (baseline)`) +
    fact('Alias afterwards', esc(aliasText)) +
    (result.detectionSeconds !== null ? fact('Detection time', esc(duration(result.detectionSeconds)), ' data-detection=""') : '') +
    `</dl></header>`;

  const marker = kind === 'promoted' ? 'promotion' : kind === 'rolled_back' ? 'rollback' : `end (${OUTCOME_WORDS[result.outcome].toLowerCase()})`;
  const caption =
    `Top: share of traffic ${esc(t)} had in each minute (step line), with each health check at the weight it judged. ` +
    `Below: requests, error rate (with its 95% interval, so a minute with few requests shows as a wide band, not a spike; the axis spans at least 0 to ${ERROR_AXIS_FLOOR_PERCENT}%) and p99 latency per minute of ${esc(t)} (solid) and v${esc(result.baseline.version)} (dashed). ` +
    `The vertical line marks the ${esc(marker)}. Hover a check for its reason; the tables below hold the same numbers.`;

  const totals =
    `<ul class="totals">` +
    `<li data-totals="target">${served('New version', result.target)}</li>` +
    `<li data-totals="baseline">${served('Baseline', result.baseline)}</li>` +
    (result.detectionSeconds !== null
      ? `<li>Detection: ${esc(duration(result.detectionSeconds))} ${esc(words.detection)}.</li>`
      : result.missed
        ? `<li data-missed="">${esc(t)} was worse than the baseline during the rollout and was not rolled back.</li>`
        : '') +
    `</ul>`;

  const notifications = isRollout(result) ? '' : `<section><h2>Notifications</h2>${notificationsTable(result.notifications)}</section>`;
  const title = `${words.title}: ${outcome.toLowerCase()} — lambda-rollout`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}</style></head><body>` +
    header +
    `<main><section><h2>Timeline</h2><figure>${chart(result)}<figcaption>${caption}</figcaption></figure></section>` +
    `<section><h2>Steps</h2>${stepsTable(result)}</section>` +
    `<section><h2>Health checks</h2><p>${esc(words.checks)}</p>${checksTable(result)}</section>` +
    `<section><h2>What was served</h2><p>${esc(words.served)}</p>${totals}</section>` +
    notifications +
    `</main><footer>${words.footer}</footer>` +
    `</body></html>\n`
  );
}
