/**
 * Live progress of a rehearsal. On a terminal: one status line redrawn in place (step, weight, a
 * bar over the plan, what each version has served), with each verdict written above it as it
 * comes. Anywhere else: one plain line per event.
 */
import type { Plan } from '../functions/core/strategy.js';
import type { RehearsalProgress } from '../sim/rehearsal.js';
import { planFraction, progressLine, type Style, statusLine, stripAnsi, style } from './format.js';

export interface Output {
  write(text: string): unknown;
  readonly columns?: number | undefined;
}

export interface LiveOptions {
  /** Redraw in place (a terminal) rather than write a line per event. */
  readonly tty: boolean;
  readonly colour: boolean;
  /** On a terminal, pause this long after each event so a person can follow; 0 by default. */
  readonly paceMs?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

function pause(ms: number): void {
  // The rehearsal runs in virtual time inside this thread; holding the thread holds the rollout.
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class LiveProgress {
  private readonly st: Style;
  private stepStartedAt = 0;
  private step = 0;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly plan: Pick<Plan, 'steps' | 'totalBakeSeconds'>,
    private readonly options: LiveOptions,
  ) {
    this.st = style(options.colour);
  }

  /** Pass this as the rehearsal's onProgress. */
  readonly onProgress = (p: RehearsalProgress): void => {
    if (p.kind === 'shifted' || p.step !== this.step) {
      this.step = p.step;
      this.stepStartedAt = p.atSeconds;
    }
    if (!this.options.tty) {
      const line = progressLine(p, this.st);
      if (line !== null) this.out.write(`${line}\n`);
      return;
    }
    const fraction = planFraction(this.plan, p.step, p.atSeconds - this.stepStartedAt, p.kind === 'promoted' || p.outcome === 'promoted');
    const status = statusLine(p, fraction);
    let text = this.drawn ? CLEAR_LINE : '';
    if (p.kind === 'checked' || p.kind === 'promoted' || p.kind === 'rolled_back') {
      text += `${progressLine(p, this.st)}\n`;
    }
    if (p.kind === 'ended') {
      text += `${this.fit(status)}\n`;
      this.drawn = false;
    } else {
      text += this.fit(status);
      this.drawn = true;
    }
    this.out.write(text);
    if (p.kind !== 'ended') pause(this.options.paceMs ?? 0);
  };

  /** Leaves the terminal on a fresh line if the status line is still showing. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  /** The status line cut to the terminal's width, so that redrawing never wraps. */
  private fit(line: string): string {
    const width = this.out.columns;
    if (!width || width < 20) return line;
    const bare = stripAnsi(line);
    return bare.length < width ? line : `${bare.slice(0, width - 2)}…`;
  }
}
