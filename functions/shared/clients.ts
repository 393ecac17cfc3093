/**
 * One SDK client per service, created once at module load and shared by every repository of a function.
 * Endpoints come from the SDK's standard variables (AWS_ENDPOINT_URL_DYNAMODB, _S3, _SFN), which the
 * local environment points at the emulators and the local Step Functions runtime.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const dynamo = new DynamoDBClient({});

/** Plain JS values in and out; undefined attributes are dropped instead of failing the write. */
export const documents = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});

// A custom S3 endpoint (the local S3) cannot resolve virtual-host bucket names: address buckets by path there.
export const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });

export const sfn = new SFNClient({});

export const secrets = new SecretsManagerClient({});
