/** Object operations: put, get, head, copy, delete (one or many). */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checksumHeader } from './checksums.ts';
import { notImplemented, S3Error } from './errors.ts';
import { type Exchange, header, objectFields, objectHeaders, sendEmpty, sendXml, versionHeader } from './exchange.ts';
import { decodePathSegment } from './keys.ts';
import { checkPayloadHeaders, declaredLength, receiveBody, receiveSmallBody } from './payload.ts';
import { type Bucket, etagsMatch, type StoredVersion, type WriteConditions } from './store.ts';
import { childrenNamed, childText, parseXml, type XmlChild } from './xml.ts';

/** The conditional-write headers of a PutObject, CopyObject or CompleteMultipartUpload. */
export function writeConditions(exchange: Exchange): WriteConditions {
  const ifNoneMatch = header(exchange, 'if-none-match');
  const ifMatch = header(exchange, 'if-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw notImplemented("If-None-Match on a write with anything but '*'");
  }
  return { ...(ifNoneMatch !== undefined ? { ifNoneMatch: '*' } : {}), ...(ifMatch !== undefined ? { ifMatch } : {}) };
}

/** Emits the object-created event of a committed version. */
export function announce(
  exchange: Exchange,
  bucket: Bucket,
  version: StoredVersion,
  reason: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload',
) {
  exchange.context.objectCreated({
    bucket: bucket.name,
    key: version.key,
    size: version.size,
    etag: version.etag.replaceAll('"', ''),
    ...(bucket.versioning ? { versionId: version.versionId } : {}),
    sequencer: version.seq.toString(16).toUpperCase().padStart(16, '0'),
    reason,
    time: version.lastModified,
  });
}

export async function putObject(exchange: Exchange): Promise<void> {
  const { store } = exchange.context;
  store.bucket(exchange.bucket);
  const conditions = writeConditions(exchange);
  const fields = objectFields(exchange);
  checkPayloadHeaders(exchange.request.headers);
  if (declaredLength(exchange.request.headers) === undefined && header(exchange, 'transfer-encoding') === undefined) {
    throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  // Fail before the body when the condition already fails; it is checked again at the commit.
  store.checkConditions(store.bucket(exchange.bucket), exchange.key, conditions);
  const path = store.temporaryPath();
  const body = await receiveBody(exchange.request, path);
  let version: StoredVersion;
  try {
    const bucket = store.bucket(exchange.bucket);
    version = store.commit(
      bucket,
      exchange.key,
      path,
      {
        ...fields,
        size: body.size,
        etag: `"${body.md5}"`,
        ...(body.checksum ? { checksum: { ...body.checksum, type: 'FULL_OBJECT' as const } } : {}),
      },
      conditions,
    );
    announce(exchange, bucket, version, 'PutObject');
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  sendEmpty(exchange, 200, {
    etag: version.etag,
    ...versionHeader(exchange, version),
    ...(version.checksum ? { [checksumHeader(version.checksum.algorithm)]: version.checksum.value } : {}),
  });
}

/** The version a GET, HEAD or copy names: ?versionId, or the current object. */
function selectVersion(
  exchange: Exchange,
  bucket: Bucket,
  versionId: string | null,
  key = exchange.key,
): StoredVersion {
  const { store } = exchange.context;
  if (versionId === null) return store.currentObject(bucket, key);
  const version = store.version(bucket, key, versionId);
  if (version.deleteMarker) {
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      fields: { Method: exchange.request.method ?? '', ResourceType: 'DeleteMarker' },
      headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': version.versionId, allow: 'DELETE' },
    });
  }
  return version;
}

/** If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), as RFC 7232 orders them. */
function readConditions(exchange: Exchange, version: StoredVersion): 304 | undefined {
  const modified = Math.floor(Date.parse(version.lastModified) / 1000);
  const since = (name: string) => {
    const value = header(exchange, name);
    const time = value === undefined ? Number.NaN : Date.parse(value);
    return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
  };
  const ifMatch = header(exchange, 'if-match');
  const ifNoneMatch = header(exchange, 'if-none-match');
  if (ifMatch !== undefined && !etagsMatch(ifMatch, version.etag)) throw preconditionFailed('If-Match');
  const unmodified = since('if-unmodified-since');
  if (ifMatch === undefined && unmodified !== undefined && modified > unmodified) {
    throw preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined && etagsMatch(ifNoneMatch, version.etag)) return 304;
  const modifiedSince = since('if-modified-since');
  if (ifNoneMatch === undefined && modifiedSince !== undefined && modified <= modifiedSince) return 304;
  return undefined;
}

const preconditionFailed = (condition: string) =>
  new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    fields: { Condition: condition },
  });

