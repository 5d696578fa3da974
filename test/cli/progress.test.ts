import { describe, expect, it } from 'vitest';
import { LiveProgress } from '../../cli/progress.js';
import { toPlan } from '../../functions/core/strategy.js';
import type { RehearsalProgress } from '../../sim/rehearsal.js';

const CLEAR = '\r\x1b[2K';

const served = (t: number, b: number) => ({ target: { requests: t, errors: t }, baseline: { requests: b, errors: 1 } });
const events: RehearsalProgress[] = [
  { kind: 'shifted', atSeconds: 0, step: 1, steps: 1, weightPercent: 10, ...served(0, 0) },
  { kind: 'checked', atSeconds: 300, step: 1, steps: 1, weightPercent: 10, verdict: 'unhealthy', reason: 'error rate over the limit', next: 'rollback', ...served(897, 8061) },
  { kind: 'rolled_back', atSeconds: 300, step: 1, steps: 1, weightPercent: 0, reason: 'error rate over the limit', ...served(897, 8061) },
  { kind: 'ended', atSeconds: 300, step: 1, steps: 1, weightPercent: 0, outcome: 'rolled_back', reason: 'error rate over the limit', ...served(1454, 13516) },
];

const linear = (n: number): RehearsalProgress[] => [
  { kind: 'shifted', atSeconds: 0, step: 1, steps: 9, weightPercent: 10, ...served(0, 0) },
  { kind: 'checked', atSeconds: 60, step: 1, steps: 9, weightPercent: 10, verdict: 'healthy', reason: 'fine', next: 'shift', ...served(30, 300) },
  { kind: 'shifted', atSeconds: 60, step: 2, steps: 9, weightPercent: 20, ...served(30, 300) },
  { kind: 'checked', atSeconds: 90, step: 2, steps: 9, weightPercent: 20, verdict: 'unhealthy', reason: 'bad', next: 'rollback', ...served(n, 400) },
  { kind: 'rolled_back', atSeconds: 90, step: 2, steps: 9, weightPercent: 0, reason: 'bad', ...served(n, 400) },
  { kind: 'ended', atSeconds: 90, step: 2, steps: 9, weightPercent: 0, outcome: 'rolled_back', reason: 'bad', ...served(n, 400) },
];

function play(tty: boolean, colour = false, columns?: number): string[] {
  const writes: string[] = [];
  const live = new LiveProgress({ write: (t: string) => writes.push(t), columns }, toPlan('Canary10Percent5Minutes'), { tty, colour });
  events.forEach(live.onProgress);
  live.finish();
  return writes;
}

/** What a terminal shows once every write is applied: "\r\x1b[2K" erases the current line. */
function screen(writes: readonly string[]): string[] {
  const lines: string[] = [''];
  for (const chunk of writes) {
    for (const part of chunk.split(/(\r\x1b\[2K|\n)/)) {
      if (part === CLEAR) lines[lines.length - 1] = '';
      else if (part === '\n') lines.push('');
      else lines[lines.length - 1] += part;
    }
  }
  return lines.filter((l, i) => l !== '' || i < lines.length - 1);
}

describe('LiveProgress', () => {
  it('writes one plain line per event when not on a terminal, with no escapes', () => {
    const writes = play(false);
    expect(writes).toHaveLength(4);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\x1b'))).toBe(true);
    expect(writes[1]).toBe('[ 5m 00s] step 1/1 at 10%: unhealthy: error rate over the limit -> roll back\n');
  });

  it('on a terminal keeps the verdicts above one status line redrawn in place', () => {
    const writes = play(true);
    expect(writes.slice(1).every((w) => w.startsWith(CLEAR))).toBe(true);
    const shown = screen(writes);
    expect(shown).toHaveLength(3);
    expect(shown[0]).toBe('[ 5m 00s] step 1/1 at 10%: unhealthy: error rate over the limit -> roll back');
    expect(shown[1]).toBe('[ 5m 00s] rolled back: error rate over the limit');
    expect(shown[2]).toMatch(/5m 00s\s+step 1\/1\s+weight\s+0%\s+\[#+\]\s+new 1,454 req \/ 1,454 err, old 13,516 req \/ 1 err/);
  });

  it("moves the bar through the plan's bakes and ends on the plan's step k/n", () => {
    const writes: string[] = [];
    const live = new LiveProgress({ write: (t: string) => writes.push(t) }, toPlan('Linear10PercentEvery1Minute'), { tty: true, colour: false });
    linear(45).forEach(live.onProgress);
    live.finish();
    const shown = screen(writes);
    expect(shown.at(-1)).toMatch(/1m 30s\s+step 2\/9\s+weight\s+0%\s+\[###-+\]/); // 90 of 540 s: 3 of 20 cells
  });

  it('fills the bar when the end says promoted, whatever the weight left', () => {
    const writes: string[] = [];
    const live = new LiveProgress({ write: (t: string) => writes.push(t) }, toPlan('Linear10PercentEvery1Minute'), { tty: true, colour: false });
    live.onProgress({ kind: 'shifted', atSeconds: 0, step: 1, steps: 9, weightPercent: 10, ...served(0, 0) });
    live.onProgress({ kind: 'ended', atSeconds: 60, step: 1, steps: 9, weightPercent: 100, outcome: 'promoted', reason: 'promoted', ...served(30, 300) });
    expect(screen(writes).at(-1)).toMatch(/step 1\/9\s+weight\s+100%\s+\[#{20}\]/);
    const failed: string[] = [];
    const other = new LiveProgress({ write: (t: string) => failed.push(t) }, toPlan('Linear10PercentEvery1Minute'), { tty: true, colour: false });
    other.onProgress({ kind: 'ended', atSeconds: 60, step: 1, steps: 9, weightPercent: 100, outcome: 'failed', reason: 'lock not released', ...served(30, 300) });
    expect(screen(failed).at(-1)).toMatch(/weight\s+100%\s+\[-+\]/);
  });

  it('colours verdicts on a terminal only when colour is on', () => {
    expect(play(true, true).join('')).toContain('\x1b[31munhealthy');
    expect(play(true, false).join('')).not.toContain('\x1b[3');
  });

  it('cuts the status line to the terminal width so that it never wraps', () => {
    const shown = screen(play(true, false, 40));
    expect(shown[2]?.length).toBeLessThan(40);
  });
});
