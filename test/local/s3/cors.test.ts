/**
 * Bucket CORS on the local S3, as a browser and the real clients meet it: the SDK's and the AWS CLI's
 * Put/Get/DeleteBucketCors, a preflight and actual requests sent with fetch and an Origin header (what
 * a page's fetch sends), and the rules kept across a restart. The rule is the console's own
 * (consoleBucketCorsRule), mapped to the SDK as local provisioning maps it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toS3CorsRule } from '#local/provision.ts';
import { startS3Server } from '#local/s3/server.ts';
import { consoleBucketCorsRule } from '#shared/console-cors.ts';
import { aws, awsJson, ensureAwsCli } from '../../support/awscli.ts';
import { hasChromium, launchBrowser } from '../../support/browser.ts';
import { type S3Harness, startS3 } from './harness.ts';

const CONSOLE = 'http://127.0.0.1:4500';
const OTHER = 'https://evil.example';

let harness: S3Harness;
let bucket: string;

beforeAll(async () => {
  harness = await startS3();
  bucket = await harness.bucket();
  await harness.s3.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: { CORSRules: [toS3CorsRule(consoleBucketCorsRule([CONSOLE, 'http://localhost:4500']))] },
    }),
  );
});
afterAll(() => harness.stop());

const url = (path: string) => `${harness.emulators.s3Endpoint}/${bucket}/${path}`;

/** A presigned URL's shape: the local S3 checks the parameters and the expiry, not the signature. */
function presigned(path: string): string {
  const date = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const query = new URLSearchParams({
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `test/${date.slice(0, 8)}/ap-southeast-3/s3/aws4_request`,
    'X-Amz-Date': date,
    'X-Amz-Expires': '300',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': '0'.repeat(64),
  });
  return `${url(path)}?${query}`;
}

function preflight(path: string, origin: string, method: string, headers?: string) {
  return fetch(url(path), {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      ...(headers ? { 'access-control-request-headers': headers } : {}),
    },
  });
}

