/**
 * `Custom::LambdaRollout`, the CloudFormation resource behind the `ProgressiveAlias` construct and
 * SAM templates: its properties as CloudFormation sends them, and what a request should do next
 * given the alias, its lock and the rollout the request follows. The rule is declarative: a
 * Create or Update wants the alias wholly on `Version`, and gets there by a rollout, never by
 * moving the alias at once (except to create it); a Delete lets go of the alias as it is. No I/O:
 * `tasks/alias-resource.ts` observes, asks `nextAliasStep`, and acts.
 */
import * as z from 'zod';
import { executionName } from './api.js';
import { type FieldIssue, InvalidInputError } from './errors.js';
import { FUNCTION_ARN_PATTERN, functionNameOf } from './function-ref.js';
import { AliasSchema, FunctionNameSchema, type ParsedInput, parseRolloutInput, RolloutInputSchema, toFieldIssues } from './input.js';
import { describeRouting, isSplit } from './alias.js';
import { allowedFunctionRef } from './artifact.js';
import type { AliasState } from './lambda-model.js';
import { aliasKey, isEnded, type RolloutLock, type RolloutRecord } from './registry.js';

/** The resource type templates declare (`Type: Custom::LambdaRollout`). */
export const RESOURCE_TYPE = 'Custom::LambdaRollout';

/** Why a request of the resource failed: CloudFormation shows the message and rolls the stack back. */
export class AliasResourceError extends Error {
  override readonly name = 'AliasResourceFailed';
}

// ---------------------------------------------------------------------------------------------
// Reading what CloudFormation sends

const MAX_READ_ROUNDS = 5;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

type Path = readonly PropertyKey[];

/** The strings that spell a number or a boolean where the schema wants one, with their paths. */
function spelledScalars(issues: readonly z.core.$ZodIssue[], base: Path): { path: Path; value: number | boolean }[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union') return issue.errors.flatMap((branch) => spelledScalars(branch, path));
    if (issue.code === 'invalid_element' || issue.code === 'invalid_key') {
      return spelledScalars(issue.issues as z.core.$ZodIssue[], 'key' in issue ? [...path, issue.key as PropertyKey] : path);
    }
    if (issue.code !== 'invalid_type' || typeof issue.input !== 'string') return [];
    if (issue.expected === 'number' && NUMBER.test(issue.input.trim())) return [{ path, value: Number(issue.input) }];
    if (issue.expected === 'boolean' && (issue.input === 'true' || issue.input === 'false')) return [{ path, value: issue.input === 'true' }];
    return [];
  });
}

function withValueAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  if (Array.isArray(root) && typeof key === 'number') return root.map((item, i) => (i === key ? withValueAt(item, rest, value) : item));
  if (typeof root === 'object' && root !== null) {
    const record = root as Record<PropertyKey, unknown>;
    return { ...record, [key as PropertyKey]: withValueAt(record[key as PropertyKey], rest, value) };
  }
  return root;
}

/**
 * A value CloudFormation passed to a custom resource, with its numbers and booleans read back.
 * CloudFormation sends every scalar of a custom resource's properties as a string (`10` arrives as
 * "10", `true` as "true"), so wherever `schema` wants a number or a boolean and finds a string
 * that spells one, the string is read as that. Strings stay strings wherever the schema takes them.
 *
 * @example readCloudFormationStrings(z.object({ n: z.number(), on: z.boolean() }), { n: '10', on: 'true' }) // { n: 10, on: true }
 */
