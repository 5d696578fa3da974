/**
 * The rollout registry's data: the lock that keeps one rollout per function alias, the record
 * each rollout leaves behind, and the pure rules that build them from the workflow's state and
 * decide how a rollout ended. No I/O: the DynamoDB adapter (`functions/aws/registry.ts`) and the
 * in-memory twin (`sim/registry.ts`) store what these functions build, with the same semantics.
 * The API's idempotency records live in the same table; their rules are in `idempotency.ts`.
 */
import type { CheckDetail } from './check.js';
import { causeMessage, oneLine, RefusedError } from './errors.js';
import { functionNameOf } from './function-ref.js';
import type { RolloutEventType } from './notification-options.js';
import { type CaughtError, factsOf, positionOf, type RolloutFacts, type RolloutState, type StepRecord } from './state.js';

export { factsOf, type RolloutFacts } from './state.js';
// The registry's adapters and the API read the idempotency rules from here.
export { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, IN_PROGRESS_MS, isLive, newClaim, type StoredResponse } from './idempotency.js';

/** A rollout that holds its alias: `pending` (the API took the lock, the execution is starting) or `running`. */
export const ACTIVE_STATUSES = ['pending', 'running'] as const;
/** How a rollout ended. */
export const ENDED_STATUSES = ['promoted', 'rolled_back', 'drift', 'refused', 'aborted', 'timed_out', 'failed'] as const;
export const ROLLOUT_STATUSES = [...ACTIVE_STATUSES, ...ENDED_STATUSES] as const;

export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
export type EndedStatus = (typeof ENDED_STATUSES)[number];
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** True for a status a rollout ends with. */
export function isEnded(status: RolloutStatus): status is EndedStatus {
  return (ENDED_STATUSES as readonly string[]).includes(status);
}

/** The lock item: which rollout holds a function alias. */
export interface RolloutLock {
  readonly functionName: string;
  readonly alias: string;
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly status: ActiveStatus;
  readonly baselineVersion?: string | undefined;
  readonly targetVersion: string;
  /** Who started the rollout: the IAM caller's ARN for API starts. */
  readonly startedBy: string;
  /** ISO timestamp. */
  readonly startedAt: string;
  /**
   * The continuation this lock's execution is handing over to, recorded before it starts it
   * (`recordHandOff`): only that execution, with that input, may take the lock over. Cleared when
   * the lock moves.
   */
  readonly handOff?: HandOff | undefined;
}

/**
 * Which execution may take a running rollout's lock over, and with which input: the continuation's
 * execution ARN (the one Step Functions gives the name the workflow chose, which no caller can
 * choose for its own execution) and the SHA-256 of the canonical JSON of the input it was started
 * with (`core/continuation.ts` `continuationDigest`).
 */
export interface HandOff {
  readonly to: string;
  readonly digest: string;
}

/** The execution holding a rollout's lock, naming the continuation it is about to start. */
export interface HandOffRequest {
  readonly functionName: string;
  readonly alias: string;
  readonly rolloutId: string;
  /** The execution that holds the lock and starts the continuation. */
  readonly executionArn: string;
  readonly handOff: HandOff;
  /** ISO timestamp of this write. */
  readonly at: string;
}

/**
 * What recording a hand-off does given the alias's lock: records it when the rollout's execution
 * holds the lock; nothing more when the continuation it names holds it already (a retried
 * `continue` whose continuation has resumed); otherwise refuses (the rollout ended or was aborted,
 * or another one holds the alias). Both registry implementations hold to this rule.
 *
 * @example handOffAction({ ...lock, executionArn: arn }, { rolloutId: lock.rolloutId, executionArn: arn, handOff }) // 'record'
 */
export function handOffAction(
  holder: Pick<RolloutLock, 'rolloutId' | 'executionArn'> | undefined,
  request: Pick<HandOffRequest, 'rolloutId' | 'executionArn' | 'handOff'>,
): 'record' | 'moved' | 'refuse' {
  if (holder?.rolloutId !== request.rolloutId) return 'refuse';
  if (holder.executionArn === request.executionArn) return 'record';
  return holder.executionArn === request.handOff.to ? 'moved' : 'refuse';
}

