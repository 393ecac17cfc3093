/**
 * The local AWS emulators on loopback: DynamoDB (dynalite) and S3 (local/s3, this repository's own
 * small S3 server). Both speak the real wire protocol, so the production repositories run against
 * them unchanged through the real SDK clients, and both accept any credentials. startEmulators runs
 * them in this process (every integration test, on free ports); the local environment runs them in a
 * process of their own (local/emulator-host.ts), off the handlers' event loop.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynaliteWithStore } from './dynamo-internals.ts';
import { cacheTableDescriptions } from './dynamo-tables.ts';
import { addTransactions } from './dynamo-transactions.ts';
import { type ObjectCreated, type S3Server, startS3Server } from './s3/server.ts';

export interface EmulatorOptions {
  /** Directory for persistent state; omitted = DynamoDB in memory and S3 in a fresh temporary directory. */
  dataDir?: string;
  /** 0 (default) picks a free port. */
  dynamoPort?: number;
  s3Port?: number;
  region?: string;
  log?: (message: string) => void;
}

export interface Emulators {
  dynamoEndpoint: string;
  s3Endpoint: string;
  /** The process the emulators run in: this one, or their own (local/emulator-host.ts). */
  pid: number;
  /** Reports every object the local S3 creates (put, copy, completed upload; see local/events). */
  onObjectCreated(listener: (event: ObjectCreated) => void): void;
  /**
   * Resolves once every object-created report of a request already answered has reached the
   * listeners: at once in this process (reported before the answer), after a round trip from a child.
   */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Region and credentials for local clients. Any access key and secret work locally (neither emulator
 * has accounts or verifies signatures); these are the ordinary dummy ones `dtks local up` prints.
 */
export const LOCAL_AWS = {
  region: 'ap-southeast-3',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;

/** Where the S3 objects of a data dir live (s3rver's old layout, `<dataDir>/s3`, is not read). */
export const S3_DIR = 's3-store';

/**
 * dynalite 4.0.0 ends the LevelDB iterator of every Query and Scan stream with iterator.return(), which
 * the iterators of abstract-level 3 (under level 10, its database) do not have: they close with close().
 * So every Query left its iterator, and the snapshot it reads, open until the database closed: ~14 KB of
 * native memory per Query, gigabytes over a 100,000-row check, and ever more live snapshots for LevelDB
 * to keep. Until dynalite closes them itself, its iterators get a return() that closes them.
 */
function closeDynaliteIterators(): void {
  const base = dynaliteIteratorBase();
  if (typeof base.return === 'function') return;
  Object.defineProperty(base, 'return', {
    configurable: true,
    writable: true,
    value(this: { close(): Promise<void> }) {
      return this.close();
    },
  });
}

/** The common base of the iterators of dynalite's database (values(), keys() and iterator() alike). */
export function dynaliteIteratorBase(): { return?: unknown; close(): Promise<void> } {
  const from = (module: string, require: NodeJS.Require) => createRequire(require.resolve(module));
  const level = from('level', from('dynalite', createRequire(import.meta.url)));
  const { AbstractValueIterator } = from('classic-level', level)('abstract-level') as {
    AbstractValueIterator: { prototype: object };
  };
  return Object.getPrototypeOf(AbstractValueIterator.prototype);
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  closeDynaliteIterators();
  const dataDir = options.dataDir;
  const dynamoPath = dataDir ? join(dataDir, 'dynamodb') : undefined;
  // Without a data dir, S3 objects go to a temporary directory that stop() removes.
  const scratch = dataDir === undefined ? await mkdtemp(join(tmpdir(), 'dtks-s3-')) : undefined;
  const s3Path = join(dataDir ?? (scratch as string), S3_DIR);
  if (dynamoPath) mkdirSync(dynamoPath, { recursive: true });
  if (dataDir && existsSync(join(dataDir, 's3'))) {
    options.log?.(
      `${join(dataDir, 's3')} holds objects in s3rver's layout, which the local S3 no longer reads: they stay there until you remove the folder`,
    );
  }

  // createTableMs 0: tables are ACTIVE at once, as a fresh local environment should be. dynalite reads
  // a table's description from LevelDB at every request (local/dynamo-tables.ts keeps them in memory)
  // and has no transactions (local/dynamo-transactions.ts adds TransactWriteItems).
  const { server: dynamo, store } = dynaliteWithStore({
    path: dynamoPath,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  cacheTableDescriptions(store);
  addTransactions(dynamo, store);
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(options.dynamoPort ?? 0, '127.0.0.1', () => resolve());
  });
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  const closeDynamo = () => new Promise<void>((resolve) => dynamo.close(() => resolve()));

  let s3: S3Server;
  try {
    s3 = await startS3Server({ root: s3Path, port: options.s3Port ?? 0, region: options.region ?? LOCAL_AWS.region });
  } catch (error) {
    await closeDynamo();
    throw error;
  }

  return {
    dynamoEndpoint: `http://127.0.0.1:${dynamoPort}`,
    s3Endpoint: s3.endpoint,
    pid: process.pid,
    onObjectCreated: (listener) => s3.onObjectCreated(listener),
    flush: async () => undefined,
    async stop() {
      await Promise.all([closeDynamo(), s3.close()]);
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };
}