export function readCloudFormationStrings(schema: z.ZodType, raw: unknown): unknown {
  let value = raw;
  for (let round = 0; round < MAX_READ_ROUNDS; round += 1) {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) return value;
    const reads = spelledScalars(parsed.error.issues, []);
    if (reads.length === 0) return value;
    value = reads.reduce((v, read) => withValueAt(v, read.path, read.value), value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// The resource's properties

const PropertiesSchema = z.strictObject(
  {
    /** Set by CloudFormation: the provider's function. */
    ServiceToken: z.string().optional(),
    FunctionName: FunctionNameSchema,
    AliasName: AliasSchema,
    Version: z.union([z.string(), z.number()], { error: 'must be a published version number such as "7", or a version ARN' }).transform(String),
    Rollout: z
      .union([z.string(), z.record(z.string(), z.unknown())], { error: 'must be the rollout options (strategy, health, notifications...): an object, or that object as JSON' })
      .optional(),
    Wait: z.boolean({ error: 'must be true or false' }).default(true),
  },
  { error: 'must be an object of properties' },
);

/** Rollout input fields the resource sets itself, and the property to use instead. */
const SET_BY_THE_RESOURCE: Readonly<Record<string, string>> = {
  functionName: 'is set by the resource: use FunctionName',
  alias: 'is set by the resource: use AliasName',
  targetVersion: 'is set by the resource: use Version',
  rolloutId: 'is set by the resource: each CloudFormation request names its own rollout',
  release: 'is not taken here: the resource rolls out a published version (upload artifacts to the service\'s bucket for releases)',
  'function-name': 'is not a known field (the aws-lambda-deploy format is not taken here)',
};

/** Where a rollout input field is reported among the resource's properties. */
const FIELD_OF: Readonly<Record<string, string>> = { functionName: 'FunctionName', alias: 'AliasName', targetVersion: 'Version' };

/** A parsed `Custom::LambdaRollout`. */
export interface AliasResource {
  /** A function name or an unqualified function ARN, as given. */
  readonly functionName: string;
  readonly alias: string;
  /** The published version the alias should route to wholly. */
  readonly version: string;
  /** Whether CloudFormation waits for the rollout to end (true), or only for it to start. */
  readonly wait: boolean;
  /** The rollout input a rollout of this resource starts with (its id aside), and its plan. */
  readonly rollout: ParsedInput;
}

/** What parsing needs to know of the service. */
export interface AliasResourceLimits {
  /** How long the service lets CloudFormation wait for one request, in seconds: a waited-for rollout must fit. */
  readonly waitSeconds: number;
}

/** The version number a `Version` property names: a number, or a version ARN of the same function. */
function versionOf(ref: string, functionName: string | undefined): { version: string } | { rule: string } {
  if (/^[1-9]\d*$/.test(ref)) return { version: ref };
  if (ref === '$LATEST') return { rule: 'must be a published version; $LATEST cannot be routed by weight (publish a version: fn.currentVersion in CDK, AutoPublishAlias in SAM)' };
  const arn = /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}):([1-9]\d*)$/.exec(ref);
  if (!arn) return { rule: `must be a published version number such as "7", or a version ARN; received "${ref}"` };
  const named = functionNameOf(arn[1] ?? '');
  if (functionName !== undefined && named !== functionNameOf(functionName)) {
    return { rule: `is a version of ${named}, not of FunctionName ${functionNameOf(functionName)}` };
  }
  return { version: arn[2] ?? '' };
}

