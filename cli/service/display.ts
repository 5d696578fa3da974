/**
 * What a person sees of a real rollout: the lines `start --wait` and `status --watch` write as it
 * moves (the same lines as a rehearsal's: shifts, verdicts, the ending, timed from the start), and
 * the status block (step, weight, time at this step, the last check's numbers and reason, the next
 * action, the console link), redrawn in place on a terminal.
 */
import { isEnded } from '../../functions/core/registry.js';
import { EXIT, type ExitCode } from '../exit.js';
import { formatDuration, formatErrors, formatVerdict, formatWeight, NEXT_WORDS, type Style, stripAnsi, style } from '../format.js';
import type { Output } from '../progress.js';
import type { WireRollout, WireStep } from './wire.js';

const ENDING_WORDS: Readonly<Record<string, string>> = {
  promoted: 'promoted',
  rolled_back: 'rolled back',
  drift: 'drift',
  refused: 'refused',
  aborted: 'aborted',
  timed_out: 'timed out',
  failed: 'failed',
};

/** The exit code a rollout's ending means: 0 promoted, 3 refused, 1 anything else. */
export function exitCodeOf(view: Pick<WireRollout, 'status'>): ExitCode {
  if (view.status === 'promoted') return EXIT.promoted;
  if (view.status === 'refused') return EXIT.refused;
  return EXIT.notPromoted;
}

const secondsBetween = (from: string, to: string | undefined) => (to === undefined ? 0 : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000));
const at = (view: WireRollout, iso: string | undefined) => `[${formatDuration(secondsBetween(view.startedAt, iso)).padStart(7)}]`;
const stepsOf = (view: WireRollout) => view.totalSteps ?? view.steps.length;

/** What the workflow does after a step's announced verdict; undefined before the step has one. */
export function nextAfter(view: WireRollout, step: WireStep): keyof typeof NEXT_WORDS | undefined {
  if (step.verdict === 'unhealthy') return 'rollback';
  if (step.verdict === 'inconclusive') return 'hold';
  if (step.verdict === 'healthy') return step.step < stepsOf(view) ? 'shift' : 'promote';
  return undefined;
}

/**
 * The lines for what happened between two reads of a rollout (all of it when there was no
 * earlier read): each shift, each step's announced verdict, and the ending.
 */
export function eventLines(previous: WireRollout | undefined, current: WireRollout, st: Style = style(false)): string[] {
  const lines: string[] = [];
  const n = stepsOf(current);
  for (const s of current.steps) {
    const before = previous?.steps.find((p) => p.step === s.step);
    if (!before) lines.push(`${at(current, s.shiftedAt)} step ${s.step}/${n}: ${formatWeight(s.weightPercent)} of traffic to the new version (v${current.targetVersion})`);
    if (s.verdict !== undefined && (before?.verdict !== s.verdict || before.checkedAt !== s.checkedAt)) {
      const next = nextAfter(current, s);
      lines.push(`${at(current, s.checkedAt)} step ${s.step}/${n} at ${formatWeight(s.weightPercent)}: ${formatVerdict(s.verdict, st)}: ${s.reason ?? ''}${next ? ` -> ${NEXT_WORDS[next]}` : ''}`);
    }
  }
  if (isEnded(current.status) && previous?.status !== current.status) {
    const word = ENDING_WORDS[current.status] ?? current.status;
    lines.push(`${at(current, current.endedAt)} ${current.status === 'promoted' ? st.green(word) : st.red(word)}: ${current.reason ?? ''}`);
  }
  return lines;
}

/** What the rollout will do next, in words. */
export function nextAction(view: WireRollout): string {
  if (isEnded(view.status)) return 'nothing: the rollout has ended';
  const execution = view.execution.status;
  if (execution !== undefined && execution !== 'RUNNING' && execution !== 'PENDING_REDRIVE') {
    return `the execution is ${execution}; the guard restores the alias and records the ending`;
  }
  if (view.status === 'pending') return 'start: the execution is starting';
  const last = view.steps.at(-1);
  if (!last) return 'the first shift, once the function and alias are checked and the lock is taken';
  const next = nextAfter(view, last);
  if (next === undefined) return `check the new version at ${formatWeight(last.weightPercent)} as the bake goes`;
  if (next === 'shift') return `shift to step ${last.step + 1} of ${stepsOf(view)}`;
  if (next === 'promote') return 'promote: the new version gets 100%';
  if (next === 'hold') return 'hold for more traffic, then check again';
  return 'roll back to the baseline';
}

