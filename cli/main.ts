/**
 * The `rollout` command: rehearse a rollout against a simulated world (simulate, demo) and show
 * the plan a strategy makes (plan). Argument handling and output only; the rehearsal is sim/'s.
 *
 * Exit codes: 0 promoted (every run, with --runs), 1 rolled back or failed, 2 bad usage or input.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { InvalidInputError } from '../functions/core/errors.js';
import { type ParsedInput, parseRolloutInput } from '../functions/core/input.js';
import { PRESETS } from '../functions/core/strategy.js';
import type { RehearsalResult } from '../sim/rehearsal.js';
import { BUILTIN_SCENARIOS, loadScenario, parseScenario, type Scenario, ScenarioError } from '../sim/scenarios.js';
import { formatCount, manySummaryText, planText, style, summaryText } from './format.js';
import { applyOverrides, checkSimulateOptions, parseStrategyText, type RawSimulateOptions } from './options.js';
import { LiveProgress } from './progress.js';

/** Bad usage or input: shown as it is, exit 2. */
class UsageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** The function, alias and versions a rehearsal's world has; only used to check the input. */
const SIM_FUNCTION = { functionName: 'orders', alias: 'live', targetVersion: '2' } as const;

const EXIT = { promoted: 0, notPromoted: 1, usage: 2 } as const;

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const err = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
const colourOn = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

function scenarioFrom(name: string): Scenario {
  try {
    return loadScenario(name);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    throw scenarioUsage(error.message.startsWith('--scenario') ? error.message : `--scenario: ${error.message}`);
  }
}

/** A scenario's refusal, one broken rule a line. */
function scenarioUsage(message: string): UsageError {
  const invalid = /^(.*? is invalid): (.*)$/s.exec(message);
  return new UsageError(invalid ? [`${invalid[1]}:`, ...(invalid[2] ?? '').split('; ').map((p) => `  ${p}`)] : [message]);
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

async function simulate(raw: RawSimulateOptions): Promise<number> {
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
    if (error instanceof ScenarioError) throw scenarioUsage(error.message);
    throw error;
  }
  const sim = await loadSim();
  const input = inputOf(sim, scenario, raw.strategy);

  if (settings.runs !== undefined) {
    if (!settings.json) out(`Rehearsing scenario ${scenario.name} ${settings.runs} times (seeds ${scenario.seed} to ${scenario.seed + settings.runs - 1})...\n`);
    const { summary } = await sim.rehearseMany(scenario, settings.runs);
    out(settings.json ? JSON.stringify(summary, null, 2) : manySummaryText(summary));
    return summary.outcomes.promoted === 1 ? EXIT.promoted : EXIT.notPromoted;
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

async function demo(): Promise<number> {
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

function plan(strategyText: string): number {
  const s = parseStrategyText(strategyText);
  if (!s.ok) throw new UsageError([s.problem]);
  let parsed: ParsedInput;
  try {
    parsed = parseRolloutInput({ ...SIM_FUNCTION, strategy: s.strategy });
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UsageError([`--strategy refused (got ${strategyText}):`, ...error.issues.map((i) => `  ${i.field}: ${i.rule}`)]);
  }
  out(planText(parsed.plan, parsed.input.health.insufficientData.maxHoldSeconds));
  return EXIT.promoted;
}

/** The package's version: its own name resolves to its package.json from the sources and from dist/ alike. */
function version(): string {
  return (createRequire(import.meta.url)('lambda-rollout/package.json') as { version: string }).version;
}

function program(): Command {
  const scenarios = Object.keys(BUILTIN_SCENARIOS).join(', ');
  const presets = Object.keys(PRESETS).join(', ');
  const root = new Command('rollout')
    .description('lambda-rollout: progressive delivery for AWS Lambda on AWS Step Functions. Rehearse a rollout locally before you run it.')
    .version(version())
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', '\nExit codes: 0 promoted, 1 rolled back or failed, 2 bad usage or input.');

  root
    .command('simulate')
    .description('Rehearse a rollout: the real workflow against a simulated Lambda and CloudWatch, in virtual time.')
    .option('--scenario <name|file>', `a built-in scenario (${scenarios}) or a JSON/YAML scenario file`, 'healthy')
    .option('--strategy <name|json>', `a preset (listed below) or a JSON strategy, e.g. '{"type":"linear","percent":20,"intervalSeconds":120}' (default: the scenario's, else Canary10Percent5Minutes)`)
    .option('--rps <n>', 'requests per second to the alias (replaces any traffic shape)')
    .option('--baseline-error-rate <p>', 'share of requests the old version fails, a fraction (0.01 = 1%)')
    .option('--canary-error-rate <p>', 'share of requests the new version fails, a fraction (0.01 = 1%)')
    .option('--baseline-p99-ms <n>', "the old version's p99 latency, ms (a p50 above it is lowered to match)")
    .option('--canary-p99-ms <n>', "the new version's p99 latency, ms (a p50 above it is lowered to match)")
    .option('--metric-delay-seconds <n>', "CloudWatch's ingestion delay, seconds (default 120)")
    .option('--seed <n>', 'random seed; the same seed gives the same rehearsal')
    .option('--json', 'print the result as one JSON object and nothing else')
    .option('--report <file.html>', 'write an HTML report of the rehearsal (single run only)')
    .option('--runs <n>', 'rehearse n times with consecutive seeds and summarise; exit 0 only if every run promoted')
    .addHelpText('after', `\nPresets: ${presets}\n\nRates are fractions: 0.01 = 1%. Options apply on top of the scenario.\nExit codes: 0 promoted (with --runs: every run), 1 rolled back or failed, 2 bad usage or input.`)
    .addHelpText('after', '\nExamples:\n  rollout simulate --scenario crash\n  rollout simulate --scenario healthy --strategy Linear10PercentEvery1Minute --rps 5\n  rollout simulate --scenario error-regression --runs 20\n  rollout simulate --scenario my-traffic.yaml --json > result.json')
    .action(async (opts: RawSimulateOptions) => {
      process.exitCode = await simulate(opts);
    });

  root
    .command('demo')
    .description('Two rehearsals: a healthy version promoted, a crashing one rolled back.')
    .action(async () => {
      process.exitCode = await demo();
    });

  root
    .command('plan')
    .description("Show the plan a strategy makes: each step's weight and bake, and the total time.")
    .option('--strategy <name|json>', 'a preset (listed below) or a JSON strategy', 'Canary10Percent5Minutes')
    .addHelpText('after', `\nPresets: ${presets}\nExit codes: 0 the plan is sound, 2 refused.`)
    .action((opts: { strategy: string }) => {
      process.exitCode = plan(opts.strategy);
    });
  return root;
}

async function main(argv: readonly string[]): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    err(`rollout needs Node.js 22 or later; this is ${process.version}. Run it through npm (npm start, npx rollout), which uses the project's Node.`);
    process.exitCode = EXIT.usage;
    return;
  }
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await program().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help, or the version).
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : EXIT.usage;
    } else if (error instanceof UsageError) {
      for (const p of error.problems) err(p.startsWith('  ') ? p : `error: ${p}`);
      process.exitCode = EXIT.usage;
    } else {
      err(`rollout: unexpected error, please report it:\n${(error as Error).stack ?? String(error)}`);
      process.exitCode = EXIT.notPromoted;
    }
  }
}

await main(process.argv);
