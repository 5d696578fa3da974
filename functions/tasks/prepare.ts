/**
 * Prepare: checks the input and the function, resolves the baseline and its RevisionId, and
 * plans the steps. It only reads. A refusal is returned as `{ refusal }` for the workflow to
 * report, so an expected "no" is data, not a crash.
 */
import { NotFoundError, RefusedError, refusalOf } from '../core/errors.js';
import { parseRolloutInput } from '../core/input.js';
import { describeRouting, isSplit } from '../core/alias.js';
import type { VersionConfig } from '../core/lambda-model.js';
import { firstCursor } from '../core/decide.js';
import type { CaughtError, RolloutState } from '../core/state.js';
import { functionNameOf } from '../core/function-ref.js';
import type { AlarmReader, Clock, LambdaControl } from '../ports.js';

export interface PrepareEvent {
  readonly input: unknown;
  readonly execution: { readonly id: string; readonly name: string; readonly startTime: string };
}

export type PrepareResult = RolloutState | { readonly refusal: CaughtError };

async function existing<T>(lookup: Promise<T>, missing: string): Promise<T> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof NotFoundError) throw new RefusedError(missing, { cause: error });
    throw error;
  }
}

function checkRoutable(target: VersionConfig, baseline: VersionConfig): void {
  const t = `version ${target.version}`;
  if (target.state !== 'Active') throw new RefusedError(`${t} is ${target.state}, not Active`);
  if (target.lastUpdateStatus !== 'Successful') {
    throw new RefusedError(`${t}'s last update is ${target.lastUpdateStatus}, not Successful`);
  }
  if (baseline.state !== 'Active') throw new RefusedError(`baseline version ${baseline.version} is ${baseline.state}, not Active`);
  if (target.role !== baseline.role) {
    throw new RefusedError(
      `versions ${baseline.version} and ${target.version} have different execution roles (${baseline.role} vs ${target.role}); Lambda cannot route one alias to both`,
    );
  }
  if ((target.deadLetterTargetArn ?? '') !== (baseline.deadLetterTargetArn ?? '')) {
    throw new RefusedError(
      `versions ${baseline.version} and ${target.version} have different dead-letter targets (${baseline.deadLetterTargetArn ?? 'none'} vs ${target.deadLetterTargetArn ?? 'none'}); Lambda cannot route one alias to both`,
    );
  }
}

/**
 * The rollout input as Prepare judges it. After the release path, the state also holds the code
 * update (`code`) and the published version (`publish`): the published version is the target.
 */
export function releasedInput(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('release' in raw)) return raw;
  const { code: _code, publish, ...input } = raw as Record<string, unknown> & { publish?: { version?: unknown } };
  return publish?.version !== undefined ? { ...input, targetVersion: publish.version } : input;
}

/** Prepare over its ports. */
export function makePrepare({ lambda, alarms, clock }: { lambda: LambdaControl; alarms: AlarmReader; clock: Clock }) {
  return async function prepare(event: PrepareEvent): Promise<PrepareResult> {
    try {
      const { input, plan } = parseRolloutInput(releasedInput(event.input));
      const fn = input.functionName;
      const name = functionNameOf(fn);
      const latest = await existing(lambda.getVersion(fn, '$LATEST'), `function ${name} does not exist`);
      if (latest.state !== 'Active') throw new RefusedError(`function ${name} is ${latest.state}, not Active`);
      if (latest.lastUpdateStatus !== 'Successful') {
        throw new RefusedError(`function ${name}'s last update is ${latest.lastUpdateStatus}, not Successful; wait for it to finish or fix it first`);
      }
      const alias = await existing(lambda.getAlias(fn, input.alias), `alias ${input.alias} of function ${name} does not exist`);
      if (isSplit(alias)) {
        throw new RefusedError(
          `alias ${input.alias} is already split (${describeRouting(alias)}): another rollout is running or one was left unfinished`,
        );
      }
      if (alias.functionVersion === input.targetVersion) {
        throw new RefusedError(`version ${input.targetVersion} is already the version of alias ${input.alias}`);
      }
      if (alias.functionVersion === '$LATEST') {
        throw new RefusedError(`alias ${input.alias} points at $LATEST; point it at a published version before rolling out`);
      }
      const target = await existing(
        lambda.getVersion(fn, input.targetVersion),
        `version ${input.targetVersion} of function ${name} is not published`,
      );
      const baseline = await existing(
        lambda.getVersion(fn, alias.functionVersion),
        `baseline version ${alias.functionVersion} of function ${name} does not exist`,
      );
      checkRoutable(target, baseline);
      const watched = input.health.alarms.names;
      if (watched.length > 0) {
        const found = new Set((await alarms.describeAlarms(watched)).map((a) => a.name));
        const missing = watched.filter((n) => !found.has(n));
        if (missing.length > 0) {
          throw new RefusedError(`health.alarms.names: ${missing.map((n) => `"${n}"`).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist; a missing alarm would never fire`);
        }
      }
      return {
        rollout: {
          id: input.rolloutId ?? event.execution.name,
          executionArn: event.execution.id,
          functionName: fn,
          alias: input.alias,
          baselineVersion: alias.functionVersion,
          targetVersion: input.targetVersion,
          plan,
          health: input.health,
          notifications: input.notifications,
          startedAt: event.execution.startTime ?? new Date(clock.now()).toISOString(),
        },
        alias: { functionVersion: alias.functionVersion, routing: {}, revisionId: alias.revisionId },
        cursor: firstCursor(plan),
        history: [],
      };
    } catch (error) {
      const refused = refusalOf(error);
      if (refused) return { refusal: refused };
      throw error;
    }
  };
}
