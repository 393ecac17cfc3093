/**
 * DuckDB (@duckdb/node-api) as the independent reader of the exports: it shares no code with the
 * writer, so a file it reads as expected is a file Athena and analysts' tools can read too. It reads
 * local files only (httpfs would need an extension download, impossible offline).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type JS } from '@duckdb/node-api';
import type { ByteSink, WrittenObject } from '#shared/exports/object-sink.ts';

export interface Duck {
  rows(sql: string): Promise<Record<string, JS>[]>;
  close(): void;
}

export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    async rows(sql) {
      return (await connection.runAndReadAll(sql)).getRowObjectsJS();
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export interface TempDir {
  path: string;
  file(name: string, bytes: Uint8Array): Promise<string>;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'dtks-exports-test-'));
  return {
    path,
    async file(name, bytes) {
      const target = join(path, name);
      await writeFile(target, bytes);
      return target;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** A sink that keeps the file in memory (unit tests of the writers). */
export class MemorySink implements ByteSink {
  readonly chunks: Uint8Array[] = [];
  closed = false;
  aborted = false;

  constructor(readonly key = 'memory') {}

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
  }

  async close(): Promise<WrittenObject> {
    this.closed = true;
    const bytes = this.bytes();
    return { key: this.key, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  async abort(): Promise<void> {
    this.aborted = true;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
