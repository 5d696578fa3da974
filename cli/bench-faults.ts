/**
 * Seeded random fault schedules through the real workflow (sim/faults.ts): at a 5% and a 20%
 * fault rate per port call, runs of a healthy and a crashing release, half of them from an
 * uploaded artifact, one in five with another writer changing the alias once. Prints how the
 * runs ended and every invariant violation, by invariant; exits 1 when there is any violation,
 * or when a healthy release that nobody else touched was not promoted at 5%.
 *
 * Run: npm run bench:faults   (or: npx tsx cli/bench-faults.ts [runs per rate], default 1000)
 */
import { performance } from 'node:perf_hooks';
import { type Ending, INVARIANTS, type InvariantName, randomSchedule, runWithFaults, type TargetKind } from '../sim/faults.js';
import { formatCount, table } from './format.js';

const RATES = [0.05, 0.2] as const;
const runs = Math.max(1, Number(process.argv[2] ?? 1000) || 1000);
const ENDINGS: readonly Ending[] = ['promoted', 'rolled_back', 'drift', 'refused', 'failed'];

interface Tally {
  readonly endings: Record<Ending, number>;
  readonly violations: Record<InvariantName, number>;
  healthyNotPromoted: number;
  writers: number;
  faults: number;
  ms: number;
}

const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
const invariants = Object.keys(INVARIANTS) as InvariantName[];
const example = new Map<InvariantName, string>();

async function bench(rate: number): Promise<Tally> {
  const tally: Tally = { endings: zero(ENDINGS), violations: zero(invariants), healthyNotPromoted: 0, writers: 0, faults: 0, ms: 0 };
  const began = performance.now();
  for (let seed = 1; seed <= runs; seed++) {
    const target: TargetKind = seed % 2 === 0 ? 'crashing' : 'healthy';
    const report = await runWithFaults({ schedule: randomSchedule(seed, rate, { concurrentWriter: seed % 5 === 0 }), target, release: seed % 4 >= 2, seed });
    tally.endings[report.ending] += 1;
    tally.faults += report.injected.length;
    if (report.concurrentWriter) tally.writers += 1;
    if (target === 'healthy' && !report.concurrentWriter && report.ending !== 'promoted') tally.healthyNotPromoted += 1;
    for (const v of report.violations) {
      tally.violations[v.invariant] += 1;
      if (!example.has(v.invariant)) example.set(v.invariant, `rate ${rate}, seed ${seed}: ${v.detail}`);
    }
  }
  tally.ms = performance.now() - began;
  return tally;
}

const args = process.argv.slice(2).join(' ');
console.log(`command: ${process.env.npm_lifecycle_event === 'bench:faults' ? `npm run bench:faults${args ? ` -- ${args}` : ''}` : `npx tsx cli/bench-faults.ts${args ? ` ${args}` : ''}`}`);
console.log(`runs: ${formatCount(runs)} per rate, seeds 1..${runs}: odd seeds healthy, even crashing; seeds 2, 3 (mod 4) from an artifact; every 5th seed with another writer`);
console.log('');

const results: [number, Tally][] = [];
for (const rate of RATES) results.push([rate, await bench(rate)]);

const pct = (rate: number) => `${rate * 100}%`;
console.log(
  table(
    ['fault rate', 'runs', 'faults', ...ENDINGS, 'healthy not promoted', 'with another writer', 'violations', 'wall s'],
    results.map(([rate, t]) => [
      pct(rate),
      formatCount(runs),
      formatCount(t.faults),
      ...ENDINGS.map((e) => formatCount(t.endings[e])),
      formatCount(t.healthyNotPromoted),
      formatCount(t.writers),
      formatCount(invariants.reduce((n, i) => n + t.violations[i], 0)),
      (t.ms / 1000).toFixed(1),
    ]),
    ['right', 'right', 'right', ...ENDINGS.map(() => 'right' as const), 'right', 'right', 'right', 'right'],
  ),
);
console.log('');
console.log('violations by invariant:');
console.log(
  table(
    ['invariant', ...RATES.map(pct)],
    invariants.map((i) => [`${i}: ${INVARIANTS[i]}`, ...results.map(([, t]) => formatCount(t.violations[i]))]),
    ['left', ...RATES.map(() => 'right' as const)],
  ),
);
for (const [invariant, text] of example) console.log(`first ${invariant}: ${text}`);

const violated = results.some(([, t]) => invariants.some((i) => t.violations[i] > 0));
const healthyAt5 = results.find(([rate]) => rate === 0.05)?.[1].healthyNotPromoted ?? 0;
console.log('');
console.log(`done when: 0 invariant violations (${violated ? 'NOT met' : 'met'}); at 5% no healthy release rolled back (${healthyAt5 === 0 ? 'met' : `NOT met: ${healthyAt5}`})`);
process.exitCode = violated || healthyAt5 > 0 ? 1 : 0;
