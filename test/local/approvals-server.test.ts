import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalsServer, localUsers, startApprovalsServer } from '#local/approvals-server.ts';
import type { LocalFunctions } from '#local/functions.ts';
import {
  APPROVAL_ROUTES,
  type ApprovalRoute,
  approvalRouteOf,
  registrationRouteKeyOf,
  routeKeyOf,
} from '#shared/contracts.ts';

/** The route key, path parameters, query and body the server hands to the approvals-api function. */
interface Delivered {
  routeKey: string;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  rawQueryString?: string;
  body?: string;
}

let server: ApprovalsServer;

beforeAll(async () => {
  // Stands in for the approvals-api function only: the server's job here is matching requests to routes.
  const functions = {
    async invoke(name: string, event: Delivered) {
      const { routeKey, pathParameters, queryStringParameters, rawQueryString, body } = event;
      return {
        statusCode: 200,
        body: JSON.stringify({ name, routeKey, pathParameters, queryStringParameters, rawQueryString, body }),
      };
    },
  } as unknown as LocalFunctions;
  server = await startApprovalsServer({ functions, users: localUsers(['3371']) });
});

afterAll(async () => {
  await server?.stop();
});

async function request(method: string, path: string) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: 'Bearer regency-3371' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });
  return { status: response.status, body: (await response.json()) as Delivered & { name?: string; code?: string } };
}

describe('the local approvals server', () => {
  it('serves every route of contracts.ts under the route key the handler dispatches on', async () => {
    for (const route of Object.keys(APPROVAL_ROUTES) as ApprovalRoute[]) {
      const { method, path } = APPROVAL_ROUTES[route];
      const answer = await request(method, path.replace('{proposalId}', '3371-2026-11-abc%2F1'));
      expect(answer.status).toBe(200);
      expect(answer.body.name).toBe('approvals-api');
      expect(answer.body.routeKey).toBe(routeKeyOf(route));
      expect(approvalRouteOf(answer.body.routeKey)).toBe(route);
      if (path.includes('{proposalId}'))
        expect(answer.body.pathParameters).toEqual({ proposalId: '3371-2026-11-abc/1' });
    }
  });

  it('hands the function the query and the body as API Gateway does: decoded, repeated parameters joined by commas', async () => {
    const listed = await fetch(
      `${server.url}/proposals?period=2026-11&status=REJECTED&status=EXPIRED&q=siti%20aminah`,
      {
        headers: { authorization: 'Bearer regency-3371' },
      },
    );
    const delivered = (await listed.json()) as Delivered;
    expect(delivered.queryStringParameters).toEqual({
      period: '2026-11',
      status: 'REJECTED,EXPIRED',
      q: 'siti aminah',
    });
    expect(delivered.rawQueryString).toBe('period=2026-11&status=REJECTED&status=EXPIRED&q=siti%20aminah');
    const body = JSON.stringify({ period: '2026-11', fileName: 'usulan.csv', size: 10 });
    const upload = await fetch(`${server.url}/uploads`, {
      method: 'POST',
      headers: { authorization: 'Bearer regency-3371', 'content-type': 'application/json' },
      body,
    });
    expect(((await upload.json()) as Delivered).body).toBe(body);
    const plain = (await (
      await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer regency-3371' } })
    ).json()) as Delivered;
    expect(plain.queryStringParameters).toBeUndefined();
  });

  it('answers 404 for a method or path that is no route, as API Gateway does', async () => {
    expect((await request('POST', '/tasks')).status).toBe(404);
    expect((await request('GET', '/proposals/x/decision/extra')).status).toBe(404);
    expect(approvalRouteOf('GET /decisions')).toBeUndefined();
  });
});

describe('the public registration routes of the local server', () => {
  let open: ApprovalsServer;
  const invoked: string[] = [];

  beforeAll(async () => {
    const functions = {
      async invoke(name: string, event: Delivered) {
        invoked.push(name);
        return { statusCode: 201, body: JSON.stringify({ name, routeKey: event.routeKey }) };
      },
    } as unknown as LocalFunctions;
    open = await startApprovalsServer({
      functions,
      users: localUsers(['3371']),
      publicRateLimit: { burst: 3, perSecond: 0.001 },
    });
  });
  afterAll(() => open?.stop());

  it('serves POST /registrations and GET /registrations/{receipt} without sign-in, to registrations-api', async () => {
    const posted = await fetch(`${open.url}/registrations`, { method: 'POST', body: '{}' });
    expect(posted.status).toBe(201);
    expect(await posted.json()).toEqual({ name: 'registrations-api', routeKey: registrationRouteKeyOf('register') });
    const looked = await fetch(`${open.url}/registrations/MDR-AAAAAAAAAAAAAAAA?nik=3371010101800001`);
    expect(((await looked.json()) as Delivered).routeKey).toBe(registrationRouteKeyOf('lookup'));
  });

  it('refuses a body over 64 KiB with 413 and a message, without invoking the function', async () => {
    const before = invoked.length;
    const answer = await fetch(`${open.url}/registrations`, { method: 'POST', body: 'x'.repeat(64 * 1024 + 1) });
    expect(answer.status).toBe(413);
    expect(((await answer.json()) as { message: string }).message).toMatch(/terlalu besar/);
    expect(invoked.length).toBe(before);
  });

  it('answers 429 in Bahasa Indonesia once a client has spent its burst, and keeps the approval routes apart', async () => {
    const limited = await startApprovalsServer({
      functions: { invoke: async () => ({ statusCode: 201, body: '{}' }) } as unknown as LocalFunctions,
      users: localUsers(['3371']),
      publicRateLimit: { burst: 2, perSecond: 0.001 },
    });
    const statuses: number[] = [];
    let last = new Response();
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${limited.url}/registrations/MDR-AAAAAAAAAAAAAAAA?nik=1`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
    expect(last.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await last.json()) as { message: string }).message).toMatch(/Terlalu banyak permintaan/);
    const approvals = await fetch(`${limited.url}/tasks`, { headers: { authorization: 'Bearer regency-3371' } });
    expect(approvals.status).toBe(201);
    await limited.stop();
  });

  it('answers a path whose percent-encoding is broken with 400, not a 500', async () => {
    for (const path of ['/proposals/%E0%A4%A', '/proposals/%/rows', '/registrations/%zz']) {
      const answer = await request('GET', path);
      expect([path, answer.status, answer.body.code]).toEqual([path, 400, 'INVALID_REQUEST']);
    }
  });

  it('refuses a request whose Host is not this loopback server (DNS rebinding) with 403', async () => {
    const { port } = new URL(server.url);
    const ask = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const sent = httpRequest(
          { host: '127.0.0.1', port, path: '/tasks', headers: { host, authorization: 'Bearer regency-3371' } },
          (answer) => {
            answer.resume();
            resolve(answer.statusCode ?? 0);
          },
        );
        sent.on('error', reject);
        sent.end();
      });
    // A page of another site whose name the attacker has pointed at 127.0.0.1 calls with its own name as Host.
    expect(await ask(`rebound.example:${port}`)).toBe(403);
    expect(await ask('rebound.example')).toBe(403);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) expect(await ask(host)).toBe(200);
  });
});
