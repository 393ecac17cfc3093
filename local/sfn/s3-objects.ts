/**
 * The runtime's S3 (a distributed Map's ItemReader and ResultWriter) through @aws-sdk/client-s3: locally
 * the same S3 emulator, at the same endpoint, that the handlers use.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStorage } from './execution-host.ts';

export function s3ObjectStorage(client: S3Client): ObjectStorage {
  return {
    async getObject({ bucket, key, versionId }) {
      const response = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(versionId !== undefined ? { VersionId: versionId } : {}),
        }),
      );
      return (await response.Body?.transformToString('utf8')) ?? '';
    },
    async putObject({ bucket, key, body, contentType }) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
  };
}
