/**
 * Prepare: checks the input and the function, resolves the baseline and its RevisionId, and
 * plans the steps. It only reads; the pre-flight rules are core's (`core/preflight.ts`). A refusal
 * is returned as `{ refusal }` for the workflow to report, so an expected "no" is data, not a crash.
 *
 * The same function explains a failure before any traffic moved (the workflow's ExplainRefusal
 * state, `{ explain, input }`): the caught error as a refusal in one line (`core/refusal.ts`).
 */
import { InvalidInputError, NotFoundError, RefusedError, refusalOf } from '../core/errors.js';
import { parseRolloutInput } from '../core/input.js';
import {
  aliasRefusal,
  alarmRefusal,
  functionRefusal,
  missing,
  preparedState,
  releasedInput,
  routingRefusal,
} from '../core/preflight.js';
import { explainRefusal, type FailureBeforeTraffic } from '../core/refusal.js';
import { homeOf, scopeRefusal } from '../core/scope.js';
import type { CaughtError, RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, LambdaControl } from '../ports.js';

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
  readonly clock: Clock;
  /** The construct's allowedFunctions; the function must also be where the execution runs. */
  readonly allowedFunctions: readonly string[];
}

/** Prepare over its ports. */
export function makePrepare({ lambda, alarms, clock, allowedFunctions }: PreparePorts) {
  async function prepare(event: PrepareEvent): Promise<PrepareResult> {
    try {
      const parsed = parseRolloutInput(releasedInput(event.input));
      const { functionName: fn, alias: aliasName, targetVersion } = parsed.input;
      const home = homeOf(event.execution.id);
      const outside = home ? scopeRefusal(fn, { allowedFunctions, home }) : `the execution id ${event.execution.id} is not an ARN`;
      if (outside) throw new InvalidInputError([{ field: 'functionName', rule: outside }]);
      refuseIf(functionRefusal(fn, await existing(lambda.getVersion(fn, '$LATEST'), missing.function(fn))));
      const alias = await existing(lambda.getAlias(fn, aliasName), missing.alias(fn, aliasName));
      refuseIf(aliasRefusal(parsed.input, alias));
      const target = await existing(lambda.getVersion(fn, targetVersion), missing.target(fn, targetVersion));
      const baseline = await existing(lambda.getVersion(fn, alias.functionVersion), missing.baseline(fn, alias.functionVersion));
      refuseIf(routingRefusal(target, baseline));
      const watched = parsed.input.health.alarms.names;
      if (watched.length > 0) refuseIf(alarmRefusal(watched, (await alarms.describeAlarms(watched)).map((a) => a.name)));
      return preparedState(parsed, alias, event.execution, clock.now());
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
