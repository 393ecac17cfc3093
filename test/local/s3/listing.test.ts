import { createHash } from 'node:crypto';
import {
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Harness, startS3 } from './harness.ts';

let harness: S3Harness;
let s3: S3Client;
let bucket: string;

const KEYS = ['a/1.csv', 'a/2.csv', 'a/b/3.csv', 'c.csv', 'd+e f.csv', 'z/9.csv'];

beforeAll(async () => {
  harness = await startS3();
  s3 = harness.s3;
  bucket = await harness.bucket();
  for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
});
afterAll(() => harness.stop());

async function allKeys(input: { Prefix?: string; StartAfter?: string; PageSize: number }) {
  const keys: string[] = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2(
    { client: s3, pageSize: input.PageSize },
    { Bucket: bucket, Prefix: input.Prefix, StartAfter: input.StartAfter },
  )) {
    pages++;
    for (const object of page.Contents ?? []) keys.push(object.Key ?? '');
  }
  return { keys, pages };
}

describe('the local S3 lists objects as S3 does', () => {
  it('accepts any credentials (a developer sets AWS_ACCESS_KEY_ID=test)', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.KeyCount).toBe(KEYS.length);
  });

  it('pages ListObjectsV2 with max-keys and continuation tokens (paginateListObjectsV2)', async () => {
    const { keys, pages } = await allKeys({ PageSize: 2 });
    expect(keys).toEqual(KEYS);
    expect(pages).toBe(3);
  });

  it('starts after a key and narrows to a prefix', async () => {
    expect((await allKeys({ PageSize: 1, StartAfter: 'a/2.csv' })).keys).toEqual(KEYS.slice(2));
    expect((await allKeys({ PageSize: 1, Prefix: 'a/' })).keys).toEqual(['a/1.csv', 'a/2.csv', 'a/b/3.csv']);
  });

  it('rolls keys up into common prefixes with a delimiter, counted against max-keys', async () => {
    const first = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', MaxKeys: 2 }));
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
    expect(first.Contents?.map((o) => o.Key)).toEqual(['c.csv']);
    expect(first.IsTruncated).toBe(true);
    expect(first.KeyCount).toBe(2);
    const second = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', ContinuationToken: first.NextContinuationToken }),
    );
    expect(second.Contents?.map((o) => o.Key)).toEqual(['d+e f.csv']);
    expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['z/']);
    expect(second.IsTruncated).toBe(false);
  });

  it('reports each object with its size, MD5 ETag and storage class', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'c.csv' }));
    expect(listed.Contents).toEqual([
      expect.objectContaining({
        Key: 'c.csv',
        Size: 5,
        ETag: `"${createHash('md5').update('c.csv').digest('hex')}"`,
        StorageClass: 'STANDARD',
        LastModified: expect.any(Date),
      }),
    ]);
  });

  it('pages ListObjects (v1) with markers for older clients', async () => {
    const first = await s3.send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 4 }));
    expect(first.Contents?.map((o) => o.Key)).toEqual(KEYS.slice(0, 4));
    expect(first.IsTruncated).toBe(true);
    const second = await s3.send(new ListObjectsCommand({ Bucket: bucket, Marker: 'a/b/3.csv' }));
    expect(second.Contents?.map((o) => o.Key)).toEqual(KEYS.slice(3));
    expect(second.IsTruncated).toBe(false);
    const grouped = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', MaxKeys: 1 }));
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
    expect(grouped.NextMarker).toBe('a/');
    const after = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', Marker: grouped.NextMarker }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['c.csv', 'd+e f.csv']);
  });

  it('refuses a continuation token it did not issue and a bad max-keys', async () => {
    await expect(
      s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: -1 }))).rejects.toMatchObject({
      name: 'InvalidArgument',
    });
  });

  it('answers NoSuchBucket for a bucket that does not exist', async () => {
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
  });
});
