/**
 * Guard: runs when a rollout execution stops without finishing its workflow: an EventBridge rule
 * on the state machine's "Step Functions Execution Status Change" events for ABORTED, TIMED_OUT
 * and FAILED invokes it. A stopped execution runs no Catch and no Rollback, so the guard keeps
 * the invariants for it: the alias is not left split by this rollout (restored to the baseline
 * with the RevisionId, never over someone else's change: that is reported as drift), the lock
 * is released, provisioned concurrency the rollout added on the target is removed, the record gets
 * its ending, and people hear about it on the same channels as Notify's. Idempotent: a second run finds the alias whole and the record ended, and is quiet.
 *
 * It acts only for an execution that has really ended (DescribeExecution, not the event, says
 * so: a late, duplicated or redriven event of a running execution changes nothing) and touches
 * the alias only for an execution that owned it (`ownershipOf`): a racing start refused at
 * AcquireLock never undoes the winner's split. A long rollout's executions follow one another
 * (`core/continuation.ts`): one that handed over ended SUCCEEDED, which the guard does not act
 * on, and the lock and the record name the execution running the rollout now, so an execution
 * acts only for itself, never for the one whose rollout it claimed to continue. How the rollout ended, and who hears about it,
 * are core's rules (`core/guard.ts`); which of its facts the guard counts in the service's
 * metrics, `core/service-metrics.ts`'s.
 */
import type { Restoration } from '../core/alias.js';
import { leftProvisioned } from '../core/concurrency.js';
import { NotFoundError } from '../core/errors.js';
import {
  continuedElsewhere,
  type ExecutionStatusChange,
  executionStop,
  guardDecision,
  isGuarded,
  type NobodyTold,
  notOwnedAlias,
  ownershipOf,
  untouchedAlias,
  vanishedAlias,
} from '../core/guard.js';
import type { EndedStatus } from '../core/registry.js';
import { endingMetrics, guardCountsEnding, rollbackFailedMetrics } from '../core/service-metrics.js';
import { rolloutStateIn, type RolloutState } from '../core/state.js';
import type { Clock, ConcurrencyControl, EventPublisher, ExecutionInfo, LambdaControl, Notifier, RolloutRegistry, ServiceMetrics, Workflow } from '../ports.js';
import { logger, rolloutLogKeys } from '../logger.js';
import { restoreBaseline } from './alias-writer.js';
import { type ChannelName, type ChannelResult, deliver } from './deliver.js';

/**
 * What the guard did with the alias: restored it to the baseline; found it already whole; found
 * it changed by someone else (drift, left alone); left it alone because this execution never
 * owned it (untouched); ignored the event (not a status it guards); found the execution still
 * running (a late or repeated event, a redrive: nothing is done); found the rollout going on in
 * another execution that took it over (continued_elsewhere: nothing is done); or knew nothing of
 * the execution (not a rollout it can find).
 */
export type GuardAction = 'restored' | 'already_whole' | 'drift' | 'untouched' | 'ignored' | 'still_running' | 'continued_elsewhere' | 'unknown';

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
  readonly registry: Pick<RolloutRegistry, 'findByExecution' | 'getLock' | 'finish' | 'release'>;
  readonly workflow: Pick<Workflow, 'describe' | 'findInHistory'>;
  readonly lambda: LambdaControl;
  readonly notifier: Notifier;
  readonly events?: EventPublisher | undefined;
  /** Removes what the rollout provisioned on the target, when its execution stopped before its ending did. */
  readonly concurrency: Pick<ConcurrencyControl, 'deleteProvisioned'>;
  readonly clock: Clock;
  readonly serviceMetrics?: ServiceMetrics | undefined;
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

  /** The execution as Step Functions has it now; undefined when it does not exist. Other failures are thrown, so the event is retried. */
  async function described(executionArn: string): Promise<ExecutionInfo | undefined> {
    try {
      return await workflow.describe(executionArn);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  return async function guard(event: ExecutionStatusChange): Promise<GuardResult> {
    const { executionArn } = event.detail;
    if (!isGuarded(event.detail.status)) return { executionArn, status: event.detail.status, action: 'ignored' };
    const execution = await described(executionArn);
    if (!execution) {
      logger.warn('no such execution', { executionArn });
      return { executionArn, status: event.detail.status, action: 'unknown' };
    }
    const { status } = execution;
    if (!isGuarded(status)) {
      logger.info('the execution has not ended: nothing to do', { executionArn, event: event.detail.status, status });
      return { executionArn, status, action: 'still_running' };
    }

    const [record, found] = await Promise.all([registry.findByExecution(executionArn), workflow.findInHistory(executionArn, rolloutStateIn)]);
    // The state in this execution's history speaks for this execution only: a continuation that
    // never took its rollout over still names the execution it claimed to continue.
    const state = found && { ...found, rollout: { ...found.rollout, executionArn } };
    const known = state ? { state, record } : record ? { record } : undefined;
    if (!known) {
      logger.warn('no rollout known for this execution', { executionArn });
      return { executionArn, status, action: 'unknown' };
    }
    // The event names only the execution; the rest of the guard's lines name the rollout too.
    logger.appendKeys({ rollout: { executionArn, ...rolloutLogKeys(state ?? record) } });
    const told = executionStop(event.detail);
    const stop = told.error || told.cause ? told : executionStop(execution);
    // Counted before the alias is secured: if securing it fails, the RollbackFailed alarm still fires.
    // A repeat after the ending was recorded does not count it again.
    const rollbackFailed = rollbackFailedMetrics(status, stop.error, state?.rollout.functionName ?? record?.functionName);
    if (rollbackFailed && record?.endedAt === undefined) ports.serviceMetrics?.emit(rollbackFailed);
    const { functionName, alias } = known.state ? known.state.rollout : known.record;
    const lock = await registry.getLock(functionName, alias);
    const rolloutId = known.state ? known.state.rollout.id : known.record.rolloutId;
    const continuedIn = continuedElsewhere(executionArn, rolloutId, lock);
    if (continuedIn) {
      logger.info('the rollout continues in another execution: nothing to do', { continuedIn });
      return { executionArn, status, action: 'continued_elsewhere', rolloutId };
    }
    const owned = ownershipOf(executionArn, record, lock);
    const secured = !state ? untouchedAlias(record) : owned.owner ? await secureAlias(lambda, state) : notOwnedAlias(state, owned.why);
    // Only an owner's execution got as far as provisioning the target (after the lock was taken).
    const concurrencyRemoved = state && owned.owner && leftProvisioned(state.concurrency) ? await ports.concurrency.deleteProvisioned(state.rollout.functionName, state.rollout.targetVersion) : false;
    const { endedAs, reason, facts, tell, ending } = guardDecision({ ...known, status, stop, secured, now: clock.now() });

    // Notify first, then record the ending: a run that dies in between notifies again on retry
    // (at least once), while a later repeat finds the record ended and stays quiet.
    const notified = typeof tell === 'string' ? tell : (await deliver({ notifier: ports.notifier, events: ports.events }, tell)).channels;
    const recorded = await registry.finish(ending);
    // Counted once, by the run that recorded it, and only when the workflow's ending path never ran.
    if (recorded && guardCountsEnding(status, stop.error)) ports.serviceMetrics?.emit(endingMetrics(endedAs, facts.functionName, state));
    const lockReleased = await registry.release({ functionName: facts.functionName, alias: facts.alias, rolloutId: facts.rolloutId, executionArn });
    return { executionArn, status, action: secured.action, rolloutId: facts.rolloutId, endedAs, reason, recorded, lockReleased, concurrencyRemoved, notified };
  };
}
