/**
 * The `rollout` command's commands, options and help: rehearse a rollout against a simulated
 * world (simulate, demo), show the plan a strategy makes (plan), then drive real rollouts on a
 * deployed stack (start, status, list, report, and the control verbs such as abort). Each
 * command's work is loaded when it runs, so the rehearsal never loads an AWS SDK client and
 * `rollout --help` loads neither.
 */
import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { PRESETS } from '../functions/core/strategy.js';
import { DEFAULT_STACK_NAME } from '../functions/names.js';
import { ROLLOUT_STATUSES } from '../functions/core/registry.js';
import { BUILTIN_SCENARIOS } from '../sim/scenarios.js';
import { CommandFailure, EXIT_CODES_HELP } from './exit.js';
import type { RawSimulateOptions } from './options.js';
import { out } from './output.js';
import { CONTROL_VERBS, type ControlVerb, type ControlVerbName } from './service/control-verbs.js';

const rehearsal = () => import('./rehearsal.js');
const service = () => import('./service/verbs.js');

/** The package's version: its own name resolves to its package.json from the sources and from dist/ alike. */
function version(): string {
  return (createRequire(import.meta.url)('lambda-rollout/package.json') as { version: string }).version;
}

/** The options of every command that talks to AWS: which stack, region and profile. */
function withAws(command: Command): Command {
  return command
    .option('--stack <name>', 'the CloudFormation stack of the service', DEFAULT_STACK_NAME)
    .option('--region <region>', 'the AWS region of the stack (default: AWS_REGION, or your profile\'s region)')
    .option('--profile <name>', 'a named profile from your AWS config (default: AWS_PROFILE, or the default chain)');
}

const POLL = ['--poll-seconds <n>', 'seconds between reads while following the rollout', '10'] as const;