/** A request to take (or, for the rollout that holds it, to confirm) an alias's lock. */
export interface LockRequest extends RolloutFacts {
  /** `pending` from the API before StartExecution; `running` from the workflow's AcquireLock. */
  readonly status: ActiveStatus;
  /** Kept from the first acquire: the workflow does not know the API's caller. */
  readonly startedBy: string;
  /** ISO timestamp of this write. */
  readonly at: string;
}

/** Where a running rollout is, as the last notification saw it. */
export interface RolloutProgress {
  /** Steps shifted so far (1-based number of the current step); 0 before the first shift. */
  readonly currentStep: number;
  readonly totalSteps: number;
  /** The share of the alias's traffic the target gets, as the rollout last saw the alias. */
  readonly weightPercent: number;
  /** Every step so far: weight, RevisionId written, checks, the last verdict with its numbers. */
  readonly steps: readonly StepRecord[];
  readonly lastEvent: { readonly type: RolloutEventType; readonly at: string };
}

export interface ProgressUpdate extends RolloutFacts {
  readonly progress: RolloutProgress;
  /** ISO timestamp of this write. */
  readonly at: string;
}

/** The detail of a rollout's latest check, for its record. */
export interface CheckUpdate extends RolloutFacts {
  readonly check: CheckDetail;
  /** ISO timestamp of this write. */
  readonly at: string;
}

/**
 * A running rollout moving from one execution to its continuation: the lock and the record
 * follow `to` (`core/continuation.ts`).
 */
export interface HandOver {
  readonly functionName: string;
  readonly alias: string;
  readonly rolloutId: string;
  /** The execution that holds the lock and the record. */
  readonly from: string;
  /** The execution that takes them over: its own ARN (`$$.Execution.Id`), which it cannot choose. */
  readonly to: string;
  /** The digest of `to`'s input: it must be the one `from` recorded in the lock's hand-off. */
  readonly digest: string;
  /** ISO timestamp of this write. */
  readonly at: string;
}

/**
 * Why a hand-over may not move the alias's lock, or undefined when it may: the rollout's `from`
 * execution must hold the lock and must have recorded a hand-off to `to` (this very execution)
 * with the digest of this input. A continuation started by anyone but the workflow (another
 * name, or another state) is refused here.
 *
 * @example handOverRefusal({ ...lock, executionArn: from, handOff: { to, digest } }, { rolloutId: lock.rolloutId, from, to, digest }) // undefined
 */
export function handOverRefusal(
  holder: Pick<RolloutLock, 'rolloutId' | 'executionArn' | 'handOff'> | undefined,
  request: Pick<HandOver, 'rolloutId' | 'from' | 'to' | 'digest'>,
): string | undefined {
  if (!holder) return 'nobody holds the lock';
  if (holder.rolloutId !== request.rolloutId || holder.executionArn !== request.from) {
    return `the lock is held by rollout ${holder.rolloutId} (execution ${holder.executionArn}), not the execution it continues (${request.from})`;
  }
  if (!holder.handOff) return `the execution it continues recorded no hand-off`;
  if (holder.handOff.to !== request.to) return `the execution it continues hands over to ${holder.handOff.to}, not to this execution (${request.to})`;
  if (holder.handOff.digest !== request.digest) return 'its input is not the one the execution it continues handed over (the digests differ)';
  return undefined;
}

/**
 * What a hand-over does given the alias's lock: moves it when `handOverRefusal` finds nothing
 * against it; nothing more when `to` holds it already (a retried hand-over); otherwise refuses.
 * The record moves with the lock when it is the open record of `from`. Both registry
 * implementations hold to this rule.
 *
 * @example handOverAction({ ...lock, executionArn: from, handOff: { to, digest } }, request) // 'move'
 */
export function handOverAction(
  holder: Pick<RolloutLock, 'rolloutId' | 'executionArn' | 'handOff'> | undefined,
  request: Pick<HandOver, 'rolloutId' | 'from' | 'to' | 'digest'>,
): 'move' | 'moved' | 'refuse' {
  if (handOverRefusal(holder, request) === undefined) return 'move';
  return holder?.rolloutId === request.rolloutId && holder.executionArn === request.to ? 'moved' : 'refuse';
}

