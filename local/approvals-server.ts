/**
 * The approvals HTTP API, locally: the same approvals-api handler the cloud runs behind API Gateway,
 * with the same routes and the same authorisation rules. Production authenticates with Cognito JWTs;
 * locally a user presents `Authorization: Bearer <username>` of one of the local users, whose claims
 * the server puts where the JWT authorizer puts them. Loopback only: there is nothing secret here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { APPROVAL_ROUTES, type ApprovalRoute, CLAIM_NAMES, type Principal, routeKeyOf } from '#shared/contracts.ts';
import type { LocalFunctions } from './functions.ts';

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

function matchRoute(
  method: string,
  path: string,
): { routeKey: string; pathParameters?: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  // The routes of the production HTTP API (contracts.ts, declared in API Gateway by infra/).
  for (const route of Object.keys(APPROVAL_ROUTES) as ApprovalRoute[]) {
    const { method: routeMethod, path: routePath } = APPROVAL_ROUTES[route];
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
      return { routeKey: routeKeyOf(route), pathParameters: Object.keys(parameters).length ? parameters : undefined };
    }
  }
  return undefined;
}

export interface ApprovalsServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export async function startApprovalsServer(options: {
  functions: LocalFunctions;
  users: readonly Principal[];
  port?: number;
}): Promise<ApprovalsServer> {
  const users = new Map(options.users.map((user) => [user.username, user]));
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, 500, { code: 'INTERNAL', message: 'Terjadi kesalahan internal' });
      console.error('approvals server:', error);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = matchRoute(request.method ?? 'GET', url.pathname);
    if (!route) return send(response, 404, { code: 'NOT_FOUND', message: 'Not Found' });
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const user = bearer ? users.get(bearer) : undefined;
    // API Gateway's JWT authorizer answers 401 before the function runs; so does this server.
    if (!user) return send(response, 401, { message: 'Unauthorized' });
    const body = await readBody(request);
    const event = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      ),
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
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
    const result = (await options.functions.invoke('approvals-api', event)) as APIGatewayProxyStructuredResultV2;
    response.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json', ...(result.headers ?? {}) });
    response.end(result.body ?? '');
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

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
