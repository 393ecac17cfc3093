/**
 * The approvals API answers an approver in Bahasa Indonesia: a decision body of the wrong shape is
 * refused with reasons in Indonesian, also where the schema's own checks (zod's defaults: a wrong
 * enum value, a wrong type, a too long note) wrote none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '#shared/contracts.ts';
import { approvalHandlers, callApi, type Handler, proposalAwaitingRegency } from '../../support/approvals.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';

let aws: TestAws;
let api: Handler;
const approver: Principal = { username: 'kadinsos-3371', role: 'regency_approver', area: '3371' };
const proposalId = '3371-2026-11-bbbbbbbbbbbb';

beforeAll(async () => {
  aws = await startTestAws();
  const handlers = await approvalHandlers();
  api = handlers.api;
  const summary = { rows: 1, accepted: 1, returned: 0, withWarnings: 0, codes: {} };
  await proposalAwaitingRegency(aws, handlers.requestApproval, { proposalId, taskToken: 'token-b', summary });
});

afterAll(async () => {
  await aws?.stop();
});

const decide = (body: unknown) =>
  callApi<{ message?: string; issues?: string[] }>(api, 'POST /proposals/{proposalId}/decision', approver, {
    proposalId,
    body,
  });

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
