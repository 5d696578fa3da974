/**
 * Prepare: checks the input and the function, resolves the baseline and its RevisionId, and
 * plans the steps. It also reads what the rollout's options need: whether the hooks are allowed,
 * how much provisioned concurrency the target should get and whether the account can hold it, the
 * event source mappings that invoke the alias, and (for a final bake) the baseline's error rate
 * over the hour before. It only reads; the pre-flight rules are core's (`core/preflight.ts`,
 * `core/concurrency.ts`). A refusal is returned as `{ refusal }` for the workflow to report, so an
 * expected "no" is data, not a crash.
 *
 * The same function explains a failure before any traffic moved (the workflow's ExplainRefusal
 * state, `{ explain, input }`): the caught error as a refusal in one line (`core/refusal.ts`).
 */
import { capacityRefusal, type ConcurrencyState, concurrencyWanted, eventSourceNote } from '../core/concurrency.js';
import { InvalidInputError, NotFoundError, RefusedError, RejectedError, refusalOf } from '../core/errors.js';
import { preRolloutBaseline, preRolloutQueries, preRolloutWindow } from '../core/final-bake.js';
import { type ParsedInput, parseRolloutInput } from '../core/input.js';
import {
  aliasRefusal,
  alarmRefusal,
  functionRefusal,
  missing,
  preparedState,
  releasedInput,
  routingRefusal,
  unqualifiedArn,
} from '../core/preflight.js';
import { explainRefusal, type FailureBeforeTraffic } from '../core/refusal.js';
import { homeOf, hookIssues, scopeRefusal } from '../core/scope.js';
import type { CaughtError, PreRolloutBaseline, RolloutState } from '../core/state.js';
import { logger } from '../logger.js';
import type { AlarmReader, Clock, ConcurrencyControl, EventSources, LambdaControl, MetricsReader } from '../ports.js';

export interface PrepareEvent {
  readonly input: unknown;
  readonly execution: { readonly id: string; readonly name: string; readonly startTime: string };
}

/** ExplainRefusal's event: the state a failed task before the first shift left (its error as `refusal`), and the execution's input. */
export interface ExplainEvent {
  readonly explain: FailureBeforeTraffic['state'];
  readonly input: unknown;
}

export type PrepareResult = RolloutState | { readonly refusal: CaughtError };

/** What a lookup found; a missing resource is a refusal, `whenMissing`. */
async function existing<T>(lookup: Promise<T>, whenMissing: string): Promise<T> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof NotFoundError) throw new RefusedError(whenMissing, { cause: error });
    throw error;
  }
}

/** Stops Prepare with the refusal a rule gave, if any. */
function refuseIf(reason: string | undefined): void {
  if (reason !== undefined) throw new RefusedError(reason);
}

export interface PreparePorts {
  readonly lambda: LambdaControl;
  readonly alarms: AlarmReader;
  readonly concurrency: ConcurrencyControl;
  readonly eventSources: EventSources;
  readonly metrics: MetricsReader;
  readonly clock: Clock;
  /** The construct's allowedFunctions; the function must also be where the execution runs. */
  readonly allowedFunctions: readonly string[];
  /** The construct's allowedHooks: names, name patterns or ARNs. Default: none. */
  readonly allowedHooks?: readonly string[] | undefined;
}

