import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
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

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest();

describe('the local S3 stores objects as S3 does', () => {
  it('answers PutObject with the quoted MD5 as ETag and returns it with the metadata', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'meta.csv',
        Body: 'nik,nama\n',
        ContentType: 'text/csv',
        Metadata: { regency: '3371' },
      }),
    );
    expect(put.ETag).toBe(`"${md5('nik,nama\n').toString('hex')}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta.csv' }));
    expect(head).toMatchObject({
      ETag: put.ETag,
      ContentLength: 9,
      ContentType: 'text/csv',
      Metadata: { regency: '3371' },
    });
  });

  it('keeps a + and spaces in a key as written', async () => {
    const key = 'proposals/3371/2026-11/usulan+november ke 2.csv';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'proposals/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await object.Body?.transformToString()).toBe('x');
  });

  it('refuses a body whose Content-MD5 does not match (BadDigest)', async () => {
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'bad.csv',
          Body: 'abc',
          ContentMD5: md5('abd').toString('base64'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad.csv' }))).rejects.toMatchObject({
      name: 'NotFound',
    });
  });

  it("writes only when the key is free with If-None-Match: '*' (412 PreconditionFailed otherwise)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'manifest.json', Body: '{"v":1}', IfNoneMatch: '*' }));
    await expect(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'manifest.json', Body: '{"v":2}', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const kept = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'manifest.json' }));
    expect(await kept.Body?.transformToString()).toBe('{"v":1}');
  });

  it('serves byte ranges (206) and refuses a range past the end (InvalidRange)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'range.txt', Body: '0123456789' }));
    const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range.txt', Range: 'bytes=2-5' }));
    expect(part.$metadata.httpStatusCode).toBe(206);
    expect(part.ContentRange).toBe('bytes 2-5/10');
    expect(await part.Body?.transformToString()).toBe('2345');
    const tail = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range.txt', Range: 'bytes=7-' }));
    expect(await tail.Body?.transformToString()).toBe('789');
    const suffix = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range.txt', Range: 'bytes=-3' }));
    expect(await suffix.Body?.transformToString()).toBe('789');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range.txt', Range: 'bytes=10-' })),
    ).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
  });

  it('copies an object (CopyObject) with its content and ETag', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src/a b+c.txt', Body: 'copied' }));
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'dst/a.txt',
        CopySource: `${bucket}/${encodeURIComponent('src/a b+c.txt')}`,
      }),
    );
    expect(copy.CopyObjectResult?.ETag).toBe(put.ETag);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dst/a.txt' }));
    expect(await object.Body?.transformToString()).toBe('copied');
  });

  it('deletes several objects at once (DeleteObjects)', async () => {
    for (const key of ['del/1', 'del/2']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    const deleted = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'del/1' }, { Key: 'del/2' }, { Key: 'del/3' }] },
      }),
    );
    expect(deleted.Deleted?.map((d) => d.Key).sort()).toEqual(['del/1', 'del/2', 'del/3']);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'del/' }))).KeyCount).toBe(0);
  });

  it('answers HeadBucket 404 for a missing bucket and NoSuchKey for a missing key', async () => {
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('takes a stream of unknown length (aws-chunked with a checksum trailer, the SDK default)', async () => {
    const data = randomBytes(300_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'stream.bin',
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    expect(put.ETag).toBe(`"${md5(data).toString('hex')}"`);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream.bin' }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(data)).toBe(true);
  });
});

describe('multipart uploads in the local S3', () => {
  it('assembles a lib-storage Upload and gives it the multipart ETag (MD5 of the part MD5s, -N)', async () => {
    const data = randomBytes(11 * 1024 * 1024);
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: 'big.bin', Body: Readable.from([data]) },
      partSize: 5 * 1024 * 1024,
    });
    const result = await upload.done();
    const parts = [data.subarray(0, 5 << 20), data.subarray(5 << 20, 10 << 20), data.subarray(10 << 20)];
    const expected = `"${md5(Buffer.concat(parts.map((p) => md5(p)))).toString('hex')}-3"`;
    expect(result.ETag).toBe(expected);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    expect(object.ETag).toBe(expected);
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it('assembles an upload of many parts without piling listeners on the file it writes', async () => {
    // Each part used to be piped into the assembled file with pipeline(..., { end: false }), which leaves its
    // listeners on the file: from the 11th part on Node warned of a leak (MaxListenersExceededWarning).
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const data = Buffer.alloc(12 * (5 << 20) + 123, 'dtks');
      const upload = new Upload({
        client: s3,
        params: { Bucket: bucket, Key: 'many-parts.bin', Body: Readable.from([data]) },
        partSize: 5 << 20,
        queueSize: 4,
      });
      const result = await upload.done();
      expect(result.ETag).toMatch(/-13"$/);
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'many-parts.bin' }));
      expect(Buffer.from(await object.Body!.transformToByteArray()).equals(data)).toBe(true);
      // A warning is emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('keeps a FULL_OBJECT CRC64NVME checksum over the assembled bytes, and refuses a wrong one (BadDigest)', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const parts = [data.subarray(0, 5 << 20), data.subarray(5 << 20)];
    const crc = createChecksum('CRC64NVME');
    crc.update(data);
    const whole = crc.digest();
    const upload = async (key: string, sent: string) => {
      const created = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ChecksumAlgorithm: 'CRC64NVME',
          ChecksumType: 'FULL_OBJECT',
        }),
      );
      expect(created).toMatchObject({ ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' });
      const uploaded = [];
      for (const [i, body] of parts.entries()) {
        const part = await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: created.UploadId,
            PartNumber: i + 1,
            Body: body,
            ChecksumAlgorithm: 'CRC64NVME',
          }),
        );
        uploaded.push({ PartNumber: i + 1, ETag: part.ETag, ChecksumCRC64NVME: part.ChecksumCRC64NVME });
      }
      return s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: created.UploadId,
          MultipartUpload: { Parts: uploaded },
          ChecksumCRC64NVME: sent,
          ChecksumType: 'FULL_OBJECT',
        }),
      );
    };
    const done = await upload('full.bin', whole);
    expect(done).toMatchObject({ ChecksumCRC64NVME: whole, ChecksumType: 'FULL_OBJECT' });
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'full.bin', ChecksumMode: 'ENABLED' }));
    expect(object.ChecksumCRC64NVME).toBe(whole);
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(data)).toBe(true);
    await expect(upload('full-bad.bin', 'AAAAAAAAAAA=')).rejects.toMatchObject({ name: 'BadDigest' });
  });

  it('lists an upload under way and forgets it once aborted', async () => {
    const bucket = await harness.bucket();
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'aborted.bin' }));
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['aborted.bin', created.UploadId]]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted.bin', UploadId: created.UploadId }));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    await expect(
      s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted.bin', UploadId: created.UploadId })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
  });
});
