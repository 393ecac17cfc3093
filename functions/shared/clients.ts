/**
 * One SDK client per service, created once at module load and shared by every repository of a function.
 * Endpoints come from the SDK's standard variables (AWS_ENDPOINT_URL_DYNAMODB, _S3, _SFN), which the
 * local environment points at the emulators and the local Step Functions runtime.
 *
 * The functions run with active tracing (infra/constructs/dtks-function.ts): each client is captured by
 * the Powertools Tracer, so every call is a subsegment of the invocation's X-Ray trace (service,
 * operation, table or bucket and key, status, retries; never an item or a body). Outside Lambda (no
 * AWS_EXECUTION_ENV: the local environment, the CLI, the tests) the Tracer is off and hands each client
 * back untouched; POWERTOOLS_TRACE_ENABLED=false turns it off in Lambda too.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const tracer = new Tracer();

export const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));

/**
 * Plain JS values in and out; undefined attributes are dropped instead of failing the write. It sends
 * through the DynamoDB client's middleware stack, so it is traced with it (capturing it again would
 * trace each call twice).
 */
export const documents = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});

// A custom S3 endpoint (the local S3) cannot resolve virtual-host bucket names: address buckets by path there.
export const s3 = tracer.captureAWSv3Client(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }));

export const sfn = tracer.captureAWSv3Client(new SFNClient({}));

export const secrets = tracer.captureAWSv3Client(new SecretsManagerClient({}));
