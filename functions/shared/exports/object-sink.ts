/**
 * An export file written to S3 as a stream, with its SHA-256 and byte count computed on the way (the
 * manifest lists both, so an analyst can verify a download without trusting the listing).
 *
 * The bytes go through a multipart upload (@aws-sdk/lib-storage Upload): at most `queueSize` parts of
 * `partSize` bytes are held at once, whatever the file's size, and write() waits while the upload
 * catches up. A file smaller than one part is sent as a single PutObject.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** Where a writer's bytes go. */
export interface ByteSink {
  /** Resolves when the sink can take more (backpressure). The chunk must not be reused by the caller. */
  write(chunk: Uint8Array): Promise<void>;
  /** Completes the file. */
  close(): Promise<WrittenObject>;
  /** Gives the file up (an export that failed half-way leaves no partial object or multipart upload). */
  abort(): Promise<void>;
}

export interface WrittenObject {
  key: string;
  bytes: number;
  sha256: string;
}

// S3 multipart parts are at least 5 MiB (except the last); two 8 MiB parts in flight bound the memory.
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

export class S3ObjectSink implements ByteSink {
  private readonly stream = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly hash: Hash = createHash('sha256');
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;
  private failure: unknown;
  private bytes = 0;

  constructor(
    s3: S3Client,
    bucket: string,
    readonly key: string,
    contentType: string,
  ) {
    this.upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.stream, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // A failed upload removes its parts instead of leaving them billed in the bucket.
      leavePartsOnError: false,
    });
    this.done = this.upload.done();
    this.done.catch((error: unknown) => {
      this.failure = error;
      this.stream.destroy();
    });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.done]);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<WrittenObject> {
    if (this.failure) throw this.failure;
    this.stream.end();
    await this.done;
    return { key: this.key, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  async abort(): Promise<void> {
    await this.upload.abort().catch(() => undefined);
    this.stream.destroy();
    await this.done.catch(() => undefined);
  }
}
