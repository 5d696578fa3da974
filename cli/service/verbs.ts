/**
 * The commands that work a deployed service: start, status, list, report and the control verbs.
 * Each finds the service by its stack, talks to the API signed with SigV4 (and to Step Functions
 * or CloudWatch where the API has no route), writes what a person or a CI job needs, and returns
 * the exit code.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AwsMetricsReader } from '../../functions/aws/cloudwatch-metrics.js';
import { executionArnOf, SfnWorkflow } from '../../functions/aws/sfn.js';
import { NotFoundError } from '../../functions/core/errors.js';
import type { ExecutionInfo, MetricSeries } from '../../functions/ports.js';
import { renderReport } from '../../sim/report.js';
import { EXIT, type ExitCode, RefusalError, UsageError } from '../exit.js';
import { formatWeight, style, table } from '../format.js';
import { colourOn, err, out } from '../output.js';
import { RolloutApiClient } from './api-client.js';
import { artifactRollout } from './artifact.js';
import { awsFailure, type AwsOptions, connect, type Service } from './connection.js';
import { CONTROL_VERBS, type ControlVerb, type ControlVerbName } from './control-verbs.js';
import { exitCodeOf, statusBlock, WatchDisplay } from './display.js';
import { follow } from './follow.js';
import { historyQueries, historyWindow, reportable, rolloutHistory } from './history.js';
import { idempotencyKeyOf, type StartInputOptions, startInputOf } from './start-input.js';
import type { WireRollout } from './wire.js';

interface Json {
  readonly json?: boolean | undefined;
}
interface Following {
  readonly pollSeconds: string;
}

export type StartOptions = AwsOptions & Json & Following & StartInputOptions & { readonly idempotencyKey?: string; readonly wait?: boolean };
export type StatusOptions = AwsOptions & Json & Following & { readonly watch?: boolean; readonly artifact?: string; readonly versionId?: string };
export type ListOptions = AwsOptions & Json & { readonly function?: string; readonly alias?: string; readonly status?: string; readonly limit?: string; readonly nextToken?: string };
export type ControlOptions = AwsOptions & Json & Following & { readonly reason?: string; readonly wait?: boolean; readonly gate?: string; readonly full?: boolean };
export type ReportOptions = AwsOptions & { readonly out?: string };

/** The longest `--poll-seconds`. */
const MAX_POLL_SECONDS = 3600;
/** How long an upload's rollout may take to appear: S3 events reach the trigger within seconds. */
const ARTIFACT_APPEAR_MS = 2 * 60_000;

/** `--poll-seconds`, checked: seconds between reads while following, as milliseconds. */
export function pollMsOf(text: string): number {
  const n = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(n > 0 && n <= MAX_POLL_SECONDS)) throw new UsageError([`--poll-seconds: must be a number of seconds, more than 0 and at most ${MAX_POLL_SECONDS}, got ${text}`]);
  return n * 1000;
}

const print = (value: unknown) => out(JSON.stringify(value, null, 2));
const clientOf = (service: Service) => new RolloutApiClient({ baseUrl: service.apiUrl, region: service.region, credentials: service.credentials });
const nowOf = (api: RolloutApiClient) => api.serverTime ?? Date.now();

/**
 * Follows a rollout to its end: on a terminal with the status block redrawn in place, otherwise
 * line by line; with --json the lines go to stderr, so stdout holds only the final object.
 */
async function watch(api: RolloutApiClient, id: string, json: boolean, pollMs: number): Promise<WireRollout> {
  const tty = !json && process.stdout.isTTY === true;
  const display = new WatchDisplay(json ? process.stderr : process.stdout, { tty, colour: tty && colourOn() });
  const final = await follow(api, id, { pollMs, onView: (view) => display.update(view, nowOf(api)) });
  if (!json) display.finish(final, nowOf(api));
  return final;
}

/** The exit code of a followed rollout: its ending's, or 1 when its execution stopped and nothing recorded an ending. */
function finalCode(final: WireRollout): ExitCode {
  if (final.endedAt !== undefined) return exitCodeOf(final);
  err(`the execution ended ${final.execution.status ?? 'unknown'} but no ending was recorded: the guard has not finished; see ${final.execution.consoleUrl ?? final.executionArn}`);
  return EXIT.notPromoted;
}

