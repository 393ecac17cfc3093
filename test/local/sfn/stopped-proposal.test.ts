/**
 * A stopped proposal execution through the local environment, as on AWS: the runtime's status change
 * event reaches record-stopped (the EventBridge rule's target), which records the proposal FAILED with
 * the operator's reason, takes its task out of the approvers' list and releases its NIK claims.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterExtract } from '#adapters/extracts/readers.ts';
import { DtksClient } from '#cli/client.ts';
import { writeWorld } from '#cli/commands/generate.ts';
import { localTarget } from '#cli/target.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { seedMaster } from '#local/seed.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const REGENCY = '3371';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let dataDir: string;
let environment: LocalEnvironment;
let client: DtksClient;
let documents: DynamoDBDocumentClient;
let sfn: SFNClient;
let proposalFile: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-stopped-'));
  environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: [REGENCY] });
  client = new DtksClient(localTarget(dataDir, environment));
  const world = await writeWorld({
    regency: REGENCY,
    families: 6,
    defectRate: 0,
    seed: 14,
    out: join(dataDir, 'world'),
    quiet: true,
  });
  proposalFile = world.files.proposal.path;
  await client.putObject(`reference/population/${REGENCY}.csv`, world.files.population.path);
  await seedMaster(readMasterExtract(createReadStream(world.files.master.path)), '2026-10');
  await environment.settled();
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: environment.endpoints.dynamoEndpoint, region: environment.region, credentials }),
  );
  sfn = new SFNClient({ endpoint: environment.endpoints.sfnEndpoint, region: environment.region, credentials });
}, 120_000);

afterAll(async () => {
  sfn?.destroy();
  documents?.destroy();
  await environment?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function claimsOf(proposalId: string): Promise<number> {
  const { Items = [] } = await documents.send(
    new ScanCommand({
      TableName: environment.names.tables.claims,
      FilterExpression: 'proposalId = :id',
      ExpressionAttributeValues: { ':id': proposalId },
    }),
  );
  return Items.length;
}

async function openTaskIds(): Promise<unknown[]> {
  const { status, body } = await client.tasks(`regency-${REGENCY}`);
  expect(status).toBe(200);
  return (body as { tasks: { proposalId: unknown }[] }).tasks.map((task) => task.proposalId);
}

describe('a proposal whose execution is stopped', () => {
  it('becomes FAILED with the stop reason, leaves the approvers list and releases its claims', async () => {
    const { proposalId } = await client.upload(proposalFile, REGENCY, '2026-11');
    const waiting = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 60_000);
    expect(waiting.status).toBe('AWAITING_REGENCY');
    await environment.runtime.waitForPendingTask(waiting.executionId, 'AwaitRegencyApproval');
    expect(await openTaskIds()).toContain(proposalId);
    expect(await claimsOf(proposalId)).toBeGreaterThan(0);

    await sfn.send(
      new StopExecutionCommand({
        executionArn: waiting.executionId,
        error: 'OperatorStop',
        cause: 'Berkas salah diunggah untuk periode ini',
      }),
    );
    const failed = await client.waitForStatus(proposalId, ['FAILED'], 30_000);
    await environment.settled();

    expect(failed).toMatchObject({
      status: 'FAILED',
      previousStatus: 'AWAITING_REGENCY',
      reason: expect.stringContaining('dihentikan oleh operator: Berkas salah diunggah untuk periode ini'),
    });
    expect(await openTaskIds()).not.toContain(proposalId);
    expect(await claimsOf(proposalId)).toBe(0);
    // The stopped execution stays ABORTED: recording the proposal did not touch it.
    expect(environment.runtime.describeExecution({ executionArn: waiting.executionId }).status).toBe('ABORTED');
  });
});
