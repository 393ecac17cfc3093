/**
 * A decision must fit where it goes: the approvals API records it in one DynamoDB item (400 KB), sends
 * it to the waiting task (SendTaskSuccess takes 256 KiB of output) and VerifyDecision hands the recorded
 * one to the next state (256 KiB). 2,800 exclusions with a 60-character reason passed validation, were
 * recorded, and SendTaskSuccess refused them: the approver got 503 "try again" on every retry while the
 * task stayed open; 800 with a 500-character reason overflowed the item and answered 500. Such a
 * decision is refused with 400 before anything is recorded or sent.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, type Principal } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { apiEvent, lambdaContext } from '../../support/lambda.ts';
import { World } from '../../support/world.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let api: Handler;
let requestApproval: Handler;
let proposals: ProposalsRepository;
let decisions: DecisionsRepository;
let tasks: TasksRepository;

const approver: Principal = { username: 'kadinsos-3371', role: 'regency_approver', area: '3371' };
const world = new World();
const accepted = Array.from({ length: 2_800 }, () => world.row());
/** Step Functions' limit on a task output and on a state's input or output. */
const SFN_PAYLOAD_LIMIT = 262_144;

async function proposalAwaitingRegency(proposalId: string, taskToken: string): Promise<void> {
  const now = new Date().toISOString();
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: KEYS.acceptedRows(proposalId),
      Body: accepted.map((row) => `${JSON.stringify(row)}\n`).join(''),
    }),
  );
  await proposals.create({
    proposalId,
    regency: '3371',
    province: '33',
    period: '2026-11',
    status: 'CHECKING',
    bucket: 'dtks-proposals',
    key: `proposals/3371/2026-11/${proposalId}.csv`,
    executionId: `exec-${proposalId}`,
    receivedAt: now,
    updatedAt: now,
    statusChangedAt: now,
    summary: { rows: accepted.length, accepted: accepted.length, returned: 0, withWarnings: 0, codes: {} },
  });
  await requestApproval({ proposalId, level: 'REGENCY', taskToken }, lambdaContext('dtks-request-approval'));
}

async function decide(proposalId: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const event = apiEvent('POST /proposals/{proposalId}/decision', approver, { pathParameters: { proposalId }, body });
  const result = (await api(event, lambdaContext('dtks-approvals-api'))) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? '{}') };
}

const excluding = (count: number, reason: string) => ({
  decision: 'APPROVE_WITH_EXCLUSIONS',
  note: 'Diverifikasi musdes',
  exclusions: accepted.slice(0, count).map((row) => ({ kind: 'NIK', id: row.nik, reason })),
});

beforeAll(async () => {
  aws = await startTestAws();
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  decisions = new DecisionsRepository(aws.clients.documents, aws.names.tables.proposals);
  tasks = new TasksRepository(aws.clients.documents, aws.names.tables.proposals);
  ({ handler: api } = (await import('../../../functions/approvals-api/handler.ts')) as { handler: Handler });
  ({ handler: requestApproval } = (await import('../../../functions/request-approval/handler.ts')) as {
    handler: Handler;
  });
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
