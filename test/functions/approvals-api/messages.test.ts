/**
 * The approvals API answers an approver in Bahasa Indonesia: a decision body of the wrong shape is
 * refused with reasons in Indonesian, also where the schema's own checks (zod's defaults: a wrong
 * enum value, a wrong type, a too long note) wrote none.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '#shared/contracts.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { apiEvent, lambdaContext } from '../../support/lambda.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let api: Handler;
const approver: Principal = { username: 'kadinsos-3371', role: 'regency_approver', area: '3371' };
const proposalId = '3371-2026-11-bbbbbbbbbbbb';

beforeAll(async () => {
  aws = await startTestAws();
  const proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  ({ handler: api } = (await import('../../../functions/approvals-api/handler.ts')) as { handler: Handler });
  const { handler: requestApproval } = (await import('../../../functions/request-approval/handler.ts')) as {
    handler: Handler;
  };
  const now = new Date().toISOString();
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
    summary: { rows: 1, accepted: 1, returned: 0, withWarnings: 0, codes: {} },
  });
  await requestApproval({ proposalId, level: 'REGENCY', taskToken: 'token-b' }, lambdaContext('dtks-request-approval'));
});

afterAll(async () => {
  await aws?.stop();
});

async function decide(body: unknown): Promise<{ status: number; body: { message?: string; issues?: string[] } }> {
  const event = apiEvent('POST /proposals/{proposalId}/decision', approver, { pathParameters: { proposalId }, body });
  const result = (await api(event, lambdaContext('dtks-approvals-api'))) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? '{}') };
}

describe('approvals API messages', () => {
  it('gives the reasons of an invalid decision body in Bahasa Indonesia', async () => {
    const answer = await decide({ decision: 'MAYBE', note: 7, exclusions: 'none' });
    expect(answer.status).toBe(400);
    expect(answer.body.issues).toHaveLength(3);
    const message = answer.body.message ?? '';
    expect(message).toContain('Keputusan tidak valid');
    expect(message).toContain('decision: Pilihan tidak valid');
    expect(message).toContain('note: Input tidak valid');
    expect(message).not.toMatch(/Invalid|expected|received/);
  });
});
