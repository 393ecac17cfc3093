/**
 * The approvals HTTP API, locally: the same approvals-api handler the cloud runs behind API Gateway,
 * with the same routes and the same authorisation rules. Production authenticates with Cognito JWTs;
 * locally a user presents `Authorization: Bearer <username>` of one of the local users, whose claims
 * the server puts where the JWT authorizer puts them. Loopback only: there is nothing secret here.
 *
 * The public self-registration routes (REGISTRATION_ROUTES) go to registrations-api without sign-in, as
 * on AWS where they have no authorizer. API Gateway throttles them per route; locally a token bucket per
 * client address does it (429), and a body over MAX_REGISTRATION_BYTES is refused with 413 unread.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import {
  APPROVAL_ROUTES,
  type ApprovalRoute,
  CLAIM_NAMES,
  type Principal,
  REGISTRATION_ROUTES,
  type RegistrationRoute,
  registrationRouteKeyOf,
  routeKeyOf,
} from '#shared/contracts.ts';
import { MAX_REGISTRATION_BYTES } from '#shared/registrations.ts';
import { consoleServer } from './console.ts';
import type { LocalFunctions } from './functions.ts';
import { TokenBuckets } from './token-buckets.ts';

/** Local users for the given regencies: an operator and an approver per regency, an approver per province. */
export function localUsers(regencies: readonly string[]): Principal[] {
  const users: Principal[] = [];
  const provinces = new Set<string>();
  for (const regency of regencies) {
    users.push({ username: `operator-${regency}`, role: 'region_operator', area: regency });
    users.push({ username: `regency-${regency}`, role: 'regency_approver', area: regency });
    provinces.add(regency.slice(0, 2));
  }
  for (const province of provinces)
    users.push({ username: `province-${province}`, role: 'province_approver', area: province });
  users.push({ username: 'ministry', role: 'ministry_operator', area: '' });
  users.push({ username: 'analyst', role: 'analyst', area: '' });
  return users;
}

interface MatchedRoute {
  routeKey: string;
  pathParameters?: Record<string, string>;
  /** A self-registration route: no sign-in, rate- and size-limited, to registrations-api. */
  public: boolean;
}

/** Every route of the production HTTP API (contracts.ts, declared in API Gateway by infra/), by its key. */
const ROUTES: readonly { routeKey: string; method: string; path: string; public: boolean }[] = [
  ...(Object.keys(APPROVAL_ROUTES) as ApprovalRoute[]).map((route) => ({
    routeKey: routeKeyOf(route),
    ...APPROVAL_ROUTES[route],
    public: false,
  })),
  ...(Object.keys(REGISTRATION_ROUTES) as RegistrationRoute[]).map((route) => ({
    routeKey: registrationRouteKeyOf(route),
    ...REGISTRATION_ROUTES[route],
    public: true,
  })),
];

/** The local stand-in for the stage throttling of the public routes (infra/constructs/approvals-api.ts). */
export interface PublicRateLimit {
  /** Requests a client may make at once. */
  burst: number;
  /** Requests per second a client regains. */
  perSecond: number;
}
export const DEFAULT_PUBLIC_RATE_LIMIT: PublicRateLimit = { burst: 20, perSecond: 2 };

function matchRoute(method: string, path: string): MatchedRoute | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const { routeKey, method: routeMethod, path: routePath, public: isPublic } of ROUTES) {
    if (routeMethod !== method) continue;
    const routeParts = routePath.split('/').filter(Boolean);
    if (routeParts.length !== parts.length) continue;
    const parameters: Record<string, string> = {};
    const matches = routeParts.every((part, i) => {
      const value = parts[i]!;
      if (part.startsWith('{')) {
        parameters[part.slice(1, -1)] = decodeURIComponent(value);
        return true;
      }
      return part === value;
    });
    if (matches) {
      return { routeKey, pathParameters: Object.keys(parameters).length ? parameters : undefined, public: isPublic };
    }
  }
  return undefined;
}

