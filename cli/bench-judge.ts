/**
 * How much evidence the error test needs, request by request, against the fairest floors: a
 * canary at a 10% split, every request an independent draw, the test looking at every error.
 *
 * - judge: the workflow's own `judgeErrors` (the error-origin test averaged over its ratio grid,
 *   threshold 1/falseRollbackRate, and the tolerance gate), on a tally folded error by error;
 * - oracle: the same origin test told the true ratio (one-sided, same threshold, same looks): the
 *   best a test that does not assume the baseline's rate can do with these looks;
 * - Wald: Wald's one-sided SPRT on the canary's requests alone, told both true rates (the
 *   baseline's included), same threshold, same looks;
 * - fixed-sample: a two-proportion z-test at 1% repeated at every look (after 100 canary
 *   requests), with the false-rollback rate that repetition gives it.
 *
 * Then the false-rollback rate of the judge and of the fixed-sample test on healthy canaries,
 * looked at after every error up to 20,000 canary requests.
 *
 * Run: npm run bench:judge   (or: npx tsx cli/bench-judge.ts [runs per case, default 4000])
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { HealthPolicySchema, judgeErrors } from '../functions/core/health.js';
import { ERROR_RATIO_GRID, foldOrigin, twoProportionZ } from '../functions/core/judge.js';
import { normalUpperQuantile } from '../functions/core/normal.js';
import { EMPTY_TALLY, type Tally } from '../functions/core/tally.js';
import { Random } from '../sim/random.js';
import { table } from './format.js';

const RUNS = Math.max(100, Number(process.argv[2] ?? 4000) || 4000);
const SPLIT = 0.1;
const POLICY = HealthPolicySchema.parse({});
const ALPHA = POLICY.errors.falseRollbackRate;
const LOG_THRESHOLD = Math.log(1 / ALPHA);
const Z_CRITICAL = normalUpperQuantile(ALPHA);
/** Canary requests a healthy run is watched for. */
const HORIZON = 20_000;
/** The most a detection run may take, in canary requests, before it counts as missed. */
const GIVE_UP = 2_000_000;

type Test = 'judge' | 'oracle' | 'wald' | 'fixed';
const TESTS: readonly Test[] = ['judge', 'oracle', 'wald', 'fixed'];

/**
 * One canary, error by error, until every test has rolled back or `limit` canary requests have
 * been served: the canary requests each test had seen when it first rolled back (absent: never).
 */
function run(rnd: Random, baselineRate: number, targetRate: number, limit: number): Partial<Record<Test, number>> {
  const q = SPLIT;
  const mixed = q * targetRate + (1 - q) * baselineRate;
  const fromTargetIfError = (q * targetRate) / mixed;
  const targetIfFine = (q * (1 - targetRate)) / (1 - mixed);
  const ratio = targetRate / baselineRate;
  const fired: Partial<Record<Test, number>> = {};
  let tally: Tally = EMPTY_TALLY;
  let oracle = 0;
  let wald = 0;
  const t = { invocations: 0, errors: 0, throttles: 0 };
  const b = { invocations: 0, errors: 0, throttles: 0 };
  while (t.invocations < limit && Object.keys(fired).length < TESTS.length) {
    // Requests up to and including the next error: geometric.
    const gap = Math.max(1, Math.ceil(Math.log(rnd.uniformOpen()) / Math.log1p(-mixed)));
    const fineToTarget = rnd.binomial(gap - 1, targetIfFine);
    const errorFromTarget = rnd.uniform() < fromTargetIfError;
    t.invocations += fineToTarget + (errorFromTarget ? 1 : 0);
    b.invocations += gap - 1 - fineToTarget + (errorFromTarget ? 0 : 1);
    if (errorFromTarget) t.errors += 1;
    else b.errors += 1;
    // The origin of this error, given that an error happened: all the origin tests need.
    const origin = { target: { events: errorFromTarget ? 1 : 0, trials: q }, baseline: { events: errorFromTarget ? 0 : 1, trials: 1 - q } };
    tally = { ...tally, target: { ...t }, baseline: { ...b }, errors: foldOrigin(tally.errors, origin) };
    oracle = foldOrigin([oracle], origin, [ratio])[0]!;
    wald += fineToTarget * Math.log((1 - targetRate) / (1 - baselineRate)) + (errorFromTarget ? Math.log(targetRate / baselineRate) : 0);
    const seen = t.invocations;
    if (fired.judge === undefined && judgeErrors(POLICY, tally).verdict === 'unhealthy') fired.judge = seen;
    if (fired.oracle === undefined && oracle >= LOG_THRESHOLD) fired.oracle = seen;
    if (fired.wald === undefined && ratio > 1 && wald >= LOG_THRESHOLD) fired.wald = seen;
    if (fired.fixed === undefined && seen >= POLICY.minRequests && t.errors / t.invocations - b.errors / b.invocations > POLICY.errors.tolerance && twoProportionZ({ n: t.invocations, x: t.errors }, { n: b.invocations, x: b.errors }) >= Z_CRITICAL) fired.fixed = seen;
  }
  return fired;
}

