/**
 * Long rollouts within an execution's history. Step Functions keeps at most 25,000 events in a
 * Standard execution's history; a bake checked every minute fills that in about 38 hours, yet a
 * bake may last a year. So the workflow counts what its loops add to the history (an estimate the
 * cursor carries), and before the history fills it continues in a new execution of the same state
 * machine: the old execution starts the new one with the rollout's state and ends
 * (`ContinuedInNewExecution`), having first recorded on the alias's lock which execution it hands
 * over to and the digest of that execution's input; the new one takes over the alias's lock and record from it, and
 * resumes where it left off (the same bake, the same cursor, the same evidence).
 */
import { canonicalJson, MAX_EXECUTION_NAME } from './api.js';
import { ErrorName, refusal } from './errors.js';
import { type HandOver, handOverRefusal, type RolloutLock } from './registry.js';
import { RETRY_POLICIES } from './retry-policies.js';
import { type FunctionScope, homeOf, scopeRefusal } from './scope.js';
import { asRolloutState, type CaughtError, type Continuation, type Cursor, type RolloutState } from './state.js';

/** The most events Step Functions keeps in a Standard execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;

/**
 * Events a state adds to the history, as Step Functions records them: a Lambda Task that succeeds
 * at once adds TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
 * LambdaFunctionSucceeded and TaskStateExited (5); each retried attempt adds Scheduled, Started
 * and Failed (3); a Choice, Wait or Pass state adds its Entered and Exited events (2); a Task that
 * waits for a task token adds TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted, its
 * TaskSucceeded or TaskTimedOut, and TaskStateExited (6).
 */
export const STATE_EVENTS = { task: 5, retry: 3, choice: 2, wait: 2, callback: 6 } as const;

/**
 * What the workflow's loops add, state by state:
 * - a check: Bake (Wait) + CheckHealth (Task) + Announce and Decide (Choices) = 2 + 5 + 2 + 2 = 11;
 * - a check that announces a verdict or a hold adds NotifyAnnounced (Task) = 5;
 * - a check that moves to the next step adds BeforeStepHook and Advance (Choices, 4; a hook the
 *   rollout runs before the step is not counted: at most once a step) and ShiftWeight and
 *   NotifyShifted (Tasks, 10) = 14;
 * - a check whose evidence could not be read after CheckHealth's retries adds those retries
 *   (10 × 3, the `transient` policy) and CheckReadableEvidence (Task, 5) = 35;
 * - the start of a rollout: ExecutionStarted (1) + NewOrContinued, FromArtifact, StartOrRefuse,
 *   LockedOrRefused, NeedsConcurrency, VerifiedOrRefused, PreTrafficHook, BeforeStepHook, Advance
 *   (Choices, 9 × 2) + Prepare, AcquireLock, NotifyStarted, VerifyTarget (Tasks, 4 × 5) + the
 *   first ShiftWeight and NotifyShifted (10) = 49 (the hooks and concurrency polling a rollout
 *   asks for come on top, once each, within the margin below);
 * - a check after a wait for a person (a gate, a pause) waited in AwaitControl, a
 *   `.waitForTaskToken` Task (TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted,
 *   TaskSucceeded or TaskTimedOut, TaskStateExited: 6) instead of Bake (Wait, 2) = 4 more;
 * - a beforeStep hook that failed, so the step holds: BeforeStepHook and HeldOrRefused (Choices,
 *   4) + RunBeforeStep (a task-token Task, 6) + BeforeStepFailed (Task, 5) = 15, counted by the
 *   hold it leads to (`core/hook-events.ts`);
 * - the start of a continuation: ExecutionStarted (1) + NewOrContinued and Resumed (Choices, 4) +
 *   ResumeContinuation (Task, 5) = 10.
 * A state added to one of these paths, or a new loop, adds its events here; a definition test
 * holds these numbers to the states.
 */
