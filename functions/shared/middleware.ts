/**
 * The wrapper every handler uses: `export const handler = lambda(INPUT, async (input) => ...)`, with
 * INPUT the handler's schema in contracts.ts.
 * - The event is parsed with the schema before the function runs; a payload that does not fit is one
 *   ValidationError naming every field that is wrong (zod's messages in Bahasa Indonesia). The approvals
 *   API, whose event is API Gateway's and whose body is parsed per route, uses `httpLambda` and
 *   `parseInput` for the body.
 * - Powertools logger context (function name, request id, cold start) on every log line; the event is
 *   never logged, because workflow events carry task tokens.
 * - Errors keep their `name`, which Lambda reports as the errorType that ASL Retry/Catch match on; AWS
 *   SDK and network errors that a retry can cure become TransientError, the one name the state machines
 *   retry with backoff.
 * - Stored metrics are flushed at the end of each invocation.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import indonesian from 'zod/v4/locales/id.js';
import { isTransientAwsError, TransientError, ValidationError } from './errors.ts';
import { loggableMessage, logger, metrics } from './logger.ts';

/** zod's own messages (a wrong enum value or type, a too long text) in Bahasa Indonesia, like ours. */
const INDONESIAN = indonesian().localeError;

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
      // Name and message only (an SDK error's request parameters could include a task token), and not even the
      // message of a SyntaxError, which quotes the text it failed on (loggableMessage).
      logger.error('Step failed', { errorName: request.error?.name, errorMessage: loggableMessage(request.error) });
    },
  };
}

/**
 * The value parsed with the schema, or a ValidationError listing each problem as `<field path>: <why>`
 * and naming the input by the schema's description. A message names fields and rules, never a value:
 * a payload can carry a task token or a NIK.
 */
export function parseInput<TSchema extends z.ZodType>(schema: TSchema, value: unknown): z.output<TSchema> {
  const parsed = schema.safeParse(value, { error: INDONESIAN });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'isi'}: ${issue.message}`);
  throw new ValidationError(`${schema.description ?? 'Masukan'} tidak valid: ${issues.join('; ')}`, issues);
}

/** A handler whose event is parsed with `schema` (contracts.ts); `fn` gets the parsed input. */
export function lambda<TSchema extends z.ZodType, TResult>(
  schema: TSchema,
  fn: HandlerFunction<z.output<TSchema>, TResult>,
) {
  return wrap<z.input<TSchema>, TResult>((event, context) => fn(parseInput(schema, event), context));
}

/** The approvals API: an API Gateway HTTP API event (JWT authorizer), its body parsed per route. */
export function httpLambda(
  fn: HandlerFunction<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2>,
) {
  return wrap(fn);
}

function wrap<TEvent, TResult>(fn: HandlerFunction<TEvent, TResult>) {
  return middy<TEvent, TResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics())
    .use(errorNames())
    .handler((event: TEvent, context: Context) => fn(event, context));
}