function meanCI(xs: readonly number[]): { mean: number; text: string } {
  if (xs.length === 0) return { mean: Number.NaN, text: 'n/a' };
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  const h = (1.96 * sd) / Math.sqrt(xs.length);
  return { mean: m, text: `${m.toFixed(0)} [${(m - h).toFixed(0)}-${(m + h).toFixed(0)}]` };
}

/** Wilson 95% interval of a proportion, as "x% [lo-hi%]". */
function rateCI(hits: number, n: number): string {
  const z = 1.96;
  const p = hits / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  const f = (x: number) => (x * 100).toFixed(2);
  return `${f(p)}% [${f(Math.max(0, c - h))}-${f(Math.min(1, c + h))}]`;
}

const started = performance.now();
const CASES: readonly [string, number, number][] = [
  ['0.1% -> 1%', 0.001, 0.01],
  ['1% -> 5%', 0.01, 0.05],
  ['0.1% -> 5%', 0.001, 0.05],
  ['1.5x: 1% -> 1.5%', 0.01, 0.015],
  ['2x: 1% -> 2%', 0.01, 0.02],
];
const detection: string[][] = [];
let worst = 0;
for (const [label, baseline, target] of CASES) {
  const rnd = new Random(7);
  const needed: Record<Test, number[]> = { judge: [], oracle: [], wald: [], fixed: [] };
  for (let i = 0; i < RUNS; i++) {
    const fired = run(rnd, baseline, target, GIVE_UP);
    for (const test of TESTS) needed[test].push(fired[test] ?? GIVE_UP);
  }
  const [judge, oracle, wald, fixed] = TESTS.map((test) => meanCI(needed[test])) as [ReturnType<typeof meanCI>, ReturnType<typeof meanCI>, ReturnType<typeof meanCI>, ReturnType<typeof meanCI>];
  const ratio = judge.mean / oracle.mean;
  worst = Math.max(worst, ratio);
  detection.push([label, judge.text, oracle.text, `${ratio.toFixed(2)}x`, wald.text, fixed.text]);
}

const healthy: string[][] = [];
for (const rate of [0.001, 0.01, 0.05]) {
  const rnd = new Random(11);
  const n = Math.max(100, Math.round(RUNS / 4));
  let judge = 0;
  let fixed = 0;
  for (let i = 0; i < n; i++) {
    const fired = run(rnd, rate, rate, HORIZON);
    if (fired.judge !== undefined) judge += 1;
    if (fired.fixed !== undefined) fixed += 1;
  }
  healthy.push([`${rate * 100}% both`, String(n), `${Math.round(HORIZON * rate / SPLIT)} (every error)`, rateCI(judge, n), rateCI(fixed, n)]);
}

console.log(`npm run bench:judge -- ${RUNS}   (node ${process.version}, ${cpus().length} CPUs, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
console.log(`mean canary requests to rollback at a ${SPLIT * 100}% split, looking at every error, threshold ${1 / ALPHA} (false-rollback bound ${ALPHA * 100}%), ${RUNS} runs per case [95% interval]`);
console.log(table(['case', 'judge', 'oracle (knows the ratio)', 'judge / oracle', 'Wald SPRT (knows both rates)', 'fixed-sample z-test'], detection, ['left', 'right', 'right', 'right', 'right', 'right']));
console.log('');
console.log(`false rollbacks of healthy canaries, watched for ${HORIZON.toLocaleString('en-US')} canary requests [95% interval]`);
console.log(table(['error rate', 'runs', 'looks (about)', 'judge', 'fixed-sample z-test'], healthy, ['left', 'right', 'right', 'right', 'right']));
console.log('');
console.log(`worst judge / oracle: ${worst.toFixed(2)}x (goal <= 1.2x)`);