export const LOOP_EVENTS = {
  check: STATE_EVENTS.wait + STATE_EVENTS.task + 2 * STATE_EVENTS.choice,
  announce: STATE_EVENTS.task,
  shift: 2 * STATE_EVENTS.choice + 2 * STATE_EVENTS.task,
  unreadable: RETRY_POLICIES.transient[0].MaxAttempts * STATE_EVENTS.retry + STATE_EVENTS.task,
  start: 1 + 9 * STATE_EVENTS.choice + 4 * STATE_EVENTS.task + 2 * STATE_EVENTS.task,
  resume: 1 + 2 * STATE_EVENTS.choice + STATE_EVENTS.task,
  awaited: STATE_EVENTS.callback - STATE_EVENTS.wait,
  hookFailed: 2 * STATE_EVENTS.choice + STATE_EVENTS.callback + STATE_EVENTS.task,
} as const;

/**
 * When the estimate reaches this, the next bake continues in a new execution. The 5,000 events
 * left are for what the estimate does not count: retried attempts (3 events each: about 1,600
 * retries), a code release's polling before Prepare, and the ending (at most about 30 events:
 * Rollback or Finalize, NotifyEnding, ReleaseOrKeepLock, ReleaseLock, HowItEnded and the terminal
 * states, or the continuation's ContinueInNewExecution and ContinuedInNewExecution).
 */
export const CONTINUE_AT_EVENTS = 20_000;

/**
 * Past this, an execution that still could not continue (StartExecution kept failing) rolls back
 * rather than let the history fill: a full history fails the execution with the alias split,
 * leaving the repair to the guard. The 1,000 events left cover Rollback's hard retries and the ending.
 */
export const LAST_SAFE_EVENTS = 24_000;

/** A rollout state, as a continuation's input carries it. */
export type ContinuedState = RolloutState & { readonly continuation: Continuation };

/**
 * The cursor after a check, with the events of its loop counted, the flag that tells the workflow
 * to continue in a new execution before the next bake when the estimate has reached
 * `CONTINUE_AT_EVENTS`, and a rollback when it has reached `LAST_SAFE_EVENTS` (continuing kept
 * failing). `before` is the cursor the check started from; `after` the one it decided;
 * `unreadable` when the check ran again after CheckHealth's retries (CheckReadableEvidence).
 *
 * @example afterCheck({ ...cursor, historyEvents: 19_995 }, { ...cursor, next: 'bake' }).continueInNewExecution // true
 */
export function afterCheck(before: Cursor, after: Cursor, how: { readonly unreadable?: boolean } = {}): Cursor {
  const historyEvents =
    (before.historyEvents ?? LOOP_EVENTS.start) +
    LOOP_EVENTS.check +
    (before.next === 'await' ? LOOP_EVENTS.awaited : 0) +
    (how.unreadable ? LOOP_EVENTS.unreadable : 0) +
    (after.announce ? LOOP_EVENTS.announce : 0) +
    (after.next === 'shift' ? LOOP_EVENTS.shift : 0);
  const { continueInNewExecution: _, ...cursor } = after;
  const waiting = after.next === 'bake' || after.next === 'hold' || after.next === 'await';
  if (waiting && historyEvents >= LAST_SAFE_EVENTS) {
    return {
      ...cursor,
      historyEvents,
      next: 'rollback',
      waitSeconds: 0,
      announce: undefined,
      reason: `could not continue in a new execution before the execution's history filled (about ${historyEvents} of ${MAX_HISTORY_EVENTS} events)`,
    };
  }
  return { ...cursor, historyEvents, ...(waiting && historyEvents >= CONTINUE_AT_EVENTS ? { continueInNewExecution: true } : {}) };
}

