/** The tally a check carries forward: each minute folded once, the current step's evidence, a size that does not grow. */
import { describe, expect, it } from 'vitest';
import { errorEvidence, type MinuteEvidence, originEvidence } from '../../../functions/core/judge.js';
import { EMPTY_TALLY, foldMinutes, tallyOf, weightsDuring } from '../../../functions/core/tally.js';

const M = 60_000;
const minute = (at: number, t: [number, number], b: [number, number]): MinuteEvidence => ({
  at,
  target: { invocations: t[0], errors: t[1], throttles: 0 },
  baseline: { invocations: b[0], errors: b[1], throttles: 0 },
});

describe('weightsDuring', () => {
  const shifts = [{ weightPercent: 10, shiftedAt: 0 }, { weightPercent: 20, shiftedAt: 90_000 }, { weightPercent: 30, shiftedAt: 180_000 }];
  it.each([
    [0, M, [10]],
    [M, 2 * M, [10, 20]],
    [2 * M, 3 * M, [20]],
    [3 * M, 4 * M, [30]],
  ])('[%i, %i) was served at %j', (from, to, weights) => expect(weightsDuring(shifts, from, to)).toEqual(weights));
});

describe('foldMinutes', () => {
  const shifts = [{ weightPercent: 10, shiftedAt: 30_000 }];
  it('gives the same test as judging every minute from scratch, folding a few at a time', () => {
    const minutes = Array.from({ length: 12 }, (_, i) => minute(i * M, [300, i % 3], [2700, 3]));
    let tally = EMPTY_TALLY;
    for (let end = 3; end <= 12; end += 3) tally = foldMinutes(tally, minutes.slice(0, end), { from: 0, to: end * M }, shifts);
    expect(originEvidence(tally.errors).logLikelihoodRatio).toBeCloseTo(errorEvidence(minutes).logLikelihoodRatio, 10);
    expect(tally.target).toEqual({ invocations: 3600, errors: 12, throttles: 0 });
  });

  it('counts minutes without data as judged, and only whole minutes after the shift as at the weight', () => {
    const tally = foldMinutes(EMPTY_TALLY, [minute(0, [10, 0], [90, 0])], { from: 0, to: 3 * M }, shifts);
    expect(tally).toMatchObject({ from: 0, through: 3 * M, atWeight: { weightPercent: 10, minutes: 2, judgedFrom: 0, weights: [10], target: { invocations: 0 } } });
  });

  it('starts the step\'s evidence afresh at a new weight, even before a new minute is in', () => {
    const before = foldMinutes(EMPTY_TALLY, [minute(0, [10, 0], [90, 0])], { from: 0, to: 2 * M }, shifts);
    const shifted = foldMinutes(before, [], { from: 0, to: 2 * M }, [...shifts, { weightPercent: 20, shiftedAt: 150_000 }]);
    expect(shifted.atWeight).toMatchObject({ weightPercent: 20, minutes: 0, judgedFrom: 2 * M, weights: [] });
    const later = foldMinutes(shifted, [minute(2 * M, [20, 0], [80, 0]), minute(3 * M, [20, 0], [80, 0])], { from: 0, to: 4 * M }, [...shifts, { weightPercent: 20, shiftedAt: 150_000 }]);
    expect(later.atWeight).toMatchObject({ minutes: 1, judgedFrom: 2 * M, weights: [10, 20], target: { invocations: 20 } });
  });

  it('stays the same size however many minutes it has judged', () => {
    const size = (minutes: number) => JSON.stringify(tallyOf(Array.from({ length: minutes }, (_, i) => minute(i * M, [300, 1], [2700, 3])))).length;
    expect(size(10_000)).toBeLessThanOrEqual(size(10) + 40);
  });
});
