/**
 * What the Lambda runtime hands a handler besides the event: a context, and for the approvals API the
 * HTTP API v2 event with the JWT authorizer's claims (the shape local/approvals-server builds too).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { lambdaContext as localLambdaContext } from '#local/functions.ts';
import { CLAIM_NAMES, type Principal } from '#shared/contracts.ts';

export function lambdaContext(functionName = 'dtks-test'): Context {
  return localLambdaContext(functionName, { logStreamName: 'test' });
}

/** An HTTP API (payload 2.0) event as API Gateway sends it to the function, before any authorizer. */
export function httpApiEvent(
  routeKey: string,
  options: { pathParameters?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
): APIGatewayProxyEventV2 {
  const [method = 'GET', pattern = '/'] = routeKey.split(' ');
  const path = pattern.replace(/\{(\w+)\}/g, (_, name: string) => options.pathParameters?.[name] ?? '');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query).toString(),
    headers: { 'content-type': 'application/json' },
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

/** The same event for a signed-in principal: the JWT authorizer's claims in the request context. */
export function apiEvent(
  routeKey: string,
  principal: Principal,
  options: { pathParameters?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const event = httpApiEvent(routeKey, options);
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      authorizer: {
        principalId: principal.username,
        integrationLatency: 0,
        jwt: {
          claims: {
            [CLAIM_NAMES.username]: principal.username,
            [CLAIM_NAMES.role]: principal.role,
            [CLAIM_NAMES.area]: principal.area,
          },
          scopes: [],
        },
      },
    },
  };
}
