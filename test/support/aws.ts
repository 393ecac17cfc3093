/**
 * The AWS of integration tests: dynalite and the local S3 on free loopback ports (local/emulators.ts), the
 * tables and buckets of the contracts (local/provision.ts), a loopback Step Functions stub, and the
 * environment the handlers read.
 *
 * Handlers read their configuration and create their SDK clients once, at module load (cold start), so
 * a test must start the emulators BEFORE importing a handler. The pattern:
 *
 *   let aws: TestAws;
 *   let handler: typeof import('../../functions/ingest/handler.ts').handler;
 *   beforeAll(async () => {
 *     aws = await startTestAws();                                       // sets process.env
 *     ({ handler } = await import('../../functions/ingest/handler.ts')); // dynamic import, after
 *   });
 *   afterAll(() => aws.stop());
 *
 * vitest isolates modules per test file, so every file gets its own cold start and its own emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS, startEmulators } from '#local/emulators.ts';
import {
  LOCAL_RESOURCES,
  type LocalEndpoints,
  type LocalResourceNames,
  localEnvironmentVariables,
  provisionLocal,
} from '#local/provision.ts';
import { type SfnStub, startSfnStub } from './sfn-stub.ts';

export interface TestAws {
  endpoints: LocalEndpoints;
  names: LocalResourceNames;
  /** The variables set on process.env for the handlers. */
  env: Record<string, string>;
  /** Clients for the test's own set-up and assertions (the handlers create their own). */
  clients: { dynamo: DynamoDBClient; documents: DynamoDBDocumentClient; s3: S3Client };
  /** The loopback Step Functions stub (absent when `sfnEndpoint` was given). */
  sfn: SfnStub | undefined;
  stop(): Promise<void>;
}

export interface TestAwsOptions {
  /** Point AWS_ENDPOINT_URL_SFN at this endpoint (e.g. the local runtime) instead of starting the stub. */
  sfnEndpoint?: string;
  /** Extra variables for process.env (e.g. REPORT_LANGUAGE). */
  env?: Record<string, string>;
}

export async function startTestAws(options: TestAwsOptions = {}): Promise<TestAws> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Handlers log through Powertools: keep test output to warnings and errors.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const emulators = await startEmulators();
  const sfn = options.sfnEndpoint ? undefined : await startSfnStub();
  const endpoints: LocalEndpoints = {
    dynamoEndpoint: emulators.dynamoEndpoint,
    s3Endpoint: emulators.s3Endpoint,
    sfnEndpoint: options.sfnEndpoint ?? sfn?.endpoint,
  };
  await provisionLocal(endpoints, LOCAL_RESOURCES);
  const env = { ...localEnvironmentVariables(endpoints, LOCAL_RESOURCES), ...options.env };
  Object.assign(process.env, env);

  const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamoEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const s3 = new S3Client({ ...LOCAL_AWS, endpoint: endpoints.s3Endpoint, forcePathStyle: true });
  return {
    endpoints,
    names: LOCAL_RESOURCES,
    env,
    clients: { dynamo, documents, s3 },
    sfn,
    async stop() {
      dynamo.destroy();
      s3.destroy();
      await Promise.all([emulators.stop(), sfn?.stop()]);
    },
  };
}
