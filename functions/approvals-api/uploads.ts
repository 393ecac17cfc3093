/**
 * POST /uploads and POST /uploads/complete: a region operator uploads a proposal file from the browser
 * straight to S3, under presigned links for the one key the intake expects of their regency
 * (KEYS.upload, proposals/<own regency>/<period>/<file>.csv): the operator names the period and the
 * file, never the regency. Up to SINGLE_UPLOAD_MAX_BYTES one PUT; above, a multipart upload whose parts
 * the browser PUTs and whose completion it asks for here (the key checked again: the operator's own).
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
  const { period, fileName, size } = parseBody(UPLOAD_REQUEST, event);
  const key = KEYS.upload('MUSDES', principal.area, period, fileName);
  const bucket = config.proposalsBucket;
  if (size <= SINGLE_UPLOAD_MAX_BYTES) {
    const { url, expiresAt } = await presignedUrl(new PutObjectCommand({ Bucket: bucket, Key: key }));
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
  const { UploadId: uploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'text/csv' }),
  );
  if (!uploadId) throw new Error('CreateMultipartUpload answered no UploadId');
  const count = Math.ceil(size / UPLOAD_PART_BYTES);
  const parts = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const partNumber = i + 1;
      const command = new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber });
      return { partNumber, ...(await presignedUrl(command)) };
    }),
  );
  logger.info('Multipart upload links issued', { regency: principal.area, period, bytes: size, parts: count });
  return respond(200, {
    code: 'UPLOAD_READY',
    message: `Unggah ${fileName} dalam ${count} bagian, lalu selesaikan unggahan`,
    key,
    uploadId,
    partSize: UPLOAD_PART_BYTES,
    parts: parts.map(({ partNumber, url }) => ({ partNumber, url })),
    expiresAt: parts[0]?.expiresAt,
  });
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
