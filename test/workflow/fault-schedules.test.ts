/**
 * Random fault schedules, seeded: every port call of a run fails with probability 5% or 20%, as a
 * throttle, a 5xx, a timeout, a lost answer or a 409 drawn at random; in some runs someone else
 * also changes the alias once. Whatever the schedule, every invariant holds (sim/faults.ts), a
 * crashing release is never promoted, and a healthy one is (unless someone else changed the
 * alias): transient faults, however many, are waited out, never taken for a bad release. fast-check
 * draws the runs from a fixed seed, so a failure replays exactly; `npm run bench:faults` runs
 * 1,000 of each and prints the counts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomSchedule, runWithFaults } from '../../sim/faults.js';

const RUNS = 150;

describe.each([
  [0.05, 20260105],
  [0.2, 20260106],
])('at a fault rate of %d per call', (rate, seed) => {
  it(`keeps every invariant over ${RUNS} seeded schedules`, async () => {
    let healthyRolledBack = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom('healthy' as const, 'crashing' as const),
        fc.boolean(),
        fc.integer({ min: 0, max: 4 }),
        async (runSeed, target, release, writerDraw) => {
          const concurrentWriter = writerDraw === 0;
          const report = await runWithFaults({ schedule: randomSchedule(runSeed, rate, { concurrentWriter }), target, release, seed: runSeed });
          expect(report.violations).toEqual([]);
          if (target === 'crashing') expect(report.ending).not.toBe('promoted');
          if (target === 'healthy' && !report.concurrentWriter && report.ending !== 'promoted') healthyRolledBack += 1;
          if (target === 'healthy' && !report.concurrentWriter) expect(report.ending, JSON.stringify(report.execution)).toBe('promoted');
        },
      ),
      { numRuns: RUNS, seed },
    );
    console.log(`fault rate ${rate}: ${RUNS} runs, healthy releases not promoted without another writer: ${healthyRolledBack}`);
  });
});