/** The final word on a rollout. */
export interface RolloutEnding extends RolloutFacts {
  readonly status: EndedStatus;
  /** One line: why it ended this way. */
  readonly reason: string;
  /** The version the alias wholly routes to afterwards, when known. */
  readonly finalVersion?: string | undefined;
  /** ISO timestamp. */
  readonly endedAt: string;
  readonly progress?: RolloutProgress | undefined;
}

/** A rollout's history item, as stored and listed. */
export interface RolloutRecord extends RolloutFacts {
  readonly status: RolloutStatus;
  readonly startedBy: string;
  /** ISO timestamp of the last write. */
  readonly updatedAt: string;
  readonly progress?: RolloutProgress | undefined;
  readonly reason?: string | undefined;
  readonly finalVersion?: string | undefined;
  readonly endedAt?: string | undefined;
  /** The latest check in full: every signal with its reason (the workflow's state keeps a short record). */
  readonly lastCheck?: CheckDetail | undefined;
  /**
   * When this rollout's own execution took the alias's lock (AcquireLock, which also confirms a
   * lock the API took for it). Kept once the rollout ends: the guard reads it to know whether the
   * execution ever owned the alias. A rollout refused at AcquireLock never has it.
   */
  readonly lockedAt?: string | undefined;
}

/**
 * The facts of a rollout's record, without its status and progress.
 *
 * @example factsOfRecord(record).rolloutId // record.rolloutId
 */
export function factsOfRecord(record: RolloutRecord): RolloutFacts {
  const { rolloutId, executionArn, functionName, alias, baselineVersion, targetVersion, strategy, startedAt } = record;
  return { rolloutId, executionArn, functionName, alias, baselineVersion, targetVersion, strategy, startedAt };
}

/** Filters and paging for `RolloutRegistry.list`. Newest first. */
export interface RolloutQuery {
  /** A function name or ARN; matched on the bare name. */
  readonly functionName?: string | undefined;
  /** Only with `functionName`. */
  readonly alias?: string | undefined;
  readonly status?: RolloutStatus | undefined;
  /** 1 to `MAX_PAGE_SIZE`. */
  readonly limit: number;
  /** The `nextToken` of the previous page: opaque. */
  readonly nextToken?: string | undefined;
}

