/**
 * Pendaftaran mandiri end to end on the local runtime: a family registers at the public endpoint, the
 * cut-off gathers it into the regency's MANDIRI proposal file, the file enters the proposal workflow as
 * the intake rule starts it (its Object Created event, version included), passes the same checks and
 * both approvals, the month is stipulated, and the receipt lookup says so at every step.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPOSAL_COLUMNS, type ProposalRow } from '#core/proposal.ts';
import type { MandiriGatherOutput } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import type { RegistrationMember } from '#shared/registrations.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { callRegistrations, type Handler } from '../../support/registrations.ts';
import { startWorkflows, type Workflows } from '../../support/workflows.ts';
import { World } from '../../support/world.ts';

let workflows: Workflows;
let registrationsApi: Handler;
let gather: Handler;
const world = new World();
const head = world.row();
const child = world.row({
  noKk: head.noKk,
  hubunganKeluarga: 'ANAK',
  statusPerkawinan: 'BELUM_KAWIN',
  tanggalLahir: '2012-05-06',
});

/** A proposal row as the registration form sends it: the file's column names. */
function member(row: ProposalRow): RegistrationMember {
  const fields = Object.entries(PROPOSAL_COLUMNS).filter(([column]) => !['aksi', 'alasan', 'desil'].includes(column));
  return Object.fromEntries(fields.map(([column, field]) => [column, row[field]])) as unknown as RegistrationMember;
}

beforeAll(async () => {
  workflows = await startWorkflows({
    machines: ['proposal', 'stipulation'],
    population: [head, child],
    settleTimeoutMs: 120_000,
  });
  ({ handler: registrationsApi } = (await import('../../../functions/registrations-api/handler.ts')) as {
    handler: Handler;
  });
  ({ handler: gather } = (await import('../../../functions/mandiri-gather/handler.ts')) as { handler: Handler });
});
afterAll(() => workflows?.stop());

describe('a self-registration from the public endpoint to the stipulated master', () => {
  let receipt: string;
  let period: string;
  let proposalId: string;
  let executionArn: string;
  const lookup = async () => (await callRegistrations(registrationsApi, 'lookup', { receipt, nik: child.nik })).body;

  it('registers the family and answers RECEIVED by receipt and a member NIK', async () => {
    const answer = await callRegistrations(registrationsApi, 'register', {
      body: { members: [member(head), member(child)] },
    });
    expect(answer.status, answer.text).toBe(201);
    receipt = answer.body.receipt as string;
    period = answer.body.period as string;
    expect(await lookup()).toMatchObject({ status: 'RECEIVED' });
  });

  it('gathers it at the cut-off into one MANDIRI proposal that passes the checks and waits for the regency', async () => {
    const output = (await gather({ period }, lambdaContext('dtks-mandiri-gather'))) as MandiriGatherOutput;
    expect(output.gathered).toHaveLength(1);
    const [gathered] = output.gathered;
    proposalId = gathered!.proposalId;
    const { aws, runtime } = workflows;
    const bucket = aws.names.buckets.proposals;
    const head = await aws.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: gathered!.key }));
    ({ executionArn } = await runtime.startExecution({
      stateMachineArn: runtime.stateMachineArn('proposal'),
      input: JSON.stringify({
        'detail-type': 'Object Created',
        source: 'aws.s3',
        detail: {
          bucket: { name: bucket },
          object: { key: gathered!.key, 'version-id': head.VersionId, etag: head.ETag, size: head.ContentLength },
        },
      }),
    }));
    await runtime.waitForPendingTask(executionArn, 'AwaitRegencyApproval', 60_000);
    const proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
    // Its source is where the gatherer wrote it: mandiri/ is MANDIRI.
    expect(await proposals.require(proposalId)).toMatchObject({
      status: 'AWAITING_REGENCY',
      source: 'MANDIRI',
      regency: '3371',
      period,
      summary: { rows: 2, accepted: 2 },
    });
    expect(await lookup()).toMatchObject({
      status: 'AWAITING_REGENCY',
      message: expect.stringMatching(/kabupaten\/kota/),
    });
  });

  it('goes through both approvals and the stipulation; the receipt lookup then says STIPULATED', async () => {
    const { aws, runtime } = workflows;
    expect(
      await workflows.decide({ username: 'kadinsos-3371', role: 'regency_approver', area: '3371' }, proposalId, {
        decision: 'APPROVE',
        note: 'Pendaftaran mandiri terverifikasi',
      }),
    ).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitProvinceApproval', 60_000);
    expect(
      await workflows.decide({ username: 'dinsos-33', role: 'province_approver', area: '33' }, proposalId, {
        decision: 'APPROVE',
        note: 'Setuju',
      }),
    ).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitStipulation', 60_000);
    expect(await lookup()).toMatchObject({ status: 'AWAITING_STIPULATION' });
    const stipulation = await runtime.startExecution({
      stateMachineArn: runtime.stateMachineArn('stipulation'),
      input: JSON.stringify({ period }),
    });
    const run = await workflows.settled(stipulation.executionArn);
    expect(run, run.cause).toMatchObject({ status: 'SUCCEEDED' });
    const done = await workflows.settled(executionArn);
    expect(done, done.cause).toMatchObject({ status: 'SUCCEEDED' });
    const master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
    const family = (await master.findFamilies([head.noKk])).get(head.noKk) ?? [];
    expect(family.map((person) => person.nik).sort()).toEqual([head.nik, child.nik].sort());
    const records = await master.getRecords([head.nik, child.nik]);
    expect([...records.values()].map((record) => [record.source, record.sourceProposalId])).toEqual([
      ['MANDIRI', proposalId],
      ['MANDIRI', proposalId],
    ]);
    const stipulated = await callRegistrations(registrationsApi, 'lookup', { receipt, nik: head.nik });
    expect(stipulated.body).toMatchObject({
      status: 'STIPULATED',
      message: 'Usulan sudah ditetapkan masuk DTKS',
      period,
    });
    expect(stipulated.text).not.toContain(head.nama);
  });
});
