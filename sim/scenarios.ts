/**
 * Rehearsal scenarios: the traffic and the two versions' behaviour a rollout is tried against.
 * Built-in ones cover the questions people ask before shipping; a scenario file (JSON or YAML)
 * describes anyone's own traffic. Parsing refuses a bad file naming the field and the rule.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { CONTROL_ACTIONS } from '../functions/core/control.js';
import type { FieldIssue } from '../functions/core/errors.js';
import { MAX_METRIC_DELAY_SECONDS } from '../functions/core/health.js';
import { HOOK_KINDS } from '../functions/core/hooks.js';
import { toFieldIssues } from '../functions/core/input.js';
import { MAX_JSON_DEPTH, nestingDepth } from '../functions/core/limits.js';
import { HookScriptSchema } from './hooks.js';

const fraction = (what: string) =>
  z.number({ error: `${what} must be a fraction from 0 to 1 (0.01 = 1%)` }).min(0, { error: `${what} must be a fraction from 0 to 1 (0.01 = 1%)` }).max(1, { error: `${what} must be a fraction from 0 to 1 (0.01 = 1%)` });
const millis = z.number({ error: 'must be a duration in milliseconds, more than 0' }).gt(0, { error: 'must be a duration in milliseconds, more than 0' });
const seconds = z.number({ error: 'must be a number of seconds, 0 or more' }).min(0, { error: 'must be a number of seconds, 0 or more' });
/** The largest scenario file read: a scenario is a few hundred bytes; anything this large is something else. */
export const MAX_SCENARIO_BYTES = 256 * 1024;
/** The highest request rate a scenario may ask for. */
export const MAX_RPS = 100_000;
const rps = z.number({ error: 'must be requests per second, 0 or more' }).min(0, { error: 'must be requests per second, 0 or more' }).max(MAX_RPS, { error: `must be at most ${MAX_RPS} requests per second` });

/** The rule for `traffic`, said whole whether it is missing or not an object. */
const trafficRule = (issue: { readonly input?: unknown }) =>
  `${issue.input === undefined ? 'is required' : 'must be an object'}: { rps: <requests per second> } or { shape: [{ atSeconds, rps }, ...] }`;

const Settings = {
  errorRate: fraction('the error rate'),
  p50Ms: millis,
  p99Ms: millis,
  throttleRate: fraction('the throttle rate').optional(),
};

const ChangeSchema = z.strictObject({
  atSeconds: seconds,
  errorRate: Settings.errorRate.optional(),
  p50Ms: millis.optional(),
  p99Ms: millis.optional(),
  throttleRate: Settings.throttleRate,
});

const BehaviourSchema = z
  .strictObject({ ...Settings, changes: z.array(ChangeSchema).optional() })
  .refine((b) => b.p99Ms >= b.p50Ms, { error: 'p99Ms must be at least p50Ms', path: ['p99Ms'] });

export const ScenarioSchema = z.strictObject(
  {
    name: z.string({ error: 'must be a name' }).min(1, { error: 'must not be empty' }),
    description: z.string({ error: 'must be a sentence' }).default(''),
    /** Any strategy the rollout input accepts. Default: Canary10Percent5Minutes. */
    strategy: z.unknown().optional(),
    /** A health policy, as in the rollout input. */
    health: z.unknown().optional(),
    traffic: z.union([
      z.strictObject({ rps }, { error: trafficRule }),
      z.strictObject(
        {
          shape: z
            .array(z.strictObject({ atSeconds: seconds, rps }), { error: 'must be a list of { atSeconds, rps }' })
            .min(1, { error: 'needs at least one point' }),
        },
        { error: trafficRule },
      ),
    ]),
    baseline: BehaviourSchema,
    target: BehaviourSchema,
    /**
     * Lifecycle hooks and how each answers: succeed, fail, timeout (never answers), callback (answers
     * with the task token after `afterSeconds`), or smoke (the ready-made smoke test against the
     * simulated target). `timeoutSeconds` is the hook's timeout in the rollout input.
     */
    hooks: z
      .partialRecord(z.enum(HOOK_KINDS), z.intersection(HookScriptSchema, z.object({ timeoutSeconds: z.number().int().min(1).optional() })))
      .optional(),
    /** Approval gates, as in the rollout input. */
    gates: z.unknown().optional(),
    /** The final bake after promotion, as in the rollout input; the baseline then has an hour of traffic before the start to compare with. */
    finalBakeSeconds: z.unknown().optional(),
    /** A person acting on the rollout at given moments: approve, reject, pause, resume, promote, with the API's body. */
    operator: z
      .array(z.strictObject({ atSeconds: seconds, action: z.enum(CONTROL_ACTIONS, { error: `must be one of ${CONTROL_ACTIONS.join(', ')}` }), body: z.record(z.string(), z.unknown()).optional() }), {
        error: 'must be a list of { atSeconds, action, body? }',
      })
      .optional(),
    /** Provisioned concurrency: the alias's own, what the input asks for, how long warming up takes, a failure. */
    concurrency: z
      .strictObject({
        alias: z.number().int().min(1).optional(),
        input: z.number().int().min(0).optional(),
        warmupSeconds: seconds.optional(),
        failWith: z.string().optional(),
        unreserved: z.number().int().min(0).optional(),
        reserved: z.number().int().min(0).optional(),
      })
      .optional(),
    /** CloudWatch's ingestion delay. Default 120 s. */
    metricDelaySeconds: seconds.max(MAX_METRIC_DELAY_SECONDS, { error: `must be a number of seconds from 0 to ${MAX_METRIC_DELAY_SECONDS}` }).default(120),
    seed: z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).default(1),
  },
  { error: 'must be an object' },
);

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };

/** The built-in scenarios, by name. */
export const BUILTIN_SCENARIOS = {
  healthy: { name: 'healthy', description: 'The new version behaves like the old one: 50 requests/s, 0.1% errors, p99 200 ms.', traffic: { rps: 50 }, baseline: steady, target: steady },
  crash: { name: 'crash', description: 'Every request to the new version fails.', traffic: { rps: 50 }, baseline: steady, target: { ...steady, errorRate: 1 } },
  'crash-probed': {
    name: 'crash-probed',
    description: 'Every request to the new version fails, and the policy has probes: the version is refused before any traffic moves.',
    health: { probes: { count: 3 } },
    traffic: { rps: 50 },
    baseline: steady,
    target: { ...steady, errorRate: 1 },
  },
  'error-regression': { name: 'error-regression', description: 'The new version fails 3% of requests instead of 0.1%.', traffic: { rps: 50 }, baseline: steady, target: { ...steady, errorRate: 0.03 } },
  'latency-regression': { name: 'latency-regression', description: "The new version's p99 latency doubles, 200 ms to 400 ms.", traffic: { rps: 50 }, baseline: steady, target: { ...steady, p50Ms: 60, p99Ms: 400 } },
  'low-traffic': { name: 'low-traffic', description: 'A quiet function: 0.2 requests/s, too few to judge a 10% canary in five minutes.', traffic: { rps: 0.2 }, baseline: steady, target: steady },
  degrading: {
    name: 'degrading',
    description: 'The new version starts healthy and begins failing 20% of requests after four minutes (a leak, a full disk).',
    strategy: 'Linear10PercentEvery1Minute',
    traffic: { rps: 50 },
    baseline: steady,
    target: { ...steady, changes: [{ atSeconds: 240, errorRate: 0.2 }] },
  },
  'pre-traffic-failure': {
    name: 'pre-traffic-failure',
    description: "The new version crashes; the ready-made smoke test, as the preTraffic hook, catches it before any traffic moves (CodeDeploy's BeforeAllowTraffic).",
    traffic: { rps: 50 },
    baseline: steady,
    target: { ...steady, errorRate: 1 },
    hooks: { preTraffic: { answer: 'smoke', payload: { cases: [{ payload: { path: '/health' } }, { payload: { path: '/orders/1' } }] } } },
  },
  'approval-gate': {
    name: 'approval-gate',
    description: 'A healthy new version waits at 10% at an approval gate before promotion; a person approves at 10m30s, between two checks, and it is promoted at once.',
    traffic: { rps: 50 },
    baseline: steady,
    target: steady,
    gates: [{ before: 'promotion', timeoutSeconds: 3600 }],
    operator: [{ atSeconds: 630, action: 'approve', body: { reason: 'dashboards look fine' } }],
  },
} as const satisfies Record<string, ScenarioInput>;

export type BuiltinScenario = keyof typeof BUILTIN_SCENARIOS;

/** A scenario that cannot be used: why, and for one that breaks rules, which file and each field with its rule. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    message: string,
    readonly invalid?: { readonly source: string; readonly issues: readonly FieldIssue[] },
  ) {
    super(message);
  }
}

/** Parses a scenario object; throws ScenarioError naming each bad field. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues);
    throw new ScenarioError(`${source} is invalid: ${issues.map((i) => `${i.field}: ${i.rule}`).join('; ')}`, { source, issues });
  }
  return parsed.data;
}

/** A built-in scenario by name, or a JSON/YAML scenario file by path. */
export function loadScenario(nameOrFile: string): Scenario {
  if (Object.hasOwn(BUILTIN_SCENARIOS, nameOrFile)) return parseScenario(BUILTIN_SCENARIOS[nameOrFile as BuiltinScenario]);
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch {
    throw new ScenarioError(`--scenario: "${nameOrFile}" is neither a built-in scenario (${Object.keys(BUILTIN_SCENARIOS).join(', ')}) nor a readable file`);
  }
  const yaml = /\.ya?ml$/i.test(nameOrFile);
  if (Buffer.byteLength(text) > MAX_SCENARIO_BYTES) throw new ScenarioError(`${nameOrFile} is not a scenario file: it is larger than ${MAX_SCENARIO_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the file; a file that is no scenario (a password file...) is never echoed.
    const where = yaml && (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new ScenarioError(`${nameOrFile} is not a scenario file: it is not valid ${yaml ? 'YAML' : 'JSON'}${where ? ` (line ${where.line}, column ${where.col})` : ''}`);
  }
  if (nestingDepth(raw) > MAX_JSON_DEPTH) throw new ScenarioError(`${nameOrFile} is not a scenario file: it nests deeper than ${MAX_JSON_DEPTH} levels`);
  // Something else than a scenario (not an object, or with fields no scenario has) is named by its first broken field only.
  const known = Object.keys(ScenarioSchema.shape);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.keys(raw).some((k) => !known.includes(k))) {
    const parsed = ScenarioSchema.safeParse(raw, { reportInput: true });
    const first = parsed.success ? undefined : toFieldIssues(parsed.error.issues)[0];
    throw new ScenarioError(`${nameOrFile} is not a scenario file${first ? `: ${first.field}: ${first.rule}` : ''}`);
  }
  return parseScenario(raw, nameOrFile);
}

/** Requests per second at a moment, for a constant rate or a piecewise-constant shape. */
export function rateOf(scenario: Scenario): number | ((elapsedSeconds: number) => number) {
  if ('rps' in scenario.traffic) return scenario.traffic.rps;
  const points = [...scenario.traffic.shape].sort((a, b) => a.atSeconds - b.atSeconds);
  return (t) => points.filter((p) => p.atSeconds <= t).at(-1)?.rps ?? points[0]!.rps;
}
