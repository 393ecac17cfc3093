/** Bucket operations: create, delete, head, location, versioning, and the three listings. */
import { notImplemented, S3Error } from './errors.ts';
import { type Exchange, integerParameter, OWNER, sendEmpty, sendXml } from './exchange.ts';
import { compareKeys, isValidBucketName, urlEncodeKey } from './keys.ts';
import { type Listed, listObjects, listVersions } from './listing.ts';
import { receiveSmallBody } from './payload.ts';
import type { StoredVersion } from './store.ts';
import { childText, parseXml, type XmlChild, xmlDocument } from './xml.ts';

export function listBuckets(exchange: Exchange): void {
  const buckets: XmlChild[] = exchange.context.store.listBuckets().map((bucket) => [
    'Bucket',
    [
      ['Name', bucket.name],
      ['CreationDate', new Date(bucket.created)],
      ['BucketRegion', exchange.context.region],
    ],
  ]);
  sendXml(exchange, 'ListAllMyBucketsResult', [
    ['Buckets', buckets],
    ['Owner', OWNER],
  ]);
}

export async function createBucket(exchange: Exchange): Promise<void> {
  if (!isValidBucketName(exchange.bucket)) {
    throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', {
      fields: { BucketName: exchange.bucket },
    });
  }
  const body = (await receiveSmallBody(exchange.request)).toString('utf8');
  if (body.trim()) {
    const configuration = parseXml(body);
    if (configuration.name !== 'CreateBucketConfiguration') throw malformed();
  }
  exchange.context.store.createBucket(exchange.bucket);
  sendEmpty(exchange, 200, { location: `/${exchange.bucket}` });
}

export function deleteBucket(exchange: Exchange): void {
  exchange.context.store.deleteBucket(exchange.bucket);
  sendEmpty(exchange, 204);
}

export function headBucket(exchange: Exchange): void {
  exchange.context.store.bucket(exchange.bucket);
  sendEmpty(exchange, 200, { 'x-amz-bucket-region': exchange.context.region });
}

export function getBucketLocation(exchange: Exchange): void {
  exchange.context.store.bucket(exchange.bucket);
  // S3 writes the region as the root element's text: <LocationConstraint>ap-southeast-3</LocationConstraint>.
  const body = xmlDocument('LocationConstraint', []).replace(
    '></LocationConstraint>',
    `>${exchange.context.region}</LocationConstraint>`,
  );
  exchange.response.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  exchange.response.end(body);
}

export function getBucketVersioning(exchange: Exchange): void {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  sendXml(exchange, 'VersioningConfiguration', [['Status', bucket.versioning]]);
}

const malformed = () =>
  new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

export async function putBucketVersioning(exchange: Exchange): Promise<void> {
  exchange.context.store.bucket(exchange.bucket);
  const configuration = parseXml((await receiveSmallBody(exchange.request)).toString('utf8'));
  if (configuration.name !== 'VersioningConfiguration') throw malformed();
  const status = childText(configuration, 'Status');
  if (childText(configuration, 'MfaDelete') === 'Enabled') throw notImplemented('MFA delete');
  if (status !== 'Enabled' && status !== 'Suspended') throw malformed();
  exchange.context.store.setVersioning(exchange.bucket, status);
  sendEmpty(exchange, 200);
}

