/**
 * Every error name the workflow can see, in one place. The state machine's Retry and Catch
 * clauses match on these names (Lambda reports a thrown error's `name` as its error type), and a
 * test holds `statemachine/rollout.asl.json` to this list.
 */
export const ErrorName = {
  /** The rollout input broke a rule; nothing was changed. */
  InvalidInput: 'InvalidRolloutInput',
  /** Prepare found a reason not to start (missing alias, split alias, role mismatch...); nothing was changed. */
  Refused: 'RolloutRefused',
  /** A Lambda resource (function, version or alias) does not exist. */
  NotFound: 'ResourceNotFound',
  /** AWS throttled the call (HTTP 429). Retried with backoff. */
  Throttled: 'Throttled',
  /** AWS answered with a server error (5xx) or the network failed. Retried with backoff. */
  Transient: 'TransientAwsError',
  /** Lambda is still applying an earlier update to the function or alias (HTTP 409). Retried. */
  UpdateInProgress: 'AliasUpdateInProgress',
  /** The alias changed under us (HTTP 412 on RevisionId): someone else owns it now. Never overwritten. */
  Drift: 'AliasDrift',
  /** AWS refused a request as invalid (HTTP 400 other than the above). Not retried. */
  Rejected: 'AwsRequestRejected',
  /** The rollout ended with the alias back on the baseline. The Fail state's error. */
  RolledBack: 'RolloutRolledBack',
  /** Rolling back itself failed after every retry; the alias may still be split. */
  RollbackFailed: 'RollbackFailed',
  /** Promoted, but the registry could not record it or release the lock; the guard does. */
  LockNotReleased: 'LockNotReleased',
  /** A lifecycle hook answered that it failed (its own answer, or SendTaskFailure without an error name of its own). */
  HookFailed: 'HookFailed',
  /**
   * The holding loop found a decision (approval, rejection, resume, promote) that arrived after the
   * check that led to the wait: it ends the wait at once so the next check acts on it.
   */
  ControlChanged: 'RolloutControlChanged',
} as const;

export type ErrorName = (typeof ErrorName)[keyof typeof ErrorName];

/**
 * Errors the state machine retries with backoff and jitter: ours, plus the ones the Lambda
 * service raises when it cannot run a task function at all.
 */
export const TRANSIENT_ERRORS: readonly string[] = [
  ErrorName.Throttled,
  ErrorName.Transient,
  ErrorName.UpdateInProgress,
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/** Base class: a literal `name` the workflow can match on, and an optional `cause`. */
export abstract class RolloutError extends Error {
  abstract override readonly name: ErrorName;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One broken rule in an input: the dotted path of the field and the rule, in words. */
export interface FieldIssue {
  readonly field: string;
  readonly rule: string;
}

export class InvalidInputError extends RolloutError {
  override readonly name = ErrorName.InvalidInput;
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`Invalid rollout input: ${issues.map((i) => `${i.field}: ${i.rule}`).join('; ')}`);
  }
}

export class RefusedError extends RolloutError {
  override readonly name = ErrorName.Refused;
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`Rollout refused, nothing was changed: ${reason}`, options);
  }
}

export class NotFoundError extends RolloutError {
  override readonly name = ErrorName.NotFound;
}

export class ThrottledError extends RolloutError {
  override readonly name = ErrorName.Throttled;
}

export class TransientError extends RolloutError {
  override readonly name = ErrorName.Transient;
}

export class UpdateInProgressError extends RolloutError {
  override readonly name = ErrorName.UpdateInProgress;
}

export class DriftError extends RolloutError {
  override readonly name = ErrorName.Drift;
}

/** Drift confirmed by reading the alias after a refused write: how it routes now, as read. */
export class ConfirmedDriftError extends DriftError {
  constructor(
    message: string,
    readonly current: { readonly functionVersion: string; readonly routing: Readonly<Record<string, number>>; readonly revisionId: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class RejectedError extends RolloutError {
  override readonly name = ErrorName.Rejected;
}

export class HookFailedError extends RolloutError {
  override readonly name = ErrorName.HookFailed;
}

export class ControlChangedError extends RolloutError {
  override readonly name = ErrorName.ControlChanged;
}


/**
 * The human message inside a Step Functions error cause. Lambda task failures arrive as a JSON
 * cause (`{"errorType","errorMessage","trace"}`); anything else is returned as it is.
 *
 * @example causeMessage('{"errorType":"Throttled","errorMessage":"Rate exceeded"}') // 'Rate exceeded'
 */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      return String((parsed as { errorMessage: unknown }).errorMessage);
    }
  } catch {
    // not JSON: already a message
  }
  return cause;
}

/**
 * Text on one line: every run of whitespace (newlines included) as one space.
 *
 * @example oneLine('Rate\n  exceeded ') // 'Rate exceeded'
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Refusals: the rollout did not start (or the release did not deploy), and nothing was changed. */
export function isRefusal(errorName: string | undefined): boolean {
  return errorName === ErrorName.Refused || errorName === ErrorName.InvalidInput;
}

/** A refusal as the workflow carries it (`{ Error, Cause }`), for a reason in words. */
export function refusal(reason: string): { Error: string; Cause: string } {
  return { Error: ErrorName.Refused, Cause: reason };
}

/** The refusal an error stands for, or undefined when it is not one (then it is thrown on). */
export function refusalOf(error: unknown): { Error: string; Cause: string } | undefined {
  if (error instanceof RefusedError) return refusal(error.reason);
  if (error instanceof InvalidInputError) return { Error: ErrorName.InvalidInput, Cause: error.message };
  return undefined;
}