/** `rollout start`. */
export async function start(options: StartOptions): Promise<ExitCode> {
  const { body, parsed } = startInputOf(options);
  const key = idempotencyKeyOf(options.idempotencyKey);
  const pollMs = pollMsOf(options.pollSeconds);
  const json = options.json === true;
  const api = clientOf(await connect(options));
  const started = await api.start(body, key);
  const facts = { idempotencyKey: key, replayed: started.replayed, rolloutId: started.rolloutId, executionArn: started.executionArn, consoleUrl: started.consoleUrl };
  if (!json) {
    out(`started rollout ${started.rolloutId}: ${parsed.input.functionName}:${parsed.input.alias} to v${parsed.input.targetVersion}, ${parsed.plan.strategy}`);
    if (started.replayed) out('  this Idempotency-Key started it before: nothing new was started');
    out(`  idempotency key ${key}${options.idempotencyKey === undefined ? ' (pass it as --idempotency-key to retry this start safely)' : ''}`);
    if (started.consoleUrl) out(`  console ${started.consoleUrl}`);
  }
  if (!options.wait) {
    if (json) print({ outcome: 'started', ...facts });
    return EXIT.promoted;
  }
  const final = await watch(api, started.rolloutId, json, pollMs);
  if (json) print({ outcome: final.status, ...facts, rollout: final });
  return finalCode(final);
}

/** The execution an artifact started, or undefined while there is none. */
async function describeIfAny(service: Service, executionArn: string): Promise<ExecutionInfo | undefined> {
  const workflow = new SfnWorkflow(new SFNClient(service.clientConfig), () => service.stateMachineArn ?? '');
  try {
    return await workflow.describe(executionArn);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw awsFailure((error as Error).cause ?? error, { call: 'DescribeExecution', permission: `states:DescribeExecution on ${executionArn}`, region: service.region });
  }
}

/**
 * Waits for the rollout an upload started to have a record: its execution first releases the code
 * (no record yet), and an upload the trigger refused starts nothing.
 */
