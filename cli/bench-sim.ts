/**
 * Wall time of a whole rehearsal: the real workflow, the simulated traffic and CloudWatch, for a
 * 30-minute rollout (steps at 10, 25, 50 and 75%, 7m 30s of bake each) of a healthy version, at
 * 1, 100 and 1,000 requests per second. Each rate runs several times; the first run of each rate
 * is reported apart as cold (the very first also compiles the workflow definition). Then long
 * bakes, once each: a canary of 8 hours and one of 30 days at 10 requests per second (the month
 * continues in a new execution of the workflow before its history fills), with the CPU time beside
 * the wall time, which other work on the machine stretches.
 *
 * Run: npm run bench:sim   (or: npx tsx cli/bench-sim.ts [runs per rate])
 */
import { cpus, platform, arch } from 'node:os';
import { performance } from 'node:perf_hooks';
import { rehearse, type RehearsalResult } from '../sim/rehearsal.js';
import { parseScenario } from '../sim/scenarios.js';
import { formatCount, formatDuration, table } from './format.js';

const RATES = [1, 100, 1000] as const;
const BAKE_SECONDS = 450;
const TARGET_MS_AT_1000_RPS = 1000;
const runsPerRate = Math.max(2, Number(process.argv[2] ?? 7) || 7);

const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };

const LONG_BAKES = [
  { label: '8 h canary', bakeSeconds: 8 * 3600 },
  { label: '30-day canary', bakeSeconds: 30 * 86_400 },
] as const;
const LONG_RPS = 10;

function longCanary(bakeSeconds: number) {
  return parseScenario(
    {
      name: `bench-canary-${bakeSeconds}s`,
      description: 'A healthy new version, one long canary bake.',
      strategy: { type: 'canary', percent: 10, bakeSeconds },
      health: { minRequests: 10 },
      traffic: { rps: LONG_RPS },
      baseline: steady,
      target: steady,
    },
    'bench scenario',
  );
}

function scenarioAt(rps: number) {
  return parseScenario(
    {
      name: `bench-${rps}rps`,
      description: 'A healthy new version, a 30-minute plan of bakes.',
      strategy: { type: 'steps', steps: [10, 25, 50, 75].map((weightPercent) => ({ weightPercent, bakeSeconds: BAKE_SECONDS })) },
      // At 1 request/s a 10% step sees about 45 requests in its bake: ask for 10 so that every
      // rate runs the same 30-minute promotion rather than holding for more traffic.
      health: { minRequests: 10 },
      traffic: { rps },
      baseline: steady,
      target: steady,
    },
    'bench scenario',
  );
}

async function timed(of: ReturnType<typeof parseScenario>, seed: number): Promise<{ ms: number; result: RehearsalResult }> {
  const scenario = { ...of, seed };
  const began = performance.now();
  const result = await rehearse(scenario);
  return { ms: performance.now() - began, result };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const ms = (x: number) => x.toFixed(1);

const cpu = cpus();
const args = process.argv.slice(2).join(' ');
console.log(`command: ${process.env.npm_lifecycle_event === 'bench:sim' ? `npm run bench:sim${args ? ` -- ${args}` : ''}` : `npx tsx cli/bench-sim.ts${args ? ` ${args}` : ''}`}`);
console.log(`machine: node ${process.version}, ${platform()} ${arch()}, ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown model'})`);
console.log(`rollout: healthy new version, steps 10/25/50/75% with ${formatDuration(BAKE_SECONDS)} bakes (${formatDuration(4 * BAKE_SECONDS)} of plan), metric delay 120s`);
console.log(`runs: ${runsPerRate} per rate, seeds 1..${runsPerRate}; cold = the first run at that rate (the first of all also compiles the workflow definition); median and min over the others`);
console.log('');

const rows: string[][] = [];
let slowAt1000 = Number.NaN;
for (const rps of RATES) {
  const cold = await timed(scenarioAt(rps), 1);
  const warm: { ms: number; result: RehearsalResult }[] = [];
  for (let seed = 2; seed <= runsPerRate; seed++) warm.push(await timed(scenarioAt(rps), seed));
  const all = [cold, ...warm];
  const outcomes = [...new Set(all.map((r) => r.result.outcome))].join(', ');
  const virtual = [...new Set(all.map((r) => formatDuration(r.result.durationSeconds)))].join(', ');
  const requests = median(all.map((r) => r.result.target.requests + r.result.baseline.requests));
  const warmMs = warm.map((r) => r.ms);
  if (rps === 1000) slowAt1000 = median(warmMs);
  rows.push([formatCount(rps), virtual, outcomes, formatCount(Math.round(requests)), ms(cold.ms), ms(median(warmMs)), ms(Math.min(...warmMs))]);
}

console.log(
  table(
    ['rps', 'virtual time', 'outcome', 'simulated requests', 'cold ms', 'median ms', 'min ms'],
    rows,
    ['right', 'right', 'left', 'right', 'right', 'right', 'right'],
  ),
);
console.log('');
console.log(
  `target: under ${formatCount(TARGET_MS_AT_1000_RPS)} ms wall per 30-minute rollout at 1,000 rps: ` +
    (slowAt1000 < TARGET_MS_AT_1000_RPS ? `met (median ${ms(slowAt1000)} ms)` : `NOT met (median ${ms(slowAt1000)} ms)`),
);
console.log('');

const longRows: string[][] = [];
for (const { label, bakeSeconds } of LONG_BAKES) {
  const cpuBefore = process.cpuUsage();
  const { ms: wall, result } = await timed(longCanary(bakeSeconds), 1);
  const cpu = process.cpuUsage(cpuBefore);
  longRows.push([label, formatCount(LONG_RPS), formatDuration(result.durationSeconds), result.outcome, formatCount(result.checks.length), formatCount(result.target.requests + result.baseline.requests), ms(wall), ms((cpu.user + cpu.system) / 1000)]);
}
console.log(
  table(
    ['long bake', 'rps', 'virtual time', 'outcome', 'checks', 'simulated requests', 'wall ms', 'cpu ms'],
    longRows,
    ['left', 'right', 'right', 'left', 'right', 'right', 'right', 'right'],
  ),
);
