/**
 * Pre-flight: the rules Prepare checks before a rollout may start, as pure functions of what it
 * read (the function's `$LATEST`, the alias, the target and baseline versions, the alarms found).
 * Each returns the refusal in words, or undefined when the rule holds; `preparedState` builds the
 * rollout's first state once every rule held. Nothing is changed before or during these checks.
 */
import { describeRouting, isSplit } from './alias.js';
import type { ConcurrencyState } from './concurrency.js';
import { firstCursor } from './decide.js';
import { functionNameOf } from './function-ref.js';
import type { ParsedInput, RolloutInput } from './input.js';
import type { AliasState, VersionConfig } from './lambda-model.js';
import type { PreRolloutBaseline, RolloutState } from './state.js';

/**
 * The rollout input as Prepare judges it. After the release path, the state also holds the code
 * update (`code`) and the published version (`publish`): the published version is the target.
 *
 * @example releasedInput({ functionName: 'orders', alias: 'live', release: {}, code: {}, publish: { version: '9' } }) // { functionName: 'orders', alias: 'live', release: {}, targetVersion: '9' }
 */
export function releasedInput(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('release' in raw)) return raw;
  const { code: _code, publish, ...input } = raw as Record<string, unknown> & { publish?: { version?: unknown } };
  return publish?.version !== undefined ? { ...input, targetVersion: publish.version } : input;
}

/**
 * The refusal for each thing Prepare looks up and does not find.
 *
 * @example missing.target('orders', '9') // 'version 9 of function orders is not published'
 */
export const missing = {
  function: (functionName: string) => `function ${functionNameOf(functionName)} does not exist`,
  alias: (functionName: string, alias: string) => `alias ${alias} of function ${functionNameOf(functionName)} does not exist`,
  target: (functionName: string, version: string) => `version ${version} of function ${functionNameOf(functionName)} is not published`,
  baseline: (functionName: string, version: string) => `baseline version ${version} of function ${functionNameOf(functionName)} does not exist`,
} as const;

/**
 * Why the function cannot take a rollout now: `$LATEST` is not Active, or its last update has not
 * succeeded (Lambda refuses alias updates while one runs).
 *
 * @example functionRefusal('orders', { ...latest, state: 'Inactive' }) // 'function orders is Inactive, not Active'
 */
export function functionRefusal(functionName: string, latest: Pick<VersionConfig, 'state' | 'lastUpdateStatus'>): string | undefined {
  const name = functionNameOf(functionName);
  if (latest.state !== 'Active') return `function ${name} is ${latest.state}, not Active`;
  if (latest.lastUpdateStatus !== 'Successful') {
    return `function ${name}'s last update is ${latest.lastUpdateStatus}, not Successful; wait for it to finish or fix it first`;
  }
  return undefined;
}

/**
 * Why the alias cannot be rolled out: it is split (another rollout runs, or one was left
 * unfinished), it already routes to the target, or it points at `$LATEST`.
 *
 * @example aliasRefusal({ alias: 'live', targetVersion: '8' }, { name: 'live', functionVersion: '8', routing: {}, revisionId: 'r1' }) // 'version 8 is already the version of alias live'
 */
export function aliasRefusal(input: Pick<RolloutInput, 'alias' | 'targetVersion'>, alias: Pick<AliasState, 'functionVersion' | 'routing'>): string | undefined {
  if (isSplit(alias)) {
    return `alias ${input.alias} is already split (${describeRouting(alias)}): another rollout is running or one was left unfinished`;
  }
  if (alias.functionVersion === input.targetVersion) return `version ${input.targetVersion} is already the version of alias ${input.alias}`;
  if (alias.functionVersion === '$LATEST') return `alias ${input.alias} points at $LATEST; point it at a published version before rolling out`;
  return undefined;
}

/**
 * Why Lambda cannot route one alias to both versions: the target is not Active or its last update
 * did not succeed, the baseline is not Active, or their execution roles or dead-letter targets differ.
 *
 * @example routingRefusal({ ...target, role: 'other' }, baseline) // 'versions 7 and 8 have different execution roles (...); Lambda cannot route one alias to both'
 */
