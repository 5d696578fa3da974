/**
 * Command-line options for a rehearsal: each checked before anything runs, with a message that
 * names the option and the rule and shows the value; then laid over the scenario.
 */
import { MAX_METRIC_DELAY_SECONDS } from '../functions/core/health.js';
import { MAX_RPS, type Scenario } from '../sim/scenarios.js';

/** Options as commander hands them over: strings, or true for flags. */
export interface RawSimulateOptions {
  readonly scenario?: string;
  readonly strategy?: string;
  readonly rps?: string;
  readonly baselineErrorRate?: string;
  readonly canaryErrorRate?: string;
  readonly baselineP99Ms?: string;
  readonly canaryP99Ms?: string;
  readonly metricDelaySeconds?: string;
  readonly seed?: string;
  readonly json?: boolean;
  readonly report?: string;
  readonly runs?: string;
}

/** Overrides that have passed their checks. */
export interface Overrides {
  readonly strategy?: unknown;
  readonly rps?: number;
  readonly baselineErrorRate?: number;
  readonly canaryErrorRate?: number;
  readonly baselineP99Ms?: number;
  readonly canaryP99Ms?: number;
  readonly metricDelaySeconds?: number;
  readonly seed?: number;
}

export interface SimulateSettings {
  readonly scenario: string;
  readonly overrides: Overrides;
  readonly json: boolean;
  readonly report?: string;
  readonly runs?: number;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

const MAX_SEED = 2_147_483_647;
export const MAX_RUNS = 1000;

/** A number the way a person types it: digits, a sign, a point, an exponent; nothing else. */
function toNumber(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

type Rule = (n: number) => boolean;

/**
 * A strategy as typed: a JSON object when it starts with "{", otherwise a preset name. Whether
 * either is a strategy is for the rollout input's rules to say.
 */
export function parseStrategyText(text: string): { ok: true; strategy: unknown } | { ok: false; problem: string } {
  const t = text.trim();
  if (!t.startsWith('{')) return { ok: true, strategy: t };
  try {
    return { ok: true, strategy: JSON.parse(t) as unknown };
  } catch (error) {
    return { ok: false, problem: `--strategy: must be a preset name or a JSON strategy object; this is not valid JSON (${(error as Error).message}), got ${text}` };
  }
}

/** Checks every option; returns all the problems at once, or the settings. */
export function checkSimulateOptions(raw: RawSimulateOptions): Checked<SimulateSettings> {
  const problems: string[] = [];
  const overrides: Record<string, unknown> = {};
  const number = (key: keyof RawSimulateOptions & keyof Overrides, option: string, rule: string, ok: Rule) => {
    const text = raw[key];
    if (text === undefined) return;
    const n = toNumber(String(text));
    if (n === undefined || !ok(n)) problems.push(`${option}: ${rule}, got ${String(text)}`);
    else overrides[key] = n;
  };
  const fraction: Rule = (n) => n >= 0 && n <= 1;
  const whole = (min: number, max: number): Rule => (n) => Number.isInteger(n) && n >= min && n <= max;

  number('rps', '--rps', `must be requests per second, from 0 to ${MAX_RPS}`, (n) => n >= 0 && n <= MAX_RPS);
  number('baselineErrorRate', '--baseline-error-rate', 'must be a fraction from 0 to 1 (0.01 = 1%)', fraction);
  number('canaryErrorRate', '--canary-error-rate', 'must be a fraction from 0 to 1 (0.01 = 1%)', fraction);
  number('baselineP99Ms', '--baseline-p99-ms', 'must be a latency in milliseconds, more than 0', (n) => n > 0);
  number('canaryP99Ms', '--canary-p99-ms', 'must be a latency in milliseconds, more than 0', (n) => n > 0);
  number('metricDelaySeconds', '--metric-delay-seconds', `must be a number of seconds from 0 to ${MAX_METRIC_DELAY_SECONDS}`, (n) => n >= 0 && n <= MAX_METRIC_DELAY_SECONDS);
  number('seed', '--seed', `must be a whole number from 0 to ${MAX_SEED}`, whole(0, MAX_SEED));

  if (raw.strategy !== undefined) {
    const s = parseStrategyText(raw.strategy);
    if (s.ok) overrides.strategy = s.strategy;
    else problems.push(s.problem);
  }

  let runs: number | undefined;
  if (raw.runs !== undefined) {
    const n = toNumber(raw.runs);
    if (n === undefined || !whole(1, MAX_RUNS)(n)) problems.push(`--runs: must be a whole number from 1 to ${MAX_RUNS}, got ${raw.runs}`);
    else runs = n;
  }

  if (raw.report !== undefined) {
    if (!/\.html?$/i.test(raw.report)) problems.push(`--report: must be a file name ending in .html, got ${raw.report}`);
    if (raw.runs !== undefined) {
      problems.push(`--report: writes the report of a single rehearsal and cannot be combined with --runs (got --runs ${raw.runs}); drop --runs, or report one run with --seed`);
    }
  }

  const scenario = raw.scenario ?? 'healthy';
  if (scenario.trim() === '') problems.push(`--scenario: must be a built-in scenario name or a scenario file, got an empty value`);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      scenario,
      overrides: overrides as Overrides,
      json: raw.json === true,
      ...(raw.report !== undefined ? { report: raw.report } : {}),
      ...(runs !== undefined ? { runs } : {}),
    },
  };
}

/**
 * The scenario with the overrides laid over it. `--rps` replaces any traffic shape; a p99 below
 * the version's p50 lowers the p50 to match. Changes over time in the scenario stay as they are.
 */
export function applyOverrides(scenario: Scenario, o: Overrides): Scenario {
  const latency = (b: Scenario['target'], p99: number | undefined): Scenario['target'] =>
    p99 === undefined ? b : { ...b, p99Ms: p99, p50Ms: Math.min(b.p50Ms, p99) };
  const errors = (b: Scenario['target'], rate: number | undefined): Scenario['target'] => (rate === undefined ? b : { ...b, errorRate: rate });
  return {
    ...scenario,
    ...(o.strategy !== undefined ? { strategy: o.strategy } : {}),
    ...(o.rps !== undefined ? { traffic: { rps: o.rps } } : {}),
    ...(o.metricDelaySeconds !== undefined ? { metricDelaySeconds: o.metricDelaySeconds } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    baseline: latency(errors(scenario.baseline, o.baselineErrorRate), o.baselineP99Ms),
    target: latency(errors(scenario.target, o.canaryErrorRate), o.canaryP99Ms),
  };
}
