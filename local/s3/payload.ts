/**
 * Request bodies as S3 receives them, streamed (an object can be hundreds of MB: nothing here holds
 * more than one chunk in memory).
 *
 * The payload's form is told by `x-amz-content-sha256`:
 * - a hex SHA-256 (verified: XAmzContentSHA256Mismatch) or `UNSIGNED-PAYLOAD`: the body as sent;
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`, `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (what SDK v3
 *   ≥ 3.729 sends by default) and the ECDSA variants: `Content-Encoding: aws-chunked` framing,
 *   `<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0[;…]\r\n[<trailer>:<value>\r\n…]\r\n`, whose
 *   decoded length must be `x-amz-decoded-content-length`.
 * Chunk and trailer signatures are read but not verified: the local S3 accepts any credentials, so
 * it has no secret to verify them with. Content-MD5 (BadDigest / InvalidDigest) and every
 * x-amz-checksum-* value, in a header or a trailer, are verified against the bytes received.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Checksum,
  type ChecksumAlgorithm,
  checksumAlgorithmOf,
  checksumHeader,
  createChecksum,
} from './checksums.ts';
import { S3Error } from './errors.ts';

/** S3's limit for one PUT (larger objects are multipart uploads). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

const STREAMING =
  /^STREAMING-(AWS4-HMAC-SHA256-PAYLOAD|AWS4-ECDSA-P256-SHA256-PAYLOAD|UNSIGNED-PAYLOAD-TRAILER|AWS4-HMAC-SHA256-PAYLOAD-TRAILER|AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER)$/;
const MAX_CHUNK_LINE = 8 * 1024;

export interface ReceivedBody {
  size: number;
  /** Hex MD5 of the decoded bytes (the ETag of a single-part object). */
  md5: string;
  /** The checksum the client sent and that matched, if any. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** Whether the body uses aws-chunked framing (and so has a decoded length of its own). */
function isChunked(headers: IncomingHttpHeaders): boolean {
  const sha = header(headers, 'x-amz-content-sha256') ?? '';
  return STREAMING.test(sha);
}

/** The length of the object the body carries, from the headers (undefined when the client sent none). */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = isChunked(headers) ? header(headers, 'x-amz-decoded-content-length') : header(headers, 'content-length');
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', `Invalid length: ${raw}`);
  return Number(raw);
}

