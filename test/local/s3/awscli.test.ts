/** The AWS CLI (a client nobody here wrote) against the local S3, with ordinary dummy credentials. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators } from '#local/emulators.ts';
import { aws, awsJson, ensureAwsCli } from '../../support/awscli.ts';

let emulators: Emulators;
let dir: string;

beforeAll(async () => {
  ensureAwsCli();
  emulators = await startEmulators();
  dir = await mkdtemp(join(tmpdir(), 'dtks-s3-cli-'));
});
afterAll(async () => {
  await emulators?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const endpoint = () => ['--endpoint-url', emulators.s3Endpoint];

describe('the AWS CLI against the local S3', () => {
  it('paginates list-objects-v2 --max-keys 2 over five keys', async () => {
    await aws(['s3api', 'create-bucket', '--bucket', 'cli-list', ...endpoint()]);
    const file = join(dir, 'one.txt');
    await writeFile(file, 'one');
    for (const n of [1, 2, 3, 4, 5]) {
      await aws(['s3api', 'put-object', '--bucket', 'cli-list', '--key', `k/${n}.txt`, '--body', file, ...endpoint()]);
    }
    // --max-keys turns the CLI's own pagination off: the caller follows NextContinuationToken.
    const keys: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = await awsJson<{ Contents?: { Key: string }[]; NextContinuationToken?: string; KeyCount: number }>([
        's3api',
        'list-objects-v2',
        '--bucket',
        'cli-list',
        '--max-keys',
        '2',
        ...(token ? ['--continuation-token', token] : []),
        ...endpoint(),
      ]);
      calls++;
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      keys.push(...(page.Contents ?? []).map((o) => o.Key));
      token = page.NextContinuationToken;
    } while (token && calls < 10);
    expect(keys).toEqual(['k/1.txt', 'k/2.txt', 'k/3.txt', 'k/4.txt', 'k/5.txt']);
    expect(calls).toBe(3);
    // --page-size: the CLI paginates by itself.
    const paged = await awsJson<{ Contents: { Key: string }[] }>([
      's3api',
      'list-objects-v2',
      '--bucket',
      'cli-list',
      '--page-size',
      '2',
      ...endpoint(),
    ]);
    expect(paged.Contents.map((o) => o.Key)).toEqual(keys);
    const v1 = await awsJson<{ Contents: { Key: string }[] }>([
      's3api',
      'list-objects',
      '--bucket',
      'cli-list',
      '--page-size',
      '2',
      ...endpoint(),
    ]);
    expect(v1.Contents.map((o) => o.Key)).toHaveLength(5);
  });

  it('copies a key with + and spaces up and down again unchanged (aws s3 cp)', async () => {
    await aws(['s3', 'mb', 's3://cli-keys', ...endpoint()]);
    const file = join(dir, 'usulan.csv');
    await writeFile(file, 'nik,nama\n');
    const key = 'proposals/3371/2026-11/usulan+november ke 2.csv';
    await aws(['s3', 'cp', file, `s3://cli-keys/${key}`, ...endpoint()]);
    const listed = await awsJson<{ Contents: { Key: string }[] }>([
      's3api',
      'list-objects-v2',
      '--bucket',
      'cli-keys',
      ...endpoint(),
    ]);
    expect(listed.Contents.map((o) => o.Key)).toEqual([key]);
    const back = join(dir, 'back.csv');
    await aws(['s3', 'cp', `s3://cli-keys/${key}`, back, ...endpoint()]);
    expect(await readFile(back, 'utf8')).toBe('nik,nama\n');
    const { stdout } = await aws(['s3', 'ls', 's3://cli-keys/proposals/3371/2026-11/', ...endpoint()]);
    expect(stdout).toContain('usulan+november ke 2.csv');
  });

  it('turns versioning on and lists the versions (put-bucket-versioning, list-object-versions)', async () => {
    await aws(['s3api', 'create-bucket', '--bucket', 'cli-versions', ...endpoint()]);
    await aws([
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'cli-versions',
      '--versioning-configuration',
      'Status=Enabled',
      ...endpoint(),
    ]);
    expect(await awsJson(['s3api', 'get-bucket-versioning', '--bucket', 'cli-versions', ...endpoint()])).toEqual({
      Status: 'Enabled',
    });
    const file = join(dir, 'v.txt');
    const ids: string[] = [];
    for (const body of ['first', 'second']) {
      await writeFile(file, body);
      const put = await awsJson<{ VersionId: string }>([
        's3api',
        'put-object',
        '--bucket',
        'cli-versions',
        '--key',
        'v.txt',
        '--body',
        file,
        ...endpoint(),
      ]);
      ids.push(put.VersionId);
    }
    await aws(['s3api', 'delete-object', '--bucket', 'cli-versions', '--key', 'v.txt', ...endpoint()]);
    const versions = await awsJson<{
      Versions: { Key: string; VersionId: string; IsLatest: boolean }[];
      DeleteMarkers: { Key: string; IsLatest: boolean }[];
    }>(['s3api', 'list-object-versions', '--bucket', 'cli-versions', ...endpoint()]);
    expect(versions.Versions.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      [ids[1], false],
      [ids[0], false],
    ]);
    expect(versions.DeleteMarkers).toEqual([expect.objectContaining({ Key: 'v.txt', IsLatest: true })]);
    const old = join(dir, 'old.txt');
    await aws([
      's3api',
      'get-object',
      '--bucket',
      'cli-versions',
      '--key',
      'v.txt',
      '--version-id',
      ids[0]!,
      old,
      ...endpoint(),
    ]);
    expect(await readFile(old, 'utf8')).toBe('first');
  });
});