/** The Rollout property as an object: given as one, or as JSON (what the CDK construct sends). */
function rolloutOptionsOf(raw: unknown): { options: Record<string, unknown> } | { rule: string } {
  if (raw === undefined) return { options: {} };
  if (typeof raw !== 'string') return { options: raw as Record<string, unknown> };
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return { options: parsed as Record<string, unknown> };
    return { rule: 'must be the rollout options as an object (or that object as JSON)' };
  } catch (error) {
    return { rule: `is not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * The least time a strategy's bakes take: what a waited-for rollout needs at the very least.
 *
 * @example leastBakeSeconds(parseRolloutInput({ functionName: 'f', alias: 'a', targetVersion: 2, strategy: 'Linear10PercentEvery10Minutes' }).plan) // 5400
 */
export function leastBakeSeconds(plan: ParsedInput['plan']): number {
  return plan.minBakeSeconds !== undefined ? plan.minBakeSeconds * plan.steps.length : plan.totalBakeSeconds;
}

/**
 * Reads and checks a `Custom::LambdaRollout`'s properties as CloudFormation sends them. Throws
 * InvalidInputError listing every broken rule, each naming its property (`Rollout.strategy.percent`,
 * `Version`...); nothing is looked at beyond the properties.
 *
 * @example
 * parseAliasResource({ FunctionName: 'orders', AliasName: 'live', Version: '8', Rollout: { strategy: 'Canary10Percent5Minutes' } }, { waitSeconds: 7080 }).version // '8'
 */
export function parseAliasResource(raw: unknown, limits: AliasResourceLimits): AliasResource {
  const read = readCloudFormationStrings(PropertiesSchema, raw);
  const props = PropertiesSchema.safeParse(read, { reportInput: true });
  const issues: FieldIssue[] = props.success ? [] : toFieldIssues(props.error.issues);
  // Each property on its own, so that one broken property does not hide the rules another breaks.
  const fields = (typeof read === 'object' && read !== null ? read : {}) as Record<string, unknown>;
  const field = <K extends keyof typeof PropertiesSchema.shape>(key: K): z.output<(typeof PropertiesSchema.shape)[K]> | undefined => {
    const parsed = PropertiesSchema.shape[key].safeParse(fields[key]);
    return parsed.success ? (parsed.data as z.output<(typeof PropertiesSchema.shape)[K]>) : undefined;
  };
  const functionName = field('FunctionName');
  const alias = field('AliasName');
  const wait = field('Wait');
  const versionRef = field('Version');

  const version = versionRef === undefined ? undefined : versionOf(versionRef, functionName);
  if (version && 'rule' in version) issues.push({ field: 'Version', rule: version.rule });

  let rollout: ParsedInput | undefined;
  const options = field('Rollout') === undefined && fields.Rollout !== undefined ? undefined : rolloutOptionsOf(fields.Rollout);
  if (options && 'rule' in options) issues.push({ field: 'Rollout', rule: options.rule });
  if (options && 'options' in options) {
    const taken = Object.keys(options.options).filter((key) => Object.hasOwn(SET_BY_THE_RESOURCE, key));
    issues.push(...taken.map((key) => ({ field: `Rollout.${key}`, rule: SET_BY_THE_RESOURCE[key] as string })));
    const rest = Object.fromEntries(Object.entries(options.options).filter(([key]) => !taken.includes(key)));
    // Broken identity properties are reported above; stand-ins let the options be checked all the same.
    const candidate = {
      ...rest,
      functionName: functionName ?? 'function',
      alias: alias ?? 'alias',
      targetVersion: version && 'version' in version ? version.version : '1',
    };
    try {
      rollout = parseRolloutInput(readCloudFormationStrings(RolloutInputSchema, candidate));
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      const root = (name: string) => name.split(/[.[]/)[0] ?? name;
      issues.push(...error.issues.filter((i) => !Object.hasOwn(FIELD_OF, root(i.field))).map((i) => ({ field: `Rollout.${i.field}`, rule: i.rule })));
    }
  }

  if (rollout && wait !== false) {
    const least = leastBakeSeconds(rollout.plan);
    if (least > limits.waitSeconds) {
      issues.push({
        field: 'Wait',
        rule:
          `the strategy bakes for at least ${least}s, longer than the ${limits.waitSeconds}s CloudFormation may wait for this resource; ` +
          'set Wait to false (the deployment then succeeds once the rollout has started) or choose a shorter strategy',
      });
    }
  }
  if (issues.length > 0 || functionName === undefined || alias === undefined || wait === undefined || !rollout || !version || !('version' in version)) {
    throw new InvalidInputError(issues);
  }
  return { functionName, alias, version: version.version, wait, rollout };
}

/**
 * The function and alias a resource's properties name, read leniently: a Delete must be able to
 * let go of a resource whatever else its properties hold. Undefined when they name none.
 *
 * @example resourceAlias({ FunctionName: 'orders', AliasName: 'live', Rollout: 'not checked' }) // { functionName: 'orders', alias: 'live' }
 */
export function resourceAlias(raw: unknown): { functionName: string; alias: string } | undefined {
  const parsed = z.object({ FunctionName: FunctionNameSchema, AliasName: AliasSchema }).safeParse(raw);
  return parsed.success ? { functionName: parsed.data.FunctionName, alias: parsed.data.AliasName } : undefined;
}

/**
 * The function reference a rollout of `functionName` uses when the service may roll it out: the
 * allow-list's (a name, or the entry's ARN) for a name; the ARN itself for an ARN that a name
 * pattern (the service's account and region, which IAM holds it to) or the same ARN allows.
 * Undefined when no entry does.
 *
 * @example allowedRef('arn:aws:lambda:eu-west-1:123456789012:function:orders', ['orders-*']) // 'arn:aws:lambda:eu-west-1:123456789012:function:orders'
 */
export function allowedRef(functionName: string, entries: readonly string[]): string | undefined {
  const name = functionNameOf(functionName);
  if (!FUNCTION_ARN_PATTERN.test(functionName)) return allowedFunctionRef(name, entries);
  return entries.some((entry) => [name, functionName].includes(allowedFunctionRef(name, [entry]) ?? '')) ? functionName : undefined;
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * The resource's physical id: the alias, as `function:alias`. It never changes while the function
 * and alias stay the same, so CloudFormation never replaces the alias.
 *
 * @example physicalIdOf('arn:aws:lambda:eu-west-1:123456789012:function:orders', 'live') // 'orders:live'
 */
export function physicalIdOf(functionName: string, alias: string): string {
  return aliasKey(functionName, alias);
}

/**
 * Who a resource's rollouts are started by (`startedBy` on the lock and the record): the stack and
 * the resource's logical id. The resource recognises its own rollouts by it.
 *
 * @example resourceOwner('arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e', 'OrdersLive') // 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e#OrdersLive'
 */
export function resourceOwner(stackId: string, logicalResourceId: string): string {
  return `${stackId}#${logicalResourceId}`;
}

/**
 * The rollout (and execution) name of one CloudFormation request: the same for every retry of the
 * request, so a start is never made twice.
 *
 * @example requestRolloutId('orders', 'live', '8', '3f2a9c01-b7d4-4e5f-8a9b-0c1d2e3f4a5b') // 'orders-live-v8-3f2a9c01b7d4'
 */
export function requestRolloutId(functionName: string, alias: string, version: string, requestId: string): string {
  return executionName(functionName, alias, version, requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) || 'cfn');
}

