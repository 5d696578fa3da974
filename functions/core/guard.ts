/**
 * The guard's rules. The guard runs when a rollout execution stops without finishing its
 * workflow (aborted, timed out, failed); after it made sure the alias is not left split by this
 * rollout, these rules say how the rollout ended, why, whether people still need to hear about
 * it (and what they hear), and the ending the registry records.
 */
import type { Restoration } from './alias.js';
import { causeMessage, ErrorName, isRefusal, oneLine } from './errors.js';
import { wants } from './notification-options.js';
import { type Notification, notificationFor, recordNotification } from './notification.js';
import { guardOutcome } from './outcome.js';
import { aliasKey, type EndedStatus, factsOfRecord, progressOf, type RolloutEnding, type RolloutLock, type RolloutRecord } from './registry.js';
import { factsOf, type RolloutFacts, type RolloutState, withAlias } from './state.js';

/** Step Functions execution statuses the guard acts on. */
export const GUARDED_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
export type GuardedStatus = (typeof GUARDED_STATUSES)[number];

/**
 * True for an execution status the guard acts on.
 *
 * @example isGuarded('SUCCEEDED') // false
 */
export function isGuarded(status: string): status is GuardedStatus {
  return (GUARDED_STATUSES as readonly string[]).includes(status);
}

/**
 * Errors of the workflow's own Fail states: the workflow already put the alias back (or left it
 * as someone else set it) and notified, so the guard only makes sure the lock is released.
 */
export const WORKFLOW_ENDINGS: readonly string[] = [ErrorName.RolledBack, ErrorName.Drift, ErrorName.Refused, ErrorName.InvalidInput, ErrorName.LockNotReleased];

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

/** Why an execution stopped, as the event or DescribeExecution tells it. */
export interface ExecutionStop {
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
}

/**
 * Why an execution stopped, from the event or DescribeExecution: the error and cause each when present.
 *
 * @example executionStop({ error: 'RolloutAborted', cause: null }) // { error: 'RolloutAborted' }
 */
export function executionStop(source: { readonly error?: string | null | undefined; readonly cause?: string | null | undefined }): ExecutionStop {
  return { ...(source.error ? { error: source.error } : {}), ...(source.cause ? { cause: source.cause } : {}) };
}

/**
 * The ended status for an execution that stopped without finishing the workflow.
 *
 * @example guardStatus('FAILED', 'RolloutRolledBack') // 'rolled_back'
 */
export function guardStatus(status: GuardedStatus, error: string | undefined): EndedStatus {
  if (status === 'ABORTED') return 'aborted';
  if (status === 'TIMED_OUT') return 'timed_out';
  if (isRefusal(error)) return 'refused';
  if (error === ErrorName.RolledBack) return 'rolled_back';
  if (error === ErrorName.Drift) return 'drift';
  return 'failed';
}

/**
 * The guard's one-line reason: how the execution stopped, and how the alias was left.
 *
 * @example guardReason('ABORTED', { cause: 'bad canary' }, 'alias live restored to v7') // 'execution aborted: bad canary; alias live restored to v7'
 */
export function guardReason(status: GuardedStatus, stop: ExecutionStop, aliasNote: string): string {
  const cause = oneLine(causeMessage(stop.cause));
  const how =
    status === 'ABORTED'
      ? `execution aborted${cause ? `: ${cause}` : ''}`
      : status === 'TIMED_OUT'
        ? 'execution timed out'
        : `execution failed: ${stop.error ?? 'unknown error'}${cause ? ` (${cause})` : ''}`;
  return `${how}; ${aliasNote}`;
}

/**
 * How the alias stands when the execution left no rollout state (it stopped before Prepare
 * finished): no traffic had moved, and the record names the baseline when Prepare resolved it.
 *
 * @example untouchedAlias(record).note // 'no traffic had moved'
 */
export function untouchedAlias(record: RolloutRecord | undefined): Restoration {
  return { action: 'already_whole', alias: { functionVersion: record?.baselineVersion ?? '', routing: {}, revisionId: '' }, note: 'no traffic had moved' };
}

/**
 * How the alias stands when it was deleted since the rollout last saw it: nothing routes through
 * it, so nothing is left split.
 *
 * @example vanishedAlias(state).note // 'alias live no longer exists'
 */
export function vanishedAlias(state: RolloutState): Restoration {
  return { action: 'already_whole', alias: state.alias, note: `alias ${state.rollout.alias} no longer exists` };
}

/** Whether a stopped execution may touch the alias, and if not, why not (one line). */
export type Ownership = { readonly owner: true } | { readonly owner: false; readonly why: string };

/**
 * Whether the stopped execution owned the alias, so that a split it left is its own to undo.
 * Only an execution whose own AcquireLock took the lock (or confirmed the API's pending lock for
 * it) can have moved traffic: its record carries `lockedAt`, or the lock it still holds is
 * `running`. A split that belongs to the lock's current holder, another execution, is never
 * touched: a racing start refused at AcquireLock, or a late event of an execution whose lock has
 * since passed to another rollout, leaves the alias alone.
 *
 * @example ownershipOf(loserArn, loserRecord, winnersLock).owner // false
 */
