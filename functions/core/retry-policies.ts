/**
 * How the workflow's tasks retry, as a few named policies. Every Task state of
 * `statemachine/rollout.asl.json` has as its `Retry` exactly one of these lists, and a test
 * names any state whose list is none of them. So changing how the workflow retries is one
 * decision made here: change the policy, and the test lists every state to update.
 */
import { TRANSIENT_ERRORS } from './errors.js';

/** One entry of a Task state's `Retry` list, as Step Functions reads it. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy: 'FULL' | 'NONE';
}

/** Throttling, 5xx and Lambda service errors, with exponential backoff and full jitter. */
function transientErrors(maxAttempts: number, maxDelaySeconds: number): Retrier {
  return { ErrorEquals: TRANSIENT_ERRORS, IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: maxAttempts, MaxDelaySeconds: maxDelaySeconds, JitterStrategy: 'FULL' };
}

/** A task that outlived its TimeoutSeconds may have hung on a connection: tried again a few times. */
function timedOut(maxAttempts: number): Retrier {
  return { ErrorEquals: ['States.Timeout'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: maxAttempts, JitterStrategy: 'FULL' };
}

/**
 * The policies, by name. Waits are upper bounds: full jitter draws each one between zero and
 * the backoff, so a task waits about half of them on average. They are sized for minutes of
 * trouble (a throttled account, a service having a bad quarter of an hour), not seconds: giving up
 * early refuses a rollout that would have started, or rolls back a healthy release.
 *
 * @example RETRY_POLICIES.hard[0].MaxAttempts // 16
 */
export const RETRY_POLICIES = {
  /**
   * The tasks that move a rollout on: ten retries, at most a minute apart, about 6 minutes of
   * waiting at most; a task that timed out is tried four more times.
   */
  transient: [transientErrors(10, 60), timedOut(4)],
  /** Notifications: four retries, about 2 minutes of waiting at most; a lost notification never stops a rollout. */
  bestEffort: [transientErrors(4, 60), timedOut(2)],
  /**
   * The tasks that must finish whatever happens: Rollback, which puts the alias back, and
   * ReleaseLock, which records the ending and frees the alias. Sixteen retries, at most 5 minutes
   * apart, about 48 minutes of waiting at most; a task that timed out is tried six more times.
   */
  hard: [transientErrors(16, 300), timedOut(6)],
  /**
   * The tasks that wait for a callback (a lifecycle hook's answer, the holding loop's wake-up): ten
   * retries of transient errors, as `transient`, and no retry of States.Timeout, which is how their
   * wait ends (a hook that gave no answer in time, a wait that reached the next check), never a
   * hung connection.
   */
  callback: [transientErrors(10, 60)],
} as const satisfies Record<string, readonly Retrier[]>;

export type RetryPolicyName = keyof typeof RETRY_POLICIES;
