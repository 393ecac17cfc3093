import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalsServer, localUsers, startApprovalsServer } from '#local/approvals-server.ts';
import type { LocalFunctions } from '#local/functions.ts';
import { APPROVAL_ROUTES, type ApprovalRoute, approvalRouteOf, routeKeyOf } from '#shared/contracts.ts';

/** The route key and path parameters the server hands to the approvals-api function. */
interface Delivered {
  routeKey: string;
  pathParameters?: Record<string, string>;
}

let server: ApprovalsServer;

beforeAll(async () => {
  // Stands in for the approvals-api function only: the server's job here is matching requests to routes.
  const functions = {
    async invoke(name: string, event: Delivered) {
      const { routeKey, pathParameters } = event;
      return { statusCode: 200, body: JSON.stringify({ name, routeKey, pathParameters }) };
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

  it('answers 404 for a method or path that is no route, as API Gateway does', async () => {
    expect((await request('POST', '/tasks')).status).toBe(404);
    expect((await request('GET', '/proposals/x/decision/extra')).status).toBe(404);
    expect(approvalRouteOf('GET /proposals')).toBeUndefined();
  });
});
