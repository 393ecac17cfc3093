/**
 * Multipart uploads (what lib-storage's Upload and `aws s3 cp` of a large file use): create, upload
 * parts, list them, complete, abort. Parts are files of their own until CompleteMultipartUpload
 * streams them, in order, into the object; its ETag is S3's: the MD5 of the parts' binary MD5s,
 * then `-<number of parts>`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { checksumAlgorithmOf, checksumHeader, createChecksum } from './checksums.ts';
import { S3Error } from './errors.ts';
import {
  type Exchange,
  header,
  integerParameter,
  OWNER,
  objectFields,
  sendEmpty,
  sendXml,
  versionHeader,
} from './exchange.ts';
import { announce, writeConditions } from './objects.ts';
import { receiveBody, receiveSmallBody } from './payload.ts';
import { etagsMatch, type StoredVersion } from './store.ts';
import { childrenNamed, childText, parseXml, type XmlChild } from './xml.ts';

/** S3's minimum part size, for every part but the last. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

export async function createMultipartUpload(exchange: Exchange): Promise<void> {
  const { store } = exchange.context;
  const bucket = store.bucket(exchange.bucket);
  const fields = objectFields(exchange);
  const requested = header(exchange, 'x-amz-checksum-algorithm');
  const checksumAlgorithm = requested ? checksumAlgorithmOf(requested) : undefined;
  if (requested && !checksumAlgorithm)
    throw new S3Error('InvalidRequest', `Unsupported checksum algorithm ${requested}`);
  const type = (header(exchange, 'x-amz-checksum-type') ?? '').toUpperCase();
  if (type !== '' && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') {
    throw new S3Error('InvalidRequest', `Unknown checksum type ${type}`);
  }
  // S3's defaults: CRC64NVME is always a full-object checksum, the others composite.
  const checksumType = checksumAlgorithm
    ? ((type || (checksumAlgorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE')) as 'COMPOSITE' | 'FULL_OBJECT')
    : undefined;
  if (checksumType === 'FULL_OBJECT' && (checksumAlgorithm === 'SHA1' || checksumAlgorithm === 'SHA256')) {
    throw new S3Error(
      'InvalidRequest',
      `The FULL_OBJECT checksum type cannot be used with the ${checksumAlgorithm} algorithm.`,
    );
  }
  if (checksumType === 'COMPOSITE' && checksumAlgorithm === 'CRC64NVME') {
    throw new S3Error('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the CRC64NVME algorithm.');
  }
  await receiveSmallBody(exchange.request, 0);
  const upload = store.createUpload(bucket, {
    key: exchange.key,
    ...fields,
    ...(checksumAlgorithm && checksumType ? { checksumAlgorithm, checksumType } : {}),
  });
  if (checksumAlgorithm && checksumType) {
    exchange.response.setHeader('x-amz-checksum-algorithm', checksumAlgorithm);
    exchange.response.setHeader('x-amz-checksum-type', checksumType);
  }
  sendXml(exchange, 'InitiateMultipartUploadResult', [
    ['Bucket', bucket.name],
    ['Key', exchange.key],
    ['UploadId', upload.uploadId],
  ]);
}

export async function uploadPart(exchange: Exchange): Promise<void> {
  const { store } = exchange.context;
  if (header(exchange, 'x-amz-copy-source') !== undefined) {
    throw new S3Error(
      'NotImplemented',
      'UploadPartCopy is not supported by the local S3 (local/s3/README.md lists what is)',
    );
  }
  const bucket = store.bucket(exchange.bucket);
  const partNumber = integerParameter(exchange, 'partNumber', 0, { min: 1, max: 10_000 });
  const upload = store.upload(bucket, exchange.key, exchange.query.get('uploadId') ?? '');
  const path = store.temporaryPath();
  const body = await receiveBody(exchange.request, path);
  try {
    store.commitPart(bucket, upload, path, {
      partNumber,
      etag: `"${body.md5}"`,
      size: body.size,
      lastModified: new Date().toISOString(),
      ...(body.checksum ? { checksum: body.checksum } : {}),
    });
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  sendEmpty(exchange, 200, {
    etag: `"${body.md5}"`,
    ...(body.checksum ? { [checksumHeader(body.checksum.algorithm)]: body.checksum.value } : {}),
  });
}

export function listParts(exchange: Exchange): void {
  const { store } = exchange.context;
  const bucket = store.bucket(exchange.bucket);
  const upload = store.upload(bucket, exchange.key, exchange.query.get('uploadId') ?? '');
  const marker = integerParameter(exchange, 'part-number-marker', 0);
  const max = Math.min(integerParameter(exchange, 'max-parts', 1000), 1000);
  const all = [...upload.parts.values()]
    .filter((p) => p.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, max);
  const truncated = all.length > max;
  sendXml(exchange, 'ListPartsResult', [
    ['Bucket', bucket.name],
    ['Key', upload.key],
    ['UploadId', upload.uploadId],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', page.at(-1)?.partNumber ?? marker],
    ['MaxParts', max],
    ['IsTruncated', truncated],
    ...page.map(
      (part): XmlChild => [
        'Part',
        [
          ['PartNumber', part.partNumber],
          ['LastModified', new Date(part.lastModified)],
          ['ETag', part.etag],
          ...(part.checksum ? ([[`Checksum${part.checksum.algorithm}`, part.checksum.value]] as XmlChild[]) : []),
          ['Size', part.size],
        ],
      ],
    ),
    ['Initiator', OWNER],
    ['Owner', OWNER],
    ['StorageClass', 'STANDARD'],
    ...(upload.checksumAlgorithm ? ([['ChecksumAlgorithm', upload.checksumAlgorithm]] as XmlChild[]) : []),
  ]);
}

export async function abortMultipartUpload(exchange: Exchange): Promise<void> {
  const { store } = exchange.context;
  const bucket = store.bucket(exchange.bucket);
  const upload = store.upload(bucket, exchange.key, exchange.query.get('uploadId') ?? '');
  store.removeUpload(bucket, upload);
  sendEmpty(exchange, 204);
}

const invalidPart = () =>
  new S3Error(
    'InvalidPart',
    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  );

export async function completeMultipartUpload(exchange: Exchange): Promise<void> {
  const { store } = exchange.context;
  const bucket = store.bucket(exchange.bucket);
  const upload = store.upload(bucket, exchange.key, exchange.query.get('uploadId') ?? '');
  const conditions = writeConditions(exchange);
  const body = await receiveSmallBody(exchange.request, undefined, { objectChecksums: false });
  const document = parseXml(body.toString('utf8'));
  if (document.name !== 'CompleteMultipartUpload') {
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  const requested = childrenNamed(document, 'Part').map((part) => ({
    partNumber: Number(childText(part, 'PartNumber')),
    etag: childText(part, 'ETag') ?? '',
    checksums: part.children
      .filter((child) => child.name.startsWith('Checksum'))
      .map((child) => ({ algorithm: child.name.slice('Checksum'.length), value: child.text.trim() })),
  }));
  if (requested.length === 0) throw new S3Error('InvalidRequest', 'You must specify at least one part');
  const parts = requested.map((wanted, i) => {
    const previous = requested[i - 1];
    if (previous && wanted.partNumber <= previous.partNumber) {
      throw new S3Error(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
      );
    }
    const part = upload.parts.get(wanted.partNumber);
    if (!part || !etagsMatch(wanted.etag, part.etag)) throw invalidPart();
    // A part checksum named in the request must be the one the part was uploaded with.
    for (const checksum of wanted.checksums) {
      if (part.checksum?.algorithm !== checksum.algorithm || part.checksum.value !== checksum.value)
        throw invalidPart();
    }
    return part;
  });
  parts.slice(0, -1).forEach((part) => {
    if (part.size < MIN_PART_BYTES) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
        fields: {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_BYTES),
          PartNumber: String(part.partNumber),
        },
      });
    }
  });
  store.checkConditions(bucket, exchange.key, conditions);
  if (upload.completing) throw invalidPart();
  upload.completing = true;
  const path = store.temporaryPath();
  try {
    const algorithm = upload.checksumAlgorithm;
    // A full-object checksum is computed over the bytes as they are assembled.
    const whole = algorithm && upload.checksumType === 'FULL_OBJECT' ? createChecksum(algorithm) : undefined;
    // The parts one after the other into one file, in a single pipeline: one pipeline per part into the same
    // file (end: false) would leave each part's listeners on it, thousands for a 10,000-part upload.
    async function* assembled() {
      for (const part of parts) {
        for await (const chunk of createReadStream(store.partPath(bucket, upload, part.partNumber))) {
          whole?.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      }
    }
    await pipeline(assembled, createWriteStream(path));
    const etag = createHash('md5');
    for (const part of parts) etag.update(Buffer.from(part.etag.replaceAll('"', ''), 'hex'));
    let checksum: StoredVersion['checksum'];
    if (algorithm && whole) {
      const value = whole.digest();
      const sent = header(exchange, checksumHeader(algorithm));
      if (sent !== undefined && sent !== value) {
        throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
      }
      checksum = { algorithm, value, type: 'FULL_OBJECT' };
    } else if (algorithm && parts.every((part) => part.checksum?.algorithm === algorithm)) {
      const composite = createChecksum(algorithm);
      for (const part of parts) composite.update(Buffer.from(part.checksum?.value ?? '', 'base64'));
      checksum = { algorithm, value: `${composite.digest()}-${parts.length}`, type: 'COMPOSITE' };
    }
    const version = store.commit(
      bucket,
      exchange.key,
      path,
      {
        headers: upload.headers,
        metadata: upload.metadata,
        size: parts.reduce((sum, part) => sum + part.size, 0),
        etag: `"${etag.digest('hex')}-${parts.length}"`,
        partsCount: parts.length,
        ...(checksum ? { checksum } : {}),
      },
      conditions,
    );
    store.removeUpload(bucket, upload);
    announce(exchange, bucket, version, 'CompleteMultipartUpload');
    for (const [name, value] of Object.entries(versionHeader(exchange, version)))
      exchange.response.setHeader(name, value);
    sendXml(exchange, 'CompleteMultipartUploadResult', [
      [
        'Location',
        `${exchange.context.endpoint()}/${bucket.name}/${encodeURIComponent(version.key).replace(/%2F/g, '/')}`,
      ],
      ['Bucket', bucket.name],
      ['Key', version.key],
      ['ETag', version.etag],
      ...(checksum
        ? ([
            [`Checksum${checksum.algorithm}`, checksum.value],
            ['ChecksumType', checksum.type],
          ] as XmlChild[])
        : []),
    ]);
  } catch (error) {
    upload.completing = false;
    await rm(path, { force: true });
    throw error;
  }
}