function encodingOf(exchange: Exchange): ((text: string) => string) | undefined {
  const encoding = exchange.query.get('encoding-type');
  if (encoding === null) return undefined;
  if (encoding !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request');
  return urlEncodeKey;
}

const maxKeys = (exchange: Exchange, name = 'max-keys') => Math.min(integerParameter(exchange, name, 1000), 1000);

function contents(object: StoredVersion, encode: (text: string) => string, owner: boolean): XmlChild {
  return [
    'Contents',
    [
      ['Key', encode(object.key)],
      ['LastModified', new Date(object.lastModified)],
      ['ETag', object.etag],
      ...(object.checksum ? ([['ChecksumAlgorithm', object.checksum.algorithm]] as XmlChild[]) : []),
      ['Size', object.size],
      ...(owner ? ([['Owner', OWNER]] as XmlChild[]) : []),
      ['StorageClass', 'STANDARD'],
    ],
  ];
}

function listedElements(entries: Listed[], encode: (text: string) => string, owner: boolean): XmlChild[] {
  const objects: XmlChild[] = [];
  const prefixes: XmlChild[] = [];
  for (const entry of entries) {
    if ('object' in entry) objects.push(contents(entry.object, encode, owner));
    else prefixes.push(['CommonPrefixes', [['Prefix', encode(entry.prefix)]]]);
  }
  return [...objects, ...prefixes];
}

const lastOf = (entries: Listed[]) => {
  const last = entries.at(-1);
  return last === undefined ? undefined : 'object' in last ? last.object.key : last.prefix;
};

// Continuation tokens are opaque to clients; here they carry the last key or prefix listed.
const TOKEN_PREFIX = 'dtks-s3-v1:';
const encodeToken = (last: string) => Buffer.from(`${TOKEN_PREFIX}${last}`, 'utf8').toString('base64url');

function decodeToken(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!text.startsWith(TOKEN_PREFIX)) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
      fields: { ArgumentName: 'continuation-token' },
    });
  }
  return text.slice(TOKEN_PREFIX.length);
}

export function listObjectsV2(exchange: Exchange): void {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  const encoder = encodingOf(exchange);
  const encode = encoder ?? ((text: string) => text);
  const prefix = exchange.query.get('prefix') ?? '';
  const delimiter = exchange.query.get('delimiter') || undefined;
  const token = exchange.query.get('continuation-token');
  const startAfter = exchange.query.get('start-after') ?? undefined;
  const max = maxKeys(exchange);
  const marker = token !== null ? decodeToken(token) : startAfter;
  const page = listObjects(bucket, { prefix, delimiter, marker, maxKeys: max });
  const last = lastOf(page.entries);
  sendXml(exchange, 'ListBucketResult', [
    ['Name', bucket.name],
    ['Prefix', encode(prefix)],
    ['Delimiter', delimiter === undefined ? undefined : encode(delimiter)],
    ['MaxKeys', max],
    ['EncodingType', encoder ? 'url' : undefined],
    ['KeyCount', page.entries.length],
    ['IsTruncated', page.truncated],
    ['ContinuationToken', token ?? undefined],
    ['NextContinuationToken', page.truncated && last !== undefined ? encodeToken(last) : undefined],
    ['StartAfter', startAfter === undefined ? undefined : encode(startAfter)],
    ...listedElements(page.entries, encode, exchange.query.get('fetch-owner') === 'true'),
  ]);
}

export function listObjectsV1(exchange: Exchange): void {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  const encoder = encodingOf(exchange);
  const encode = encoder ?? ((text: string) => text);
  const prefix = exchange.query.get('prefix') ?? '';
  const delimiter = exchange.query.get('delimiter') || undefined;
  const marker = exchange.query.get('marker') ?? '';
  const max = maxKeys(exchange);
  const page = listObjects(bucket, { prefix, delimiter, marker: marker || undefined, maxKeys: max });
  const last = lastOf(page.entries);
  sendXml(exchange, 'ListBucketResult', [
    ['Name', bucket.name],
    ['Prefix', encode(prefix)],
    ['Marker', encode(marker)],
    // S3 answers NextMarker only with a delimiter; without one the client resumes after the last key.
    ['NextMarker', page.truncated && delimiter !== undefined && last !== undefined ? encode(last) : undefined],
    ['MaxKeys', max],
    ['Delimiter', delimiter === undefined ? undefined : encode(delimiter)],
    ['EncodingType', encoder ? 'url' : undefined],
    ['IsTruncated', page.truncated],
    ...listedElements(page.entries, encode, true),
  ]);
}

