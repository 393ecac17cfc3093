/**
 * POST /uploads and POST /uploads/complete: a region operator uploads a proposal file from the browser
 * straight to S3, under presigned links for the one key the intake expects of their regency
 * (KEYS.upload, proposals/<own regency>/<period>/<file>.csv): the operator names the period and the
 * file, never the regency. Up to SINGLE_UPLOAD_MAX_BYTES one PUT; above, a multipart upload whose parts
 * the browser PUTs (asking again with the uploadId for fresh links of the parts still to send, as each link
 * lives five minutes) and whose completion it asks for here (the key checked again: the operator's own).
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  KEYS,
  type Principal,
  SINGLE_UPLOAD_MAX_BYTES,
  UPLOAD_COMPLETE_REQUEST,
  UPLOAD_PART_BYTES,
  UPLOAD_REQUEST,
} from '#shared/contracts.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { presignedUrl } from '#shared/presign.ts';
import { parseUploadKey } from '#shared/uploads.ts';
import { type Event, parseBody, type Response, respond } from './http.ts';
import { config, s3 } from './stores.ts';

export async function createUpload(principal: Principal, event: Event): Promise<Response> {
  assertUploader(principal);
  const { period, fileName, size, uploadId, partNumbers } = parseBody(UPLOAD_REQUEST, event);
  const key = KEYS.upload('MUSDES', principal.area, period, fileName);
  const bucket = config.proposalsBucket;
  if (size <= SINGLE_UPLOAD_MAX_BYTES) {
    if (uploadId) throw new ValidationError('Berkas sekecil ini diunggah sekaligus, tanpa uploadId', ['uploadId']);
    // The size is signed (content-length): S3 takes through this link only the file that was declared, never
    // a larger one that should have gone in parts, and the browser sends that header itself.
    const { url, expiresAt } = await presignedUrl(
      new PutObjectCommand({ Bucket: bucket, Key: key, ContentLength: size }),
    );
    logger.info('Upload link issued', { regency: principal.area, period, bytes: size });
    return respond(200, {
      code: 'UPLOAD_READY',
      message: `Unggah ${fileName} dengan tautan ini sebelum ${expiresAt}`,
      key,
      url,
      expiresAt,
      headers: { 'content-type': 'text/csv' },
    });
  }
  const count = Math.ceil(size / UPLOAD_PART_BYTES);
  const wanted = partNumbers ?? Array.from({ length: count }, (_, i) => i + 1);
  const beyond = wanted.filter((partNumber) => partNumber > count);
  if (beyond.length) {
    throw new ValidationError(`Berkas ${fileName} hanya terdiri atas ${count} bagian`, [
      `partNumbers: ${beyond.slice(0, 5).join(', ')} melebihi ${count}`,
    ]);
  }
  // A new upload, or fresh links for the parts of one this operator started (the key is theirs: it is built
  // from their claims, so another regency's upload id names no upload under it).
  const id = uploadId ?? (await startMultipart(key));
  const parts = await Promise.all(
    wanted.map(async (partNumber) => {
      // Each part's own size is signed, as the single PUT's: the last part is the remainder.
      const bytes = Math.min(UPLOAD_PART_BYTES, size - (partNumber - 1) * UPLOAD_PART_BYTES);
      const command = new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: id,
        PartNumber: partNumber,
        ContentLength: bytes,
      });
      return { partNumber, ...(await presignedUrl(command)) };
    }),
  );
  logger.info('Multipart upload links issued', { regency: principal.area, period, bytes: size, parts: parts.length });
  return respond(200, {
    code: 'UPLOAD_READY',
    message: `Unggah ${fileName} dalam ${count} bagian, lalu selesaikan unggahan`,
    key,
    uploadId: id,
    partSize: UPLOAD_PART_BYTES,
    parts: parts.map(({ partNumber, url }) => ({ partNumber, url })),
    expiresAt: parts[0]?.expiresAt,
  });
}

async function startMultipart(key: string): Promise<string> {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: config.proposalsBucket, Key: key, ContentType: 'text/csv' }),
  );
  if (!UploadId) throw new Error('CreateMultipartUpload answered no UploadId');
  return UploadId;
}

export async function completeUpload(principal: Principal, event: Event): Promise<Response> {
  assertUploader(principal);
  const { key, uploadId, parts } = parseBody(UPLOAD_COMPLETE_REQUEST, event);
  const location = parseUploadKey(key);
  if (!location.valid || location.source !== 'MUSDES' || location.regency !== principal.area) {
    throw new ForbiddenError(`Anda hanya dapat mengunggah usulan kabupaten/kota ${principal.area}`);
  }
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: config.proposalsBucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [...parts]
            .sort((a, b) => a.partNumber - b.partNumber)
            .map(({ partNumber, etag }) => ({ PartNumber: partNumber, ETag: etag })),
        },
      }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchUpload') throw new NotFoundError('Unggahan tidak ditemukan atau sudah selesai/dibatalkan');
    if (['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'MalformedXML'].includes(name)) {
      throw new ValidationError(`Bagian unggahan tidak sesuai (${name}); unggah ulang berkasnya`, [`parts: ${name}`]);
    }
    throw error;
  }
  logger.info('Multipart upload completed', { regency: principal.area, period: location.period, parts: parts.length });
  return respond(200, { code: 'UPLOADED', message: `${location.fileName} diterima; pemeriksaan dimulai`, key });
}

/** Only a region's operator files its proposals (DOMAIN.md): approvers, the ministry and analysts do not. */
function assertUploader(principal: Principal): void {
  if (principal.role !== 'region_operator' || !/^\d{4}$/.test(principal.area)) {
    throw new ForbiddenError('Hanya operator data kabupaten/kota yang dapat mengunggah usulan');
  }
}
