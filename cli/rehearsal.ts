/**
 * The rehearsal commands: `simulate` and `demo` run the real workflow against a simulated world in
 * virtual time; `plan` shows the steps a strategy makes. Argument handling and output only; the
 * rehearsal is sim/'s. Loads no AWS SDK client.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidInputError } from '../functions/core/errors.js';
import { type ParsedInput, parseRolloutInput } from '../functions/core/input.js';
import type { RehearsalResult } from '../sim/rehearsal.js';
import { loadScenario, parseScenario, type Scenario, ScenarioError } from '../sim/scenarios.js';
import { EXIT, UsageError } from './exit.js';
import { formatCount, manySummaryText, planData, planText, style, summaryText } from './format.js';
import { applyOverrides, checkSimulateOptions, parseStrategyText, type RawSimulateOptions } from './options.js';
import { LiveProgress } from './progress.js';
import { colourOn, err, out } from './output.js';

/** The function, alias and versions a rehearsal's world has; only used to check the input. */
const SIM_FUNCTION = { functionName: 'orders', alias: 'live', targetVersion: '2' } as const;

function scenarioFrom(name: string): Scenario {
  try {
    return loadScenario(name);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    throw scenarioUsage(error, '--scenario: ');
  }
}

/** A scenario's refusal: for one that breaks rules, each field and its rule on a line of its own. */
function scenarioUsage(error: ScenarioError, prefix = ''): UsageError {
  if (error.invalid) return new UsageError([`${prefix}${error.invalid.source} is invalid:`, ...error.invalid.issues.map((i) => `  ${i.field}: ${i.rule}`)]);
  return new UsageError([error.message.startsWith('--') ? error.message : `${prefix}${error.message}`]);
}

/** The rehearsal, loaded when needed: it brings the workflow and the simulated world, a second to load. */
type Sim = typeof import('../sim/rehearsal.js');
const loadSim = (): Promise<Sim> => import('../sim/rehearsal.js');

/** The scenario's rollout input, checked: its plan, or the refusal naming each field and rule. */
function inputOf(sim: Sim, scenario: Scenario, strategyOption: string | undefined): ParsedInput {
  try {
    return sim.rolloutInputOf(scenario, SIM_FUNCTION);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const fromOption = error.issues.filter((i) => strategyOption !== undefined && i.field.startsWith('strategy'));
    const fromScenario = error.issues.filter((i) => !fromOption.includes(i));
    throw new UsageError([
      ...(fromOption.length > 0 ? [`--strategy refused (got ${strategyOption}):`, ...fromOption.map((i) => `  ${i.field}: ${i.rule}`)] : []),
      ...(fromScenario.length > 0 ? [`scenario ${scenario.name} has an invalid rollout input:`, ...fromScenario.map((i) => `  ${i.field}: ${i.rule}`)] : []),
    ]);
  }
}

function trafficText(s: Scenario): string {
  return 'rps' in s.traffic ? `${formatCount(s.traffic.rps)} requests/s` : `traffic shape of ${s.traffic.shape.length} points`;
}

function headline(s: Scenario, input: ParsedInput): string {
  return `scenario ${s.name}: ${s.description}\nstrategy ${input.plan.strategy}, ${trafficText(s)}, metric delay ${s.metricDelaySeconds}s, seed ${s.seed}`;
}

/** One rehearsal with live progress on stdout, then its summary. */
async function rehearseLive(sim: Sim, scenario: Scenario, input: ParsedInput, paceMs = 0): Promise<RehearsalResult> {
  const tty = process.stdout.isTTY === true;
  const live = new LiveProgress(process.stdout, input.plan, { tty, colour: colourOn(), paceMs: tty ? paceMs : 0 });
  try {
    return await sim.rehearse(scenario, { onProgress: live.onProgress });
  } finally {
    live.finish();
  }
}

