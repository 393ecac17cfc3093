/**
 * The web console on the local approvals API's origin (as CloudFront serves it beside the API on AWS):
 * `/` and `/index.html`, the hashed `/assets/*` and `/config.json` naming the local users to sign in as.
 * The bundle is built from web/ in memory on the first request (web/build.ts consoleFiles), so nothing
 * built is ever committed and an environment no browser visits pays nothing for it. Every answer carries
 * the strict Content-Security-Policy the console is written for: its own scripts and styles only, no
 * inline code, and connections to this origin and the local S3 endpoint (presigned uploads/downloads).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '#shared/contracts.ts';
import { type ConsoleFile, consoleFiles } from '../web/build.ts';

export interface ConsoleOptions {
  users: readonly Principal[];
  /** The local S3 endpoint the browser sends presigned requests to. */
  s3Endpoint: string;
}

/** The policy of every console answer: nothing but this origin, plus S3 for the presigned requests. */
export function contentSecurityPolicy(s3Endpoint: string): string {
  const s3 = new URL(s3Endpoint).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${s3}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * A request handler for the console's paths: answers true when it served one (GET or HEAD of `/`,
 * `/index.html`, `/config.json`, `/assets/…`), false to leave the request to the API.
 */
export function consoleServer(
  options: ConsoleOptions,
): (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean> {
  let built: Promise<Map<string, ConsoleFile>> | undefined;
  const config = Buffer.from(
    JSON.stringify({
      mode: 'local',
      apiUrl: '',
      users: options.users.map(({ username, role, area }) => ({ username, role, area })),
      s3Endpoint: options.s3Endpoint,
    }),
  );
  const headers = {
    'content-security-policy': contentSecurityPolicy(options.s3Endpoint),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  return async (request, response, path) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    if (path === '/config.json') {
      response.writeHead(200, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : config);
      return true;
    }
    const name =
      path === '/' || path === '/index.html' ? 'index.html' : path.startsWith('/assets/') ? path.slice(1) : '';
    if (!name) return false;
    // A failed build is not kept: the next request (after fixing web/) builds again.
    built ??= consoleFiles().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    const file = (await built).get(name);
    if (!file) {
      response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not Found');
      return true;
    }
    response.writeHead(200, {
      ...headers,
      'content-type': file.contentType,
      // Assets are named by their content hash; index.html names the current ones.
      'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
