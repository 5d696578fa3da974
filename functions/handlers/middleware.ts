/** The middy stack every task handler shares: structured logs with the Lambda context. */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

export const logger = new Logger({ serviceName: 'lambda-rollout' });

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
