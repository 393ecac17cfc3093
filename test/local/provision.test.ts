import { GetBucketCorsCommand, GetBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, LOCAL_AWS, startEmulators } from '#local/emulators.ts';
import { LOCAL_RESOURCES, provisionConsoleCors, provisionLocal } from '#local/provision.ts';
import { localConsoleOrigins } from '#shared/console-cors.ts';

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

describe('provisionConsoleCors', () => {
  it("lets the console's origin (the approvals server, by both names) PUT and GET both buckets, the rule of the last start only", async () => {
    await provisionLocal(emulators);
    await provisionConsoleCors(emulators, localConsoleOrigins(4100));
    await provisionConsoleCors(emulators, localConsoleOrigins(4200));
    for (const bucket of Object.values(LOCAL_RESOURCES.buckets)) {
      const { CORSRules } = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
      expect(CORSRules, bucket).toEqual([
        expect.objectContaining({
          AllowedOrigins: ['http://127.0.0.1:4200', 'http://localhost:4200'],
          AllowedMethods: ['PUT', 'GET', 'HEAD'],
          ExposeHeaders: ['ETag'],
        }),
      ]);
      const preflight = await fetch(`${emulators.s3Endpoint}/${bucket}/proposals/3371/2026-12/a.csv`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:4200', 'access-control-request-method': 'PUT' },
      });
      expect(preflight.status).toBe(200);
    }
  });
});