/**
 * The name of a rollout's `number`-th continuation, from the name of the execution before it:
 * `<first execution's name>-c<number>`, keeping the end of a long name (where an API start's
 * unique id is), at most 80 characters. The same every time, so a retried start finds the
 * execution it started.
 *
 * @example continuationName('orders-live-v8-3f2a9c01b7d4-c1', 2) // 'orders-live-v8-3f2a9c01b7d4-c2'
 */
export function continuationName(currentName: string, number: number): string {
  const base = number > 1 ? currentName.replace(new RegExp(`-c${number - 1}$`), '') : currentName;
  const suffix = `-c${number}`;
  return `${base.slice(-(MAX_EXECUTION_NAME - suffix.length))}${suffix}`;
}

/**
 * The keys Catch clauses and the continuation write into the state: what one execution caught,
 * not what the next one should carry.
 */
export const TRANSIENT_STATE_KEYS = ['error', 'notifyError', 'releaseLockError', 'continueError', 'refusal', 'unreadable', 'explainError', 'hookFailure', 'concurrencyError'] as const;

/**
 * The input of the rollout's next execution: the state as it is (the rollout, the alias with its
 * RevisionId, the cursor, every step, and whatever else the workflow carries), without what this
 * execution caught, and with the continuation's number and the execution handing over.
 *
 * @example continuationInput(state, arn).continuation // { number: 1, from: arn }
 */
export function continuationInput(state: RolloutState & { readonly continuation?: Continuation }, currentExecutionArn: string): ContinuedState {
  const kept = Object.fromEntries(Object.entries(state).filter(([key]) => !(TRANSIENT_STATE_KEYS as readonly string[]).includes(key))) as unknown as RolloutState;
  const { continueInNewExecution: _, ...cursor } = state.cursor;
  return { ...kept, cursor, continuation: { number: (state.continuation?.number ?? 0) + 1, from: currentExecutionArn } };
}

/**
 * Whether a value is a continuation's input: a rollout state with a continuation number and the
 * execution it came from.
 */
export function isContinuation(value: unknown): value is ContinuedState {
  const c = (value as { continuation?: Partial<Continuation> } | null)?.continuation;
  return typeof c?.number === 'number' && Number.isInteger(c.number) && c.number >= 1 && typeof c.from === 'string';
}

/** The state machine part of an execution ARN, `arn:...:execution:<state machine>:`, or undefined. */
const stateMachineOf = (executionArn: string) => /^(arn:[^:]+:states:[^:]+:\d{12}:execution:[^:]+:)[^:]+$/.exec(executionArn)?.[1];

/**
 * The most executions a rollout's retry walks back through to find the input it was started
 * with: a year's bake checked every minute continues about 300 times.
 */
export const MAX_CONTINUATIONS = 1_000;

/**
 * Why the input of an execution that claims to continue a rollout may not resume it, before
 * anything is read or changed, or undefined when it may try. A continuation's input is input like
 * any other: it must be a rollout state with a continuation; the execution it continues must be
 * another one of this state machine's; and its function must be one the service may touch where
 * it runs (`scopeRefusal`, with `allowedFunctions` and the home of `executionArn`). Whether the
 * execution it continues really holds the rollout is the registry's to say (`handOverAction`).
 *
 * @example continuationRefusal({ ...state, continuation: { number: 1, from: otherMachinesExecution } }, arn, allowed)?.Cause // '... must continue an execution of this state machine ...'
 */
export function continuationRefusal(input: unknown, executionArn: string, allowedFunctions: readonly string[]): CaughtError | undefined {
  const invalid = (rule: string): CaughtError => ({ Error: ErrorName.InvalidInput, Cause: `Invalid continuation input: ${rule}; nothing was changed` });
  if (!isContinuation(input)) return invalid('continuation: must name its number (a whole number from 1) and the execution it continues');
  let state: RolloutState;
  try {
    state = asRolloutState(input);
  } catch (error) {
    return invalid((error as Error).message);
  }
  const machine = stateMachineOf(executionArn);
  if (!machine || !input.continuation.from.startsWith(machine) || input.continuation.from === executionArn) {
    return invalid(`continuation.from: must continue another execution of this state machine (${machine ?? executionArn}…), not ${input.continuation.from}`);
  }
  const home = homeOf(executionArn) as FunctionScope['home'];
  const outside = scopeRefusal(state.rollout.functionName, { allowedFunctions, home });
  return outside === undefined ? undefined : invalid(`rollout.functionName: ${outside}`);
}

