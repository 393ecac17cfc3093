import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '#shared/audit-trail.ts';
import { DynamoClaimRegistry } from '#shared/claims-repository.ts';
import type { ProposalStatus } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { proposalRecord } from '../../support/proposals.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let recordOutcome: Handler;
let proposals: ProposalsRepository;
let audit: AuditTrail;
let decisions: DecisionsRepository;
let tasks: TasksRepository;

async function proposal(proposalId: string, status: ProposalStatus): Promise<void> {
  await proposals.create(proposalRecord(proposalId, { status }));
}

const run = (event: unknown) => recordOutcome(event, lambdaContext('dtks-record-outcome'));

beforeAll(async () => {
  aws = await startTestAws();
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  audit = new AuditTrail(aws.clients.documents, aws.names.tables.proposals);
  decisions = new DecisionsRepository(aws.clients.documents, aws.names.tables.proposals);
  tasks = new TasksRepository(aws.clients.documents, aws.names.tables.proposals);
  ({ handler: recordOutcome } = (await import('../../../functions/record-outcome/handler.ts')) as { handler: Handler });
});

afterAll(async () => {
  await aws?.stop();
});

describe('record-outcome', () => {
  it('records REJECTED with the rejecting approver and note, and closes the open task', async () => {
    await proposal('p-rejected', 'CHECKING');
    const current = await proposals.transition('p-rejected', 'AWAITING_REGENCY');
    await tasks.openTask(current, 'REGENCY', 'token-rejected');
    await decisions.putDecision({
      proposalId: 'p-rejected',
      decision: 'REJECT',
      level: 'REGENCY',
      decidedBy: 'kadinsos-3371',
      decidedAt: new Date().toISOString(),
      note: 'Musdes belum dilaksanakan',
      exclusions: [],
    });
    await run({ proposalId: 'p-rejected', status: 'REJECTED', reason: null });
    expect(await proposals.require('p-rejected')).toMatchObject({
      status: 'REJECTED',
      reason: 'Ditolak di tingkat kabupaten/kota oleh kadinsos-3371: Musdes belum dilaksanakan',
    });
    expect((await tasks.getTaskWithToken('p-rejected', 'REGENCY'))?.state).toBe('CLOSED');
    expect(await tasks.listOpenTasks('REGENCY#3371')).toEqual([]);
  });

  it('is idempotent: recording the status the proposal already has succeeds and keeps the first reason', async () => {
    await proposal('p-returned', 'RECEIVED');
    await proposals.transition('p-returned', 'RETURNED', {
      set: { reason: 'Kolom nik tidak ada' },
    });
    await run({ proposalId: 'p-returned', status: 'RETURNED', reason: 'lain' });
    expect(await proposals.require('p-returned')).toMatchObject({ status: 'RETURNED', reason: 'Kolom nik tidak ada' });
    const statusEvents = (await audit.listEvents('p-returned')).filter((event) => event.to === 'RETURNED');
    expect(statusEvents).toHaveLength(1);
  });

  it('refuses a transition the status does not allow, with a name the state machine can catch', async () => {
    await proposal('p-checking', 'CHECKING');
    await expect(run({ proposalId: 'p-checking', status: 'STIPULATED' })).rejects.toMatchObject({
      name: 'StatusConflictError',
    });
    expect((await proposals.require('p-checking')).status).toBe('CHECKING');
  });

  it('records a failure of a proposal that was never recorded without failing itself', async () => {
    expect(await run({ proposalId: 'never-ingested', status: 'FAILED', error: { Error: 'X' } })).toMatchObject({
      recorded: false,
    });
  });

  it('leaves claims of other proposals alone when releasing', async () => {
    await proposal('p-other', 'CHECKING');
    const claims = new DynamoClaimRegistry(aws.clients.documents, aws.names.tables.claims);
    await claims.take('someone-else', [{ nik: '3371011205800001', noKk: '3371010103150002' }]);
    await run({ proposalId: 'p-other', status: 'FAILED', error: { Error: 'Boom', Cause: null } });
    expect((await claims.findClaims(['3371011205800001'], 'x')).get('3371011205800001')?.proposalId).toBe(
      'someone-else',
    );
  });
});
