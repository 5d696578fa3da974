/**
 * Maps AWS SDK v3 failures onto the error classes the state machine's Retry and Catch clauses
 * match (see `core/errors.ts`), keeping the SDK error as `cause`.
 */
import {
  DriftError,
  NotFoundError,
  RejectedError,
  RolloutError,
  ThrottledError,
  TransientError,
  UpdateInProgressError,
} from '../core/errors.js';

// Error codes AWS services use for rate limiting without always answering 429 (SNS answers
// `Throttled`/`ThrottledException` with 400, KMS behind SNS with `KMSThrottlingException`).
const THROTTLING_NAMES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'Throttled',
  'KMSThrottlingException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
]);

// Server-side faults and timeouts that some services report with a name rather than a 5xx.
const TRANSIENT_NAMES = new Set([
  'ServiceException',
  'InternalErrorException',
  'InternalServiceFault',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutException',
]);

// Node socket and DNS failures: the request never got an answer.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

/**
 * Turns whatever an AWS SDK v3 call threw into one of the workflow's error classes. The new
 * message names the call (`context`, e.g. `UpdateAlias orders:live`) and carries AWS's message;
 * the original error stays as `cause`. RolloutErrors pass through unchanged.
 *
 * - 429 and throttling codes: ThrottledError
 * - 412 PreconditionFailedException (RevisionId mismatch): DriftError
 * - 409 ResourceConflictException (an update is still in progress): UpdateInProgressError
 * - 404 ResourceNotFoundException: NotFoundError
 * - other 4xx: RejectedError
 * - 5xx, server faults, timeouts, network failures and errors without any HTTP answer: TransientError
 *
 * @example toRolloutError(new PreconditionFailedException({ message, $metadata: { httpStatusCode: 412 } }), 'UpdateAlias orders:live') // DriftError
 */
export function toRolloutError(err: unknown, context: string): Error {
  if (err instanceof RolloutError) return err;
  const e: SdkErrorShape = typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const text = typeof e.message === 'string' && e.message ? e.message : String(err);
  const detail = [name || code, status !== undefined ? `HTTP ${status}` : ''].filter(Boolean).join(', ');
  const message = `${context}: ${text}${detail ? ` (${detail})` : ''}`;
  const options = { cause: err };

  if (status === 429 || THROTTLING_NAMES.has(name) || THROTTLING_NAMES.has(code) || e.$retryable?.throttling === true) {
    return new ThrottledError(message, options);
  }
  if (status === 412 || name === 'PreconditionFailedException') return new DriftError(message, options);
  if (status === 409 || name === 'ResourceConflictException') return new UpdateInProgressError(message, options);
  if (status === 404 || name === 'ResourceNotFoundException') return new NotFoundError(message, options);
  if (
    (status !== undefined && status >= 500) ||
    e.$fault === 'server' ||
    TRANSIENT_NAMES.has(name) ||
    NETWORK_CODES.has(code) ||
    NETWORK_CODES.has(name)
  ) {
    return new TransientError(message, options);
  }
  if ((status !== undefined && status >= 400) || e.$fault === 'client') return new RejectedError(message, options);
  // No HTTP answer at all (credentials could not be loaded, the socket was aborted...): the
  // same class as a network failure, so the workflow retries a few times before it gives up.
  if (status === undefined) return new TransientError(message, options);
  return new RejectedError(message, options);
}

/** Runs one AWS call and maps its failure with `toRolloutError`. */
export async function mapAwsErrors<T>(context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toRolloutError(error, context);
  }
}
