/**
 * Which functions rollouts may touch: the construct's `allowedFunctions` (names, name patterns such
 * as `orders-*`, or function ARNs) and where the service runs (partition, region, account). Every
 * entry point holds a rollout to them before anything changes: the API, the workflow input
 * (Prepare, and UpdateCode for a release) and the artifact trigger. A function ARN of another
 * partition, region or account is refused: its bare name would take the local function's lock.
 * Lifecycle hooks are held the same way to the construct's `allowedHooks` (`hookIssues`): the
 * workflow invokes only those.
 */
import type { FieldIssue } from './errors.js';
import { HOOK_KINDS, type Hooks, hookTarget } from './hooks.js';

/** Where the service runs: the partition, region and account every function ARN must name. */
export interface Home {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The functions rollouts may touch, and where. */
export interface FunctionScope {
  /** The construct's allowedFunctions: names, name patterns (`orders-*`) or unqualified function ARNs. */
  readonly allowedFunctions: readonly string[];
  /** The construct's allowedHooks, likewise: the functions a rollout may name as lifecycle hooks. Default: none. */
  readonly allowedHooks?: readonly string[] | undefined;
  readonly home: Home;
}

const ARN = /^arn:(aws[a-zA-Z-]*):[a-z0-9-]+:([a-z0-9-]*):(\d{12}|):/;
const FUNCTION_ARN = /^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_*-]+)$/;

/**
 * The partition, region and account of an ARN (of a state machine, an execution, a function...).
 *
 * @example homeOf('arn:aws:states:eu-west-1:123456789012:execution:rollout:r1') // { partition: 'aws', region: 'eu-west-1', account: '123456789012' }
 */
export function homeOf(arn: string): Home | undefined {
  const m = ARN.exec(arn);
  return m ? { partition: m[1] as string, region: m[2] as string, account: m[3] as string } : undefined;
}

const sameHome = (a: Home, b: Home) => a.partition === b.partition && a.region === b.region && a.account === b.account;
const describeHome = (h: Home) => `partition ${h.partition}, region ${h.region}, account ${h.account}`;

/** True when `name` matches `pattern`, where `*` stands for any characters (as in IAM). */
export function globMatch(pattern: string, name: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(name);
}

/**
 * Splits the allow-list as the infrastructure passes it in the environment: entries separated by
 * commas, blanks dropped.
 *
 * @example parseAllowedFunctions(' orders-*, payments ,') // ['orders-*', 'payments']
 */