export interface RolloutPage {
  readonly items: readonly RolloutRecord[];
  /** Present when there are more items: pass it back for the next page. */
  readonly nextToken?: string | undefined;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The key a lock is held under: the bare function name and the alias, e.g. "orders:live". */
export function aliasKey(functionName: string, alias: string): string {
  return `${functionNameOf(functionName)}:${alias}`;
}

/**
 * A lock held by another rollout: a refusal (the workflow's `RolloutRefused`) that names the
 * running rollout, its execution and since when.
 */
export class LockHeldError extends RefusedError {
  constructor(readonly holder: RolloutLock) {
    super(
      `rollout ${holder.rolloutId} is already running on ${aliasKey(holder.functionName, holder.alias)} (execution ${holder.executionArn}, since ${holder.startedAt})`,
    );
  }
}

/** A rollout id already used by another execution, or by a rollout that has ended. */
export class RolloutIdTakenError extends RefusedError {
  constructor(readonly existing: Pick<RolloutRecord, 'rolloutId' | 'executionArn' | 'status'>) {
    super(`rollout id ${existing.rolloutId} is already used by execution ${existing.executionArn} (${existing.status}); choose another rolloutId`);
  }
}

/**
 * Whether a lock request may take the lock given its current holder. Free locks are taken; a
 * lock held by the same rollout is confirmed when it is pending (the API took it for this
 * rollout) or when the same execution asks again (a retried task). Everything else is refused.
 * Both registry implementations hold to this rule; the DynamoDB one as a condition expression.
 */
export function mayTakeLock(holder: RolloutLock | undefined, request: Pick<LockRequest, 'rolloutId' | 'executionArn' | 'status'>): boolean {
  if (!holder) return true;
  if (holder.rolloutId !== request.rolloutId) return false;
  if (request.status === 'pending') return holder.status === 'pending';
  return holder.status === 'pending' || holder.executionArn === request.executionArn;
}

/**
 * Whether a lock request may open (or move on) the rollout's record: a new id, or the record
 * of this very rollout while it has not ended. A reused id is refused.
 */
export function mayOpenRecord(record: RolloutRecord | undefined, request: Pick<LockRequest, 'functionName' | 'alias' | 'executionArn' | 'status'>): boolean {
  if (!record) return true;
  if (aliasKey(record.functionName, record.alias) !== aliasKey(request.functionName, request.alias)) return false;
  if (request.status === 'pending') return record.status === 'pending';
  return record.status === 'pending' || (record.status === 'running' && record.executionArn === request.executionArn);
}

/** Whether a progress or ending write may touch a record: a new one, or this execution's open one. */
export function mayWriteRecord(record: RolloutRecord | undefined, executionArn: string): boolean {
  return !record || (record.executionArn === executionArn && record.endedAt === undefined);
}

/** The lock request the workflow's AcquireLock makes for a prepared rollout. */
export function lockRequestFor(state: RolloutState, now: number, startedBy = STARTED_OUTSIDE_API): LockRequest {
  return { ...factsOf(state), status: 'running', startedBy, at: new Date(now).toISOString() };
}

/** `startedBy` for rollouts whose first lock request came from the workflow, not the API. */
export const STARTED_OUTSIDE_API = '(started outside the API)';

/** Where the state says the rollout is. */
export function progressOf(type: RolloutEventType, state: RolloutState, now: number): RolloutProgress {
  return {
    ...positionOf(state),
    steps: state.history,
    lastEvent: { type, at: new Date(now).toISOString() },
  };
}

/** The progress write for a notification of a running rollout. */
export function progressUpdateFor(type: RolloutEventType, state: RolloutState, now: number): ProgressUpdate {
  return { ...factsOf(state), progress: progressOf(type, state, now), at: new Date(now).toISOString() };
}

/**
 * What ReleaseLock receives: a rollout state that ended with an outcome, a refusal or an error, and
 * the error that stopped the removal of the target's provisioned concurrency, if one did.
 */
export type EndedState = RolloutState & { readonly refusal?: CaughtError | undefined; readonly concurrencyError?: CaughtError | undefined };

/** What else the ending should say: notes gathered on the way, and provisioned concurrency left behind. */
function afterwords(state: EndedState): string {
  const left = state.concurrencyError
    ? [`the provisioned concurrency this rollout added on v${state.rollout.targetVersion} could not be removed (${oneLine(`${state.concurrencyError.Error}: ${causeMessage(state.concurrencyError.Cause)}`)}); remove it by hand`]
    : [];
  const all = [...(state.notes ?? []), ...left];
  return all.length > 0 ? `; ${all.join('; ')}` : '';
}

/**
 * The ending of a rollout from the workflow's last state: its outcome when it has one; a
 * refusal; otherwise the error that stopped it.
 *
 * @example endingOf({ ...state, outcome: { status: 'promoted', reason: 'v8 serves 100%', ... } }, now).status // 'promoted'
 */
export function endingOf(state: EndedState, now: number): RolloutEnding {
  const base = { ...factsOf(state), endedAt: new Date(now).toISOString(), progress: progressOf(lastEventType(state), state, now) };
  const more = afterwords(state);
  if (state.outcome) return { ...base, status: state.outcome.status, reason: `${state.outcome.reason}${more}`, finalVersion: state.outcome.finalVersion };
  if (state.refusal) {
    return { ...base, status: 'refused', reason: `${oneLine(causeMessage(state.refusal.Cause) || state.refusal.Error)}${more}`, finalVersion: state.alias.functionVersion };
  }
  if (state.error) {
    return { ...base, status: 'failed', reason: `${oneLine(`${state.error.Error}: ${causeMessage(state.error.Cause)}`)}${more}` };
  }
  return { ...base, status: 'failed', reason: `the workflow ended without an outcome${more}` };
}

/**
 * The event a rollout's ending is told as: its outcome (promoted, rolled_back, drift), a
 * refusal, or `failed` when an error stopped it. Notify announces the ending as this event, and
 * the record keeps it as the last event.
 *
 * @example lastEventType({ ...state, error: { Error: 'RollbackFailed', Cause: 'Rate exceeded' } }) // 'failed'
 */
export function lastEventType(state: EndedState): RolloutEventType {
  if (state.outcome) return state.outcome.status;
  if (state.refusal) return 'refused';
  return 'failed';
}
