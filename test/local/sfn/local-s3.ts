/**
 * The local S3 of a test file whose state machines have distributed Maps (ItemReader, ResultWriter): the
 * S3 server of local/s3 on a free port, reached through the real SDK client. Kept apart from harness.ts so
 * that the other conformance files do not load the S3 server and client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { LOCAL_AWS } from '#local/emulators.ts';
import { type S3Server, startS3Server } from '#local/s3/server.ts';
import type { ObjectStorage } from '#local/sfn/runtime.ts';
import { s3ObjectStorage } from '#local/sfn/s3-objects.ts';

/** The local S3 of a test file, for distributed Maps: `objects` for the harness, and the test's own reads and writes. */
export interface LocalS3 {
  /** Hand to startHarness / harnesses.start as `objects`. */
  readonly objects: ObjectStorage;
  readonly client: S3Client;
  put(bucket: string, key: string, body: string): Promise<void>;
  get(bucket: string, key: string): Promise<string>;
}

/**
 * Called at the top of a test file: the local S3 server (local/s3) on a free port with `buckets` created,
 * started before the file's tests and closed after them; reached through the real SDK client.
 */
export function localS3PerFile(buckets: readonly string[]): LocalS3 {
  let root: string | undefined;
  let server: S3Server | undefined;
  let client: S3Client | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dtks-sfn-s3-'));
    server = await startS3Server({ root });
    client = new S3Client({ ...LOCAL_AWS, endpoint: server.endpoint, forcePathStyle: true });
    for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });
  const started = () => {
    if (!client) throw new Error('localS3PerFile: the S3 server starts in beforeAll');
    return client;
  };
  return {
    objects: {
      getObject: (request) => s3ObjectStorage(started()).getObject(request),
      putObject: (request) => s3ObjectStorage(started()).putObject(request),
    },
    get client() {
      return started();
    },
    async put(bucket, key, body) {
      await started().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async get(bucket, key) {
      const response = await started().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await response.Body?.transformToString('utf8')) ?? '';
    },
  };
}