export function ownershipOf(executionArn: string, record: RolloutRecord | undefined, lock: RolloutLock | undefined): Ownership {
  if (lock && lock.executionArn !== executionArn) {
    return { owner: false, why: `rollout ${lock.rolloutId} holds ${aliasKey(lock.functionName, lock.alias)} (execution ${lock.executionArn}); this execution moved none of its traffic, and the alias was left alone` };
  }
  if (lock?.status === 'running' || record?.lockedAt !== undefined) return { owner: true };
  return { owner: false, why: "no traffic had moved: this execution never took the alias's lock, and the alias was left alone" };
}

/**
 * The execution a stopped execution's rollout goes on in, when its lock passed to another
 * execution of the same rollout (a long rollout continued; a stop raced the hand-over): that
 * execution's own ending speaks for the rollout, and the guard has nothing to undo or tell.
 *
 * @example continuedElsewhere(oldArn, 'r1', { ...lock, rolloutId: 'r1', executionArn: newArn }) // newArn
 */
export function continuedElsewhere(executionArn: string, rolloutId: string, lock: Pick<RolloutLock, 'rolloutId' | 'executionArn'> | undefined): string | undefined {
  return lock && lock.rolloutId === rolloutId && lock.executionArn !== executionArn ? lock.executionArn : undefined;
}

/**
 * How the alias stands for an execution that never owned it: untouched by the guard, as the
 * rollout last saw it, and not claimed as any version.
 *
 * @example notOwnedAlias(state, 'no traffic had moved: ...').action // 'untouched'
 */
export function notOwnedAlias(state: RolloutState, why: string): Restoration {
  return { action: 'untouched', alias: state.alias, note: why };
}

/** What the guard read: the execution's last rollout state and the rollout's record (at least one of them). */
export type GuardedRollout =
  | { readonly state: RolloutState; readonly record?: RolloutRecord | undefined }
  | { readonly state?: undefined; readonly record: RolloutRecord };

/** Everything the guard knows once the alias is secured. */
export type GuardFacts = GuardedRollout & {
  readonly status: GuardedStatus;
  readonly stop: ExecutionStop;
  /** How the alias was left. */
  readonly secured: Restoration;
  readonly now: number;
};

/** Why nobody is told: the workflow's own Fail state already notified, or the rollout had ended (a repeated run). */
export type NobodyTold = 'workflow already notified' | 'already ended';

/** What to tell people: a notification (SNS only when the rollout asked for the event), or why nobody is told. */
export type GuardTelling = { readonly notification: Notification; readonly toSns: boolean } | NobodyTold;

/** The guard's decision: how the rollout ended, why, who hears about it, and the ending to record. */
export interface GuardDecision {
  readonly endedAs: EndedStatus;
  readonly reason: string;
  readonly facts: RolloutFacts;
  readonly tell: GuardTelling;
  readonly ending: RolloutEnding;
}

/**
 * How a stopped rollout ended. A state that already has its outcome, with the alias whole, ended
 * as that outcome (the execution stopped after the work was done, e.g. ReleaseLock failed after
 * promotion). Nobody is told twice: not when the record has ended already (a repeated run), nor
 * when the workflow's own Fail state ended it with the alias whole (Notify already ran).
 *
 * @example guardDecision({ status: 'ABORTED', stop: { cause: 'bad canary' }, secured, state, record, now }).endedAs // 'aborted'
 */
export function guardDecision(known: GuardFacts): GuardDecision {
  const { status, stop, secured, state, record, now } = known;
  const endedAs: EndedStatus =
    secured.action === 'drift' ? 'drift' : state?.outcome && secured.action === 'already_whole' ? state.outcome.status : guardStatus(status, stop.error);
  const reason = guardReason(status, stop, secured.note);
  const type = secured.action === 'drift' ? 'drift' : status === 'ABORTED' ? 'aborted' : 'failed';
  const whole = secured.action === 'already_whole' || secured.action === 'untouched';
  const workflowNotified = status === 'FAILED' && WORKFLOW_ENDINGS.includes(stop.error ?? '') && whole;
  const tell = (): GuardTelling => {
    if (record?.endedAt !== undefined) return 'already ended';
    if (workflowNotified) return 'workflow already notified';
    if (!state) return { notification: recordNotification(type === 'aborted' ? 'aborted' : 'failed', known.record, endedAs, reason, now), toSns: true };
    const ended: RolloutState = {
      ...withAlias(state, secured.alias),
      outcome: guardOutcome(state, secured.alias, reason, now),
      error: { Error: stop.error ?? (status === 'TIMED_OUT' ? 'States.Timeout' : status), Cause: stop.cause },
    };
    return { notification: notificationFor(type, ended, now), toSns: wants(state.rollout.notifications, type) };
  };
  const facts = state ? factsOf(state) : factsOfRecord(known.record);
  return {
    endedAs,
    reason,
    facts,
    tell: tell(),
    ending: {
      ...facts,
      status: endedAs,
      reason,
      ...((secured.action === 'restored' || secured.action === 'already_whole') && secured.alias.functionVersion ? { finalVersion: secured.alias.functionVersion } : {}),
      endedAt: new Date(now).toISOString(),
      ...(state ? { progress: progressOf(type, withAlias(state, secured.alias), now) } : {}),
    },
  };
}