async function artifactRecord(service: Service, api: RolloutApiClient, options: StatusOptions, pollMs: number): Promise<WireRollout | undefined> {
  const ref = artifactRollout(options.artifact as string, options.versionId);
  if (!service.stateMachineArn) throw new UsageError([`stack ${service.stackName} has no RolloutStateMachineArn output: it cannot say which execution an upload started`]);
  const executionArn = executionArnOf(service.stateMachineArn, ref.executionName);
  const object = `s3://${ref.bucket}/${ref.key} (version ${ref.versionId})`;
  const log = options.json ? err : out;
  const deadline = Date.now() + ARTIFACT_APPEAR_MS;
  let said = '';
  const say = (text: string) => {
    if (text !== said) log(text);
    said = text;
  };
  for (;;) {
    const view = await api.find(ref.executionName);
    if (view) return view;
    const execution = await describeIfAny(service, executionArn);
    if (!execution) {
      if (!options.watch || Date.now() > deadline) {
        throw new RefusalError([
          `no rollout started for ${object}${options.watch ? ` within ${ARTIFACT_APPEAR_MS / 60_000} minutes` : ' (yet)'}: expected execution ${ref.executionName}`,
          '  the artifact trigger publishes a "refused" notification naming the rule an upload broke (key, allowed functions, strategy)',
        ], { executionName: ref.executionName });
      }
      say(`waiting for ${object} to start its rollout (execution ${ref.executionName})`);
    } else if (execution.status === 'RUNNING') {
      say(`releasing ${object}: execution ${ref.executionName} deploys the code and publishes a version before moving traffic`);
      if (!options.watch) return undefined;
    } else {
      // Ended before it had a record: refused or failed while releasing the code.
      const why = `${execution.error ?? execution.status}: ${execution.cause ?? 'no cause given'}`;
      if (execution.error === 'RolloutRefused') throw new RefusalError([`refused: ${why}`], { executionName: ref.executionName });
      err(`the release of ${object} ended ${execution.status}: ${why}`);
      return undefined;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** `rollout status`. */
export async function status(id: string | undefined, options: StatusOptions): Promise<ExitCode> {
  if (id === undefined && options.artifact === undefined) throw new UsageError(['give a rollout id, or --artifact s3://<bucket>/<key> with --version-id']);
  if (id !== undefined && options.artifact !== undefined) throw new UsageError([`give a rollout id or --artifact, not both (got ${id} and ${options.artifact})`]);
  const pollMs = pollMsOf(options.pollSeconds);
  const json = options.json === true;
  const service = await connect(options);
  const api = clientOf(service);
  let rolloutId = id;
  if (options.artifact !== undefined) {
    const found = await artifactRecord(service, api, options, pollMs);
    if (!found) return options.watch ? EXIT.notPromoted : EXIT.promoted;
    rolloutId = found.rolloutId;
  }
  if (!options.watch) {
    const view = await api.get(rolloutId as string);
    if (json) print(view);
    else out(statusBlock(view, nowOf(api), style(colourOn())).join('\n'));
    return EXIT.promoted;
  }
  const final = await watch(api, rolloutId as string, json, pollMs);
  if (json) print(final);
  return finalCode(final);
}

/** `rollout list`. */
export async function list(options: ListOptions): Promise<ExitCode> {
  const api = clientOf(await connect(options));
  const page = await api.list({ functionName: options.function, alias: options.alias, status: options.status, limit: options.limit, nextToken: options.nextToken });
  if (options.json) {
    print(page);
    return EXIT.promoted;
  }
  if (page.items.length === 0) out('no rollouts');
  else {
    const rows = page.items.map((r) => [
      r.rolloutId,
      `${r.functionName}:${r.alias}`,
      `${r.baselineVersion !== undefined ? `v${r.baselineVersion} ` : ''}-> v${r.targetVersion}`,
      r.status,
      r.currentStep !== undefined ? `${r.currentStep}/${r.totalSteps ?? '?'}` : '',
      r.weightPercent !== undefined ? formatWeight(r.weightPercent) : '',
      r.startedAt.replace(/\.\d+Z$/, 'Z'),
    ]);
    out(table(['rollout', 'alias', 'versions', 'status', 'step', 'weight', 'started'], rows));
  }
  if (page.nextToken) out(`\nmore: rollout list --next-token ${page.nextToken}`);
  return EXIT.promoted;
}

/** `rollout abort` and every other control verb: one request, then (with --wait) the rollout (a retry's new one) followed to its end. */
export async function control(verb: ControlVerbName, id: string, options: ControlOptions): Promise<ExitCode> {
  const pollMs = pollMsOf(options.pollSeconds);
  const json = options.json === true;
  if (CONTROL_VERBS[verb].reason === 'required' && (options.reason ?? '').trim() === '') {
    throw new UsageError([`--reason: is required: say ${CONTROL_VERBS[verb].reasonHelp}`]);
  }
  const spec: ControlVerb = CONTROL_VERBS[verb];
  const fields = Object.fromEntries((spec.options ?? []).map((o) => [o.field, options[o.field]]).filter(([, value]) => value !== undefined));
  const api = clientOf(await connect(options));
  const answer = await api.control(id, verb, { ...(options.reason !== undefined ? { reason: options.reason } : {}), ...fields });
  if (!options.wait) {
    if (json) print(answer);
    else out(`${verb}: ${typeof answer.message === 'string' ? answer.message : JSON.stringify(answer)}`);
    return EXIT.promoted;
  }
  if (!json) out(`${verb}: ${typeof answer.message === 'string' ? answer.message : 'accepted'}`);
  const followed = spec.follows === 'started' && typeof answer.rolloutId === 'string' ? answer.rolloutId : id;
  const final = await watch(api, followed, json, pollMs);
  if (json) print({ ...answer, rollout: final });
  return finalCode(final);
}

/** `rollout report`: the rollout's history as the rehearsal's HTML report. */
export async function report(id: string, options: ReportOptions): Promise<ExitCode> {
  const file = options.out ?? `rollout-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.html`;
  if (!/\.html?$/i.test(file)) throw new UsageError([`--out: must be a file name ending in .html, got ${file}`]);
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError([`--out: the folder ${dir} does not exist, got ${file}`]);
  const service = await connect(options);
  const view = reportable(await clientOf(service).get(id));
  const metrics = new AwsMetricsReader(new CloudWatchClient(service.clientConfig));
  let series: MetricSeries[];
  try {
    series = await metrics.getMetricData({ queries: historyQueries(view), ...historyWindow(view) });
  } catch (error) {
    throw awsFailure((error as Error).cause ?? error, { call: 'GetMetricData', permission: 'cloudwatch:GetMetricData', region: service.region });
  }
  writeFileSync(file, renderReport(rolloutHistory(view, series)));
  out(`report written to ${file}`);
  return EXIT.promoted;
}