/** Decodes aws-chunked framing, collecting the trailers (x-amz-checksum-*) it ends with. */
export class AwsChunkedDecoder extends Transform {
  readonly trailers = new Map<string, string>();
  decoded = 0;
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private line = '';
  private remaining = 0;
  private pendingCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let at = 0;
      while (at < chunk.length) {
        if (this.state === 'data') {
          const take = Math.min(this.remaining, chunk.length - at);
          this.push(chunk.subarray(at, at + take));
          this.decoded += take;
          this.remaining -= take;
          at += take;
          if (this.remaining === 0) this.state = 'data-end';
          continue;
        }
        if (this.state === 'done') {
          if (chunk.subarray(at).some((byte) => byte !== 0x0d && byte !== 0x0a))
            throw incomplete('data after the final chunk');
          break;
        }
        // Line-oriented states: size lines, the CRLF after data, trailer lines.
        const byte = chunk[at++] as number;
        if (this.pendingCr) {
          this.pendingCr = false;
          if (byte !== 0x0a) throw incomplete('a chunk line not ended by CRLF');
          this.endLine();
          continue;
        }
        if (byte === 0x0d) {
          this.pendingCr = true;
          continue;
        }
        if (byte === 0x0a) throw incomplete('a chunk line not ended by CRLF');
        this.line += String.fromCharCode(byte);
        if (this.line.length > MAX_CHUNK_LINE) throw incomplete('a chunk line longer than 8 KiB');
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private endLine(): void {
    const line = this.line;
    this.line = '';
    if (this.state === 'data-end') {
      if (line !== '') throw incomplete('chunk data longer than its declared size');
      this.state = 'size';
      return;
    }
    if (this.state === 'size') {
      const size = /^([0-9a-fA-F]{1,16})(;.*)?$/.exec(line);
      if (!size) throw incomplete(`a malformed chunk size line "${line.slice(0, 80)}"`);
      this.remaining = Number.parseInt(size[1] ?? '', 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
      return;
    }
    // Trailer lines until the empty line that ends the body.
    if (line === '') {
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw incomplete(`a malformed trailer "${line.slice(0, 80)}"`);
    this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'done') callback(incomplete('the body ended before its final chunk'));
    else callback();
  }
}

const incomplete = (what: string) =>
  new S3Error('IncompleteBody', `The request body is not valid aws-chunked encoding: ${what}`);

/** Hashes what passes through it: MD5 always, SHA-256 and one checksum when asked. */
class Digests extends Transform {
  readonly md5 = createHash('md5');
  readonly sha256 = createHash('sha256');
  size = 0;

  constructor(
    private readonly withSha256: boolean,
    readonly checksum: Checksum | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    this.md5.update(chunk);
    if (this.withSha256) this.sha256.update(chunk);
    this.checksum?.update(chunk);
    callback(null, chunk);
  }
}

/** The checksum algorithm the request names (a checksum header, a declared trailer, or the SDK's hint). */
export function requestedChecksum(headers: IncomingHttpHeaders): ChecksumAlgorithm | undefined {
  for (const name of Object.keys(headers)) {
    if (
      name.startsWith('x-amz-checksum-') &&
      !['x-amz-checksum-type', 'x-amz-checksum-algorithm', 'x-amz-checksum-mode'].includes(name)
    ) {
      const algorithm = checksumAlgorithmOf(name);
      if (!algorithm) throw new S3Error('InvalidRequest', `Unknown checksum header ${name}`);
      return algorithm;
    }
  }
  const trailer = header(headers, 'x-amz-trailer');
  if (trailer) {
    const algorithm = checksumAlgorithmOf(trailer.trim());
    if (!algorithm) throw new S3Error('InvalidRequest', `Unsupported trailer ${trailer}`);
    return algorithm;
  }
  const hint = header(headers, 'x-amz-sdk-checksum-algorithm');
  if (hint) {
    const algorithm = checksumAlgorithmOf(hint);
    if (!algorithm) throw new S3Error('InvalidRequest', `Unsupported checksum algorithm ${hint}`);
    return algorithm;
  }
  return undefined;
}

/** Checks the payload headers before any byte is read, so a refused request costs nothing. */
export function checkPayloadHeaders(headers: IncomingHttpHeaders): void {
  const sha = header(headers, 'x-amz-content-sha256');
  if (sha !== undefined && sha !== 'UNSIGNED-PAYLOAD' && !STREAMING.test(sha) && !/^[0-9a-f]{64}$/.test(sha)) {
    throw new S3Error(
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-…-PAYLOAD[-TRAILER], or a valid sha256 value.',
    );
  }
  if (isChunked(headers) && header(headers, 'x-amz-decoded-content-length') === undefined) {
    throw new S3Error('MissingContentLength', 'You must provide the x-amz-decoded-content-length header.');
  }
  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined && Buffer.from(md5, 'base64').length !== 16) {
    throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.');
  }
  const length = declaredLength(headers);
  if (length !== undefined && length > MAX_PUT_BYTES) {
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
  }
  requestedChecksum(headers);
}

/**
 * Receives a request body into `sink` (a file path, written and removed again if anything fails, or a
 * Writable), decoding aws-chunked framing and verifying every digest the client sent.
 */
export async function receiveBody(
  request: IncomingMessage,
  sink: string | Writable,
  { objectChecksums = true } = {},
): Promise<ReceivedBody> {
  const headers = request.headers;
  checkPayloadHeaders(headers);
  const sha = header(headers, 'x-amz-content-sha256');
  // CompleteMultipartUpload's x-amz-checksum-* headers are the object's checksum, not its body's.
  const algorithm = objectChecksums ? requestedChecksum(headers) : undefined;
  const decoder = isChunked(headers) ? new AwsChunkedDecoder() : undefined;
  const digests = new Digests(
    sha !== undefined && /^[0-9a-f]{64}$/.test(sha),
    algorithm ? createChecksum(algorithm) : undefined,
  );
  const target = typeof sink === 'string' ? createWriteStream(sink) : sink;
  try {
    if (decoder) await pipeline(request, decoder, digests, target);
    else await pipeline(request, digests, target);
    const expected = declaredLength(headers);
    if (expected !== undefined && digests.size !== expected) {
      throw new S3Error(
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header.',
      );
    }
    const md5 = digests.md5.digest();
    const contentMd5 = header(headers, 'content-md5');
    if (contentMd5 !== undefined && !Buffer.from(contentMd5, 'base64').equals(md5)) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    if (sha !== undefined && /^[0-9a-f]{64}$/.test(sha) && digests.sha256.digest('hex') !== sha) {
      throw new S3Error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    let checksum: ReceivedBody['checksum'];
    if (algorithm && digests.checksum) {
      const name = checksumHeader(algorithm);
      const sent = header(headers, name) ?? decoder?.trailers.get(name);
      const computed = digests.checksum.digest();
      if (sent !== undefined && sent !== computed) {
        throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
      }
      checksum = { algorithm, value: computed };
    }
    return { size: digests.size, md5: md5.toString('hex'), ...(checksum ? { checksum } : {}) };
  } catch (error) {
    if (typeof sink === 'string') await rm(sink, { force: true });
    throw error;
  }
}

/** Reads a small body (an XML document) into memory, refusing one larger than `limit` bytes. */
export async function receiveSmallBody(
  request: IncomingMessage,
  limit = 2 * 1024 * 1024,
  options: { objectChecksums?: boolean } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) callback(new S3Error('MaxMessageLengthExceeded', 'Your request was too big.'));
      else {
        chunks.push(chunk);
        callback();
      }
    },
  });
  await receiveBody(request, collect, options);
  return Buffer.concat(chunks);
}