export function parseAllowedFunctions(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * The function reference a rollout should use for `name`, when an allow-list entry covers it: the name
 * itself for a name or name pattern (`orders-*`), or the full ARN for an ARN entry. The first matching
 * entry wins; undefined when none does. With `home`, an ARN entry of another partition, region or
 * account covers nothing.
 *
 * @example allowedFunctionRef('orders-api', ['orders-*']) // 'orders-api'
 * @example allowedFunctionRef('payments', ['arn:aws:lambda:eu-west-1:123456789012:function:payments']) // 'arn:aws:lambda:eu-west-1:123456789012:function:payments'
 */
export function allowedFunctionRef(name: string, entries: readonly string[], home?: Home): string | undefined {
  for (const entry of entries) {
    const arn = FUNCTION_ARN.exec(entry);
    if (arn) {
      const entryHome = { partition: arn[1] as string, region: arn[2] as string, account: arn[3] as string };
      if ((!home || sameHome(entryHome, home)) && globMatch(arn[4] ?? '', name)) return entry.replace(/[^:]+$/, name);
    } else if (!entry.startsWith('arn:') && globMatch(entry, name)) {
      return name;
    }
  }
  return undefined;
}

/**
 * Why the function ARN `ref` names a function elsewhere (another partition, region or account than
 * `home`), or undefined for a bare name or an ARN of `home`.
 *
 * @example homeRefusal('arn:aws-cn:lambda:cn-north-1:123456789012:function:orders', home) // 'must name a function where this service runs (...); this ARN names partition aws-cn, region cn-north-1'
 */
export function homeRefusal(ref: string, home: Home): string | undefined {
  const arn = FUNCTION_ARN.exec(ref);
  if (!arn) return undefined;
  const theirs = { partition: arn[1] as string, region: arn[2] as string, account: arn[3] as string };
  if (sameHome(theirs, home)) return undefined;
  const differs = (['partition', 'region', 'account'] as const).filter((k) => theirs[k] !== home[k]).map((k) => `${k} ${theirs[k]}`);
  return `must name a function where this service runs (${describeHome(home)}); this ARN names ${differs.join(', ')}`;
}

/**
 * Why a rollout may not touch the function `ref` (a name or an unqualified function ARN), in words,
 * or undefined when it may: an ARN must name a function where the service runs, and the function
 * must be on the allow-list.
 *
 * @example scopeRefusal('arn:aws:lambda:eu-west-1:999999999999:function:orders', scope)
 * // 'must name a function where this service runs (partition aws, region eu-west-1, account 123456789012); this ARN names account 999999999999'
 */
export function scopeRefusal(ref: string, scope: FunctionScope): string | undefined {
  const elsewhere = homeRefusal(ref, scope.home);
  if (elsewhere) return elsewhere;
  const name = FUNCTION_ARN.exec(ref)?.[4] ?? ref;
  if (allowedFunctionRef(name, scope.allowedFunctions, scope.home) === undefined) {
    return `function ${name} is not one of the allowed functions (${scope.allowedFunctions.join(', ') || 'none'}); the service may only roll out those`;
  }
  return undefined;
}

/**
 * Why a rollout may not invoke the hook function `ref` (a name or function ARN, optionally
 * qualified with `:alias` or `:version`), in words, or undefined when it may: an ARN must name a
 * function where the service runs, and the function must be on the construct's `allowedHooks`
 * (names, name patterns or ARNs, as `allowedFunctions`).
 *
 * @example hookScopeRefusal('smoke:live', ['checks-*'], home) // 'function smoke is not one of the allowed hooks (checks-*); the service may only invoke those'
 */
export function hookScopeRefusal(ref: string, allowedHooks: readonly string[], home: Home): string | undefined {
  // A qualifier (`:live`, `:7`) names a version of the function; the allow-list names functions.
  const unqualified = hookTarget(ref).functionName;
  const elsewhere = homeRefusal(unqualified, home);
  if (elsewhere) return elsewhere;
  const name = FUNCTION_ARN.exec(unqualified)?.[4] ?? unqualified;
  if (allowedFunctionRef(name, allowedHooks, home) === undefined) {
    return allowedHooks.length === 0
      ? `function ${name} is not an allowed hook: this service allows none (the construct's allowedHooks is empty)`
      : `function ${name} is not one of the allowed hooks (${allowedHooks.join(', ')}); the service may only invoke those`;
  }
  return undefined;
}

/**
 * The rollout's hooks the workflow may not invoke, each naming its field: a hook must be on the
 * operator's allowed hooks (the construct's `allowedHooks`) and where the service runs.
 *
 * @example hookIssues({ preTraffic: { function: 'smoke', timeoutSeconds: 3600 } }, ['checks-*'], home)
 * // [{ field: 'hooks.preTraffic.function', rule: 'function smoke is not one of the allowed hooks (checks-*); the service may only invoke those' }]
 */
export function hookIssues(hooks: Hooks | undefined, allowedHooks: readonly string[], home: Home): FieldIssue[] {
  return HOOK_KINDS.flatMap((kind) => {
    const spec = hooks?.[kind];
    const rule = spec && hookScopeRefusal(spec.function, allowedHooks, home);
    return rule ? [{ field: `hooks.${kind}.function`, rule }] : [];
  });
}
