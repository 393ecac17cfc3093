/**
 * The wrapper every handler uses: `export const handler = lambda(async (event: Input) => ...)`.
 * - Powertools logger context (function name, request id, cold start) on every log line; the event is
 *   never logged, because workflow events carry task tokens.
 * - Errors keep their `name`, which Lambda reports as the errorType that ASL Retry/Catch match on; AWS
 *   SDK and network errors that a retry can cure become TransientError, the one name the state machines
 *   retry with backoff.
 * - Stored metrics are flushed at the end of each invocation.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { isTransientAwsError, TransientError } from './errors.ts';
import { logger, metrics } from './logger.ts';

export type HandlerFunction<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

function flushMetrics(): MiddlewareObj {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}

function errorNames(): MiddlewareObj {
  return {
    onError(request) {
      const error = request.error;
      if (!error) return;
      if (isTransientAwsError(error) && !(error instanceof TransientError)) {
        request.error = new TransientError(`Layanan sedang sibuk (${error.name}); langkah ini akan diulang otomatis`, {
          cause: error,
        });
      }
      // Name and message only: an SDK error's request parameters could include a task token.
      logger.error('Step failed', { errorName: request.error?.name, errorMessage: request.error?.message });
    },
  };
}

export function lambda<TEvent, TResult>(fn: HandlerFunction<TEvent, TResult>) {
  return middy<TEvent, TResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics())
    .use(errorNames())
    .handler((event: TEvent, context: Context) => fn(event, context));
}