/** `rollout simulate`: one rehearsal with live progress (or --json), or many with --runs; exits 0 only when promoted. */
export async function simulate(raw: RawSimulateOptions): Promise<number> {
  const checked = checkSimulateOptions(raw);
  if (!checked.ok) throw new UsageError(checked.problems);
  const settings = checked.value;
  if (settings.report !== undefined) {
    const dir = dirname(resolve(settings.report));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError([`--report: the folder ${dir} does not exist, got ${settings.report}`]);
  }

  const loaded = scenarioFrom(settings.scenario);
  let scenario: Scenario;
  try {
    scenario = parseScenario(applyOverrides(loaded, settings.overrides), `scenario ${loaded.name} with the options given`);
  } catch (error) {
    if (error instanceof ScenarioError) throw scenarioUsage(error);
    throw error;
  }
  const sim = await loadSim();
  const input = inputOf(sim, scenario, raw.strategy);

  if (settings.runs !== undefined) {
    if (!settings.json) out(`Rehearsing scenario ${scenario.name} ${settings.runs} times (seeds ${scenario.seed} to ${scenario.seed + settings.runs - 1})...\n`);
    const { summary } = await sim.rehearseMany(scenario, settings.runs);
    out(settings.json ? JSON.stringify(summary, null, 2) : manySummaryText(summary));
    return summary.outcomeCounts.promoted === summary.runs ? EXIT.promoted : EXIT.notPromoted;
  }

  let result: RehearsalResult;
  if (settings.json) {
    result = await sim.rehearse(scenario);
    out(JSON.stringify(result, null, 2));
  } else {
    out(`${headline(scenario, input)}\n`);
    result = await rehearseLive(sim, scenario, input);
    out(`\n${summaryText(result, style(colourOn()))}`);
  }
  if (settings.report !== undefined) {
    const { renderReport } = await import('../sim/report.js');
    writeFileSync(settings.report, renderReport(result));
    (settings.json ? err : out)(`report written to ${settings.report}`);
  }
  return result.outcome === 'promoted' ? EXIT.promoted : EXIT.notPromoted;
}

/** `rollout demo`: a healthy release promoted, then a crashing one rolled back. */
export async function demo(): Promise<number> {
  const st = style(colourOn());
  const parts = [
    { name: 'healthy', expect: 'promoted', heading: 'A healthy new version is promoted' },
    { name: 'crash', expect: 'rolled_back', heading: 'A new version that fails every request is rolled back' },
  ] as const;
  out(st.bold('lambda-rollout local rehearsal: the real Step Functions workflow, run against a simulated Lambda and CloudWatch in virtual time.'));
  out('');
  const surprises: string[] = [];
  const sim = await loadSim();
  for (const [i, part] of parts.entries()) {
    const scenario = scenarioFrom(part.name);
    const input = inputOf(sim, scenario, undefined);
    out(st.bold(`== ${i + 1}/${parts.length}  ${part.heading} ==`));
    out(`${headline(scenario, input)}\n`);
    const result = await rehearseLive(sim, scenario, input, 250);
    out(`\n${summaryText(result, st)}`);
    out('');
    if (result.outcome !== part.expect) surprises.push(`scenario ${part.name} ended ${result.outcome}, expected ${part.expect}`);
  }
  out('Try your own: npx rollout simulate --scenario crash --strategy Linear10PercentEvery1Minute');
  out('             npx rollout simulate --help   (scenario files, traffic, error rates, latency, --runs, --report)');
  if (surprises.length > 0) {
    err(`demo did not behave as expected: ${surprises.join('; ')}`);
    return EXIT.notPromoted;
  }
  return EXIT.promoted;
}

/**
 * `rollout plan`: the steps a strategy makes and their healthy timeline under a health policy
 * (its metric delay, check cadence and advance rule set the timing), as a table or as data.
 */
export function plan(opts: { strategy: string; health?: string | undefined; json?: boolean | undefined }): number {
  const s = parseStrategyText(opts.strategy);
  if (!s.ok) throw new UsageError([s.problem]);
  let health: unknown;
  try {
    health = opts.health === undefined ? undefined : (JSON.parse(opts.health) as unknown);
  } catch (error) {
    throw new UsageError([`--health: must be a JSON health policy (${(error as Error).message}), got ${opts.health}`]);
  }
  let parsed: ParsedInput;
  try {
    parsed = parseRolloutInput({ ...SIM_FUNCTION, strategy: s.strategy, ...(health === undefined ? {} : { health }) });
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UsageError([`refused (got --strategy ${opts.strategy}${opts.health === undefined ? '' : ` --health ${opts.health}`}):`, ...error.issues.map((i) => `  ${i.field}: ${i.rule}`)]);
  }
  const policy = parsed.input.health;
  out(opts.json ? JSON.stringify(planData(parsed.plan, policy), null, 2) : planText(parsed.plan, policy));
  return EXIT.promoted;
}
