/** The local S3 across a restart on the same data dir: objects, versions and uploads under way survive. */
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, S3_DIR, startEmulators } from '#local/emulators.ts';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-s3-restart-'));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const client = (emulators: Emulators) =>
  new S3Client({
    region: 'ap-southeast-3',
    endpoint: emulators.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

describe('the local S3 across a restart', () => {
  it('keeps objects, their versions and a multipart upload under way', async () => {
    let emulators = await startEmulators({ dataDir });
    let s3 = client(emulators);
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'kept', VersioningConfiguration: { Status: 'Enabled' } }));
    const first = await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a+b c.csv', Body: 'one' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a+b c.csv', Body: 'two' }));
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'kept', Key: 'big.bin' }));
    const part = randomBytes(1000);
    const uploaded = await s3.send(
      new UploadPartCommand({ Bucket: 'kept', Key: 'big.bin', UploadId: upload.UploadId, PartNumber: 1, Body: part }),
    );
    s3.destroy();
    await emulators.stop();

    emulators = await startEmulators({ dataDir });
    s3 = client(emulators);
    try {
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'kept' }));
      expect(versions.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
        ['a+b c.csv', second.VersionId, true],
        ['a+b c.csv', first.VersionId, false],
      ]);
      const old = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'a+b c.csv', VersionId: first.VersionId }));
      expect(await old.Body?.transformToString()).toBe('one');
      // New versions after the restart sort as newer than the old ones.
      const third = await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a+b c.csv', Body: 'three' }));
      const current = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'a+b c.csv' }));
      expect([current.VersionId, await current.Body?.transformToString()]).toEqual([third.VersionId, 'three']);

      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'kept' }));
      expect(uploads.Uploads?.map((u) => u.UploadId)).toEqual([upload.UploadId]);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'kept',
          Key: 'big.bin',
          UploadId: upload.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: uploaded.ETag }] },
        }),
      );
      const big = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'big.bin' }));
      expect(Buffer.from(await big.Body!.transformToByteArray()).equals(part)).toBe(true);
    } finally {
      s3.destroy();
      await emulators.stop();
    }
  });

  it('recovers from a crash in the middle of a write: the newer null version wins, unfinished data goes', async () => {
    let emulators = await startEmulators({ dataDir });
    let s3 = client(emulators);
    await s3.send(new CreateBucketCommand({ Bucket: 'crashed' }));
    await s3.send(new PutObjectCommand({ Bucket: 'crashed', Key: 'k', Body: 'one' }));
    const hash = createHash('sha256').update('k').digest('hex');
    const dir = join(dataDir, S3_DIR, 'crashed', 'objects', hash.slice(0, 2), hash);
    await cp(dir, `${dir}.saved`, { recursive: true });
    await s3.send(new PutObjectCommand({ Bucket: 'crashed', Key: 'k', Body: 'two' }));
    s3.destroy();
    await emulators.stop();
    // As if the process died after writing the new version and before removing the old one, and while
    // receiving a third body.
    await cp(`${dir}.saved`, dir, { recursive: true });
    await rm(`${dir}.saved`, { recursive: true });
    await writeFile(join(dir, '99.data'), 'unfinished');
    expect((await readdir(dir)).sort()).toEqual(['1.data', '1.json', '2.data', '2.json', '99.data']);

    emulators = await startEmulators({ dataDir });
    s3 = client(emulators);
    try {
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'crashed' }));
      expect(versions.Versions?.map((v) => [v.Key, v.VersionId])).toEqual([['k', 'null']]);
      const object = await s3.send(new GetObjectCommand({ Bucket: 'crashed', Key: 'k' }));
      expect(await object.Body?.transformToString()).toBe('two');
      expect((await readdir(dir)).sort()).toEqual(['2.data', '2.json']);
    } finally {
      s3.destroy();
      await emulators.stop();
    }
  });
});