/** Prepare over its ports. */
export function makePrepare({ lambda, alarms, concurrency, eventSources, metrics, clock, allowedFunctions, allowedHooks = [] }: PreparePorts) {
  /** The provisioned concurrency to add on the target, refused when the account cannot hold it. */
  async function provisioning({ input }: ParsedInput): Promise<ConcurrencyState | undefined> {
    const { functionName: fn, alias, targetVersion, provisionedConcurrency } = input;
    if (provisionedConcurrency === 0) return undefined;
    const [onAlias, onTarget] = await Promise.all([concurrency.getProvisioned(fn, alias), concurrency.getProvisioned(fn, targetVersion)]);
    const wanted = concurrencyWanted(provisionedConcurrency, onAlias, onTarget);
    if (!wanted) return undefined;
    const [reserved, configs, unreserved] = await Promise.all([concurrency.getReservedConcurrency(fn), concurrency.listProvisioned(fn), concurrency.getUnreservedConcurrency()]);
    refuseIf(capacityRefusal(fn, wanted.executions, { reserved, provisioned: configs.reduce((t, c) => t + c.requested, 0), unreserved }));
    return wanted;
  }

  /** What to tell people about the event source mappings that invoke the alias; informative only, so a refused listing is said, not fatal. */
  async function mappingsNote(aliasArn: string): Promise<string | undefined> {
    try {
      return eventSourceNote(await eventSources.listFor(aliasArn));
    } catch (error) {
      if (!(error instanceof RejectedError)) throw error;
      logger.warn('could not list event source mappings', { error });
      return `the event source mappings that invoke this alias could not be listed: ${error.message}`;
    }
  }

  /** The baseline's errors over the hour before, for the final bake to compare with. */
  async function baselineBefore({ input }: ParsedInput, baselineVersion: string, now: number): Promise<PreRolloutBaseline | undefined> {
    if (!input.finalBakeSeconds) return undefined;
    const window = preRolloutWindow(now, input.health.metricDelaySeconds);
    const queries = preRolloutQueries(input.functionName, input.alias, baselineVersion);
    return preRolloutBaseline(window, await metrics.getMetricData({ queries, startTime: window.start, endTime: window.end }));
  }

  async function prepare(event: PrepareEvent): Promise<PrepareResult> {
    try {
      const parsed = parseRolloutInput(releasedInput(event.input));
      const { functionName: fn, alias: aliasName, targetVersion } = parsed.input;
      const home = homeOf(event.execution.id);
      if (!home) throw new InvalidInputError([{ field: 'functionName', rule: `the execution id ${event.execution.id} is not an ARN` }]);
      const outside = scopeRefusal(fn, { allowedFunctions, home });
      if (outside) throw new InvalidInputError([{ field: 'functionName', rule: outside }]);
      const hooksOutside = hookIssues(parsed.input.hooks, allowedHooks, home);
      if (hooksOutside.length > 0) throw new InvalidInputError(hooksOutside);
      const latest = await existing(lambda.getVersion(fn, '$LATEST'), missing.function(fn));
      refuseIf(functionRefusal(fn, latest));
      const alias = await existing(lambda.getAlias(fn, aliasName), missing.alias(fn, aliasName));
      refuseIf(aliasRefusal(parsed.input, alias));
      const target = await existing(lambda.getVersion(fn, targetVersion), missing.target(fn, targetVersion));
      const baseline = await existing(lambda.getVersion(fn, alias.functionVersion), missing.baseline(fn, alias.functionVersion));
      refuseIf(routingRefusal(target, baseline));
      const watched = parsed.input.health.alarms.names;
      if (watched.length > 0) refuseIf(alarmRefusal(watched, (await alarms.describeAlarms(watched)).map((a) => a.name)));
      const functionArn = unqualifiedArn(latest.functionArn);
      const now = clock.now();
      return preparedState(parsed, alias, event.execution, now, {
        functionArn,
        concurrency: await provisioning(parsed),
        eventSources: await mappingsNote(`${functionArn}:${aliasName}`),
        baselineBefore: await baselineBefore(parsed, alias.functionVersion, now),
      });
    } catch (error) {
      const refused = refusalOf(error);
      if (refused) return { refusal: refused };
      throw error;
    }
  }

  function prepareOrExplain(event: ExplainEvent): Promise<CaughtError>;
  function prepareOrExplain(event: PrepareEvent): Promise<PrepareResult>;
  function prepareOrExplain(event: PrepareEvent | ExplainEvent): Promise<PrepareResult | CaughtError>;
  async function prepareOrExplain(event: PrepareEvent | ExplainEvent): Promise<PrepareResult | CaughtError> {
    return 'explain' in event ? explainRefusal({ state: event.explain, input: event.input }) : prepare(event);
  }
  return prepareOrExplain;
}
