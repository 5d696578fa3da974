/**
 * How well the health analysis decides, measured in the rehearsal world over many seeds: our
 * default policy against a CodeDeploy-style alarm and a fixed-sample test, on the same scenarios.
 * Every row is the real workflow, run to its end, with the real handlers. (The error test's own
 * efficiency, request by request, against a test told the true ratio, is `npm run bench:judge`.)
 *
 * Run: npm run bench:health   (or: npx tsx cli/bench-health.ts [runs per cell, default 200])
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type RehearsalResult, rehearseMany } from '../sim/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../sim/scenarios.js';
import type { SimWorld } from '../sim/world.js';
import { table } from './format.js';

const RUNS = Math.max(10, Number(process.argv[2] ?? 200) || 200);
const ALARM = 'orders-live-errors';

/** The policies compared, as rollout health policies. */
const POLICIES = {
  ours: {},
  'codedeploy-alarm': {
    // CodeDeploy stops only on an alarm in ALARM; INSUFFICIENT_DATA counts as fine, and nothing else is judged.
    errors: { test: 'none' },
    latency: { enabled: false },
    throttles: { maxIncrease: 1 },
    alarms: { names: [ALARM], insufficientData: 'ok' },
    insufficientData: { maxHoldSeconds: 0, then: 'proceed' },
  },
  'fixed-sample': { errors: { test: 'fixed-sample' }, latency: { enabled: false } },
} as const;
type PolicyName = keyof typeof POLICIES;

/** The alarm a CodeDeploy user typically sets: any error on the alias in a minute. */
function withAliasErrorAlarm(world: SimWorld): void {
  world.cloudwatch.putMetricAlarm({
    alarmName: ALARM,
    namespace: 'AWS/Lambda',
    metricName: 'Errors',
    dimensions: { FunctionName: world.functionName, Resource: `${world.functionName}:${world.alias}` },
    stat: 'Sum',
    periodSeconds: 60,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    treatMissingData: 'notBreaching',
  });
}

const version = (errorRate: number, p99Ms = 200) => ({ errorRate, p50Ms: 40, p99Ms });

/** `n` rehearsals of the scenario under the policy, seeds 1 to n, each with the alias's error alarm. */
async function runs(name: string, base: Omit<ScenarioInput, 'name' | 'health'>, policy: PolicyName, n = RUNS): Promise<RehearsalResult[]> {
  const scenario = parseScenario({ ...base, name, health: POLICIES[policy], seed: 1 } as ScenarioInput);
  return (await rehearseMany(scenario, n, { setup: withAliasErrorAlarm })).results;
}

/** Wilson 95% interval of a proportion, as "x% [lo-hi%]". */
function rateCI(hits: number, n: number): string {
  const z = 1.96;
  const p = hits / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  const f = (x: number) => (x * 100).toFixed(1);
  return `${f(p)}% [${f(Math.max(0, c - h))}-${f(Math.min(1, c + h))}]`;
}

/** Mean with a normal 95% interval. */
function meanCI(xs: readonly number[], unit = ''): string {
  if (xs.length === 0) return 'n/a';
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  const h = (1.96 * sd) / Math.sqrt(xs.length);
  return `${m.toFixed(0)}${unit} [${(m - h).toFixed(0)}-${(m + h).toFixed(0)}]`;
}

const rows: string[][] = [];
const add = (scenario: string, policy: string, metric: string, value: string, goal = '') => rows.push([scenario, policy, metric, value, goal]);
const started = performance.now();

// Healthy releases: how often is a version as good as the baseline rolled back, by any signal
// (errors, latency, throttles)? The other policies on the cells where they differ most.
for (const rps of [10, 100, 1000]) {
  for (const errorRate of [0, 0.001, 0.01, 0.05]) {
    const compared = rps <= 100 && (errorRate === 0.001 || errorRate === 0.01);
    for (const policy of (compared ? Object.keys(POLICIES) : ['ours']) as PolicyName[]) {
      const rs = await runs('healthy', { strategy: 'Linear10PercentEvery1Minute', traffic: { rps }, baseline: version(errorRate), target: version(errorRate) }, policy);
      const falseRollbacks = rs.filter((r) => r.outcome !== 'promoted');
      // Which signal rolled each back: its reason's first word (errors, p99, p90, throttled...).
      const why = [...new Set(falseRollbacks.map((r) => r.reason.split(' ')[0]))].join(', ');
      add(`healthy, ${errorRate * 100}% errors, ${rps} rps`, policy, 'false rollbacks', `${rateCI(falseRollbacks.length, rs.length)}${policy === 'ours' && why ? ` (${why})` : ''}`, policy === 'ours' ? '<= 1%' : '');
    }
  }
}