/** The names a browser on this machine reaches the loopback server by (the Host it sends, with the port). */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export interface ApprovalsServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export async function startApprovalsServer(options: {
  functions: LocalFunctions;
  users: readonly Principal[];
  port?: number;
  publicRateLimit?: PublicRateLimit;
  /** Serve the web console on this origin (local/console.ts), its uploads going to this S3 endpoint. */
  console?: { s3Endpoint: string };
}): Promise<ApprovalsServer> {
  const users = new Map(options.users.map((user) => [user.username, user]));
  const serveConsole =
    options.console && consoleServer({ users: options.users, s3Endpoint: options.console.s3Endpoint });
  const limit = options.publicRateLimit ?? DEFAULT_PUBLIC_RATE_LIMIT;
  const buckets = new TokenBuckets(limit.burst, limit.perSecond);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, 500, { code: 'INTERNAL', message: 'Terjadi kesalahan internal' });
      console.error('approvals server:', error);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Sign-in here is a username: a site whose name an attacker points at 127.0.0.1 (DNS rebinding) would be
    // this origin to the browser and could act as any local user. Its requests carry its own name as Host.
    const { port } = server.address() as AddressInfo;
    if (!LOOPBACK_NAMES.some((name) => request.headers.host === `${name}:${port}`)) {
      return send(response, 403, { code: 'FORBIDDEN', message: 'Server lokal hanya melayani 127.0.0.1 dan localhost' });
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    let route: MatchedRoute | undefined;
    try {
      route = matchRoute(request.method ?? 'GET', url.pathname);
    } catch (error) {
      // A path parameter that does not decode (a lone or broken %-escape) is the client's fault.
      if (!(error instanceof URIError)) throw error;
      return send(response, 400, { code: 'INVALID_REQUEST', message: 'Alamat permintaan tidak valid (penyandian %)' });
    }
    if (!route && (await serveConsole?.(request, response, url.pathname))) return;
    if (!route) return send(response, 404, { code: 'NOT_FOUND', message: 'Not Found' });
    if (route.public) return handlePublic(request, response, url, route);
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const user = bearer ? users.get(bearer) : undefined;
    // API Gateway's JWT authorizer answers 401 before the function runs; so does this server.
    if (!user) return send(response, 401, { message: 'Unauthorized' });
    const body = await readBody(request);
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const base = gatewayEvent(request, url, route, body, headers);
    const event = {
      ...base,
      requestContext: {
        ...base.requestContext,
        authorizer: {
          principalId: user.username,
          integrationLatency: 0,
          jwt: {
            claims: {
              [CLAIM_NAMES.username]: user.username,
              [CLAIM_NAMES.role]: user.role,
              [CLAIM_NAMES.area]: user.area,
            },
            scopes: [],
          },
        },
      },
    } satisfies APIGatewayProxyEventV2WithJWTAuthorizer;
    reply(response, (await options.functions.invoke('approvals-api', event)) as APIGatewayProxyStructuredResultV2);
  }

  /** A self-registration route: the event API Gateway sends without an authorizer. */
  async function handlePublic(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    route: MatchedRoute,
  ): Promise<void> {
    const client = request.socket.remoteAddress ?? '127.0.0.1';
    const wait = buckets.take(client);
    if (wait > 0) {
      response.setHeader('retry-after', String(Math.ceil(wait)));
      return send(response, 429, {
        code: 'TOO_MANY_REQUESTS',
        message: `Terlalu banyak permintaan; coba lagi dalam ${Math.ceil(wait)} detik`,
      });
    }
    const body = await readBody(request, MAX_REGISTRATION_BYTES);
    if (body === undefined) {
      return send(response, 413, {
        code: 'TOO_LARGE',
        message: `Isi pendaftaran terlalu besar (paling besar ${MAX_REGISTRATION_BYTES / 1024} KiB)`,
      });
    }
    // Only the content type: a public route's function needs no cookie or other header of the caller.
    const headers = { 'content-type': request.headers['content-type'] ?? '' };
    const event = gatewayEvent(request, url, route, body, headers);
    reply(response, (await options.functions.invoke('registrations-api', event)) as APIGatewayProxyStructuredResultV2);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The body as text; with `limit`, undefined once it passes that many bytes (the rest is read and dropped). */
async function readBody(request: IncomingMessage): Promise<string>;
async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined>;
async function readBody(request: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes <= limit) chunks.push(chunk as Buffer);
  }
  return bytes > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}

/** The HTTP API (payload 2.0) event of a request, as API Gateway builds it before any authorizer. */
function gatewayEvent(
  request: IncomingMessage,
  url: URL,
  route: MatchedRoute,
  body: string,
  headers: Record<string, string>,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search ? queryStringParameters(url.searchParams) : undefined,
    pathParameters: route.pathParameters,
    body: body || undefined,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: request.headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

/** The query as API Gateway's payload 2.0 carries it: decoded, a repeated parameter's values joined by commas. */
function queryStringParameters(search: URLSearchParams): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [name, value] of search) parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  return parameters;
}

function reply(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  response.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json', ...(result.headers ?? {}) });
  response.end(result.body ?? '');
}
