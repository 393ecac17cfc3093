import { GetBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, LOCAL_AWS, startEmulators } from '#local/emulators.ts';
import { LOCAL_RESOURCES, provisionLocal } from '#local/provision.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let emulators: Emulators;
let s3: S3Client;

beforeAll(async () => {
  emulators = await startEmulators();
  s3 = new S3Client({ ...LOCAL_AWS, endpoint: emulators.s3Endpoint, forcePathStyle: true });
});
afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
});

describe('provisionLocal', () => {
  it('versions both buckets as the stack does (infra/constructs/storage.ts), also when run again', async () => {
    await provisionLocal(emulators);
    await provisionLocal(emulators);
    for (const bucket of Object.values(LOCAL_RESOURCES.buckets)) {
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status, bucket).toBe('Enabled');
    }
  });
});
