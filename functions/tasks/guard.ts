/**
 * Guard: runs when a rollout execution stops without finishing its workflow: an EventBridge rule
 * on the state machine's "Step Functions Execution Status Change" events for ABORTED, TIMED_OUT
 * and FAILED invokes it. A stopped execution runs no Catch and no Rollback, so the guard keeps
 * the invariants for it: the alias is not left split by this rollout (restored to the baseline
 * with the RevisionId, never over someone else's change: that is reported as drift), the lock
 * is released, provisioned concurrency the rollout added on the target is removed, the record gets
 * its ending, and people hear about it on the same channels as
 * Notify's. Idempotent: a second run finds the alias whole and the record ended, and is quiet.
 * How the rollout ended, and who hears about it, are core's rules (`core/guard.ts`).
 */
import type { Restoration } from '../core/alias.js';
import { leftProvisioned } from '../core/concurrency.js';
import { NotFoundError } from '../core/errors.js';
import {
  type ExecutionStatusChange,
  type ExecutionStop,
  executionStop,
  guardDecision,
  isGuarded,
  type NobodyTold,
  untouchedAlias,
  vanishedAlias,
} from '../core/guard.js';
import type { EndedStatus } from '../core/registry.js';
import { rolloutStateIn, type RolloutState } from '../core/state.js';
import type { Clock, ConcurrencyControl, EventPublisher, LambdaControl, Notifier, RolloutRegistry, Workflow } from '../ports.js';
import { logger } from '../logger.js';
import { restoreBaseline } from './alias-writer.js';
import { type ChannelName, type ChannelResult, deliver } from './deliver.js';

/**
 * What the guard did with the alias: restored it to the baseline; found it already whole; found
 * it changed by someone else (drift, left alone); ignored the event (not a status it guards); or
 * knew nothing of the execution (not a rollout it can find).
 */
export type GuardAction = 'restored' | 'already_whole' | 'drift' | 'ignored' | 'unknown';

export interface GuardResult {
  readonly executionArn: string;
  readonly status: string;
  readonly action: GuardAction;
  readonly rolloutId?: string;
  readonly endedAs?: EndedStatus;
  readonly reason?: string;
  /** Whether this run wrote the ending (false: it had ended already). */
  readonly recorded?: boolean;
  /** Whether this run released the lock (false: not held by this rollout). */
  readonly lockReleased?: boolean;
  /** Whether this run removed provisioned concurrency the rollout had added on the target (false: there was none left). */
  readonly concurrencyRemoved?: boolean;
  /** How each channel fared, or why nobody was told (the workflow told them, or this was a repeat). */
  readonly notified?: Readonly<Partial<Record<ChannelName, ChannelResult>>> | NobodyTold;
}

export interface GuardPorts {
  readonly registry: Pick<RolloutRegistry, 'findByExecution' | 'finish' | 'release'>;
  readonly workflow: Pick<Workflow, 'describe' | 'findInHistory'>;
  readonly lambda: LambdaControl;
  readonly notifier: Notifier;
  readonly events?: EventPublisher | undefined;
  /** Removes what the rollout provisioned on the target, when its execution stopped before its ending did. */
  readonly concurrency: Pick<ConcurrencyControl, 'deleteProvisioned'>;
  readonly clock: Clock;
}

/** Puts the alias back on the baseline when this rollout left it split; an alias deleted since is whole. */
async function secureAlias(lambda: LambdaControl, state: RolloutState): Promise<Restoration> {
  try {
    return await restoreBaseline(lambda, state);
  } catch (error) {
    if (error instanceof NotFoundError) return vanishedAlias(state);
    throw error;
  }
}

/** Guard over its ports. */
export function makeGuard(ports: GuardPorts) {
  const { registry, workflow, lambda, clock } = ports;

  // The event may carry the error and cause; when it does not, DescribeExecution has them.
  async function stopOf(detail: ExecutionStatusChange['detail']): Promise<ExecutionStop> {
    const told = executionStop(detail);
    if (told.error || told.cause) return told;
    try {
      return executionStop(await workflow.describe(detail.executionArn));
    } catch (error) {
      logger.warn('could not read why the execution stopped', { error: error as Error });
      return {};
    }
  }

  return async function guard(event: ExecutionStatusChange): Promise<GuardResult> {
    const { executionArn, status } = event.detail;
    if (!isGuarded(status)) return { executionArn, status, action: 'ignored' };

    const [record, state] = await Promise.all([registry.findByExecution(executionArn), workflow.findInHistory(executionArn, rolloutStateIn)]);
    const known = state ? { state, record } : record ? { record } : undefined;
    if (!known) {
      logger.warn('no rollout known for this execution', { executionArn });
      return { executionArn, status, action: 'unknown' };
    }
    const stop = await stopOf(event.detail);
    const secured = state ? await secureAlias(lambda, state) : untouchedAlias(record);
    const concurrencyRemoved = state && leftProvisioned(state.concurrency) ? await ports.concurrency.deleteProvisioned(state.rollout.functionName, state.rollout.targetVersion) : false;
    const { endedAs, reason, facts, tell, ending } = guardDecision({ ...known, status, stop, secured, now: clock.now() });

    // Notify first, then record the ending: a run that dies in between notifies again on retry
    // (at least once), while a later repeat finds the record ended and stays quiet.
    const notified = typeof tell === 'string' ? tell : (await deliver({ notifier: ports.notifier, events: ports.events }, tell)).channels;
    const recorded = await registry.finish(ending);
    const lockReleased = await registry.release({ functionName: facts.functionName, alias: facts.alias, rolloutId: facts.rolloutId, executionArn });
    return { executionArn, status, action: secured.action, rolloutId: facts.rolloutId, endedAs, reason, recorded, lockReleased, concurrencyRemoved, notified };
  };
}
