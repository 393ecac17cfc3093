/**
 * The wire protocol below the SDK: aws-chunked bodies as AWS documents them, checksum trailers,
 * authorization, key decoding and the operations the local S3 refuses. Raw HTTP requests, so each
 * framing is exactly the documented one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecksum } from '#local/s3/checksums.ts';
import { type S3Harness, startS3 } from './harness.ts';

let harness: S3Harness;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  harness = await startS3();
  s3 = harness.s3;
  bucket = await harness.bucket();
});
afterAll(() => harness.stop());

const SIGNED = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=anything/20261201/ap-southeast-3/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123',
  'x-amz-date': '20261201T000000Z',
};

function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(harness.emulators.s3Endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, ...(body ? { 'content-length': body.length } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const signature = () => randomBytes(32).toString('hex');

function chunked(data: Buffer, size: number, trailer?: string, signed = true): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) {
    const chunk = data.subarray(at, at + size);
    parts.push(
      Buffer.from(`${chunk.length.toString(16)}${signed ? `;chunk-signature=${signature()}` : ''}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`0${signed ? `;chunk-signature=${signature()}` : ''}\r\n`));
  if (trailer) parts.push(Buffer.from(`${trailer}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

const crc32 = (data: Buffer) => {
  const checksum = createChecksum('CRC32');
  checksum.update(data);
  return checksum.digest();
};

async function read(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

describe('the local S3 on the wire', () => {
  it('decodes a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body (64 KiB chunks with signatures)', async () => {
    const data = randomBytes(66_560); // the documented example: a 64 KiB chunk, a 1 KiB chunk, the final chunk
    const put = await send(
      'PUT',
      `/${bucket}/signed-chunks.bin`,
      {
        ...SIGNED,
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'x-amz-decoded-content-length': String(data.length),
      },
      chunked(data, 65_536),
    );
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    expect((await read('signed-chunks.bin')).equals(data)).toBe(true);
  });

  it('checks the x-amz-checksum-crc32 trailer of STREAMING-UNSIGNED-PAYLOAD-TRAILER (BadDigest when wrong)', async () => {
    const data = randomBytes(10_000);
    const headers = {
      ...SIGNED,
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
    };
    const good = await send(
      'PUT',
      `/${bucket}/trailer.bin`,
      headers,
      chunked(data, 4096, `x-amz-checksum-crc32:${crc32(data)}`, false),
    );
    expect(good.status).toBe(200);
    expect(good.headers['x-amz-checksum-crc32']).toBe(crc32(data));
    const bad = await send(
      'PUT',
      `/${bucket}/trailer-bad.bin`,
      headers,
      chunked(data, 4096, `x-amz-checksum-crc32:${crc32(Buffer.from('other'))}`, false),
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<Code>BadDigest</Code>');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'trailer-bad' }));
    expect(listed.KeyCount).toBe(0);
  });

  it('refuses a chunked body shorter than x-amz-decoded-content-length (IncompleteBody)', async () => {
    const data = randomBytes(1000);
    const answer = await send(
      'PUT',
      `/${bucket}/short.bin`,
      {
        ...SIGNED,
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'x-amz-decoded-content-length': '2000',
      },
      chunked(data, 512),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>IncompleteBody</Code>');
  });

  it('refuses a payload whose x-amz-content-sha256 does not match it', async () => {
    const answer = await send(
      'PUT',
      `/${bucket}/sha.txt`,
      { ...SIGNED, 'x-amz-content-sha256': createHash('sha256').update('other').digest('hex') },
      Buffer.from('body'),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });

  it('takes any credentials but not an unsigned request', async () => {
    const anonymous = await send('GET', `/${bucket}?list-type=2`, {});
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toContain('<Code>AccessDenied</Code>');
    const malformed = await send('GET', `/${bucket}?list-type=2`, { authorization: 'AWS4-HMAC-SHA256 nonsense' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toContain('<Code>AuthorizationHeaderMalformed</Code>');
  });

  it('serves a presigned URL until it expires', async () => {
    const presigned = (signedAt: Date, expires: number) => {
      const date = signedAt
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      return `/${bucket}/q/a%2Bb%20c.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F${date.slice(0, 8)}%2Fap-southeast-3%2Fs3%2Faws4_request&X-Amz-Date=${date}&X-Amz-Expires=${expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature()}`;
    };
    await send(
      'PUT',
      `/${bucket}/q/a%2Bb%20c.txt`,
      { ...SIGNED, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      Buffer.from('x'),
    );
    const fresh = await send('GET', presigned(new Date(), 300), {});
    expect([fresh.status, fresh.body]).toEqual([200, 'x']);
    const expired = await send('GET', presigned(new Date(Date.now() - 3_600_000), 300), {});
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('Request has expired');
  });

  it('reads + in the path as a plus and + in a list query as a space, as S3 does', async () => {
    const put = await send(
      'PUT',
      `/${bucket}/q/a+b%20c.txt`,
      { ...SIGNED, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      Buffer.from('x'),
    );
    expect(put.status).toBe(200);
    expect((await read('q/a+b c.txt')).toString()).toBe('x');
    const spaced = await send('GET', `/${bucket}?list-type=2&prefix=q/a%2Bb+c`, SIGNED);
    expect(spaced.body).toContain('<Key>q/a+b c.txt</Key>');
    const encoded = await send('GET', `/${bucket}?list-type=2&prefix=q/&encoding-type=url`, SIGNED);
    expect(encoded.body).toContain('<Key>q/a%2Bb+c.txt</Key>');
  });

  it('keeps . and .. segments of a key instead of resolving them', async () => {
    const put = await send(
      'PUT',
      `/${bucket}/dots/../x.txt`,
      { ...SIGNED, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      Buffer.from('d'),
    );
    expect(put.status).toBe(200);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dots/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['dots/../x.txt']);
  });

  it('refuses what it does not implement by name (NotImplemented), instead of answering something else', async () => {
    const tagging = await send('GET', `/${bucket}/q/a%2Bb%20c.txt?tagging`, SIGNED);
    expect(tagging.status).toBe(501);
    expect(tagging.body).toContain('<Code>NotImplemented</Code>');
    expect(tagging.body).toContain('?tagging');
    const policy = await send('PUT', `/${bucket}?policy`, SIGNED, Buffer.from('{}'));
    expect(policy.status).toBe(501);
  });
});
