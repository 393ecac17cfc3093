/**
 * The local S3 as the S3 tests meet it: the emulators on free loopback ports, and a client configured
 * as a developer would configure one (ordinary dummy credentials, the SDK's default checksums).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type Emulators, startEmulators } from '#local/emulators.ts';

export interface S3Harness {
  emulators: Emulators;
  s3: S3Client;
  /** A fresh bucket for one test. */
  bucket(name?: string): Promise<string>;
  stop(): Promise<void>;
}

let buckets = 0;

export async function startS3(): Promise<S3Harness> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const emulators = await startEmulators();
  const s3 = new S3Client({
    region: 'ap-southeast-3',
    endpoint: emulators.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    emulators,
    s3,
    async bucket(name = `bucket-${process.pid}-${++buckets}`) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      s3.destroy();
      await emulators.stop();
    },
  };
}
