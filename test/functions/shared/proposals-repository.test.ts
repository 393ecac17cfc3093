import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProposalStatus, StatusConflictError } from '#core/lifecycle.ts';
import { AuditTrail } from '#shared/audit-trail.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { proposalRecord } from '../../support/proposals.ts';

let aws: TestAws;
let proposals: ProposalsRepository;
let audit: AuditTrail;

async function proposal(proposalId: string, status: ProposalStatus): Promise<void> {
  await proposals.create(proposalRecord(proposalId, { status }));
}

beforeAll(async () => {
  aws = await startTestAws();
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  audit = new AuditTrail(aws.clients.documents, aws.names.tables.proposals);
});

afterAll(async () => {
  await aws?.stop();
});

describe('ProposalsRepository.transition (the moves of core/lifecycle.ts)', () => {
  it('makes a move of the table, naming only the target status, with its audit event', async () => {
    await proposal('t-move', 'CHECKING');
    const moved = await proposals.transition('t-move', 'AWAITING_REGENCY', { detail: 'REGENCY' });
    expect(moved).toMatchObject({ status: 'AWAITING_REGENCY', previousStatus: 'CHECKING' });
    const events = (await audit.listEvents('t-move')).filter((event) => event.to === 'AWAITING_REGENCY');
    expect(events).toMatchObject([{ kind: 'STATUS', from: 'CHECKING', to: 'AWAITING_REGENCY', detail: 'REGENCY' }]);
  });

  it('refuses a move the table does not have, naming the statuses it may come from, and changes nothing', async () => {
    await proposal('t-skip', 'CHECKING');
    const refused = proposals.transition('t-skip', 'AWAITING_PROVINCE', {});
    await expect(refused).rejects.toBeInstanceOf(StatusConflictError);
    await expect(refused).rejects.toMatchObject({ name: 'StatusConflictError', from: ['AWAITING_REGENCY'] });
    expect((await proposals.require('t-skip')).status).toBe('CHECKING');
  });

  it('refuses every move out of a terminal status', async () => {
    await proposal('t-ended', 'REJECTED');
    for (const to of ['CHECKING', 'FAILED', 'STIPULATED'] as const) {
      await expect(proposals.transition('t-ended', to, {})).rejects.toMatchObject({ name: 'StatusConflictError' });
    }
    expect((await proposals.require('t-ended')).status).toBe('REJECTED');
  });

  it('recognises a move already made (a retried step) without a second change', async () => {
    await proposal('t-retry', 'AWAITING_STIPULATION');
    const first = await proposals.transition('t-retry', 'STIPULATED', {});
    const again = await proposals.transition('t-retry', 'STIPULATED', {});
    expect(again.statusChangedAt).toBe(first.statusChangedAt);
    expect((await audit.listEvents('t-retry')).filter((event) => event.to === 'STIPULATED')).toHaveLength(1);
  });

  it('moves nothing back to RECEIVED: only a re-upload takes a proposal over', async () => {
    await proposal('t-back', 'FAILED');
    await expect(proposals.transition('t-back', 'RECEIVED', {})).rejects.toMatchObject({
      name: 'StatusConflictError',
    });
  });
});

describe('ProposalsRepository.takeOverIngest', () => {
  it('takes over a FAILED ingest, and refuses a proposal its workflow still carries past ingest', async () => {
    await proposal('t-failed', 'FAILED');
    expect(await proposals.takeOverIngest('t-failed', { executionId: 'exec-t-failed', status: 'FAILED' }, 'new')).toBe(
      true,
    );
    expect(await proposals.require('t-failed')).toMatchObject({ status: 'RECEIVED', executionId: 'new' });

    await proposal('t-checking', 'CHECKING');
    await expect(
      proposals.takeOverIngest('t-checking', { executionId: 'exec-t-checking', status: 'CHECKING' }, 'new'),
    ).rejects.toMatchObject({ name: 'StatusConflictError' });
    expect(await proposals.require('t-checking')).toMatchObject({ status: 'CHECKING', executionId: 'exec-t-checking' });
  });
});
