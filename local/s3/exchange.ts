/**
 * One S3 request and its answer, as every operation sees them: the decoded bucket, key and query, the
 * store, and the helpers that write S3's responses (XML documents, object headers, errors).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checksumHeader } from './checksums.ts';
import { S3Error } from './errors.ts';
import type { ObjectStore, StoredVersion } from './store.ts';
import { type XmlChild, xmlDocument } from './xml.ts';

/** What the server reports when an object is created (local/events.ts turns it into EventBridge's event). */
export interface ObjectCreated {
  bucket: string;
  /** The key as stored: plain text, never URL-encoded. */
  key: string;
  size: number;
  /** Without quotes, as S3 events carry it. */
  etag: string;
  /** Absent in a bucket that was never versioned. */
  versionId?: string;
  /** Orders the events of one key, as S3's sequencer does. */
  sequencer: string;
  reason: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload';
  time: string;
}

export interface ServerContext {
  store: ObjectStore;
  region: string;
  /** http://host:port, for the Location of a completed upload. */
  endpoint(): string;
  objectCreated(event: ObjectCreated): void;
}

export interface Exchange {
  context: ServerContext;
  request: IncomingMessage;
  response: ServerResponse;
  bucket: string;
  key: string;
  query: URLSearchParams;
}

/** The canonical owner of everything in the local S3. */
export const OWNER: XmlChild[] = [
  ['ID', '6c6f63616c2d647470732d6f776e6572000000000000000000000000000000aa'],
  ['DisplayName', 'local'],
];

export function header(exchange: Exchange, name: string): string | undefined {
  const value = exchange.request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function sendXml(exchange: Exchange, root: string, children: readonly XmlChild[], status = 200): void {
  const body = xmlDocument(root, children);
  exchange.response.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  exchange.response.end(body);
}

export function sendEmpty(exchange: Exchange, status: number, headers: Record<string, string> = {}): void {
  exchange.response.writeHead(status, { ...headers, 'content-length': '0' });
  exchange.response.end();
}

/** S3 answers the version id of objects in a bucket that is (or was) versioned. */
export function versionHeader(exchange: Exchange, version: StoredVersion): Record<string, string> {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  return bucket.versioning ? { 'x-amz-version-id': version.versionId } : {};
}

/** The query's value, or InvalidArgument when it is not an integer in [min, max]. */
export function integerParameter(
  exchange: Exchange,
  name: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  const raw = exchange.query.get(name);
  if (raw === null) return fallback;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, {
      fields: { ArgumentName: name, ArgumentValue: raw },
    });
  }
  return Number(raw);
}

// Headers S3 stores with an object and answers as they were sent.
const STORED_HEADERS = [
  'content-type',
  'content-disposition',
  'content-encoding',
  'content-language',
  'cache-control',
  'expires',
];

/** The representation headers and user metadata of a PutObject / CreateMultipartUpload request. */
export function objectFields(exchange: Exchange): {
  headers: Record<string, string>;
  metadata: Record<string, string>;
} {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = header(exchange, name);
    if (name === 'content-encoding' && value !== undefined) {
      // aws-chunked is the transfer framing, not the object's encoding.
      value = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v && v !== 'aws-chunked')
        .join(',');
    }
    if (value) headers[name] = value;
  }
  headers['content-type'] ??= 'binary/octet-stream';
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(exchange.request.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  const size = Object.entries(metadata).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > 2048) {
    throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', {
      fields: { MaxSizeAllowed: '2048', Size: String(size) },
    });
  }
  return { headers, metadata };
}

/** The headers of a GET or HEAD of an object version. */
export function objectHeaders(
  exchange: Exchange,
  version: StoredVersion,
  withChecksum: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {
    ...version.headers,
    etag: version.etag,
    'last-modified': new Date(version.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    ...versionHeader(exchange, version),
  };
  for (const [name, value] of Object.entries(version.metadata)) headers[`x-amz-meta-${name}`] = value;
  if (withChecksum && version.checksum && header(exchange, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
    headers[checksumHeader(version.checksum.algorithm)] = version.checksum.value;
    headers['x-amz-checksum-type'] = version.checksum.type;
  }
  return headers;
}

/** The ChecksumXXX element of a response document. */
export function checksumElements(checksum: StoredVersion['checksum']): XmlChild[] {
  if (!checksum) return [];
  const name = `Checksum${checksum.algorithm}`;
  return [
    [name, checksum.value],
    ['ChecksumType', checksum.type],
  ];
}
