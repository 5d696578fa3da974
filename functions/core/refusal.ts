/**
 * Failures before any traffic moved, told as refusals. A throttle, a 5xx, a 409, a timeout or a
 * stray 412 that outlasts its retries before the first shift has changed no alias: the rollout
 * did not start, and it ends as a refusal (`RolloutRefused`) whose cause says in one line what
 * happened, not under the raw error name of the last failed call. The workflow's ExplainRefusal
 * state turns the caught error into this refusal before the one ending path, so the
 * notification, the registry record and the execution's error and cause all read the same.
 */
import { causeMessage, ErrorName, isRefusal, oneLine } from './errors.js';
import { functionNameOf } from './function-ref.js';
import { rolloutNamed } from './input.js';
import { RETRY_POLICIES, type RetryPolicyName } from './retry-policies.js';
import type { CaughtError } from './state.js';

/**
 * The retry policy of every task before the first shift (UpdateCode, CheckCode, PublishVersion,
 * Prepare, AcquireLock): what "after N attempts" counts. A test holds the workflow to it.
 */
export const PRE_TRAFFIC_POLICY: RetryPolicyName = 'transient';

/** What each kind of failure means, in words. */
const WHAT_HAPPENED: Readonly<Record<string, string>> = {
  [ErrorName.Throttled]: 'AWS kept throttling',
  [ErrorName.Transient]: 'AWS kept failing',
  [ErrorName.UpdateInProgress]: 'Lambda kept answering that an update of the function is in progress',
  [ErrorName.Drift]: 'the alias or the code changed while the rollout was being prepared',
  [ErrorName.NotFound]: 'something the rollout needs does not exist',
  [ErrorName.Rejected]: 'AWS refused a request',
  'States.Timeout': 'a task kept timing out',
  'Lambda.TooManyRequestsException': 'Lambda kept throttling the task function',
  'Lambda.ServiceException': 'Lambda kept failing to run the task function',
  'Lambda.AWSLambdaException': 'Lambda kept failing to run the task function',
  'Lambda.SdkClientException': 'Lambda kept failing to run the task function',
  'Lambda.ClientExecutionTimeoutException': 'Lambda kept failing to run the task function',
};

/**
 * How many times the workflow tried before giving up on `error`, under the pre-traffic policy;
 * undefined for an error it does not retry.
 *
 * @example attemptsBeforeGivingUp('Throttled') // RETRY_POLICIES.transient[0].MaxAttempts + 1
 */
export function attemptsBeforeGivingUp(error: string): number | undefined {
  const retrier = RETRY_POLICIES[PRE_TRAFFIC_POLICY].find((r) => r.ErrorEquals.includes(error));
  return retrier ? retrier.MaxAttempts + 1 : undefined;
}

/** What ExplainRefusal receives: the state as the failed task's Catch left it, and the execution's input. */
export interface FailureBeforeTraffic {
  /** The workflow's state, with the caught error as `refusal`. */
  readonly state: { readonly refusal?: CaughtError; readonly rollout?: unknown; readonly code?: { readonly status?: unknown }; readonly publish?: unknown };
  readonly input: unknown;
}

/**
 * The refusal a failure before the first shift ends as: a refusal stays as it is (on one line);
 * anything else becomes `RolloutRefused` with a one-line cause that names the rollout, what
 * happened, the error and its message, how many attempts were made, and what was left unchanged
 * (the alias always; the function's code too, unless a release had already updated it).
 *
 * @example
 * explainRefusal({ state: { refusal: { Error: 'Throttled', Cause: 'GetAlias orders:live: Rate exceeded' } }, input: { functionName: 'orders', alias: 'live' } }).Cause
 * // 'could not start the rollout of orders:live: AWS kept throttling (Throttled: GetAlias orders:live: Rate exceeded) after 11 attempts; nothing was changed'
 */
export function explainRefusal({ state, input }: FailureBeforeTraffic): CaughtError {
  const caught = state.refusal ?? { Error: 'Error', Cause: 'the workflow stopped before the first shift without saying why' };
  const message = oneLine(causeMessage(caught.Cause));
  if (isRefusal(caught.Error)) return { Error: caught.Error, Cause: message || caught.Error };
  const { functionName, alias } = rolloutNamed(state.rollout ?? input);
  const subject = functionName ? `the rollout of ${functionNameOf(functionName)}${alias ? `:${alias}` : ''}` : 'the rollout';
  const attempts = attemptsBeforeGivingUp(caught.Error);
  const codeUpdated = state.publish !== undefined || state.code?.status === 'InProgress' || state.code?.status === 'Successful';
  const unchanged = codeUpdated ? "the alias was not changed (the function's code had been updated; no version was rolled out)" : 'nothing was changed';
  const what = WHAT_HAPPENED[caught.Error] ?? 'a task failed';
  // A timeout's cause says no more than its name.
  const detail = message && message !== caught.Error ? `${caught.Error}: ${message}` : caught.Error;
  return { Error: ErrorName.Refused, Cause: `could not start ${subject}: ${what} (${detail})${attempts ? ` after ${attempts} attempts` : ''}; ${unchanged}` };
}
