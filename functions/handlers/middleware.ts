/** The middy stack every handler shares: structured logs with the Lambda context. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { isRefusal, TRANSIENT_ERRORS } from '../core/errors.js';
import { logger } from '../logger.js';

/**
 * Logs a thrown error at the level it deserves: a refusal (the caller's input broke a rule:
 * nothing changed, nothing to fix on our side) at info, a transient failure the workflow or
 * Lambda retries at warn, and anything else at error, the level that pages someone.
 */
export function logFailure(error: unknown): void {
  const name = (error as { name?: unknown } | undefined)?.name;
  const fields = { error: error as Error };
  if (typeof name === 'string' && isRefusal(name)) logger.info('task refused', fields);
  else if (typeof name === 'string' && TRANSIENT_ERRORS.includes(name)) logger.warn('task failed; it is retried', fields);
  else logger.error('task failed', fields);
}

/**
 * Wraps a task function for Lambda. Errors are logged (`logFailure`) and rethrown unchanged, so
 * Step Functions sees their `name` and its Retry/Catch clauses match.
 */
export function lambdaHandler<E, R>(task: (event: E) => Promise<R>) {
  return middy<E, R>()
    .use(injectLambdaContext(logger, { clearState: true }))
    .use({
      onError: async (request) => {
        logFailure(request.error);
      },
    })
    .handler(async (event: E) => task(event));
}
