/**
 * A region operator's upload from the browser, through the links POST /uploads presigns, PUT with fetch to
 * the local S3 as a browser would: one PUT for a small file, and parts then POST /uploads/complete above
 * SINGLE_UPLOAD_MAX_BYTES. The object lands at the key the intake expects of the operator's own regency.
 */
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, SINGLE_UPLOAD_MAX_BYTES, UPLOAD_PART_BYTES } from '#shared/contracts.ts';
import { approvalHandlers, callApi, type Handler } from '../../support/approvals.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { PRINCIPALS } from '../../support/console.ts';

let aws: TestAws;
let api: Handler;

interface SingleUpload {
  code: string;
  key: string;
  url: string;
  expiresAt: string;
  headers: Record<string, string>;
}
interface MultipartUpload {
  code: string;
  key: string;
  uploadId: string;
  partSize: number;
  parts: { partNumber: number; url: string }[];
  expiresAt: string;
}

beforeAll(async () => {
  aws = await startTestAws();
  ({ api } = await approvalHandlers());
});

afterAll(async () => {
  await aws?.stop();
});

describe('presigned uploads', () => {
  it('uploads a proposal with one PUT through the presigned link, to the operator’s own regency and period', async () => {
    const file = 'aksi,nik\nTAMBAH,3371010101800001\n';
    const { status, body } = await callApi<SingleUpload>(api, 'POST /uploads', PRINCIPALS.operator, {
      body: { period: '2026-11', fileName: 'usulan-november.csv', size: file.length },
    });
    expect(status).toBe(200);
    expect(body.key).toBe(KEYS.upload('MUSDES', '3371', '2026-11', 'usulan-november.csv'));
    // Short-lived: five minutes at most, signed in the query.
    const link = new URL(body.url);
    expect(link.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    expect(link.pathname).toBe(`/${aws.names.buckets.proposals}/${body.key}`);

    const put = await fetch(body.url, { method: 'PUT', body: file, headers: body.headers });
    expect(put.status).toBe(200);
    const stored = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: body.key }),
    );
    expect(await stored.Body?.transformToString()).toBe(file);
  });

  it('uploads a large proposal in parts through presigned links and completes it', async () => {
    const size = SINGLE_UPLOAD_MAX_BYTES + 1;
    const { status, body } = await callApi<MultipartUpload>(api, 'POST /uploads', PRINCIPALS.operator, {
      body: { period: '2026-11', fileName: 'usulan-besar.csv', size },
    });
    expect(status).toBe(200);
    expect(body.partSize).toBe(UPLOAD_PART_BYTES);
    expect(body.parts.map(({ partNumber }) => partNumber)).toEqual([1, 2, 3, 4, 5]);
    // The last part's link asked for again, as a browser does once the first links have expired.
    const again = await callApi<MultipartUpload>(api, 'POST /uploads', PRINCIPALS.operator, {
      body: { period: '2026-11', fileName: 'usulan-besar.csv', size, uploadId: body.uploadId, partNumbers: [5] },
    });
    expect([again.body.uploadId, again.body.parts.map(({ partNumber }) => partNumber)]).toEqual([body.uploadId, [5]]);
    const links = [...body.parts.slice(0, 4), ...again.body.parts];
    const full = Buffer.alloc(UPLOAD_PART_BYTES, 'a');
    const etags: { partNumber: number; etag: string }[] = [];
    for (const { partNumber, url } of links) {
      const part = partNumber < body.parts.length ? full : Buffer.from('b');
      const put = await fetch(url, { method: 'PUT', body: part });
      expect(put.status).toBe(200);
      etags.push({ partNumber, etag: put.headers.get('etag') ?? '' });
    }
    const completed = await callApi(api, 'POST /uploads/complete', PRINCIPALS.operator, {
      body: { key: body.key, uploadId: body.uploadId, parts: etags.reverse() },
    });
    expect([completed.status, completed.body.code, completed.body.key]).toEqual([200, 'UPLOADED', body.key]);
    const head = await aws.clients.s3.send(
      new HeadObjectCommand({ Bucket: aws.names.buckets.proposals, Key: body.key }),
    );
    expect(head.ContentLength).toBe(size);
  });

  it('signs the declared size into every link, so S3 takes no other size through it', async () => {
    // S3 checks each header X-Amz-SignedHeaders names against the signature: a file larger than it was
    // declared (the declaration chose one PUT over parts) is refused, and so is a part of another size.
    const signed = (url: string) => new URL(url).searchParams.get('X-Amz-SignedHeaders')?.split(';');
    const single = await callApi<SingleUpload>(api, 'POST /uploads', PRINCIPALS.operator, {
      body: { period: '2026-11', fileName: 'usulan-kecil.csv', size: 1234 },
    });
    expect(signed(single.body.url)).toEqual(['content-length', 'host']);
    const size = 2 * UPLOAD_PART_BYTES + SINGLE_UPLOAD_MAX_BYTES + 7;
    const multi = await callApi<MultipartUpload>(api, 'POST /uploads', PRINCIPALS.operator, {
      body: { period: '2026-11', fileName: 'usulan-besar-2.csv', size },
    });
    expect(multi.body.parts.map(({ url }) => signed(url))).toEqual(
      multi.body.parts.map(() => ['content-length', 'host']),
    );
    // (The local S3 checks a link's shape and expiry, not its signature: the PUTs above show that a part or
    // a file of its declared size goes through a link that names its length.)
  });

  it('refuses a file name that is not one .csv path segment, a file over the limit and parts it has not, with 400', async () => {
    for (const request of [
      { period: '2026-11', fileName: '../3372/usulan.csv', size: 10 },
      { period: '2026-11', fileName: 'usulan.xlsx', size: 10 },
      { period: '2026-11', fileName: 'usulan.csv', size: 6 * 1024 ** 3 },
      { period: '11-2026', fileName: 'usulan.csv', size: 10 },
      // Fresh links only for parts the file has (65 MiB: five).
      { period: '2026-11', fileName: 'usulan.csv', size: SINGLE_UPLOAD_MAX_BYTES + 1, uploadId: 'u', partNumbers: [6] },
      { period: '2026-11', fileName: 'usulan.csv', size: 10, uploadId: 'u' },
    ]) {
      const { status, body } = await callApi(api, 'POST /uploads', PRINCIPALS.operator, { body: request });
      expect([status, body.code]).toEqual([400, 'INVALID_REQUEST']);
    }
  });

  it('refuses parts that do not match the upload with 400, before anything is stored', async () => {
    const { body } = await callApi<MultipartUpload>(api, 'POST /uploads', PRINCIPALS.operator, {
      body: { period: '2026-11', fileName: 'usulan-salah.csv', size: SINGLE_UPLOAD_MAX_BYTES + 1 },
    });
    const completed = await callApi(api, 'POST /uploads/complete', PRINCIPALS.operator, {
      body: { key: body.key, uploadId: body.uploadId, parts: [{ partNumber: 1, etag: '"0123"' }] },
    });
    expect([completed.status, completed.body.code]).toEqual([400, 'INVALID_REQUEST']);
  });
});