/**
 * Runs a command's action and sets the exit code. A failure with --json also prints one JSON
 * object on stdout ({ outcome: invalid | refused | unreachable, reason, ... }) for scripts.
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
    .option('--health <json>', 'a health policy, as in the rollout input (its metric delay, check cadence and advance rule set the timing)')
    .option('--json', 'print the plan and its healthy timeline as one JSON object')
    .addHelpText('after', `\nPresets: ${presets}\nExit codes: 0 the plan is sound, 2 refused.`)
    .addHelpText('after', '\nExamples:\n  rollout plan --strategy Linear10PercentEvery1Minute\n  rollout plan --strategy \'{"type":"exponential","startPercent":1,"factor":3,"intervalSeconds":300}\' --json')
    .action(act(async (opts: { strategy: string; health?: string; json?: boolean }) => (await rehearsal()).plan(opts)));
}

function serviceCommands(root: Command): void {
  withAws(root.command('start'))
    .description('Start a rollout on the deployed service; with --wait, follow it and exit with its outcome.')
    .option('--input <file>', 'the rollout input as a JSON or YAML file (the API\'s schema); flags override its fields')
    .option('--function <name>', 'the function: a name or an unqualified function ARN')
    .option('--alias <name>', 'the alias whose traffic moves')
    .option('--version <n>', 'the published version to roll out')
    .option('--strategy <name|json>', `a preset (${Object.keys(PRESETS).join(', ')}) or a JSON strategy`)
    .option('--health <json>', 'the health policy as JSON, e.g. \'{"minRequests":200}\'')
    .option('--rollout-id <id>', 'your id for the rollout (default: the execution name)')
    .option('--idempotency-key <key>', 'makes a retried start safe: the same key and input start one rollout (default: a fresh UUID, printed)')
    .option('--wait', 'follow the rollout until it ends, and exit with its outcome')
    .option(...POLL)
    .option('--json', 'print one JSON object: the outcome and the rollout\'s facts')
    .addHelpText('after', `\nThe input is checked here with the service's own rules before anything in AWS is asked.\n${EXIT_CODES_HELP}`)
    .addHelpText('after', '\nExamples:\n  rollout start --function orders --alias live --version 8 --strategy Linear10PercentEvery1Minute --wait\n  rollout start --input release.yaml --version "$VERSION" --idempotency-key "$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT" --wait --json')
    .action(act(async (opts) => (await service()).start(opts)));

  withAws(root.command('status').argument('[id]', 'the rollout id'))
    .description('Show a rollout: step, weight, time at this step, the last check, what comes next, the console link.')
    .option('--watch', 'follow it until it ends (redrawn in place on a terminal), and exit with its outcome')
    .option('--artifact <s3-uri>', 'instead of an id: the uploaded artifact, s3://<bucket>/<key>, whose rollout to show')
    .option('--version-id <id>', 'with --artifact: the object version the upload created')
    .option(...POLL)
    .option('--json', 'print the rollout as one JSON object (with --watch: once it has ended)')
    .addHelpText('after', `\nWithout --watch the exit code is 0 when the rollout was read.\n${EXIT_CODES_HELP}`)
    .addHelpText('after', '\nExamples:\n  rollout status orders-live-v8-3f2a9c01b7d4 --watch\n  rollout status --artifact s3://my-artifacts/releases/orders/live/build-417.zip --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY --watch')
    .action(act(async (id: string | undefined, opts) => (await service()).status(id, opts)));

  withAws(root.command('list'))
    .description('List rollouts, newest first.')
    .option('--function <name>', 'only this function\'s rollouts')
    .option('--alias <name>', 'only this alias (with --function)')
    .addOption(new Option('--status <status>', 'only rollouts with this status').choices(ROLLOUT_STATUSES))
    .option('--limit <n>', 'at most this many (1-100, default 20)')
    .option('--next-token <token>', 'the next page, as the previous page said')
    .option('--json', 'print the page as one JSON object')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .addHelpText('after', '\nExamples:\n  rollout list --function orders --status running\n  rollout list --limit 5 --json')
    .action(act(async (opts) => (await service()).list(opts)));

  for (const [verb, spec] of Object.entries(CONTROL_VERBS) as [ControlVerbName, (typeof CONTROL_VERBS)[ControlVerbName]][]) {
    const command = withAws(root.command(verb).argument('<id>', 'the rollout id')).description(spec.summary);
    if (spec.reason === 'required') command.requiredOption('--reason <text>', spec.reasonHelp);
    else command.option('--reason <text>', spec.reasonHelp);
    for (const option of (spec as ControlVerb).options ?? []) command.option(option.flags, option.help);
    command
      .option('--wait', 'then follow the rollout until it ends, and exit with its outcome')
      .option(...POLL)
      .option('--json', "print the service's answer as one JSON object")
      .addHelpText('after', `\n${spec.help}\n${EXIT_CODES_HELP}`)
      .addHelpText('after', `\nExample:\n  ${spec.example}`)
      .action(act(async (id: string, opts) => (await service()).control(verb, id, opts)));
  }

  withAws(root.command('report').argument('<id>', 'the rollout id'))
    .description("Write a rollout's report: the rehearsal's HTML page, from the registry's record and each version's CloudWatch minutes.")
    .option('--out <file.html>', 'where to write it (default: rollout-<id>.html)')
    .addHelpText('after', `\nThe rollout must have ended. Needs cloudwatch:GetMetricData besides the API.\n${EXIT_CODES_HELP}`)
    .addHelpText('after', '\nExample:\n  rollout report orders-live-v8-3f2a9c01b7d4 --out release-8.html')
    .action(act(async (id: string, opts) => (await service()).report(id, opts)));
}

/** The command line, ready to parse; its actions set `process.exitCode`. */
export function program(): Command {
  const root = new Command('rollout')
    .description('lambda-rollout: progressive delivery for AWS Lambda on AWS Step Functions. Rehearse a rollout locally, then run it on your deployed stack.')
    .version(version())
    // Root options only before the command, so `start --version 8` is the version to roll out.
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\nEach command has --help with an example.`);
  rehearsalCommands(root);
  serviceCommands(root);
  return root;
}
