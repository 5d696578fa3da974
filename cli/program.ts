/**
 * The `rollout` command's commands, options and help: rehearse a rollout against a simulated
 * world (simulate, demo) and show the plan a strategy makes (plan). Each command's work is loaded
 * when it runs, so `rollout --help` loads no rehearsal.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { PRESETS } from '../functions/core/strategy.js';
import { BUILTIN_SCENARIOS } from '../sim/scenarios.js';
import { CommandFailure } from './exit.js';
import type { RawSimulateOptions } from './options.js';
import { out } from './output.js';

const rehearsal = () => import('./rehearsal.js');

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Runs a command's action and sets the exit code. A failure with --json also prints one JSON
 * object on stdout ({ outcome: invalid, reason, ... }) for scripts.
 */
function act<A extends unknown[]>(action: (...args: A) => Promise<number> | number) {
  return async (...args: A) => {
    try {
      process.exitCode = await action(...args);
    } catch (error) {
      const opts = (args.at(-2) ?? {}) as { json?: boolean };
      if (error instanceof CommandFailure && opts.json) {
        out(JSON.stringify({ outcome: error.kind, reason: error.lines.map((l) => l.trim()).join('; '), ...error.details }, null, 2));
      }
      throw error;
    }
  };
}

function rehearsalCommands(root: Command): void {
  const scenarios = Object.keys(BUILTIN_SCENARIOS).join(', ');
  const presets = Object.keys(PRESETS).join(', ');
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
    .action(act(async (opts: RawSimulateOptions) => (await rehearsal()).simulate(opts)));

  root
    .command('demo')
    .description('Two rehearsals: a healthy version promoted, a crashing one rolled back.')
    .addHelpText('after', '\nExample:\n  rollout demo')
    .action(act(async () => (await rehearsal()).demo()));

  root
    .command('plan')
    .description("Show the plan a strategy makes: each step's weight and bake, and the total time.")
    .option('--strategy <name|json>', 'a preset (listed below) or a JSON strategy', 'Canary10Percent5Minutes')
    .option('--json', 'print the plan as one JSON object')
    .addHelpText('after', `\nPresets: ${presets}\nExit codes: 0 the plan is sound, 2 refused.`)
    .addHelpText('after', '\nExamples:\n  rollout plan --strategy Linear10PercentEvery1Minute\n  rollout plan --strategy \'{"type":"exponential","startPercent":1,"factor":3,"intervalSeconds":300}\' --json')
    .action(act(async (opts: { strategy: string; json?: boolean }) => (await rehearsal()).plan(opts.strategy, opts.json === true)));
}

/** The command line, ready to parse; its actions set `process.exitCode`. */
export function program(): Command {
  const root = new Command('rollout')
    .description('lambda-rollout: progressive delivery for AWS Lambda on AWS Step Functions. Rehearse a rollout locally before you run it.')
    .version(version())
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', '\nExit codes: 0 promoted, 1 rolled back or failed, 2 bad usage or input.\nEach command has --help with an example.');
  rehearsalCommands(root);
  return root;
}
