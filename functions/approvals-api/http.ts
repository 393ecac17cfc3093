/**
 * The HTTP side of the approvals API, shared by every route module: reading a request (path parameter,
 * query, JSON body, each parsed with its contracts.ts schema) and writing an answer (JSON with a stable
 * `code` and an Indonesian `message`; typed errors with their own status, anything else an opaque 500).
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Principal } from '#shared/contracts.ts';
import { DtksError, ValidationError } from '#shared/errors.ts';
import { loggableMessage, logger } from '#shared/logger.ts';
import { parseInput } from '#shared/middleware.ts';

export type Event = APIGatewayProxyEventV2WithJWTAuthorizer;
export type Response = APIGatewayProxyStructuredResultV2;
/** What a route does: the signed-in principal and the event in, the answer out. */
export type RouteHandler = (principal: Principal, event: Event) => Promise<Response>;

/** A path parameter of the route (API Gateway has matched the pattern: absent only on a malformed event). */
export function pathParameter(event: Event, name: string): string {
  return event.pathParameters?.[name] ?? '';
}

/** The query string, parsed with `schema` (absent parameters are undefined). */
export function parseQuery<TSchema extends z.ZodType>(schema: TSchema, event: Event): z.output<TSchema> {
  return parseInput(schema, event.queryStringParameters ?? {});
}

/** The JSON body, parsed with `schema`. */
export function parseBody<TSchema extends z.ZodType>(schema: TSchema, event: Event): z.output<TSchema> {
  let json: unknown;
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body;
    json = JSON.parse(text || '{}');
  } catch {
    throw new ValidationError('Isi permintaan bukan JSON yang valid');
  }
  return parseInput(schema, json);
}

/** Typed errors answer with their own status, code and message (errors.ts); anything else is an opaque 500. */
export function errorResponse(error: unknown): Response {
  const name = (error as Error | undefined)?.name ?? '';
  const message = error instanceof DtksError ? error.clientMessage : undefined;
  if (error instanceof DtksError && message !== undefined) {
    const issues = error instanceof ValidationError ? { issues: error.issues } : {};
    if (error.httpStatus >= 500) logger.warn('Approvals API unavailable', { errorName: name });
    return respond(error.httpStatus, { code: error.apiCode, message, ...issues });
  }
  logger.error('Approvals API failure', { errorName: name, errorMessage: loggableMessage(error) });
  return respond(500, { code: 'INTERNAL', message: 'Terjadi kesalahan pada sistem; silakan coba lagi' });
}

export function respond(statusCode: number, body: Record<string, unknown>): Response {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}