export function routingRefusal(target: VersionConfig, baseline: VersionConfig): string | undefined {
  const t = `version ${target.version}`;
  if (target.state !== 'Active') return `${t} is ${target.state}, not Active`;
  if (target.lastUpdateStatus !== 'Successful') return `${t}'s last update is ${target.lastUpdateStatus}, not Successful`;
  if (baseline.state !== 'Active') return `baseline version ${baseline.version} is ${baseline.state}, not Active`;
  if (target.role !== baseline.role) {
    return `versions ${baseline.version} and ${target.version} have different execution roles (${baseline.role} vs ${target.role}); Lambda cannot route one alias to both`;
  }
  if ((target.deadLetterTargetArn ?? '') !== (baseline.deadLetterTargetArn ?? '')) {
    return `versions ${baseline.version} and ${target.version} have different dead-letter targets (${baseline.deadLetterTargetArn ?? 'none'} vs ${target.deadLetterTargetArn ?? 'none'}); Lambda cannot route one alias to both`;
  }
  return undefined;
}

/**
 * Why the watched alarms cannot guard the rollout: some do not exist, and a missing alarm would
 * never fire.
 *
 * @example alarmRefusal(['orders-errors', 'orders-latnecy'], ['orders-errors']) // 'health.alarms.names: "orders-latnecy" does not exist; a missing alarm would never fire'
 */
export function alarmRefusal(watched: readonly string[], found: readonly string[]): string | undefined {
  const exists = new Set(found);
  const absent = watched.filter((n) => !exists.has(n));
  if (absent.length === 0) return undefined;
  return `health.alarms.names: ${absent.map((n) => `"${n}"`).join(', ')} ${absent.length === 1 ? 'does' : 'do'} not exist; a missing alarm would never fire`;
}

/** What Prepare read besides the alias, for the rollout's first state. */
export interface PreparedExtras {
  /** The unqualified function ARN. */
  readonly functionArn?: string | undefined;
  /** The baseline before the rollout, when a final bake will compare with it. */
  readonly baselineBefore?: PreRolloutBaseline | undefined;
  /** Provisioned concurrency to add on the target before the first shift. */
  readonly concurrency?: ConcurrencyState | undefined;
  /** What to tell people about event source mappings that invoke the alias. */
  readonly eventSources?: string | undefined;
}

/**
 * The unqualified ARN of a function from one of its configurations' ARNs.
 *
 * @example unqualifiedArn('arn:aws:lambda:eu-west-1:123456789012:function:orders:$LATEST') // 'arn:aws:lambda:eu-west-1:123456789012:function:orders'
 */
export function unqualifiedArn(arn: string): string {
  return arn.split(':').slice(0, 7).join(':');
}

/** The execution running the rollout, as the workflow passes it to Prepare. */
export interface ExecutionRef {
  readonly id: string;
  readonly name: string;
  /** ISO timestamp; the rollout starts `now` when it is missing. */
  readonly startTime?: string | undefined;
}

/**
 * The rollout's first state once every pre-flight rule held: the baseline is the alias's version,
 * with the RevisionId Prepare read, and the cursor at the plan's first step.
 *
 * @example preparedState(parsed, alias, { id: arn, name: 'r1', startTime }, now).cursor.next // 'shift'
 */
export function preparedState(
  { input, plan }: Pick<ParsedInput, 'input' | 'plan'>,
  alias: Pick<AliasState, 'functionVersion' | 'revisionId'>,
  execution: ExecutionRef,
  now: number,
  extras: PreparedExtras = {},
): RolloutState {
  // Optional parts are left out when unused, so a plain rollout's state is as small as before.
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    rollout: {
      id: input.rolloutId ?? execution.name,
      executionArn: execution.id,
      functionName: input.functionName,
      alias: input.alias,
      baselineVersion: alias.functionVersion,
      targetVersion: input.targetVersion,
      plan,
      health: input.health,
      notifications: input.notifications,
      startedAt: execution.startTime ?? new Date(now).toISOString(),
      ...defined({
        functionArn: extras.functionArn,
        hooks: input.hooks,
        gates: input.gates?.length ? input.gates : undefined,
        finalBakeSeconds: input.finalBakeSeconds || undefined,
        baselineBefore: extras.baselineBefore,
      }),
    },
    alias: { functionVersion: alias.functionVersion, routing: {}, revisionId: alias.revisionId },
    cursor: firstCursor(plan),
    history: [],
    ...defined({ concurrency: extras.concurrency, eventSources: extras.eventSources }),
  };
}
