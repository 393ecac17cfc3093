/** Reading export objects back from the local S3 (read-after-write consistent, as S3 is). */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export async function downloadObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array()));
}