export function listObjectVersions(exchange: Exchange): void {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  const encoder = encodingOf(exchange);
  const encode = encoder ?? ((text: string) => text);
  const prefix = exchange.query.get('prefix') ?? '';
  const delimiter = exchange.query.get('delimiter') || undefined;
  const keyMarker = exchange.query.get('key-marker') ?? '';
  const versionIdMarker = exchange.query.get('version-id-marker') ?? '';
  if (versionIdMarker && !keyMarker) {
    throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.');
  }
  const max = maxKeys(exchange);
  const page = listVersions(bucket, {
    prefix,
    delimiter,
    marker: keyMarker || undefined,
    versionIdMarker: versionIdMarker || undefined,
    maxKeys: max,
  });
  const elements: XmlChild[] = [];
  const prefixes: XmlChild[] = [];
  for (const entry of page.entries) {
    if ('prefix' in entry) {
      prefixes.push(['CommonPrefixes', [['Prefix', encode(entry.prefix)]]]);
      continue;
    }
    const { version, isLatest } = entry;
    const common: XmlChild[] = [
      ['Key', encode(version.key)],
      ['VersionId', version.versionId],
      ['IsLatest', isLatest],
      ['LastModified', new Date(version.lastModified)],
    ];
    elements.push(
      version.deleteMarker
        ? ['DeleteMarker', [...common, ['Owner', OWNER]]]
        : [
            'Version',
            [
              ...common,
              ['ETag', version.etag],
              ...(version.checksum ? ([['ChecksumAlgorithm', version.checksum.algorithm]] as XmlChild[]) : []),
              ['Size', version.size],
              ['Owner', OWNER],
              ['StorageClass', 'STANDARD'],
            ],
          ],
    );
  }
  const last = page.entries.at(-1);
  const next =
    page.truncated && last !== undefined
      ? 'prefix' in last
        ? { key: last.prefix, version: undefined }
        : { key: last.version.key, version: last.version.versionId }
      : undefined;
  sendXml(exchange, 'ListVersionsResult', [
    ['Name', bucket.name],
    ['Prefix', encode(prefix)],
    ['KeyMarker', encode(keyMarker)],
    ['VersionIdMarker', versionIdMarker],
    ['NextKeyMarker', next ? encode(next.key) : undefined],
    ['NextVersionIdMarker', next?.version],
    ['MaxKeys', max],
    ['Delimiter', delimiter === undefined ? undefined : encode(delimiter)],
    ['EncodingType', encoder ? 'url' : undefined],
    ['IsTruncated', page.truncated],
    ...elements,
    ...prefixes,
  ]);
}

export function listMultipartUploads(exchange: Exchange): void {
  const bucket = exchange.context.store.bucket(exchange.bucket);
  if (exchange.query.get('delimiter')) throw notImplemented('ListMultipartUploads with a delimiter');
  const encoder = encodingOf(exchange);
  const encode = encoder ?? ((text: string) => text);
  const prefix = exchange.query.get('prefix') ?? '';
  const keyMarker = exchange.query.get('key-marker') ?? '';
  const uploadIdMarker = exchange.query.get('upload-id-marker') ?? '';
  const max = maxKeys(exchange, 'max-uploads');
  const all = [...bucket.uploads.values()]
    .filter((upload) => upload.key.startsWith(prefix))
    .sort(
      (a, b) =>
        compareKeys(a.key, b.key) || a.initiated.localeCompare(b.initiated) || a.uploadId.localeCompare(b.uploadId),
    );
  let start = 0;
  if (keyMarker) {
    start = all.findIndex((u) =>
      uploadIdMarker
        ? compareKeys(u.key, keyMarker) > 0 || (u.key === keyMarker && u.uploadId > uploadIdMarker)
        : compareKeys(u.key, keyMarker) > 0,
    );
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + max);
  const truncated = start + max < all.length;
  const last = page.at(-1);
  sendXml(exchange, 'ListMultipartUploadsResult', [
    ['Bucket', bucket.name],
    ['KeyMarker', encode(keyMarker)],
    ['UploadIdMarker', uploadIdMarker],
    ['NextKeyMarker', truncated && last ? encode(last.key) : undefined],
    ['NextUploadIdMarker', truncated && last ? last.uploadId : undefined],
    ['Prefix', encode(prefix)],
    ['MaxUploads', max],
    ['EncodingType', encoder ? 'url' : undefined],
    ['IsTruncated', truncated],
    ...page.map(
      (upload): XmlChild => [
        'Upload',
        [
          ['Key', encode(upload.key)],
          ['UploadId', upload.uploadId],
          ['Initiator', OWNER],
          ['Owner', OWNER],
          ['StorageClass', 'STANDARD'],
          ['Initiated', new Date(upload.initiated)],
          ...(upload.checksumAlgorithm ? ([['ChecksumAlgorithm', upload.checksumAlgorithm]] as XmlChild[]) : []),
        ],
      ],
    ),
  ]);
}
