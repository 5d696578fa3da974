/**
 * Provisioned concurrency for the target version, and what Prepare says about event sources. When
 * the alias has provisioned concurrency, or the input asks for an amount, the target version gets
 * its own before the first shift, so the canary's first requests meet initialized environments;
 * what the rollout added is removed at every ending. The rules here: how much, whether the account
 * can hold it (refused before anything changes when it cannot), when warming up is over, and the
 * words for it all.
 */
import { functionNameOf } from './function-ref.js';

/** Lambda keeps this much of the account's concurrency unreserved for functions without a reservation. */
export const MIN_UNRESERVED_CONCURRENCY = 100;
/** How long the workflow waits for provisioned concurrency to become READY before it refuses. */
export const MAX_PROVISIONING_SECONDS = 900;
/** The most the input may ask for: Lambda's default regional concurrency quota is far below it. */
export const MAX_PROVISIONED_CONCURRENCY = 100_000;

/** A provisioned concurrency configuration of a version or alias (GetProvisionedConcurrencyConfig). */
export interface ProvisionedConfig {
  /** The version or alias it is configured on. */
  readonly qualifier: string;
  readonly requested: number;
  readonly allocated?: number | undefined;
  readonly status: 'IN_PROGRESS' | 'READY' | 'FAILED';
  readonly reason?: string | undefined;
}

/** What the account and the function leave for more provisioned concurrency. */
export interface ConcurrencyRoom {
  /** The function's reserved concurrency, when it has one: its provisioned concurrency must fit in it. */
  readonly reserved?: number | undefined;
  /** Provisioned concurrency already requested on the function's versions and aliases. */
  readonly provisioned: number;
  /** The account's unreserved concurrency (GetAccountSettings). */
  readonly unreserved: number;
}

/**
 * Where a rollout stands with the target's provisioned concurrency: wanted (Prepare decided to add
 * it), adding (requested, warming up), ready, failed, or removed (at the ending).
 */
export interface ConcurrencyState {
  readonly executions: number;
  /** `input`: the rollout input asked for it; `alias`: the alias has that much. */
  readonly source: 'input' | 'alias';
  readonly status: 'wanted' | 'adding' | 'ready' | 'failed' | 'removed';
  /** When the request was made, epoch ms. */
  readonly since?: number | undefined;
  readonly note?: string | undefined;
}

/**
 * How much provisioned concurrency the target should get: what the input asks for (0: none), else
 * what the alias has; undefined when neither asks, or when the target already has at least that
 * much of its own (nothing to add, so nothing to remove later).
 *
 * @example concurrencyWanted(undefined, { qualifier: 'live', requested: 20, status: 'READY' }, undefined) // { executions: 20, source: 'alias', status: 'wanted' }
 */
export function concurrencyWanted(asked: number | undefined, alias: ProvisionedConfig | undefined, target: ProvisionedConfig | undefined): ConcurrencyState | undefined {
  const executions = asked ?? alias?.requested ?? 0;
  if (executions <= 0) return undefined;
  if (target && target.requested >= executions) return undefined;
  return { executions, source: asked !== undefined ? 'input' : 'alias', status: 'wanted' };
}

/**
 * Why the account cannot hold the target's provisioned concurrency, or undefined when it can. With
 * reserved concurrency, all of the function's provisioned concurrency must fit in it; without,
 * the account must keep 100 unreserved after it.
 *
 * @example capacityRefusal('orders', 50, { reserved: 60, provisioned: 20, unreserved: 900 }) // 'provisioned concurrency of 50 on the target does not fit: function orders has a reserved concurrency of 60 and already 20 provisioned'
 */
export function capacityRefusal(functionName: string, executions: number, room: ConcurrencyRoom): string | undefined {
  const fn = functionNameOf(functionName);
  const what = `provisioned concurrency of ${executions} on the target does not fit`;
  if (room.reserved !== undefined) {
    if (room.provisioned + executions > room.reserved) {
      return `${what}: function ${fn} has a reserved concurrency of ${room.reserved} and already ${room.provisioned} provisioned`;
    }
    return undefined;
  }
  if (room.unreserved - executions < MIN_UNRESERVED_CONCURRENCY) {
    return `${what}: the account has ${room.unreserved} unreserved concurrency and Lambda keeps at least ${MIN_UNRESERVED_CONCURRENCY} unreserved`;
  }
  return undefined;
}