/**
 * The state a continuation resumes with once it holds the lock: this execution's ARN, and the
 * history estimate of a fresh execution.
 *
 * @example resumedState(input, arn).cursor.historyEvents // LOOP_EVENTS.resume
 */
export function resumedState(state: ContinuedState, executionArn: string): ContinuedState {
  return { ...state, rollout: { ...state.rollout, executionArn }, cursor: { ...state.cursor, historyEvents: LOOP_EVENTS.resume } };
}

/**
 * The digest a continuation's input is known by: the SHA-256 (the caller's `sha256`, hex) of its
 * canonical JSON, so that the input the execution handing over computed it from and the input the
 * continuation received through StartExecution digest the same, whatever their keys' order.
 *
 * @example continuationDigest(input, sha256Hex) === continuationDigest(JSON.parse(JSON.stringify(input)), sha256Hex) // true
 */
export function continuationDigest(input: unknown, sha256: (text: string) => string): string {
  return sha256(canonicalJson(input));
}

/**
 * Why a continuation must not resume, from the status of the execution it continues (undefined:
 * there is no such execution). Only one still running (about to end in ContinuedInNewExecution) or
 * that ended so may hand over; one that was stopped, failed or timed out ended the rollout, and the
 * guard puts the alias back: resuming would undo an abort that raced the hand-over.
 *
 * @example predecessorRefusal(state, 'ABORTED')?.Cause // 'rollout … cannot resume: the execution it continues, …, was aborted'
 */
export function predecessorRefusal(state: ContinuedState, status: string | undefined): CaughtError | undefined {
  if (status === 'RUNNING' || status === 'SUCCEEDED') return undefined;
  const from = state.continuation.from;
  const what = status === undefined ? 'does not exist' : `was ${status.toLowerCase().replace('_', ' ')}`;
  return refusal(`rollout ${state.rollout.id} cannot resume: the execution it continues, ${from}, ${what}`);
}

/**
 * The refusal of a continuation that may not resume, naming why (`handOverRefusal`): the lock is
 * not its predecessor's to hand over (the rollout ended, was aborted), or its predecessor did not
 * hand over to this execution with this input (it did not come from the workflow).
 */
export function resumeRefusal(state: ContinuedState, holder: Pick<RolloutLock, 'rolloutId' | 'executionArn' | 'handOff'> | undefined, request: Pick<HandOver, 'to' | 'digest'>): CaughtError {
  const why = handOverRefusal(holder, { rolloutId: state.rollout.id, from: state.continuation.from, ...request }) ?? 'the lock moved meanwhile';
  return refusal(`continuation ${state.continuation.number} of rollout ${state.rollout.id} may not resume: ${why}; nothing was changed`);
}

/** What the execution that continued in a new one ends with: its output names the new execution. */
export interface ContinuedIn {
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly executionName: string;
  /** One line: why the rollout moved to a new execution. */
  readonly reason: string;
}

/**
 * The old execution's account of the continuation.
 *
 * @example continuedIn(state, arn, name).reason // 'continued in a new execution before the history filled (about 20000 of 25000 events)'
 */
export function continuedIn(state: RolloutState, executionArn: string, executionName: string): ContinuedIn {
  return {
    rolloutId: state.rollout.id,
    executionArn,
    executionName,
    reason: `continued in a new execution before the history filled (about ${state.cursor.historyEvents ?? 0} of ${MAX_HISTORY_EVENTS} events)`,
  };
}
