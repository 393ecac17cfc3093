/**
 * The handlers under the real state machines: state-machines/*.asl.json executed by the local Step
 * Functions runtime (local/sfn), which invokes the handlers in-process and answers SendTaskSuccess from
 * the approvals API and the stipulation release over its HTTP API, as Step Functions does in the cloud.
 * One proposal from upload to STIPULATED, through both approvals and the month's stipulation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunctions, localSubstitutions } from '#local/functions.ts';
import { loadDefinition } from '#local/sfn/definition.ts';
import { type StepFunctionsApiServer, serveStepFunctionsApi } from '#local/sfn/http.ts';
import { type ExecutionDescription, StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import type { Principal } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { apiEvent } from '../../support/lambda.ts';
import { populationCsv, proposalCsv, registered, World } from '../../support/world.ts';

const STATE_MACHINES = new URL('../../../state-machines/', import.meta.url);

let aws: TestAws;
let runtime: StepFunctionsRuntime;
let api: StepFunctionsApiServer;
let dataDir: string;
const functions = new LocalFunctions();
const world = new World();

const headA = world.row();
const childA = world.row({ noKk: headA.noKk, hubunganKeluarga: 'ANAK', tanggalLahir: '2010-02-03' });
const headB = world.row();

async function settled(executionArn: string, timeoutMs = 120_000): Promise<ExecutionDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = runtime.describeExecution({ executionArn });
    if (description.status !== 'RUNNING') return description;
    if (Date.now() > deadline) throw new Error(`still running: ${executionArn}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function decide(principal: Principal, proposalId: string, body: unknown): Promise<number> {
  const event = apiEvent('POST /proposals/{proposalId}/decision', principal, { pathParameters: { proposalId }, body });
  const result = (await functions.invoke('approvals-api', event)) as APIGatewayProxyStructuredResultV2;
  return result.statusCode ?? 0;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-sfn-'));
  const substitutions = { ...localSubstitutions(), ApprovalTimeoutSeconds: '86400' };
  runtime = await StepFunctionsRuntime.start({
    dataDir,
    machines: [
      {
        name: 'proposal',
        definition: await loadDefinition(new URL('proposal.asl.json', STATE_MACHINES), substitutions),
      },
      {
        name: 'stipulation',
        definition: await loadDefinition(new URL('stipulation.asl.json', STATE_MACHINES), substitutions),
      },
    ],
    invoker: { invoke: (functionArn, payload) => functions.invoke(functionArn, payload) },
  });
  api = await serveStepFunctionsApi(runtime);
  aws = await startTestAws({ sfnEndpoint: api.endpoint });
  const extract = 'reference/population/3371.csv';
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: extract,
      Body: populationCsv([headA, childA, headB].map((row) => registered(row))),
    }),
  );
  await functions.invoke('load-population', { bucket: aws.names.buckets.proposals, key: extract });
});

afterAll(async () => {
  await runtime?.stop();
  await api?.close();
  await aws?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a proposal through the proposal and stipulation workflows', () => {
  let proposalId: string;
  let executionArn: string;

  it('waits for the regency approval after ingest and the check', async () => {
    const key = 'proposals/3371/2026-11/usulan-desa-a.csv';
    const put = await aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: aws.names.buckets.proposals,
        Key: key,
        Body: proposalCsv([headA, childA, headB]),
      }),
    );
    const started = await runtime.startExecution({
      stateMachineArn: runtime.stateMachineArn('proposal'),
      input: JSON.stringify({
        'detail-type': 'Object Created',
        source: 'aws.s3',
        detail: { bucket: { name: aws.names.buckets.proposals }, object: { key, etag: put.ETag, size: 100 } },
      }),
    });
    executionArn = started.executionArn;
    const task = await runtime.waitForPendingTask(executionArn, 'AwaitRegencyApproval', 60_000);
    expect(task.stateName).toBe('AwaitRegencyApproval');
    const proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
    const tasks = new TasksRepository(aws.clients.documents, aws.names.tables.proposals);
    const [open] = await tasks.listOpenTasks('REGENCY#3371');
    proposalId = open?.proposalId ?? '';
    expect(await proposals.require(proposalId)).toMatchObject({
      status: 'AWAITING_REGENCY',
      summary: { rows: 3, accepted: 3 },
    });
  });

  it('goes through both approvals, an exclusion included, to the stipulation queue', async () => {
    expect(
      await decide({ username: 'kadinsos-3371', role: 'regency_approver', area: '3371' }, proposalId, {
        decision: 'APPROVE',
        note: 'Sesuai hasil musdes',
      }),
    ).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitProvinceApproval', 60_000);
    expect(
      await decide({ username: 'dinsos-33', role: 'province_approver', area: '33' }, proposalId, {
        decision: 'APPROVE_WITH_EXCLUSIONS',
        note: 'Satu keluarga sudah mampu',
        exclusions: [{ kind: 'KK', id: headB.noKk, reason: 'Sudah mampu' }],
      }),
    ).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitStipulation', 60_000);
  });

  it('stipulates the month: the master holds the family, the excluded one is not added, the proposal is STIPULATED', async () => {
    const stipulation = await runtime.startExecution({
      stateMachineArn: runtime.stateMachineArn('stipulation'),
      input: JSON.stringify({ period: '2026-11' }),
    });
    const run = await settled(stipulation.executionArn);
    expect(run, run.cause).toMatchObject({ status: 'SUCCEEDED' });
    const done = await settled(executionArn);
    expect(done, done.cause).toMatchObject({ status: 'SUCCEEDED' });
    const proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
    expect(await proposals.require(proposalId)).toMatchObject({
      status: 'STIPULATED',
      release: { outcome: 'STIPULATED', applied: 2, returnedRows: 1 },
    });
    const master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
    const family = (await master.findFamilies([headA.noKk])).get(headA.noKk) ?? [];
    expect(family.map((member) => member.nik).sort()).toEqual([headA.nik, childA.nik].sort());
    expect((await master.findByNik([headB.nik])).size).toBe(0);
    const periods = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals);
    expect(await periods.getPeriod('2026-11')).toMatchObject({ carriedForward: false, counts: { changes: 2 } });
  });
});