/**
 * The alias's ARN: the function's ARN when it was given as one, else in the stack's partition,
 * region and account.
 *
 * @example aliasArnOf('orders', 'live', 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1f2e') // 'arn:aws:lambda:eu-west-1:123456789012:function:orders:live'
 */
export function aliasArnOf(functionName: string, alias: string, stackId: string): string {
  if (FUNCTION_ARN_PATTERN.test(functionName)) return `${functionName}:${alias}`;
  const [, partition = 'aws', , region = '', account = ''] = stackId.split(':');
  return `arn:${partition}:lambda:${region}:${account}:function:${functionName}:${alias}`;
}

// ---------------------------------------------------------------------------------------------
// What to do next

/** One CloudFormation request, as the decision sees it. */
export interface AliasRequest {
  /** `put` (Create, Update): the alias wholly on `version`. `release` (Delete): let go of it. */
  readonly kind: 'put' | 'release';
  readonly version: string;
  /** `resourceOwner` of the resource: its rollouts' `startedBy`. */
  readonly owner: string;
  /** The rollout this request follows: the one it started or found on its way to `version`, else the one it would start. */
  readonly rolloutId: string;
  /** When the request began, epoch ms: a rollout of the resource started later belongs to a newer request. */
  readonly startedAt: number;
  /** Whether CloudFormation waits for the rollout to end, or only for it to start. */
  readonly wait: boolean;
  /** Epoch ms after which a rollout still running is stopped and the request fails; none for the first answer. */
  readonly deadline?: number | undefined;
}

