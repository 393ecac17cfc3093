import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Harness, startS3 } from './harness.ts';

let harness: S3Harness;
let s3: S3Client;

beforeAll(async () => {
  harness = await startS3();
  s3 = harness.s3;
});
afterAll(() => harness.stop());

async function versionedBucket(): Promise<string> {
  const bucket = await harness.bucket();
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  return bucket;
}

const text = async (object: { Body?: { transformToString(): Promise<string> } }) =>
  (await object.Body?.transformToString()) ?? '';

describe('the local S3 keeps object versions as S3 does', () => {
  it('reports a new bucket as never versioned, then Enabled, then Suspended', async () => {
    const bucket = await harness.bucket();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Suspended');
  });

  it('gives each PutObject a version id and reads every version back by its id', async () => {
    const bucket = await versionedBucket();
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'usulan.csv', Body: 'one' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'usulan.csv', Body: 'two' }));
    expect(first.VersionId).toMatch(/\S/);
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'usulan.csv' })))).toBe('two');
    const old = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'usulan.csv', VersionId: first.VersionId }));
    expect(await text(old)).toBe('one');
    expect(old.VersionId).toBe(first.VersionId);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'usulan.csv', VersionId: first.VersionId }),
    );
    expect(head).toMatchObject({ VersionId: first.VersionId, ContentLength: 3 });
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'usulan.csv' }))).VersionId).toBe(
      second.VersionId,
    );
  });

  it('answers NoSuchVersion for an unknown version id', async () => {
    const bucket = await versionedBucket();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })),
    ).rejects.toMatchObject({ name: 'NoSuchVersion', $metadata: { httpStatusCode: 404 } });
  });

  it('hides a deleted object behind a delete marker and keeps its versions', async () => {
    const bucket = await versionedBucket();
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'kept' }));
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toMatch(/\S/);
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    expect(
      await text(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: put.VersionId }))),
    ).toBe('kept');

    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(versions.Versions).toEqual([
      expect.objectContaining({ Key: 'k', VersionId: put.VersionId, IsLatest: false, Size: 4 }),
    ]);
    expect(versions.DeleteMarkers).toEqual([
      expect.objectContaining({ Key: 'k', VersionId: deleted.VersionId, IsLatest: true }),
    ]);

    // Removing the marker brings the object back.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: deleted.VersionId }));
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).toBe('kept');
  });

  it('pages ListObjectVersions with key and version-id markers', async () => {
    const bucket = await versionedBucket();
    const ids: string[] = [];
    for (const body of ['1', '2', '3']) {
      ids.push((await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a', Body: body }))).VersionId ?? '');
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'b', Body: 'b' }));
    const first = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 2 }));
    expect(first.Versions?.map((v) => v.VersionId)).toEqual([ids[2], ids[1]]);
    expect(first).toMatchObject({ IsTruncated: true, NextKeyMarker: 'a', NextVersionIdMarker: ids[1] });
    const second = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        KeyMarker: first.NextKeyMarker,
        VersionIdMarker: first.NextVersionIdMarker,
      }),
    );
    expect(second.Versions?.map((v) => [v.Key, v.VersionId === ids[0]])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(second.IsTruncated).toBe(false);
  });

  it('keeps one null version in a bucket that was never versioned', async () => {
    const bucket = await harness.bucket();
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'one' }));
    expect(put.VersionId).toBeUndefined();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'two' }));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(versions.Versions).toEqual([expect.objectContaining({ Key: 'k', VersionId: 'null', IsLatest: true })]);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).toBe('two');
    // Suspended versioning writes the null version too, and keeps the versions made while enabled.
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const kept = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'three' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'four' }));
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(after.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      ['null', true],
      [kept.VersionId, false],
    ]);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).toBe('four');
  });
});