/** A single byte range (`bytes=a-b`, `a-`, `-n`); undefined for none or one S3 ignores. */
function byteRange(exchange: Exchange, size: number): { start: number; end: number } | undefined {
  const range = header(exchange, 'range');
  if (range === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  // Several ranges, or a malformed one: S3 (like RFC 9110 allows) answers the whole object.
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const unsatisfiable = () =>
    new S3Error('InvalidRange', 'The requested range is not satisfiable', {
      fields: { RangeRequested: range, ActualObjectSize: String(size) },
      headers: { 'content-range': `bytes */${size}` },
    });
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}

// Response header overrides a GET may ask for (presigned downloads use them).
const OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

export async function getObject(exchange: Exchange, head: boolean): Promise<void> {
  const { store } = exchange.context;
  const bucket = store.bucket(exchange.bucket);
  if (exchange.query.has('partNumber')) throw notImplemented('GetObject by partNumber');
  const version = selectVersion(exchange, bucket, exchange.query.get('versionId'));
  const range = byteRange(exchange, version.size);
  const headers = objectHeaders(exchange, version, range === undefined);
  if (readConditions(exchange, version) === 304) {
    const { etag, 'last-modified': lastModified } = headers;
    sendEmpty(exchange, 304, { etag: etag ?? '', 'last-modified': lastModified ?? '' });
    return;
  }
  for (const [parameter, name] of Object.entries(OVERRIDES)) {
    const value = exchange.query.get(parameter);
    if (value !== null) headers[name] = value;
  }
  const status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : version.size;
  headers['content-length'] = String(length);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${version.size}`;
  if (head || length === 0) {
    exchange.response.writeHead(status, headers);
    exchange.response.end();
    return;
  }
  const fd = store.open(bucket, version);
  const stream = createReadStream('', { fd, start: range?.start ?? 0, end: range?.end ?? version.size - 1 });
  exchange.response.writeHead(status, headers);
  try {
    await pipeline(stream, exchange.response);
  } catch {
    // The client went away mid-download: nothing to answer any more.
    stream.destroy();
  }
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded. */
function copySource(exchange: Exchange): { bucket: string; key: string; versionId: string | null } {
  const raw = header(exchange, 'x-amz-copy-source') ?? '';
  const [path = '', query = ''] = raw.split('?', 2);
  const decoded = decodePathSegment(path.startsWith('/') ? path.slice(1) : path);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  const versionId = new URLSearchParams(query).get('versionId');
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId };
}

export async function copyObject(exchange: Exchange): Promise<void> {
  const { store } = exchange.context;
  const target = store.bucket(exchange.bucket);
  for (const name of Object.keys(exchange.request.headers)) {
    if (name.startsWith('x-amz-copy-source-if-')) throw notImplemented(`CopyObject with ${name}`);
  }
  const source = copySource(exchange);
  const sourceBucket = store.bucket(source.bucket);
  const version = selectVersion(exchange, sourceBucket, source.versionId, source.key);
  const directive = (header(exchange, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', {
      fields: { ArgumentName: 'x-amz-metadata-directive' },
    });
  }
  if (
    directive === 'COPY' &&
    source.bucket === exchange.bucket &&
    source.key === exchange.key &&
    source.versionId === null
  ) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const conditions = writeConditions(exchange);
  await receiveSmallBody(exchange.request, 0);
  const fields =
    directive === 'REPLACE' ? objectFields(exchange) : { headers: version.headers, metadata: version.metadata };
  const path = store.temporaryPath();
  const md5 = createHash('md5');
  const fd = store.open(sourceBucket, version);
  try {
    await pipeline(
      createReadStream('', { fd }),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          callback(null, chunk);
        },
      }),
      createWriteStream(path),
    );
    const copy = store.commit(
      target,
      exchange.key,
      path,
      {
        ...fields,
        size: version.size,
        etag: `"${md5.digest('hex')}"`,
        // A whole-object checksum stays true of the same bytes; a composite one belongs to the parts.
        ...(version.checksum?.type === 'FULL_OBJECT' ? { checksum: version.checksum } : {}),
      },
      conditions,
    );
    announce(exchange, target, copy, 'CopyObject');
    exchange.response.setHeader('x-amz-copy-source-version-id', version.versionId);
    for (const [name, value] of Object.entries(versionHeader(exchange, copy))) exchange.response.setHeader(name, value);
    sendXml(exchange, 'CopyObjectResult', [
      ['ETag', copy.etag],
      ['LastModified', new Date(copy.lastModified)],
    ]);
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

/** One deletion, as DeleteObject and each entry of DeleteObjects do it. */
function deleteOne(exchange: Exchange, bucket: Bucket, key: string, versionId: string | undefined) {
  const { store } = exchange.context;
  if (versionId !== undefined) {
    const removed = store.deleteVersion(bucket, key, versionId);
    return { versionId, deleteMarker: removed?.deleteMarker === true };
  }
  const marker = store.deleteCurrent(bucket, key);
  return marker ? { versionId: marker.versionId, deleteMarker: true, markerCreated: true } : { deleteMarker: false };
}

export async function deleteObject(exchange: Exchange): Promise<void> {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  const versionId = exchange.query.get('versionId') ?? undefined;
  const result = deleteOne(exchange, bucket, exchange.key, versionId);
  const headers: Record<string, string> = {};
  if (result.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  if (result.versionId !== undefined) headers['x-amz-version-id'] = result.versionId;
  sendEmpty(exchange, 204, headers);
}

export async function deleteObjects(exchange: Exchange): Promise<void> {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  const document = parseXml((await receiveSmallBody(exchange.request)).toString('utf8'));
  const objects = document.name === 'Delete' ? childrenNamed(document, 'Object') : [];
  if (objects.length === 0 || objects.length > 1000) {
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  const quiet = childText(document, 'Quiet') === 'true';
  const results: XmlChild[] = [];
  for (const object of objects) {
    const key = object.children.find((c) => c.name === 'Key')?.text ?? '';
    const versionId = childText(object, 'VersionId');
    try {
      if (!key) throw new S3Error('InvalidArgument', 'A key is required.');
      const result = deleteOne(exchange, bucket, key, versionId);
      if (quiet) continue;
      results.push([
        'Deleted',
        [
          ['Key', key],
          ['VersionId', versionId],
          ['DeleteMarker', result.deleteMarker ? true : undefined],
          ['DeleteMarkerVersionId', 'markerCreated' in result ? result.versionId : undefined],
        ],
      ]);
    } catch (error) {
      const failure = error instanceof S3Error ? error : new S3Error('InternalError', String(error));
      results.push([
        'Error',
        [
          ['Key', key],
          ['VersionId', versionId],
          ['Code', failure.code],
          ['Message', failure.message],
        ],
      ]);
    }
  }
  sendXml(exchange, 'DeleteResult', results);
}