/**
 * Whether the rollout may have left provisioned concurrency on the target: it asked Lambda for it
 * (adding, ready or failed) and has not removed it. The workflow's ending removes it; the guard does
 * for an execution that stopped before its ending ran.
 *
 * @example leftProvisioned({ executions: 20, source: 'alias', status: 'ready' }) // true
 */
export function leftProvisioned(state: ConcurrencyState | undefined): boolean {
  return state !== undefined && state.status !== 'wanted' && state.status !== 'removed';
}

/**
 * The concurrency once Lambda has the request: adding, or ready at once.
 *
 * @example requested(wanted, { qualifier: '8', requested: 20, status: 'IN_PROGRESS' }, now) // { ...wanted, status: 'adding', since: now }
 */
export function requested(wanted: ConcurrencyState, config: ProvisionedConfig, now: number): ConcurrencyState {
  return { ...wanted, status: config.status === 'READY' ? 'ready' : config.status === 'FAILED' ? 'failed' : 'adding', since: now, ...(config.reason ? { note: config.reason } : {}) };
}

/**
 * The concurrency after a status read, with a refusal when it failed or took too long: ready,
 * still adding, or failed with why (Lambda's reason, or the wait that ran out).
 *
 * @example provisioningProgress(adding, { qualifier: '8', requested: 20, status: 'FAILED', reason: 'FUNCTION_ERROR_INIT_FAILURE' }, now).refusal // 'provisioned concurrency of 20 on version 8 failed: FUNCTION_ERROR_INIT_FAILURE'
 */
export function provisioningProgress(
  state: ConcurrencyState,
  config: ProvisionedConfig | undefined,
  now: number,
  targetVersion: string,
): { concurrency: ConcurrencyState; refusal?: string } {
  const on = `provisioned concurrency of ${state.executions} on version ${targetVersion}`;
  if (!config) return { concurrency: { ...state, status: 'failed' }, refusal: `${on} disappeared while it was being allocated` };
  if (config.status === 'READY') return { concurrency: { ...state, status: 'ready' } };
  if (config.status === 'FAILED') {
    const why = config.reason ?? 'no reason given';
    return { concurrency: { ...state, status: 'failed', note: why }, refusal: `${on} failed: ${why}` };
  }
  const waited = Math.round((now - (state.since ?? now)) / 1000);
  if (waited >= MAX_PROVISIONING_SECONDS) {
    return { concurrency: { ...state, status: 'failed' }, refusal: `${on} was not ready after ${waited}s (${config.allocated ?? 0} allocated)` };
  }
  return { concurrency: { ...state, status: 'adding' } };
}

/** An event source mapping that invokes the alias (ListEventSourceMappings). */
export interface EventSourceMapping {
  readonly uuid: string;
  /** The queue, stream or topic it reads. */
  readonly eventSourceArn?: string | undefined;
  /** Enabled, Disabled, Creating... */
  readonly state?: string | undefined;
}

/**
 * What the start notification says about the event source mappings that invoke the alias: each
 * invocation (one batch of records) is routed by the alias's weights, so the split is per batch.
 * Undefined when no mapping invokes it.
 *
 * @example eventSourceNote([{ uuid: 'u1', eventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:orders', state: 'Enabled' }])
 * // '1 event source mapping invokes this alias (arn:aws:sqs:...:orders, Enabled): ...'
 */
export function eventSourceNote(mappings: readonly EventSourceMapping[]): string | undefined {
  if (mappings.length === 0) return undefined;
  const listed = mappings
    .slice(0, 5)
    .map((m) => `${m.eventSourceArn ?? m.uuid}${m.state ? `, ${m.state}` : ''}`)
    .join('; ');
  const more = mappings.length > 5 ? `; and ${mappings.length - 5} more` : '';
  return (
    `${mappings.length} event source mapping${mappings.length === 1 ? ' invokes' : 's invoke'} this alias (${listed}${more}): ` +
    'the weights apply to each invocation, which carries a whole batch of records, so the target gets about its weight in batches, not in records, and a batch it fails is retried by the mapping on whichever version the next invocation reaches'
  );
}
