import { createHash, randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3 } from '#shared/clients.ts';
import { S3ObjectSink } from '#shared/exports/object-sink.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { downloadObject } from './objects.ts';

let aws: TestAws;
let bucket: string;

beforeAll(async () => {
  aws = await startTestAws();
  bucket = aws.names.buckets.exports;
});
afterAll(() => aws.stop());

describe('S3ObjectSink', () => {
  it('streams a file larger than one part as a multipart upload and reports its size and SHA-256', async () => {
    const sink = new S3ObjectSink(s3, bucket, 'test/large.bin', 'application/octet-stream');
    const hash = createHash('sha256');
    let bytes = 0;
    // 20 MiB in 1 MiB chunks: three 8 MiB parts at most, two in flight.
    for (let i = 0; i < 20; i++) {
      const chunk = randomBytes(1 << 20);
      hash.update(chunk);
      bytes += chunk.length;
      await sink.write(chunk);
    }
    const written = await sink.close();
    expect(written).toEqual({ key: 'test/large.bin', bytes, sha256: hash.digest('hex') });
    const stored = await downloadObject(aws.clients.s3, bucket, 'test/large.bin');
    expect(createHash('sha256').update(stored).digest('hex')).toBe(written.sha256);
  });

  it('leaves no object and no upload under way when aborted half-way', async () => {
    const sink = new S3ObjectSink(s3, bucket, 'test/aborted.bin', 'application/octet-stream');
    for (let i = 0; i < 10; i++) await sink.write(randomBytes(1 << 20));
    await sink.abort();
    // A close after the abort must not complete the upload.
    await expect(sink.close()).rejects.toThrow();
    const listed = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'test/aborted' }));
    expect(listed.Contents ?? []).toEqual([]);
    const uploads = await aws.clients.s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'test/aborted' }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
  });
});
