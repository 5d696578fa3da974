/**
 * Prepare: checks the input and the function, resolves the baseline and its RevisionId, and
 * plans the steps. It only reads; the pre-flight rules are core's (`core/preflight.ts`). A refusal
 * is returned as `{ refusal }` for the workflow to report, so an expected "no" is data, not a crash.
 */
import { NotFoundError, RefusedError, refusalOf } from '../core/errors.js';
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
import type { CaughtError, RolloutState } from '../core/state.js';
import type { AlarmReader, Clock, LambdaControl } from '../ports.js';

export interface PrepareEvent {
  readonly input: unknown;
  readonly execution: { readonly id: string; readonly name: string; readonly startTime: string };
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

/** Prepare over its ports. */
export function makePrepare({ lambda, alarms, clock }: { lambda: LambdaControl; alarms: AlarmReader; clock: Clock }) {
  return async function prepare(event: PrepareEvent): Promise<PrepareResult> {
    try {
      const parsed = parseRolloutInput(releasedInput(event.input));
      const { functionName: fn, alias: aliasName, targetVersion } = parsed.input;
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
  };
}
