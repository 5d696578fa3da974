/**
 * Guard: runs when a rollout execution stops without finishing its workflow: an EventBridge rule
 * on the state machine's "Step Functions Execution Status Change" events for ABORTED, TIMED_OUT
 * and FAILED invokes it. A stopped execution runs no Catch and no Rollback, so the guard keeps
 * the invariants for it: the alias is not left split by this rollout (restored to the baseline
 * with the RevisionId, never over someone else's change: that is reported as drift), the lock
 * is released, the record gets its ending, and people hear about it on the same channels as
 * Notify's. Idempotent: a second run finds the alias whole and the record ended, and is quiet.
 */
import { NotFoundError } from '../core/errors.js';
import { notificationFor, wants } from '../core/notification.js';
import {
  type EndedStatus,
  factsOf,
  GUARDED_STATUSES,
  type GuardedStatus,
  guardOutcome,
  guardReason,
  guardStatus,
  progressOf,
  recordNotification,
  type RolloutFacts,
  type RolloutRecord,
  rolloutStateIn,
  WORKFLOW_ENDINGS,
} from '../core/registry.js';
import type { RolloutState } from '../core/state.js';
import type { Clock, EventPublisher, LambdaControl, Notifier, RolloutRegistry, Workflow } from '../ports.js';
import { type Restoration, restoreBaseline, withAlias } from './alias-writer.js';
import { logger } from '../logger.js';
import { type ChannelName, type ChannelResult, deliver } from './notify.js';

/** The EventBridge event, as far as the guard reads it ("Step Functions Execution Status Change"). */
export interface ExecutionStatusChange {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn?: string;
    readonly name?: string;
    readonly status: string;
    /** Epoch ms. */
    readonly startDate?: number;
    readonly stopDate?: number | null;
    readonly error?: string | null;
    readonly cause?: string | null;
  };
}

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
  /** How each channel fared, or why nobody was told (the workflow told them, or this was a repeat). */
  readonly notified?: Readonly<Partial<Record<ChannelName, ChannelResult>>> | 'workflow already notified' | 'already ended';
}

export interface GuardPorts {
  readonly registry: Pick<RolloutRegistry, 'findByExecution' | 'finish' | 'release'>;
  readonly workflow: Pick<Workflow, 'describe' | 'findInHistory'>;
  readonly lambda: LambdaControl;
  readonly notifier: Notifier;
  readonly events?: EventPublisher | undefined;
  readonly clock: Clock;
}

function isGuarded(status: string): status is GuardedStatus {
  return (GUARDED_STATUSES as readonly string[]).includes(status);
}

/** Puts the alias back on the baseline when this rollout left it split; an alias deleted since is whole. */
async function secureAlias(lambda: LambdaControl, state: RolloutState): Promise<Restoration> {
  try {
    return await restoreBaseline(lambda, state);
  } catch (error) {
    if (error instanceof NotFoundError) return { action: 'already_whole', alias: state.alias, note: `alias ${state.rollout.alias} no longer exists` };
    throw error;
  }
}

function factsOfRecord(record: RolloutRecord): RolloutFacts {
  const { rolloutId, executionArn, functionName, alias, baselineVersion, targetVersion, strategy, startedAt } = record;
  return { rolloutId, executionArn, functionName, alias, baselineVersion, targetVersion, strategy, startedAt };
}

/** Guard over its ports. */
export function makeGuard(ports: GuardPorts) {
  const { registry, workflow, lambda, clock } = ports;

  // The event may carry the error and cause; when it does not, DescribeExecution has them.
  async function stopOf(detail: ExecutionStatusChange['detail']): Promise<{ error?: string; cause?: string }> {
    if (detail.error || detail.cause) return { ...(detail.error ? { error: detail.error } : {}), ...(detail.cause ? { cause: detail.cause } : {}) };
    try {
      const info = await workflow.describe(detail.executionArn);
      return { ...(info.error ? { error: info.error } : {}), ...(info.cause ? { cause: info.cause } : {}) };
    } catch (error) {
      logger.warn('could not read why the execution stopped', { error: error as Error });
      return {};
    }
  }

  return async function guard(event: ExecutionStatusChange): Promise<GuardResult> {
    const { executionArn, status } = event.detail;
    if (!isGuarded(status)) return { executionArn, status, action: 'ignored' };

    const [record, state] = await Promise.all([registry.findByExecution(executionArn), workflow.findInHistory(executionArn, rolloutStateIn)]);
    if (!record && !state) {
      logger.warn('no rollout known for this execution', { executionArn });
      return { executionArn, status, action: 'unknown' };
    }
    const stop = await stopOf(event.detail);
    const secured: Restoration = state
      ? await secureAlias(lambda, state)
      : { action: 'already_whole', alias: { functionVersion: record?.baselineVersion ?? '', routing: {}, revisionId: '' }, note: 'no traffic had moved' };
    const now = clock.now();
    // A state that already has its outcome, with the alias whole, ended as that outcome: the
    // execution stopped after the work was done (e.g. ReleaseLock failed after promotion).
    const endedAs: EndedStatus =
      secured.action === 'drift' ? 'drift' : state?.outcome && secured.action === 'already_whole' ? state.outcome.status : guardStatus(status, stop.error);
    const reason = guardReason(status, stop, secured.note);
    const facts = state ? factsOf(state) : factsOfRecord(record as RolloutRecord);

    // Notify first, then record the ending: a run that dies in between notifies again on retry
    // (at least once), while a later repeat finds the record ended and stays quiet.
    const type = secured.action === 'drift' ? 'drift' : status === 'ABORTED' ? 'aborted' : 'failed';
    let notified: GuardResult['notified'];
    const workflowNotified = status === 'FAILED' && WORKFLOW_ENDINGS.includes(stop.error ?? '') && secured.action === 'already_whole';
    if (record?.endedAt !== undefined) notified = 'already ended';
    else if (workflowNotified) notified = 'workflow already notified';
    else {
      const ended: RolloutState | undefined = state && {
        ...withAlias(state, secured.alias),
        outcome: guardOutcome(state, secured.alias, reason, now),
        error: { Error: stop.error ?? (status === 'TIMED_OUT' ? 'States.Timeout' : status), Cause: stop.cause },
      };
      const notification = ended
        ? notificationFor(type, ended, now)
        : recordNotification(type === 'aborted' ? 'aborted' : 'failed', record as RolloutRecord, endedAs, reason, now);
      const report = await deliver({ notifier: ports.notifier, events: ports.events }, { notification, toSns: state ? wants(state.rollout.notifications, type) : true });
      notified = report.channels;
    }

    const recorded = await registry.finish({
      ...facts,
      status: endedAs,
      reason,
      ...(secured.action !== 'drift' && secured.alias.functionVersion ? { finalVersion: secured.alias.functionVersion } : {}),
      endedAt: new Date(now).toISOString(),
      ...(state ? { progress: progressOf(type, withAlias(state, secured.alias), now) } : {}),
    });
    const lockReleased = await registry.release({ functionName: facts.functionName, alias: facts.alias, rolloutId: facts.rolloutId, executionArn });
    return { executionArn, status, action: secured.action, rolloutId: facts.rolloutId, endedAs, reason, recorded, lockReleased, notified };
  };
}
