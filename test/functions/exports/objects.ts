/**
 * Reading export objects back from s3rver. s3rver answers a PutObject (and CompleteMultipartUpload)
 * before its file write has finished, so a GET right after may see a truncated object. Real S3 is
 * strongly read-after-write consistent; here the read is repeated until the bytes match the ETag
 * (s3rver's ETag is the MD5 of the whole object, multipart or not).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export async function downloadObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array()));
    const etag = object.ETag?.replaceAll('"', '');
    if (etag === createHash('md5').update(bytes).digest('hex') || attempt === 40) return bytes;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
