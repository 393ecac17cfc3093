/**
 * Streaming S3 objects of the pipeline: staged rows (NDJSON, one ProposalRow per line), the accepted
 * rows after the check, return reports, change sets. Objects are written from a stream with
 * @aws-sdk/lib-storage Upload (multipart once past one part, so a file of any size is never held whole)
 * and read back line by line; memory stays at a part or two whatever the file size.
 */
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ProposalRow } from '#core/proposal.ts';

const SHORT_NUMBER = /^\d{1,2}$/;

/**
 * RT and RW as stored (staged rows, and so the accepted rows and the master): three digits, as
 * Kemendagri numbers them ("5" → "005"), so the same RT is one value everywhere. Only 1–2 digit values
 * are padded; anything else stays as written for the check to judge, so no result code changes (the
 * check takes 1–3 digits either way).
 */
export function storeRtRw(rows: ProposalRow[]): ProposalRow[] {
  for (const row of rows) {
    if (SHORT_NUMBER.test(row.rt)) row.rt = row.rt.padStart(3, '0');
    if (SHORT_NUMBER.test(row.rw)) row.rw = row.rw.padStart(3, '0');
  }
  return rows;
}

/** Rows per yielded batch when reading NDJSON. */
export const READ_BATCH = 1000;

/** An S3 object written as a stream: write() waits while the upload catches up (backpressure). */
export class S3ObjectWriter {
  private readonly stream = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly done: Promise<unknown>;
  private readonly upload: Upload;
  private failure: unknown;
  bytes = 0;

  constructor(s3: S3Client, bucket: string, key: string, contentType: string) {
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.stream, ContentType: contentType },
      // S3 multipart parts are at least 5 MiB; two in flight keep memory at ~16 MiB.
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
    });
    this.upload = upload;
    this.done = upload.done();
    this.done.catch((error: unknown) => {
      this.failure = error;
      this.stream.destroy();
    });
  }

  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (text === '') return;
    const chunk = Buffer.from(text, 'utf8');
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.done]);
    if (this.failure) throw this.failure;
  }

  /** Finishes the object; resolves when S3 has it. */
  async end(): Promise<void> {
    this.stream.end();
    await this.done;
  }

  /** Gives the object up: no object is created (a multipart upload already started is aborted). */
  async abort(): Promise<void> {
    await this.upload.abort().catch(() => undefined);
    this.stream.destroy();
    await this.done.catch(() => undefined);
  }
}

/** Writes NDJSON records as a stream. */
export class NdjsonWriter<T> {
  private readonly writer: S3ObjectWriter;
  records = 0;

  constructor(s3: S3Client, bucket: string, key: string) {
    this.writer = new S3ObjectWriter(s3, bucket, key, 'application/x-ndjson');
  }

  async write(records: readonly T[]): Promise<void> {
    let text = '';
    for (const record of records) text += `${JSON.stringify(record)}\n`;
    this.records += records.length;
    await this.writer.write(text);
  }

  get bytes(): number {
    return this.writer.bytes;
  }

  end(): Promise<void> {
    return this.writer.end();
  }

  abort(): Promise<void> {
    return this.writer.abort();
  }
}

/**
 * The object's body as a stream, from byte `start`, of version `versionId` if given (an upload's own
 * version, not a newer file under the same key); undefined when the object does not exist.
 */
export async function openObject(
  s3: S3Client,
  bucket: string,
  key: string,
  options: { start?: number; versionId?: string } = {},
): Promise<AsyncIterable<Uint8Array> | undefined> {
  const { start = 0, versionId } = options;
  try {
    const { Body } = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(versionId ? { VersionId: versionId } : {}),
        ...(start > 0 ? { Range: `bytes=${start}-` } : {}),
      }),
    );
    return Body as Readable | undefined;
  } catch (error) {
    const name = (error as Error).name;
    if (error instanceof NoSuchKey || name === 'NoSuchKey' || name === 'NoSuchVersion') return undefined;
    // A range starting at the end of the object: nothing left to read.
    if ((error as Error).name === 'InvalidRange') return emptyBody();
    throw error;
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** One line of an object with the byte offset just past it (where the next read may resume). */
export interface Line {
  text: string;
  end: number;
}

/** The non-empty lines of a byte stream; `start` is the byte offset of the stream's first byte. */
export async function* lines(body: AsyncIterable<Uint8Array>, start = 0): AsyncGenerator<Line> {
  let pending: Buffer = Buffer.alloc(0);
  let offset = start;
  for await (const chunk of body) {
    let data = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
    let from = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, from)) {
      const text = data.toString('utf8', from, newline);
      offset += newline + 1 - from;
      from = newline + 1;
      if (text.trim() !== '') yield { text, end: offset };
    }
    data = data.subarray(from);
    pending = data;
  }
  if (pending.length) {
    const text = pending.toString('utf8');
    offset += pending.length;
    if (text.trim() !== '') yield { text, end: offset };
  }
}

/** NDJSON records in batches. */
export async function* readNdjson<T>(body: AsyncIterable<Uint8Array>, batchSize = READ_BATCH): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const { text } of lines(body)) {
    batch.push(JSON.parse(text) as T);
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Reads staged or accepted rows of a proposal; undefined when the object is missing. */
export async function openRows(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<AsyncIterable<ProposalRow[]> | undefined> {
  const body = await openObject(s3, bucket, key);
  return body ? readNdjson<ProposalRow>(body) : undefined;
}

/** Writes a small text object at once (a one-line report, a summary). */
export async function putText(
  s3: S3Client,
  bucket: string,
  key: string,
  text: string,
  contentType: string,
): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: contentType }));
}

/** Every key under `prefix`, a listing page (up to 1,000 keys) at a time. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.add(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** A small JSON object read whole (a summary, a list), or undefined when there is none. */
export async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  const body = await openObject(s3, bucket, key);
  if (!body) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}
