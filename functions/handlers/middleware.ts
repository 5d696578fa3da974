/** The middy stack every handler shares: structured logs with the Lambda context. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from '../logger.js';

/**
 * Wraps a task function for Lambda. Errors are logged and rethrown unchanged, so Step Functions
 * sees their `name` and its Retry/Catch clauses match.
 */
export function lambdaHandler<E, R>(task: (event: E) => Promise<R>) {
  return middy<E, R>()
    .use(injectLambdaContext(logger, { clearState: true }))
    .use({
      onError: async (request) => {
        logger.error('task failed', { error: request.error as Error });
      },
    })
    .handler(async (event: E) => task(event));
}
