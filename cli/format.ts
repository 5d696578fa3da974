/**
 * Pure text formatting for the command line: durations, counts, tables, progress bars, and the
 * texts a person reads after a rehearsal or a plan. Nothing here writes or reads anything.
 */
import { describeRouting } from '../functions/core/alias.js';
import { expectedRun } from '../functions/core/expected.js';
import type { HealthPolicy, VerdictKind } from '../functions/core/health.js';
import type { NextAction } from '../functions/core/state.js';
import type { Plan } from '../functions/core/strategy.js';
import type { Distribution, RehearsalOutcome, RehearsalProgress, RehearsalResult, RehearsalSummary } from '../sim/rehearsal.js';
import { wilsonPercent } from '../sim/report.js';

/** ANSI styling, or none: every function returns its text unchanged when colours are off. */
export interface Style {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

/** Colours when `enabled`, the identity otherwise. */
export function style(enabled: boolean): Style {
  if (!enabled) return { bold: plain, dim: plain, green: plain, red: plain, yellow: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39) };
}

/** The same text without ANSI escapes. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/**
 * A duration in whole seconds, the way a person reads it.
 *
 * @example formatDuration(300) // '5m 00s'
 * @example formatDuration(45) // '45s'
 * @example formatDuration(3725) // '1h 02m 05s'
 */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${two(m)}m ${two(s)}s`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}

/**
 * A count with thousands separators.
 *
 * @example formatCount(1234567) // '1,234,567'
 */
export function formatCount(n: number): string {
  const sign = n < 0 ? '-' : '';
  const [whole = '0', fraction] = String(Math.abs(n)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/**
 * A fraction as a percentage, trailing zeros dropped.
 *
 * @example formatPercent(0.25) // '25%'
 * @example formatPercent(0.0034, 2) // '0.34%'
 */
export function formatPercent(fraction: number, decimals = 1): string {
  return `${Number((fraction * 100).toFixed(decimals))}%`;
}

/** A weight that is already in percent. */
export function formatWeight(percent: number): string {
  return `${Number(percent.toFixed(2))}%`;
}

/** Errors out of a count (requests or invocations), with the rate: "3 of 884 (0.34%)". */
export function formatErrors(errors: number, of: number): string {
  const rate = of > 0 ? ` (${formatPercent(errors / of, 2)})` : '';
  return `${formatCount(errors)} of ${formatCount(of)}${rate}`;
}

export type Align = 'left' | 'right';

/**
 * Rows under a header, each column as wide as its widest cell, two spaces apart. Widths ignore
 * ANSI escapes so coloured cells line up. Trailing spaces are trimmed.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => stripAnsi(r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    widths
      .map((w, c) => {
        const cell = r[c] ?? '';
        const pad = ' '.repeat(w - stripAnsi(cell).length);
        return align[c] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return all.map(line).join('\n');
}

/**
 * A bar `width` cells wide, filled to `fraction` (clamped to 0..1).
 *
 * @example progressBar(0.5, 10) // '[#####-----]'
 */
export function progressBar(fraction: number, width = 20): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * How far through its plan a rollout is, 0..1, by bake time: the bakes of the steps before the
 * current one, plus the part of the current bake that has passed (holds beyond a bake do not
 * count). An empty plan is complete once promoted.
 */
export function planFraction(plan: Pick<Plan, 'steps' | 'totalBakeSeconds'>, step: number, secondsIntoStep: number, promoted = false): number {
  if (promoted) return 1;
  if (plan.totalBakeSeconds <= 0) return 0;
  const index = Math.min(Math.max(step, 1), plan.steps.length) - 1;
  const before = plan.steps.slice(0, index).reduce((t, s) => t + s.bakeSeconds, 0);
  const bake = plan.steps[index]?.bakeSeconds ?? 0;
  return Math.min(1, (before + Math.min(bake, Math.max(0, secondsIntoStep))) / plan.totalBakeSeconds);
}

const OUTCOME_WORDS: Record<RehearsalOutcome, string> = { promoted: 'PROMOTED', rolled_back: 'ROLLED BACK', failed: 'FAILED' };

function outcomeWord(outcome: RehearsalOutcome, st: Style): string {
  const word = OUTCOME_WORDS[outcome];
  return st.bold(outcome === 'promoted' ? st.green(word) : st.red(word));
}

/** A verdict, coloured by what it means. */
export function formatVerdict(verdict: VerdictKind | null | undefined, st: Style): string {
  if (verdict === 'healthy') return st.green('healthy');
  if (verdict === 'unhealthy') return st.red('unhealthy');
  if (verdict === 'inconclusive') return st.yellow('inconclusive');
  return st.dim('not checked');
}

const served = (p: { target: { requests: number; errors: number }; baseline: { requests: number; errors: number } }) =>
  `new ${formatCount(p.target.requests)} req / ${formatCount(p.target.errors)} err, old ${formatCount(p.baseline.requests)} req / ${formatCount(p.baseline.errors)} err`;

/** What the workflow does next, in words. */
export const NEXT_WORDS: Record<NextAction, string> = {
  shift: 'next step',
  hold: 'hold for more traffic',
  promote: 'promote',
  rollback: 'roll back',
  bake: 'keep baking',
  await: 'wait for a person',
  verify: 'verify the promotion',
};

/**
 * One line for one progress event, for logs and pipes: virtual time, what happened, and the
 * requests and errors each version has served so far. Null for an event not worth a line.
 */
export function progressLine(p: RehearsalProgress, st: Style = style(false)): string | null {
  const at = `[${formatDuration(p.atSeconds).padStart(7)}]`;
  switch (p.kind) {
    case 'shifted':
      return `${at} step ${p.step}/${p.steps}: ${formatWeight(p.weightPercent)} of traffic to the new version  (${served(p)})`;
    case 'checked': {
      const next = p.next ? ` -> ${NEXT_WORDS[p.next]}` : '';
      return `${at} step ${p.step}/${p.steps} at ${formatWeight(p.weightPercent)}: ${formatVerdict(p.verdict, st)}: ${p.reason ?? ''}${next}`;
    }
    case 'promoted':
      return `${at} ${st.green('promoted')}: ${p.reason ?? ''}`;
    case 'rolled_back':
      return `${at} ${st.red('rolled back')}: ${p.reason ?? ''}`;
    case 'ended':
      return `${at} ended  (${served(p)})`;
  }
}

/** The single status line a terminal redraws in place while a rehearsal runs. */
export function statusLine(p: RehearsalProgress, fraction: number, width = 20): string {
  const step = p.steps > 0 ? `step ${p.step}/${p.steps}` : 'no steps';
  return `${formatDuration(p.atSeconds).padStart(7)}  ${step}  weight ${formatWeight(p.weightPercent).padStart(6)}  ${progressBar(fraction, width)}  ${served(p)}`;
}

function servedText(v: { requests: number; errors: number }): string {
  const rate = v.requests > 0 ? ` (${formatPercent(v.errors / v.requests, 2)})` : '';
  return `${formatCount(v.requests)} requests, ${formatCount(v.errors)} failed${rate}`;
}

/** What a person wants to know once a rehearsal is over. */
export function summaryText(r: RehearsalResult, st: Style = style(false)): string {
  const lines: string[] = [];
  lines.push(`${outcomeWord(r.outcome, st)}: ${r.reason}`);
  if (r.outcome === 'failed' && r.error) lines.push(`  error: ${r.error}`);
  lines.push(`scenario ${r.scenario} (seed ${r.seed}), strategy ${r.strategy}`);
  lines.push(`virtual duration: ${formatDuration(r.durationSeconds)}`);
  lines.push('');
  if (r.steps.length > 0) {
    lines.push(st.dim("steps (invocations and errors of each version, as the step's last check saw them in CloudWatch; throttled requests are not invocations):"));
    lines.push(
      table(
        ['step', 'weight', 'verdict', 'checks', 'new: errors of invocations', 'old: errors of invocations'],
        r.steps.map((s) => [
          s.final ? 'final' : String(s.step),
          formatWeight(s.weightPercent),
          formatVerdict(s.verdict, st),
          String(s.checks),
          formatErrors(s.target.errors, s.target.invocations),
          formatErrors(s.baseline.errors, s.baseline.invocations),
        ]),
        ['right', 'right', 'left', 'right', 'right', 'right'],
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  } else {
    lines.push(r.error === 'RolloutRefused' ? 'steps: none (refused before any traffic moved)' : r.outcome === 'promoted' ? 'steps: none (all at once)' : 'steps: none (no traffic was moved)');
  }
  lines.push('');
  lines.push(`new version (v${r.target.version}) served ${servedText(r.target)}`);
  lines.push(`old version (v${r.baseline.version}) served ${servedText(r.baseline)}`);
  if (r.detectionSeconds !== null) {
    lines.push(`first bad request to rollback: ${Math.round(r.detectionSeconds)}s`);
  } else if (r.missed) {
    lines.push(st.yellow(`the new version behaved worse than the old one in this scenario, and was ${r.outcome === 'promoted' ? 'promoted anyway' : 'not rolled back'}`));
  }
  lines.push(`alias now: ${describeRouting({ functionVersion: r.finalAlias.version, routing: r.finalAlias.routing })}`);
  if (r.lifecycle?.length) {
    lines.push('');
    lines.push(st.dim('around the traffic (hooks, people, provisioned concurrency):'));
    for (const e of r.lifecycle) lines.push(`  [${formatDuration(e.atSeconds).padStart(7)}] ${e.what}`);
  }
  return lines.join('\n');
}

const dist = (d: Distribution, f: (n: number) => string) => [d.median === null ? '-' : f(d.median), d.p95 === null ? '-' : f(d.p95), String(d.n)];

/** A table of many runs: how often each outcome, and the spread of durations, detection and errors. */
export function manySummaryText(s: RehearsalSummary): string {
  const lines: string[] = [];
  lines.push(`${s.runs} runs of scenario ${s.scenario}, seeds ${s.firstSeed} to ${s.firstSeed + s.runs - 1}, strategy ${s.strategy}`);
  lines.push('');
  lines.push(
    table(
      ['outcome', 'runs', 'share of runs'],
      (Object.keys(OUTCOME_WORDS) as RehearsalOutcome[]).map((o) => [o.replace('_', ' '), formatCount(s.outcomeCounts[o]), formatPercent(s.outcomeShares[o])]),
      ['left', 'right', 'right'],
    ),
  );
  lines.push('');
  lines.push(
    table(
      ['', 'median', 'p95', 'runs'],
      [
        ['virtual duration', ...dist(s.durationSeconds, formatDuration)],
        ['first bad request to rollback', ...dist(s.detectionSeconds, (n) => `${Math.round(n)}s`)],
        ['new version errors', ...dist(s.targetErrors, formatCount)],
        ['new version requests', ...dist(s.targetRequests, formatCount)],
      ],
      ['left', 'right', 'right', 'right'],
    ),
  );
  return lines.join('\n');
}

/**
 * A plan as data (`plan --json`): each step's weight and bake and when it starts in a healthy
 * release (the workflow's own timing: the bake, then the wait for the first complete metric minute
 * at the weight, `metricDelaySeconds` after it ends), when promotion comes, and how long holds for
 * more traffic could stretch it.
 *
 * @example planData(toPlan('Canary10Percent5Minutes'), HealthPolicySchema.parse({})).promoteAtSeconds // 300
 */
export function planData(plan: Plan, policy: HealthPolicy) {
  const run = expectedRun(plan, policy);
  const maxHoldSeconds = policy.insufficientData.maxHoldSeconds;
  const steps = plan.steps.map((s, i) => ({ step: i + 1, weightPercent: s.weightPercent, bakeSeconds: s.bakeSeconds, startsAtSeconds: run.steps[i]?.shiftedAtSeconds ?? 0 }));
  return {
    strategy: plan.strategy,
    steps,
    /** When the target gets 100%, seconds from the first shift, when every check is healthy. */
    promoteAtSeconds: run.durationSeconds,
    /** False when the policy would give up before the first metric minute is in CloudWatch. */
    promotes: run.promotes,
    totalBakeSeconds: plan.totalBakeSeconds,
    metricDelaySeconds: policy.metricDelaySeconds,
    /** `evidence`: each weight waits for a judged minute served at it; `schedule`: CodeDeploy's timing. */
    advance: policy.advance,
    /** The longest a step may hold for more traffic beyond its bake (the health policy's insufficientData.maxHoldSeconds). */
    maxHoldSecondsPerStep: maxHoldSeconds,
    /** The longest the plan can take: the healthy timeline plus every step's longest hold. */
    maxTotalSeconds: run.durationSeconds + steps.length * maxHoldSeconds,
  };
}

/** A plan as people read it: each step's weight, bake and start in a healthy release, promotion, and the total. */
export function planText(plan: Plan, policy: HealthPolicy): string {
  const data = planData(plan, policy);
  const lines: string[] = [];
  const n = data.steps.length;
  lines.push(`${plan.strategy}: ${n === 0 ? 'no steps, all traffic moves at once' : `${n} step${n === 1 ? '' : 's'}`}`);
  lines.push('');
  const rows = data.steps.map((s) => [String(s.step), formatWeight(s.weightPercent), formatDuration(s.bakeSeconds), formatDuration(s.startsAtSeconds)]);
  rows.push(['then', '100%', 'promote', formatDuration(data.promoteAtSeconds)]);
  lines.push(table(['step', 'weight', 'bake', 'starts at'], rows, ['right', 'right', 'right', 'right']));
  lines.push('');
  lines.push(`total: ${formatDuration(data.promoteAtSeconds)} when every check is healthy (${formatDuration(plan.totalBakeSeconds)} of bakes${data.promoteAtSeconds > plan.totalBakeSeconds && policy.advance === 'evidence' ? `, and the wait for each weight's first complete metric minute, in CloudWatch ${policy.metricDelaySeconds}s after it ends` : ''})`);
  if (n > 0 && data.maxHoldSecondsPerStep > 0) {
    lines.push(`with too little traffic to judge, each step may hold up to ${formatDuration(data.maxHoldSecondsPerStep)} longer (at most ${formatDuration(data.maxTotalSeconds)} in all)`);
  }
  return lines.join('\n');
}

/**
 * A proportion with its Wilson 95% interval, for the benches' tables.
 *
 * @example percentWithInterval(1, 200) // "0.5% [0.1-2.8%]"
 */
export function percentWithInterval(hits: number, n: number, digits = 1): string {
  const band = wilsonPercent(hits, n);
  if (!band) return 'no runs';
  const f = (x: number) => x.toFixed(digits);
  return `${f((hits / n) * 100)}% [${f(band.low)}-${f(band.high)}%]`;
}