/** What the request sees. */
export interface AliasSeen {
  /** The alias, undefined when it does not exist. */
  readonly alias: Pick<AliasState, 'functionVersion' | 'routing'> | undefined;
  readonly lock: RolloutLock | undefined;
  /** The record of `request.rolloutId`, if that rollout ever started. */
  readonly rollout: RolloutRecord | undefined;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * The next move: `done` (answer success); `create` the alias on the version; `start` the request's
 * rollout; `follow` a rollout of this resource on its way to the version (not done yet); `stop` a
 * rollout of this resource heading elsewhere (the guard then restores the alias; not done until the
 * lock is free), failing afterwards when `fail` is set; `fail` the request.
 */
export type AliasStep =
  | { readonly kind: 'done'; readonly reason: string }
  | { readonly kind: 'create' }
  | { readonly kind: 'start' }
  | { readonly kind: 'follow'; readonly rolloutId: string; readonly reason: string }
  | { readonly kind: 'stop'; readonly lock: RolloutLock; readonly cause: string; readonly fail?: string | undefined }
  | { readonly kind: 'fail'; readonly reason: string };

const since = (lock: RolloutLock) => `since ${lock.startedAt}`;

/**
 * What a request of the resource does next, from what it sees. The lock comes first: a rollout of
 * someone else is never touched (the request fails, changing nothing); a rollout of this resource
 * on its way to the version is followed; one heading elsewhere (CloudFormation rolling back, or a
 * cancelled update) is stopped and the request waits until the guard has put the alias back and
 * freed the lock. With the lock free, the alias decides: whole on the version is done, missing is
 * created, split is refused (someone else's), elsewhere starts a rollout, unless this request's
 * rollout has already run and ended: then the request fails with its reason.
 *
 * @example nextAliasStep({ kind: 'put', version: '8', ... }, { alias: { functionVersion: '8', routing: {} }, lock: undefined, rollout: undefined, now }) // { kind: 'done', ... }
 */
export function nextAliasStep(request: AliasRequest, seen: AliasSeen): AliasStep {
  const { lock, alias, rollout } = seen;
  if (lock) {
    const ours = lock.startedBy === request.owner;
    if (!ours) {
      if (request.kind === 'release') return { kind: 'done', reason: `rollout ${lock.rolloutId} of someone else (${lock.startedBy}) holds the alias; left to it` };
      return {
        kind: 'fail',
        reason:
          `rollout ${lock.rolloutId} (started by ${lock.startedBy}, ${since(lock)}, execution ${lock.executionArn}) is running on the alias; ` +
          'nothing was changed: wait for it to end or abort it, then deploy again',
      };
    }
    if (Date.parse(lock.startedAt) > request.startedAt) {
      // A newer request of this resource started it: this request has been superseded and must not undo it.
      return request.kind === 'release'
        ? { kind: 'done', reason: `rollout ${lock.rolloutId} belongs to a later request of this resource` }
        : { kind: 'fail', reason: `a later CloudFormation request of this resource started rollout ${lock.rolloutId}; this one gives way` };
    }
    if (request.kind === 'put' && (lock.rolloutId === request.rolloutId || lock.targetVersion === request.version)) {
      if (!request.wait) return { kind: 'done', reason: `rollout ${lock.rolloutId} to v${request.version} has started (not waited for)` };
      if (request.deadline !== undefined && seen.now >= request.deadline) {
        return {
          kind: 'stop',
          lock,
          cause: `CloudFormation could wait no longer for rollout ${lock.rolloutId} to v${request.version}`,
          fail:
            `rollout ${lock.rolloutId} did not end within the time CloudFormation may wait; it was stopped, and the alias goes back to ` +
            `v${lock.baselineVersion ?? 'its baseline'}. Use Wait: false for rollouts longer than that`,
        };
      }
      return { kind: 'follow', rolloutId: lock.rolloutId, reason: `rollout ${lock.rolloutId} is on its way to v${request.version}` };
    }
    const wanted = request.kind === 'put' ? `the stack now wants v${request.version}` : 'the resource is being deleted';
    return { kind: 'stop', lock, cause: `CloudFormation: ${wanted}; rollout ${lock.rolloutId} to v${lock.targetVersion} is stopped` };
  }

  if (request.kind === 'release') return { kind: 'done', reason: 'the alias is left as it is' };
  if (!alias) return { kind: 'create' };
  if (isSplit(alias)) {
    return {
      kind: 'fail',
      reason: `the alias is split (${describeRouting(alias)}) and no rollout holds it: someone else changed it; put it wholly on one version, then deploy again`,
    };
  }
  if (alias.functionVersion === request.version) return { kind: 'done', reason: `the alias routes wholly to v${request.version}` };
  if (rollout && isEnded(rollout.status)) {
    return {
      kind: 'fail',
      reason: `rollout ${rollout.rolloutId} to v${request.version} ended ${rollout.status}: ${rollout.reason ?? 'no reason recorded'}; the alias stays on v${alias.functionVersion}`,
    };
  }
  if (rollout) return { kind: 'follow', rolloutId: rollout.rolloutId, reason: `rollout ${rollout.rolloutId} is starting` };
  return { kind: 'start' };
}