/** A check's numbers: each version's errors of its invocations since the target first got traffic. */
function checkNumbers(s: WireStep): string | undefined {
  if (!s.target || !s.baseline) return undefined;
  return `invocations failed: new ${formatErrors(s.target.errors, s.target.invocations)}; old ${formatErrors(s.baseline.errors, s.baseline.invocations)}`;
}

/**
 * The status block: the rollout, where it is and for how long, its last check, what comes next,
 * and the console link. `now` is epoch ms (the service's clock when known).
 */
export function statusBlock(view: WireRollout, now: number, st: Style = style(false)): string[] {
  const lines: string[] = [];
  const versions = view.baselineVersion !== undefined ? `v${view.baselineVersion} -> v${view.targetVersion}` : `-> v${view.targetVersion}`;
  lines.push(`${st.bold(view.rolloutId)}  ${view.functionName}:${view.alias}  ${versions}${view.strategy ? `  ${view.strategy}` : ''}`);
  const last = view.steps.at(-1);
  const where = last ? `step ${last.step}/${stepsOf(view)} at ${formatWeight(view.weightPercent ?? last.weightPercent)}` : 'no step yet';
  if (isEnded(view.status)) {
    const word = (ENDING_WORDS[view.status] ?? view.status).toUpperCase();
    lines.push(`  status   ${view.status === 'promoted' ? st.green(word) : st.red(word)} after ${formatDuration(secondsBetween(view.startedAt, view.endedAt))}, ${where}: ${view.reason ?? ''}`);
  } else {
    const atStep = last ? `, ${formatDuration((now - Date.parse(last.shiftedAt)) / 1000)} at this step` : '';
    lines.push(`  status   ${st.yellow(view.status.toUpperCase())}, ${where}${atStep}`);
  }
  const checked = [...view.steps].reverse().find((s) => s.verdict !== undefined);
  if (checked) {
    const when = checked.checkedAt ? ` at ${checked.checkedAt.slice(11, 19)} UTC` : '';
    lines.push(`  check    ${formatVerdict(checked.verdict, st)} (step ${checked.step}${when}): ${checked.reason ?? ''}`);
    const numbers = checkNumbers(checked);
    if (numbers) lines.push(`           ${numbers}`);
  } else {
    lines.push(`  check    ${st.dim('none yet')}`);
  }
  lines.push(`  next     ${nextAction(view)}`);
  if (view.execution.consoleUrl) lines.push(`  console  ${view.execution.consoleUrl}`);
  return lines;
}

export interface WatchOptions {
  /** Redraw the status block in place (a terminal) rather than write lines. */
  readonly tty: boolean;
  readonly colour: boolean;
}

/**
 * A rollout followed live. On a terminal: the events written as they come, with the status block
 * below them redrawn in place. Anywhere else: one line per event, and the status block once, at
 * the end.
 */
export class WatchDisplay {
  private readonly st: Style;
  private previous: WireRollout | undefined;
  /** Lines of the status block on the screen, to erase before the next redraw. */
  private drawn = 0;

  constructor(
    private readonly out: Output,
    private readonly options: WatchOptions,
  ) {
    this.st = style(options.colour);
  }

  /** Shows a fresh read of the rollout. */
  update(view: WireRollout, now: number): void {
    const events = eventLines(this.previous, view, this.st);
    this.previous = view;
    if (!this.options.tty) {
      if (events.length > 0) this.out.write(`${events.join('\n')}\n`);
      return;
    }
    const erase = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    const block = statusBlock(view, now, this.st).map((l) => this.fit(l));
    this.out.write(`${erase}${events.map((l) => `${l}\n`).join('')}${block.join('\n')}\n`);
    this.drawn = block.length;
  }

  /** Ends the display: off a terminal, the final status block. */
  finish(view: WireRollout, now: number): void {
    if (!this.options.tty) this.out.write(`\n${statusBlock(view, now, this.st).join('\n')}\n`);
    this.drawn = 0;
  }

  /** A line cut to the terminal's width, so that the redraw's line count holds. */
  private fit(line: string): string {
    const width = this.out.columns;
    if (!width || width < 20) return line;
    const bare = stripAnsi(line);
    return bare.length < width ? line : `${bare.slice(0, width - 2)}…`;
  }
}