describe('PutBucketCors, GetBucketCors, DeleteBucketCors', () => {
  it('answers the rules as they were put (SDK)', async () => {
    const got = await harness.s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(got.CORSRules).toEqual([
      {
        ID: 'DtksConsole',
        AllowedHeaders: ['content-type', 'content-md5', 'x-amz-*'],
        AllowedMethods: ['PUT', 'GET', 'HEAD'],
        AllowedOrigins: [CONSOLE, 'http://localhost:4500'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 3000,
      },
    ]);
  });

  it('answers NoSuchCORSConfiguration once deleted, and for a bucket that never had one', async () => {
    const other = await harness.bucket();
    await harness.s3.send(
      new PutBucketCorsCommand({
        Bucket: other,
        CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] },
      }),
    );
    await harness.s3.send(new DeleteBucketCorsCommand({ Bucket: other }));
    for (const name of [other, await harness.bucket()]) {
      const error = await harness.s3.send(new GetBucketCorsCommand({ Bucket: name })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(S3ServiceException);
      expect((error as S3ServiceException).name).toBe('NoSuchCORSConfiguration');
      expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(404);
    }
  });

  it('refuses a method S3 does not allow in a rule, and a rule without an origin', async () => {
    const other = await harness.bucket();
    const put = (rule: { AllowedMethods: string[]; AllowedOrigins: string[] }) =>
      harness.s3
        .send(new PutBucketCorsCommand({ Bucket: other, CORSConfiguration: { CORSRules: [rule] } }))
        .catch((e: unknown) => e as S3ServiceException);
    const patch = await put({ AllowedMethods: ['PATCH'], AllowedOrigins: [CONSOLE] });
    expect(patch).toMatchObject({ name: 'InvalidRequest' });
    expect((patch as S3ServiceException).message).toContain('Unsupported method is PATCH');
    expect(await put({ AllowedMethods: ['GET'], AllowedOrigins: [] })).toMatchObject({ name: 'MalformedXML' });
    const twoStars = await put({ AllowedMethods: ['GET'], AllowedOrigins: ['https://*.example.*'] });
    expect(twoStars).toMatchObject({ name: 'InvalidRequest' });
  });

  it('keeps the rules across a restart of the server', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dtks-s3-cors-'));
    try {
      const client = (endpoint: string) =>
        new S3Client({
          region: 'ap-southeast-3',
          endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        });
      const first = await startS3Server({ root });
      const before = client(first.endpoint);
      await before.send(new CreateBucketCommand({ Bucket: 'kept' }));
      await before.send(
        new PutBucketCorsCommand({
          Bucket: 'kept',
          CORSConfiguration: { CORSRules: [toS3CorsRule(consoleBucketCorsRule([CONSOLE]))] },
        }),
      );
      before.destroy();
      await first.close();
      const second = await startS3Server({ root });
      const after = client(second.endpoint);
      const got = await after.send(new GetBucketCorsCommand({ Bucket: 'kept' }));
      expect(got.CORSRules?.[0]?.AllowedOrigins).toEqual([CONSOLE]);
      const answer = await fetch(`${second.endpoint}/kept/any`, {
        method: 'OPTIONS',
        headers: { origin: CONSOLE, 'access-control-request-method': 'PUT' },
      });
      expect(answer.status).toBe(200);
      after.destroy();
      await second.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('a browser preflight (OPTIONS)', () => {
  it('allows the console origin to PUT with a content type and a checksum header', async () => {
    const answer = await preflight(
      'proposals/3371/2026-12/usulan.csv',
      CONSOLE,
      'PUT',
      'Content-Type, x-amz-checksum-crc32',
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(answer.headers.get('access-control-allow-methods')).toBe('PUT, GET, HEAD');
    expect(answer.headers.get('access-control-allow-headers')).toBe('content-type, x-amz-checksum-crc32');
    expect(answer.headers.get('access-control-max-age')).toBe('3000');
    expect(answer.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(answer.headers.get('vary')).toContain('Origin');
  });

  it('allows the same host by its other name (localhost)', async () => {
    const answer = await preflight('a.csv', 'http://localhost:4500', 'GET');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:4500');
  });

  it('refuses another origin, a method and a header the rule does not name: 403 AccessForbidden', async () => {
    for (const [origin, method, headers] of [
      [OTHER, 'PUT', undefined],
      ['http://127.0.0.1:4501', 'GET', undefined],
      [CONSOLE, 'DELETE', undefined],
      [CONSOLE, 'PUT', 'authorization'],
    ] as const) {
      const answer = await preflight('a.csv', origin, method, headers);
      expect(answer.status, `${origin} ${method} ${headers}`).toBe(403);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      const body = await answer.text();
      expect(body).toContain('<Code>AccessForbidden</Code>');
      expect(body).toContain(`<Method>${method}</Method>`);
    }
  });

  it('refuses every preflight on a bucket without CORS, and says so', async () => {
    const plain = await harness.bucket();
    const answer = await fetch(`${harness.emulators.s3Endpoint}/${plain}/a.csv`, {
      method: 'OPTIONS',
      headers: { origin: CONSOLE, 'access-control-request-method': 'GET' },
    });
    expect(answer.status).toBe(403);
    expect(await answer.text()).toContain('CORS is not enabled for this bucket');
  });

  it('answers 400 to an OPTIONS without Origin or without the requested method', async () => {
    const noOrigin = await fetch(url('a.csv'), {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'GET' },
    });
    expect(noOrigin.status).toBe(400);
    expect(await noOrigin.text()).toContain('Origin request header needed');
    const noMethod = await fetch(url('a.csv'), { method: 'OPTIONS', headers: { origin: CONSOLE } });
    expect(noMethod.status).toBe(400);
  });
});

describe('actual requests from the console origin', () => {
  it('a presigned PUT and GET answer Access-Control-Allow-Origin and expose the ETag', async () => {
    const put = await fetch(presigned('proposals/3371/2026-12/usulan.csv'), {
      method: 'PUT',
      headers: { origin: CONSOLE, 'content-type': 'text/csv' },
      body: 'nik,no_kk\n',
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(put.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(put.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    const get = await fetch(presigned('proposals/3371/2026-12/usulan.csv'), { headers: { origin: CONSOLE } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(await get.text()).toBe('nik,no_kk\n');
  });

  it('an error answer carries them too, so the page can read it', async () => {
    const missing = await fetch(presigned('absent.csv'), { headers: { origin: CONSOLE } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(CONSOLE);
  });

  it('nothing for another origin, a method the rule does not allow, or a request without Origin', async () => {
    const other = await fetch(presigned('proposals/3371/2026-12/usulan.csv'), { headers: { origin: OTHER } });
    expect(other.status).toBe(200); // CORS is the browser's to enforce: S3 answers, without the headers
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const remove = await fetch(presigned('proposals/3371/2026-12/usulan.csv'), {
      method: 'DELETE',
      headers: { origin: CONSOLE },
    });
    expect(remove.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await fetch(presigned('proposals/3371/2026-12/usulan.csv'));
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the AWS CLI', () => {
  it('put-bucket-cors and get-bucket-cors', async () => {
    ensureAwsCli();
    const endpoint = ['--endpoint-url', harness.emulators.s3Endpoint];
    const name = await harness.bucket();
    const configuration = { CORSRules: [toS3CorsRule(consoleBucketCorsRule([CONSOLE]))] };
    await aws([
      's3api',
      'put-bucket-cors',
      '--bucket',
      name,
      '--cors-configuration',
      JSON.stringify(configuration),
      ...endpoint,
    ]);
    const got = await awsJson<{ CORSRules: unknown[] }>(['s3api', 'get-bucket-cors', '--bucket', name, ...endpoint]);
    expect(got.CORSRules).toEqual(configuration.CORSRules);
    await aws(['s3api', 'delete-bucket-cors', '--bucket', name, ...endpoint]);
    await expect(aws(['s3api', 'get-bucket-cors', '--bucket', name, ...endpoint])).rejects.toThrow(
      /NoSuchCORSConfiguration/,
    );
  });
});

/** A page served on its own loopback origin, as the approvals server serves the console. */
async function servePage(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>page</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe.skipIf(!hasChromium() && !process.env.CI)('in Chromium', () => {
  it("lets the page of an allowed origin PUT with a presigned URL and read the ETag; another origin's page is refused", async () => {
    const allowed = await servePage();
    const other = await servePage();
    const name = await harness.bucket();
    await harness.s3.send(
      new PutBucketCorsCommand({
        Bucket: name,
        CORSConfiguration: { CORSRules: [toS3CorsRule(consoleBucketCorsRule([allowed.origin]))] },
      }),
    );
    const target = presigned('proposals/3371/2026-12/usulan.csv').replace(`/${bucket}/`, `/${name}/`);
    const browser = await launchBrowser();
    try {
      const upload = (page: Awaited<ReturnType<typeof browser.newPage>>) =>
        page.evaluate(async (url) => {
          try {
            const response = await fetch(url, {
              method: 'PUT',
              headers: { 'content-type': 'text/csv' },
              body: 'nik\n',
            });
            return { status: response.status, etag: response.headers.get('etag') };
          } catch (error) {
            return { error: String(error) };
          }
        }, target);
      const page = await browser.newPage();
      await page.goto(allowed.origin);
      expect(await upload(page)).toEqual({ status: 200, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
      const elsewhere = await browser.newPage();
      await elsewhere.goto(other.origin);
      expect(await upload(elsewhere)).toEqual({ error: expect.stringContaining('Failed to fetch') });
    } finally {
      await browser.close();
      allowed.server.close();
      other.server.close();
    }
  });
});
