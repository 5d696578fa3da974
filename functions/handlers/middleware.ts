/**
 * The middy stack every handler shares: an X-Ray segment for the handler (the SDK calls nest under
 * it), structured logs with the Lambda context and the rollout the event is about, and failures
 * logged at the level they deserve.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { failureLevel, logger, rolloutLogKeys } from '../logger.js';
import { tracer } from '../tracer.js';

/**
 * Adds the rollout the event is about to every log line (`rollout`) and to the trace (annotations,
 * searchable in X-Ray). Logging never fails a task: an event it cannot read adds nothing.
 */
function rolloutContext<E, R>(): MiddlewareObj<E, R> {
  return {
    before: (request) => {
      try {
        const keys = rolloutLogKeys(request.event);
        if (!keys) return;
        logger.appendKeys({ rollout: { ...keys } });
        if (keys.id) tracer.putAnnotation('rolloutId', keys.id);
        if (keys.functionName) tracer.putAnnotation('functionName', keys.functionName);
      } catch (error) {
        logger.warn('could not read the rollout from the event', { error: error as Error });
      }
    },
  };
}

/**
 * Wraps a task function for Lambda. Errors are logged and rethrown unchanged, so Step Functions
 * sees their `name` and its Retry/Catch clauses match. Responses are not copied into the trace:
 * a rollout state can be far larger than an X-Ray segment may be.
 */
export function lambdaHandler<E, R>(task: (event: E) => Promise<R>) {
  return middy<E, R>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(rolloutContext<E, R>())
    .use({
      onError: async (request) => {
        const error = request.error as Error;
        const level = failureLevel(error?.name);
        logger[level](level === 'info' ? 'task refused: nothing was changed' : 'task failed', { error });
      },
    })
    .handler(async (event: E) => task(event));
}
