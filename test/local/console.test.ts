/**
 * The web console on the local approvals server's origin (local/console.ts): index.html naming hashed
 * assets that are served, /config.json with the local users, the strict CSP on every answer, and the
 * API's own paths untouched (a signed-in route still reaches the function, an unknown path is a 404).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalsServer, localUsers, startApprovalsServer } from '#local/approvals-server.ts';
import { contentSecurityPolicy } from '#local/console.ts';
import type { LocalFunctions } from '#local/functions.ts';

const S3 = 'http://127.0.0.1:4599';
let server: ApprovalsServer;

beforeAll(async () => {
  const functions = {
    invoke: async () => ({ statusCode: 200, body: JSON.stringify({ code: 'OK', message: 'from the function' }) }),
  } as unknown as LocalFunctions;
  server = await startApprovalsServer({ functions, users: localUsers(['3371']), console: { s3Endpoint: S3 } });
});

afterAll(async () => {
  await server?.stop();
});

describe('the console on the local approvals server', () => {
  it('serves index.html with the strict CSP, naming one script and one stylesheet that are served', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toBe(contentSecurityPolicy(S3));
    const html = await index.text();
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.map((a) => a.replace(/-[A-Z0-9]+\./, '-<hash>.')).sort()).toEqual([
      '/assets/app-<hash>.css',
      '/assets/app-<hash>.js',
    ]);
    for (const asset of assets) {
      const answer = await fetch(`${server.url}${asset}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toContain('immutable');
      const text = await answer.text();
      // Nothing a strict CSP refuses (eval), nothing fetched from elsewhere (XML namespaces are names).
      expect(text).not.toMatch(/\beval\(|new Function\(/);
      expect(text.replace(/http:\/\/www\.w3\.org\/[\w/]+/g, '')).not.toMatch(/https?:\/\/[a-z]/);
    }
  });

  it('allows scripts, styles and connections of its own origin and the local S3 only', () => {
    const policy = contentSecurityPolicy(S3);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("style-src 'self';");
    expect(policy).toContain(`connect-src 'self' ${S3};`);
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('answers /config.json with the local mode and the local users', async () => {
    const answer = await fetch(`${server.url}/config.json`);
    expect(await answer.json()).toEqual({
      mode: 'local',
      apiUrl: '',
      s3Endpoint: S3,
      users: localUsers(['3371']).map(({ username, role, area }) => ({ username, role, area })),
    });
  });

  it('leaves the API its paths: a route reaches the function, an unknown asset or path is a 404', async () => {
    const tasks = await fetch(`${server.url}/tasks`, { headers: { authorization: 'Bearer regency-3371' } });
    expect(await tasks.json()).toEqual({ code: 'OK', message: 'from the function' });
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(404);
  });
});
