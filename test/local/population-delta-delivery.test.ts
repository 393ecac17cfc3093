/** The local environment delivers a delta extract placed in S3 to load-population-delta, as the stack's rule does. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalEnvironment } from '#local/environment.ts';
import { KEYS } from '#shared/contracts.ts';
import { deltaCsv } from '../support/population-delta.ts';
import { populationCsv, registered, World } from '../support/world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-local-delta-'));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('a delta placed under reference/population-delta/ updates the population table; its summary triggers nothing', async () => {
  const environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'] });
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const s3 = new S3Client({
    region: environment.region,
    endpoint: environment.endpoints.s3Endpoint,
    forcePathStyle: true,
    credentials,
  });
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: environment.region, endpoint: environment.endpoints.dynamoEndpoint, credentials }),
  );
  try {
    const person = registered(new World().row());
    const Bucket = environment.names.buckets.proposals;
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'reference/population/3371.csv', Body: populationCsv([person]) }),
    );
    await environment.settled();
    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: `${KEYS.populationDeltaPrefix}2026-12-01-1.csv`,
        Body: deltaCsv([['NONAKTIF', person]]),
      }),
    );
    await environment.settled();
    const { Item } = await documents.send(
      new GetCommand({ TableName: environment.names.tables.population, Key: { nik: person.nik } }),
    );
    expect(Item).toMatchObject({ nik: person.nik, statusNik: 'NONAKTIF' });
    const summary = await s3.send(
      new GetObjectCommand({ Bucket, Key: KEYS.populationDeltaSummary('2026-12-01-1.csv') }),
    );
    expect(JSON.parse((await summary.Body?.transformToString()) ?? '{}')).toMatchObject({
      counts: { NONAKTIF: { applied: 1 } },
    });
    // The summary's own Object Created event reached no function: nothing failed, nothing is in flight.
    await environment.settled();
  } finally {
    s3.destroy();
    documents.destroy();
    await environment.stop();
  }
});
