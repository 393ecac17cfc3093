/**
 * A decision must fit where it goes: the approvals API records it in one DynamoDB item (400 KB), sends
 * it to the waiting task (SendTaskSuccess takes 256 KiB of output) and VerifyDecision hands the recorded
 * one to the next state (256 KiB). 2,800 exclusions with a 60-character reason passed validation, were
 * recorded, and SendTaskSuccess refused them: the approver got 503 "try again" on every retry while the
 * task stayed open; 800 with a 500-character reason overflowed the item and answered 500. Such a
 * decision is refused with 400 before anything is recorded or sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import {
  approvalHandlers,
  callApi,
  type Handler,
  proposalAwaitingRegency as proposalAwaitingRegencyOf,
} from '../../support/approvals.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { World } from '../../support/world.ts';

let aws: TestAws;
let api: Handler;
let requestApproval: Handler;
let decisions: DecisionsRepository;
let tasks: TasksRepository;

const approver: Principal = { username: 'kadinsos-3371', role: 'regency_approver', area: '3371' };
const world = new World();
const accepted = Array.from({ length: 2_800 }, () => world.row());
/** Step Functions' limit on a task output and on a state's input or output. */
const SFN_PAYLOAD_LIMIT = 262_144;

async function proposalAwaitingRegency(proposalId: string, taskToken: string): Promise<void> {
  const summary = { rows: accepted.length, accepted: accepted.length, returned: 0, withWarnings: 0, codes: {} };
  await proposalAwaitingRegencyOf(aws, requestApproval, { proposalId, taskToken, summary, accepted });
}

const decide = (proposalId: string, body: unknown) =>
  callApi(api, 'POST /proposals/{proposalId}/decision', approver, { proposalId, body });

const excluding = (count: number, reason: string) => ({
  decision: 'APPROVE_WITH_EXCLUSIONS',
  note: 'Diverifikasi musdes',
  exclusions: accepted.slice(0, count).map((row) => ({ kind: 'NIK', id: row.nik, reason })),
});

beforeAll(async () => {
  aws = await startTestAws();
  decisions = new DecisionsRepository(aws.clients.documents, aws.names.tables.proposals);
  tasks = new TasksRepository(aws.clients.documents, aws.names.tables.proposals);
  ({ api, requestApproval } = await approvalHandlers());
}, 60_000);
afterAll(() => aws?.stop());

describe('a decision too large to record and send', () => {
  it.each([
    ['2,800 exclusions with a 60-character reason (past the task output limit)', 2_800, 'x'.repeat(60)],
    ['800 exclusions with a 500-character reason (past the DynamoDB item limit)', 800, 'y'.repeat(500)],
  ])('is refused with 400 before anything is recorded or sent: %s', async (_, count, reason) => {
    const proposalId = `3371-2026-11-${count.toString(16).padStart(12, '0')}`;
    await proposalAwaitingRegency(proposalId, `token-${count}`);
    const calls = aws.sfn?.calls.length;

    const answer = await decide(proposalId, excluding(count, reason));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('terlalu besar untuk dicatat'),
    });
    expect(await decisions.getDecision(proposalId, 'REGENCY')).toBeUndefined();
    expect(aws.sfn?.calls.length).toBe(calls);
    expect((await tasks.getTaskWithToken(proposalId, 'REGENCY'))?.state).toBe('OPEN');
  });

  it('records and sends a decision with many exclusions that fits, its task output within the limit', async () => {
    const proposalId = '3371-2026-11-0000000005dc';
    await proposalAwaitingRegency(proposalId, 'token-fits');
    const answer = await decide(proposalId, excluding(1_500, 'z'.repeat(60)));
    expect(answer.status).toBe(200);
    expect((await decisions.getDecision(proposalId, 'REGENCY'))?.exclusions).toHaveLength(1_500);
    const sent = aws.sfn?.calls.find((call) => call.taskToken === 'token-fits');
    expect(new TextEncoder().encode(JSON.stringify(sent?.output)).length).toBeLessThan(SFN_PAYLOAD_LIMIT);
  });
});
