import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import { AuditTrail } from '#shared/audit-trail.ts';
import type { Principal } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import type { ProposalRecord } from '#shared/proposals-repository.ts';
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
let audit: AuditTrail;
let decisions: DecisionsRepository;
let tasks: TasksRepository;
const bodies: string[] = [];

const regencyApprover: Principal = { username: 'kadinsos-3371', role: 'regency_approver', area: '3371' };
const otherRegencyApprover: Principal = { username: 'kadinsos-3372', role: 'regency_approver', area: '3372' };
const provinceApprover: Principal = { username: 'dinsos-prov-33', role: 'province_approver', area: '33' };
const operator: Principal = { username: 'operator-3371', role: 'region_operator', area: '3371' };

async function call(
  route: string,
  principal: Principal,
  options: { proposalId?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await callApi(api, route, principal, options);
  bodies.push(answer.text);
  return answer;
}

/** The families of the accepted rows every test proposal has (staging/<id>/accepted.ndjson, as CheckIntegrity writes it). */
const world = new World();
const acceptedHead = world.row({ noKk: '3371010101200001' });
const acceptedChild = world.row({ noKk: acceptedHead.noKk, hubunganKeluarga: 'ANAK', tanggalLahir: '2012-04-05' });

/** A proposal that has been checked and is at the regency approval, with its token stored. */
async function proposalAwaitingRegency(
  proposalId: string,
  taskToken: string,
  accepted: readonly ProposalRow[] = [acceptedHead, acceptedChild],
  fields: Partial<ProposalRecord> = {},
): Promise<void> {
  const summary = { rows: 3, accepted: 2, returned: 1, withWarnings: 0, codes: { NIK_NOT_FOUND: 1 } };
  await proposalAwaitingRegencyOf(aws, requestApproval, { proposalId, taskToken, summary, accepted, fields });
}

beforeAll(async () => {
  aws = await startTestAws();
  audit = new AuditTrail(aws.clients.documents, aws.names.tables.proposals);
  decisions = new DecisionsRepository(aws.clients.documents, aws.names.tables.proposals);
  tasks = new TasksRepository(aws.clients.documents, aws.names.tables.proposals);
  ({ api, requestApproval } = await approvalHandlers());
});

afterAll(async () => {
  // Task tokens are bearer credentials of an execution: no response may ever carry one.
  for (const body of bodies) expect(body).not.toMatch(/secret-token/);
  await aws?.stop();
});

describe('approvals API', () => {
  it('lists the open task to its regency approver only, without the token', async () => {
    await proposalAwaitingRegency('3371-2026-11-aaaaaaaaaaaa', 'secret-token-a');
    const mine = await call('GET /tasks', regencyApprover);
    expect(mine.status).toBe(200);
    expect(mine.body.tasks).toEqual([
      expect.objectContaining({
        proposalId: '3371-2026-11-aaaaaaaaaaaa',
        level: 'REGENCY',
        regency: '3371',
        // A record from before sources were kept is the regency's own deliberation.
        source: 'MUSDES',
      }),
    ]);
    const others = await call('GET /tasks', otherRegencyApprover);
    expect(others.body.tasks).toEqual([]);
    const province = await call('GET /tasks', provinceApprover);
    expect(province.body.tasks).toEqual([]);
    expect((await call('GET /tasks', operator)).status).toBe(403);
  });

  it('shows a proposal with its counts per code and audit trail to its own region, 403 elsewhere, 404 unknown', async () => {
    const view = await call('GET /proposals/{proposalId}', operator, { proposalId: '3371-2026-11-aaaaaaaaaaaa' });
    expect(view.status).toBe(200);
    expect(view.body.proposal).toMatchObject({
      status: 'AWAITING_REGENCY',
      source: 'MUSDES',
      summary: { rows: 3, accepted: 2 },
    });
    expect(view.body.codes).toEqual([{ code: 'NIK_NOT_FOUND', rows: 1, message: expect.stringContaining('NIK') }]);
    expect(view.body.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'STATUS', to: 'AWAITING_REGENCY', from: 'CHECKING' })]),
    );
    const other = await call('GET /proposals/{proposalId}', otherRegencyApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
    });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ code: 'FORBIDDEN', message: expect.any(String) });
    const missing = await call('GET /proposals/{proposalId}', operator, { proposalId: '3371-2026-11-000000000000' });
    expect(missing.status).toBe(404);
  });

  it("shows the regency's approver where a proposal came from: a ministry proposal is KEMENSOS in the task list and the view", async () => {
    const proposalId = '3371-2026-11-cccccccccccc';
    await proposalAwaitingRegency(proposalId, 'secret-token-c', undefined, {
      source: 'KEMENSOS',
      key: `kemensos/3371/2026-11/${proposalId}.csv`,
    });
    const listed = (await call('GET /tasks', regencyApprover)).body.tasks as Record<string, unknown>[];
    expect(listed.find((task) => task.proposalId === proposalId)).toMatchObject({
      source: 'KEMENSOS',
      sourceName: 'Kementerian Sosial',
    });
    const view = await call('GET /proposals/{proposalId}', regencyApprover, { proposalId });
    expect(view.body.proposal).toMatchObject({ source: 'KEMENSOS', sourceName: 'Kementerian Sosial' });
    await tasks.closeTask(proposalId, 'REGENCY', 'test');
  });

  it("answers 403 to another regency's approver and records the refused attempt", async () => {
    const refused = await call('POST /proposals/{proposalId}/decision', otherRegencyApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
      body: { decision: 'APPROVE', note: '' },
    });
    expect(refused.status).toBe(403);
    const events = await audit.listEvents('3371-2026-11-aaaaaaaaaaaa');
    expect(events).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'REFUSED', actor: 'kadinsos-3372' })]),
    );
    expect(await decisions.listDecisions('3371-2026-11-aaaaaaaaaaaa')).toEqual([]);
    expect(aws.sfn?.calls).toEqual([]);
  });

  it('tells a province approver the proposal is not yet at its level', async () => {
    const early = await call('POST /proposals/{proposalId}/decision', provinceApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
      body: { decision: 'APPROVE' },
    });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('NOT_AWAITING_DECISION');
  });

  it('rejects an invalid decision body with 400 and the reasons', async () => {
    const invalid = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
      body: { decision: 'APPROVE_WITH_EXCLUSIONS', exclusions: [{ kind: 'NIK', id: '123', reason: '' }] },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('INVALID_REQUEST');
    const rejectWithoutWhy = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
      body: { decision: 'REJECT' },
    });
    expect(rejectWithoutWhy.status).toBe(400);
    expect(aws.sfn?.calls).toEqual([]);
  });

  it('refuses with 400 an exclusion of a NIK or No. KK that is not among the accepted rows, naming each, recording nothing', async () => {
    const unknownNik = world.nik();
    const unknownKk = world.kk();
    const refused = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
      body: {
        decision: 'APPROVE_WITH_EXCLUSIONS',
        note: 'Diverifikasi musdes',
        exclusions: [
          { kind: 'NIK', id: acceptedChild.nik, reason: 'Sudah bekerja' },
          { kind: 'NIK', id: unknownNik, reason: 'Salah ketik' },
          // A family number given as a NIK is not that person either.
          { kind: 'NIK', id: acceptedHead.noKk, reason: 'Tertukar' },
          { kind: 'KK', id: unknownKk, reason: 'Keluarga lain' },
        ],
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('INVALID_REQUEST');
    expect(refused.body.message).toEqual(expect.stringContaining('tidak ada di antara baris usulan'));
    for (const id of [unknownNik, acceptedHead.noKk, unknownKk]) expect(refused.body.message).toContain(id);
    expect(refused.body.message).not.toContain(acceptedChild.nik);
    expect(refused.body.issues).toEqual([
      `exclusions.1.id: NIK ${unknownNik} tidak ada di antara baris usulan yang lolos pemeriksaan`,
      `exclusions.2.id: NIK ${acceptedHead.noKk} tidak ada di antara baris usulan yang lolos pemeriksaan`,
      `exclusions.3.id: No. KK ${unknownKk} tidak ada di antara baris usulan yang lolos pemeriksaan`,
    ]);
    // Nothing recorded, nothing sent, the task still waiting for a decision.
    expect(await decisions.listDecisions('3371-2026-11-aaaaaaaaaaaa')).toEqual([]);
    expect(aws.sfn?.calls).toEqual([]);
    expect((await call('GET /tasks', regencyApprover)).body.tasks).toHaveLength(1);
  });

  it('finds the excluded persons and families among many accepted rows, wherever they are in the file', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => world.row({ line: i + 2 }));
    const last = many[many.length - 1] as ProposalRow;
    const first = many[0] as ProposalRow;
    await proposalAwaitingRegency('3371-2026-11-dddddddddddd', 'secret-token-d', many);
    const decided = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-dddddddddddd',
      body: {
        decision: 'APPROVE_WITH_EXCLUSIONS',
        note: 'Diverifikasi',
        exclusions: [
          { kind: 'KK', id: last.noKk, reason: 'Sudah mampu' },
          { kind: 'NIK', id: first.nik, reason: 'Pindah' },
        ],
      },
    });
    expect(decided.status).toBe(200);
    expect((await decisions.listDecisions('3371-2026-11-dddddddddddd'))[0]?.exclusions).toHaveLength(2);
    aws.sfn?.calls.splice(0);
  });

  it('records the decision with who, when and why, sends it to the waiting task and closes the task', async () => {
    const exclusions = [{ kind: 'KK', id: '3371010101200001', reason: 'Keluarga sudah mampu' }];
    const decided = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
      body: { decision: 'APPROVE_WITH_EXCLUSIONS', note: 'Diverifikasi musdes', exclusions },
    });
    expect(decided.status).toBe(200);
    const [recorded] = await decisions.listDecisions('3371-2026-11-aaaaaaaaaaaa');
    expect(recorded).toMatchObject({
      decision: 'APPROVE_WITH_EXCLUSIONS',
      level: 'REGENCY',
      decidedBy: 'kadinsos-3371',
      note: 'Diverifikasi musdes',
      exclusions,
    });
    expect(Date.parse(recorded?.decidedAt ?? '')).not.toBeNaN();
    expect(aws.sfn?.calls).toEqual([
      {
        action: 'SendTaskSuccess',
        taskToken: 'secret-token-a',
        output: {
          decision: 'APPROVE_WITH_EXCLUSIONS',
          level: 'REGENCY',
          decidedBy: 'kadinsos-3371',
          decidedAt: recorded?.decidedAt,
          note: 'Diverifikasi musdes',
          // No exclusions: the output stays in the execution history; they are in the record above.
        },
      },
    ]);
    expect((await call('GET /tasks', regencyApprover)).body.tasks).toEqual([]);
  });

  it('answers 409 "already decided" to a second decision of the same level', async () => {
    const again = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-aaaaaaaaaaaa',
      body: { decision: 'REJECT', note: 'berubah pikiran' },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_DECIDED');
    expect(aws.sfn?.calls).toHaveLength(1);
  });

  it('answers 409 when Step Functions says the task timed out', async () => {
    await proposalAwaitingRegency('3371-2026-11-bbbbbbbbbbbb', 'secret-token-b');
    aws.sfn?.failToken('secret-token-b', 'TaskTimedOut');
    const late = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-bbbbbbbbbbbb',
      body: { decision: 'APPROVE' },
    });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'ALREADY_DECIDED', message: expect.stringContaining('sudah diputuskan') });
    const task = await tasks.getTaskWithToken('3371-2026-11-bbbbbbbbbbbb', 'REGENCY');
    expect(task?.state).toBe('CLOSED');
  });

  it('answers 503 when the decision could not be sent, and sends the recorded decision when asked again', async () => {
    await proposalAwaitingRegency('3371-2026-11-cccccccccccc', 'secret-token-c');
    aws.sfn?.failToken('secret-token-c', 'InternalFailure', 1);
    const busy = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-cccccccccccc',
      body: { decision: 'REJECT', note: 'Data belum diverifikasi' },
    });
    expect(busy.status).toBe(503);
    expect(busy.body.code).toBe('TRY_AGAIN');
    expect(aws.sfn?.calls.filter((c) => c.taskToken === 'secret-token-c')).toEqual([]);
    const again = await call('POST /proposals/{proposalId}/decision', regencyApprover, {
      proposalId: '3371-2026-11-cccccccccccc',
      body: { decision: 'APPROVE' },
    });
    // The first decision stands and reaches the workflow; the second is told it was already decided.
    expect(again.status).toBe(409);
    expect(aws.sfn?.calls.filter((c) => c.taskToken === 'secret-token-c')).toEqual([
      expect.objectContaining({
        output: expect.objectContaining({ decision: 'REJECT', note: 'Data belum diverifikasi' }),
      }),
    ]);
  });
});