// A crash: how fast, and how many failed requests did users see? With probes, none.
for (const rps of [10, 100]) {
  for (const policy of Object.keys(POLICIES) as PolicyName[]) {
    const rs = await runs('crash', { strategy: 'Canary10Percent5Minutes', traffic: { rps }, baseline: version(0.001), target: version(1) }, policy);
    const caught = rs.filter((r) => r.outcome === 'rolled_back');
    add(`crash, ${rps} rps`, policy, 'rolled back', rateCI(caught.length, rs.length));
    add(`crash, ${rps} rps`, policy, 'first request to rollback (s)', meanCI(caught.map((r) => r.detectionSeconds ?? 0)), policy === 'ours' ? '180 (first complete minute)' : '');
    add(`crash, ${rps} rps`, policy, 'failed requests served', meanCI(rs.map((r) => r.target.errors)));
  }
  const probed = (await rehearseMany(parseScenario({ name: 'crash', strategy: 'Canary10Percent5Minutes', traffic: { rps }, baseline: version(0.001), target: version(1), health: { probes: { count: 3 } }, seed: 1 }), RUNS)).results;
  add(`crash, ${rps} rps`, 'ours + probes', 'refused before any traffic', rateCI(probed.filter((r) => r.error === 'RolloutRefused').length, probed.length), '100%');
  add(`crash, ${rps} rps`, 'ours + probes', 'failed requests served', meanCI(probed.map((r) => r.target.errors)), '0');
}

// Regressions: caught before the new version takes half the traffic? On how much evidence?
for (const [from, to] of [[0.001, 0.01], [0.01, 0.05]] as const) {
  for (const policy of Object.keys(POLICIES) as PolicyName[]) {
    const rs = await runs('regression', { strategy: 'Linear10PercentEvery1Minute', traffic: { rps: 100 }, baseline: version(from), target: version(to) }, policy);
    const early = rs.filter((r) => r.outcome === 'rolled_back' && (r.steps.at(-1)?.weightPercent ?? 100) <= 50);
    const label = `regression ${from * 100}% -> ${to * 100}%, 100 rps`;
    add(label, policy, 'detected before weight passes 50%', rateCI(early.length, rs.length), policy === 'ours' ? '>= 95%' : '');
    add(label, policy, 'canary requests judged at detection', meanCI(rs.filter((r) => r.outcome === 'rolled_back').map((r) => r.steps.at(-1)?.target.invocations ?? 0)));
  }
}

// Latency: the p99 doubles.
for (const policy of ['ours', 'codedeploy-alarm'] as const) {
  const rs = await runs('latency', { strategy: 'Linear10PercentEvery1Minute', traffic: { rps: 100 }, baseline: version(0.001, 200), target: { errorRate: 0.001, p50Ms: 60, p99Ms: 400 } }, policy);
  add('latency regression, p99 x2, 100 rps', policy, 'rolled back', rateCI(rs.filter((r) => r.outcome === 'rolled_back').length, rs.length), policy === 'ours' ? 'detected' : '');
}

// Low traffic: never promoted untested; promoted on probes only when the policy says they count.
for (const policy of ['ours', 'codedeploy-alarm'] as const) {
  const rs = await runs('low-traffic', { strategy: 'Canary10Percent5Minutes', traffic: { rps: 0.2 }, baseline: version(0.001), target: version(0.001) }, policy, Math.min(RUNS, 100));
  const promoted = rs.filter((r) => r.outcome === 'promoted').length;
  add('low traffic, 0.2 rps', policy, 'promoted untested', rateCI(promoted, rs.length), policy === 'ours' ? '0%' : '');
  if (policy === 'ours') add('low traffic, 0.2 rps', policy, 'outcome', `${rs[0]?.outcome}: ${rs[0]?.reason.split(':')[0]}`);
}
{
  const probes = { count: 20, everySeconds: 60, countAsEvidence: true };
  const rs = (await rehearseMany(parseScenario({ name: 'low-traffic', strategy: 'Canary10Percent5Minutes', traffic: { rps: 0.2 }, baseline: version(0.001), target: version(0.001), health: { probes }, seed: 1 }), Math.min(RUNS, 100))).results;
  add('low traffic, 0.2 rps', 'ours + 20 probes/min as evidence', 'promoted, judged on probes', rateCI(rs.filter((r) => r.outcome === 'promoted' && /judged on probes/.test(r.steps.at(-1)?.reason ?? '')).length, rs.length));
}

// Speed: a healthy release at 100 rps, adaptive against a fixed canary ('rollout plan' prints the same).
for (const [label, strategy] of [['Canary10Percent5Minutes', 'Canary10Percent5Minutes'], ['Linear10PercentEvery1Minute', 'Linear10PercentEvery1Minute'], ['adaptive 10%, 50%', { type: 'adaptive' }]] as const) {
  const rs = await runs('speed', { strategy, traffic: { rps: 100 }, baseline: version(0.001), target: version(0.001) }, 'ours');
  const promoted = rs.filter((r) => r.outcome === 'promoted');
  add('healthy, 100 rps: time to 100%', label, 'seconds (promoted runs)', `${meanCI(promoted.map((r) => r.durationSeconds))} (${promoted.length}/${rs.length} promoted)`);
}

console.log(`npm run bench:health -- ${RUNS}   (node ${process.version}, ${cpus().length} CPUs, ${RUNS} seeded runs per cell, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
console.log(`policies: ours = default health policy; codedeploy-alarm = alarm on the alias's Errors >= 1 in 60 s, 1 period, missing data not breaching, INSUFFICIENT_DATA ok; fixed-sample = two-proportion z-test at 1% at every check`);
console.log(table(['scenario', 'policy', 'measure', 'value [95% interval]', 'goal'], rows));
