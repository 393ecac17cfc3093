/**
 * The local AWS emulators on loopback: DynamoDB (dynalite) and S3 (s3rver). Both speak the real wire
 * protocol, so the production repositories run against them unchanged through the real SDK clients.
 * Used by `dtks local up`, the demo, and every integration test (each on free ports).
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';

export interface EmulatorOptions {
  /** Directory for persistent state; omitted = DynamoDB in memory and S3 in a fresh temporary directory. */
  dataDir?: string;
  /** 0 (default) picks a free port. */
  dynamoPort?: number;
  s3Port?: number;
}

export interface Emulators {
  dynamoEndpoint: string;
  s3Endpoint: string;
  /** The s3rver instance, whose 'event' emitter reports object-created events (see local/events). */
  s3: S3rver;
  stop(): Promise<void>;
}

/** Static credentials and region for local endpoints; nothing here is a secret. */
export const LOCAL_AWS = {
  region: 'ap-southeast-3',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
} as const;

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const dataDir = options.dataDir;
  const dynamoPath = dataDir ? join(dataDir, 'dynamodb') : undefined;
  // Without a data dir, S3 objects go to a temporary directory that stop() removes.
  const scratch = dataDir === undefined ? await makeTempDir() : undefined;
  const s3Path = join(dataDir ?? (scratch as string), 's3');
  if (dynamoPath) mkdirSync(dynamoPath, { recursive: true });
  mkdirSync(s3Path, { recursive: true });

  // createTableMs 0: tables are ACTIVE at once, as a fresh local environment should be.
  const dynamo: Server = dynalite({ path: dynamoPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(options.dynamoPort ?? 0, '127.0.0.1', () => resolve());
  });
  const dynamoPort = (dynamo.address() as AddressInfo).port;

  const s3 = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port ?? 0,
    directory: s3Path,
    silent: true,
    // Path-style addressing only: virtual-host buckets would need DNS for *.localhost.
    vhostBuckets: false,
    allowMismatchedSignatures: true,
  });
  const s3Address = (await s3.run()) as AddressInfo;

  return {
    dynamoEndpoint: `http://127.0.0.1:${dynamoPort}`,
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    s3,
    async stop() {
      await Promise.all([
        new Promise<void>((resolve) => dynamo.close(() => resolve())),
        s3.close().catch(() => undefined),
      ]);
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };
}

async function makeTempDir(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  return mkdtemp(join(tmpdir(), 'dtks-s3-'));
}
