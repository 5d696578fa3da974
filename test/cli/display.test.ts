/** What a person sees of a real rollout: the event lines, the status block, the next action, the redraw. */
import { describe, expect, it } from 'vitest';
import { eventLines, exitCodeOf, nextAction, statusBlock, WatchDisplay } from '../../cli/service/display.js';
import { at, counts, step, view } from './support/views.js';

const NOW = Date.parse(at(2, 30));

describe('eventLines', () => {
  it('tells every shift and announced verdict so far when there was no earlier read, timed from the start', () => {
    expect(eventLines(undefined, view())).toEqual([
      '[     0s] step 1/3: 10% of traffic to the new version (v8)',
      '[ 1m 00s] step 1/3 at 10%: healthy: no worse than the baseline -> next step',
      '[ 1m 00s] step 2/3: 20% of traffic to the new version (v8)',
    ]);
  });

  it('tells only what is new since the previous read, and the ending once', () => {
    const before = view();
    const rolledBack = view({
      status: 'rolled_back',
      endedAt: at(2, 10),
      reason: 'errors 10x the baseline',
      steps: [before.steps[0]!, step(2, 20, 1, { checkedAt: at(2), verdict: 'unhealthy', reason: 'errors 10x the baseline', target: counts(600, 60), baseline: counts(2400, 2) })],
    });
    expect(eventLines(before, before)).toEqual([]);
    expect(eventLines(before, rolledBack)).toEqual(['[ 2m 00s] step 2/3 at 20%: unhealthy: errors 10x the baseline -> roll back', '[ 2m 10s] rolled back: errors 10x the baseline']);
    expect(eventLines(rolledBack, rolledBack)).toEqual([]);
  });

  it('a hold, and a last step that promotes', () => {
    const held = view({ steps: [step(1, 10, 0, { checkedAt: at(1), verdict: 'inconclusive', reason: 'not enough traffic: 12 of 100 requests' })] });
    expect(eventLines(undefined, held).at(-1)).toBe('[ 1m 00s] step 1/3 at 10%: inconclusive: not enough traffic: 12 of 100 requests -> hold for more traffic');
    const last = view({ totalSteps: 1, steps: [step(1, 10, 0, { checkedAt: at(5), verdict: 'healthy', reason: 'fine' })] });
    expect(eventLines(undefined, last).at(-1)).toBe('[ 5m 00s] step 1/1 at 10%: healthy: fine -> promote');
  });
});

describe('statusBlock', () => {
  it('a running rollout: its step and weight, how long at this step, the last check with its numbers, what comes next, the console link', () => {
    expect(statusBlock(view(), NOW)).toEqual([
      'orders-live-v8-3f2a9c01b7d4  orders:live  v7 -> v8  Linear10PercentEvery1Minute',
      '  status   RUNNING, step 2/3 at 20%, 1m 30s at this step',
      '  check    healthy (step 1 at 10:01:00 UTC): no worse than the baseline',
      '           invocations failed: new 0 of 300 (0%); old 3 of 2,700 (0.11%)',
      '  next     check the new version at 20% as the bake goes',
      `  console  ${view().execution.consoleUrl}`,
    ]);
  });

  it('an ended rollout: how it ended, after how long, and why', () => {
    const promoted = view({ status: 'promoted', weightPercent: 100, endedAt: at(3, 5), reason: 'v8 serves 100% of live' });
    expect(statusBlock(promoted, NOW)[1]).toBe('  status   PROMOTED after 3m 05s, step 2/3 at 100%: v8 serves 100% of live');
    expect(statusBlock(promoted, NOW)[4]).toBe('  next     nothing: the rollout has ended');
  });

  it('before the first shift, and before any check', () => {
    const pending = view({ status: 'pending', steps: [], baselineVersion: undefined });
    expect(statusBlock(pending, NOW).slice(0, 4)).toEqual([
      'orders-live-v8-3f2a9c01b7d4  orders:live  -> v8  Linear10PercentEvery1Minute',
      '  status   PENDING, no step yet',
      '  check    none yet',
      '  next     start: the execution is starting',
    ]);
  });
});

describe('nextAction', () => {
  it.each([
    [view({ status: 'running', steps: [] }), 'the first shift, once the function and alias are checked and the lock is taken'],
    [view({ steps: [step(1, 10, 0, { verdict: 'healthy', checkedAt: at(1) })] }), 'shift to step 2 of 3'],
    [view({ totalSteps: 1, steps: [step(1, 10, 0, { verdict: 'healthy', checkedAt: at(1) })] }), 'promote: the new version gets 100%'],
    [view({ steps: [step(1, 10, 0, { verdict: 'unhealthy', checkedAt: at(1) })] }), 'roll back to the baseline'],
    [view({ execution: { arn: 'x', status: 'ABORTED' } }), 'the execution is ABORTED; the guard restores the alias and records the ending'],
  ])('%#: %s', (v, words) => expect(nextAction(v)).toBe(words));
});

describe('exitCodeOf', () => {
  it.each([
    ['promoted', 0],
    ['rolled_back', 1],
    ['aborted', 1],
    ['drift', 1],
    ['timed_out', 1],
    ['failed', 1],
    ['refused', 3],
  ] as const)('%s exits %i', (status, code) => expect(exitCodeOf({ status })).toBe(code));
});

describe('WatchDisplay', () => {
  const reads = [view({ steps: [step(1, 10, 0)] }), view(), view({ status: 'promoted', endedAt: at(3), reason: 'v8 serves 100% of live', weightPercent: 100 })];

  it('off a terminal: one line per event as they come, the status block once at the end, no escapes', () => {
    const writes: string[] = [];
    const display = new WatchDisplay({ write: (t: string) => writes.push(t) }, { tty: false, colour: false });
    for (const r of reads) display.update(r, NOW);
    display.finish(reads.at(-1)!, NOW);
    const text = writes.join('');
    expect(text.split('\n').filter((l) => l.startsWith('['))).toEqual([
      '[     0s] step 1/3: 10% of traffic to the new version (v8)',
      '[ 1m 00s] step 1/3 at 10%: healthy: no worse than the baseline -> next step',
      '[ 1m 00s] step 2/3: 20% of traffic to the new version (v8)',
      '[ 3m 00s] promoted: v8 serves 100% of live',
    ]);
    expect(text).toContain('  status   PROMOTED after 3m 00s');
    expect(text).not.toContain('\x1b');
  });

  it('on a terminal: the events above, the status block below them erased and redrawn in place, cut to the width', () => {
    const writes: string[] = [];
    const display = new WatchDisplay({ write: (t: string) => writes.push(t), columns: 60 }, { tty: true, colour: false });
    for (const r of reads) display.update(r, NOW);
    expect(writes[0]).not.toContain('\x1b[');
    // Each redraw moves up over the block it drew last (5 lines before any check, then 6) and clears to the end of the screen.
    expect(writes[1]?.startsWith('\x1b[5F\x1b[J')).toBe(true);
    expect(writes[2]?.startsWith('\x1b[6F\x1b[J')).toBe(true);
    expect(writes[2]).toContain('[ 3m 00s] promoted: v8 serves 100% of live\n');
    // The block's lines fit the terminal, so that the count of lines to erase holds; the events above may wrap.
    for (const w of writes) for (const line of w.replace(/\x1b\[\d*[FJ]/g, '').split('\n').filter((l) => !l.startsWith('['))) expect(line.length).toBeLessThan(60);
  });
});
