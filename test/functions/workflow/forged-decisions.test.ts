/**
 * A task token answered by someone other than the approvals API or the stipulation run. Whoever holds a
 * token (and sfn:SendTaskSuccess) can send any output; the workflow must continue only on what the
 * approvals API and stipulation-release recorded, and fail the proposal with a reason otherwise: never
 * AWAITING_PROVINCE or STIPULATED on a decision nobody made, and no task left in an approver's list.
 * The real handlers under the real state machines on the local runtime, as in proposal-to-stipulation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import type { StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import { AuditTrail } from '#shared/audit-trail.ts';
import type { Principal } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { type TaskKind, TasksRepository } from '#shared/tasks-repository.ts';
import type { TestAws } from '../../support/aws.ts';
import { startWorkflows, type Workflows } from '../../support/workflows.ts';
import { World } from '../../support/world.ts';

const REGENCY_APPROVER: Principal = { username: 'kadinsos-3371', role: 'regency_approver', area: '3371' };
const PROVINCE_APPROVER: Principal = { username: 'dinsos-33', role: 'province_approver', area: '33' };

let workflows: Workflows;
let aws: TestAws;
let runtime: StepFunctionsRuntime;
let proposals: ProposalsRepository;
let audit: AuditTrail;
let decisions: DecisionsRepository;
let tasks: TasksRepository;
const world = new World();
/** One family per scenario: a FAILED proposal releases its claims, but the scenarios stay independent. */
const families = Array.from({ length: 8 }, () => world.row());

const settled = (executionArn: string) => workflows.settled(executionArn);
const decide = (principal: Principal, proposalId: string, body: unknown) =>
  workflows.decide(principal, proposalId, body);

/** Uploads a one-row proposal and waits for its regency task; returns the proposal and its execution. */
async function uploaded(name: string, row: ProposalRow): Promise<{ proposalId: string; executionArn: string }> {
  const executionArn = await workflows.upload(`proposals/3371/2026-11/${name}.csv`, [row]);
  await runtime.waitForPendingTask(executionArn, 'AwaitRegencyApproval', 60_000);
  const proposal = (await proposals.listByRegency('3371')).find((p) => p.executionId === executionArn);
  if (!proposal) throw new Error(`no proposal for ${executionArn}`);
  return { proposalId: proposal.proposalId, executionArn };
}

/** What an attacker holding the stored token sends: straight to Step Functions, around the API. */
async function forge(proposalId: string, kind: TaskKind, output: unknown): Promise<void> {
  const task = await tasks.getTaskWithToken(proposalId, kind);
  if (!task) throw new Error(`no ${kind} task for ${proposalId}`);
  await runtime.sendTaskSuccess({ taskToken: task.taskToken, output: JSON.stringify(output) });
}

/** The same around the API with SendTaskFailure: an error name and a cause of the sender's choosing. */
async function forgeFailure(proposalId: string, kind: TaskKind, error: string, cause: string): Promise<void> {
  const task = await tasks.getTaskWithToken(proposalId, kind);
  if (!task) throw new Error(`no ${kind} task for ${proposalId}`);
  await runtime.sendTaskFailure({ taskToken: task.taskToken, error, cause });
}

/** The failed proposal: FAILED with the reason, no open task, and never past the step that was forged. */
async function expectRefused(proposalId: string, executionArn: string, neverReached: string[]): Promise<void> {
  const execution = await settled(executionArn);
  expect({ status: execution.status, error: execution.error }).toEqual({
    status: 'FAILED',
    error: 'DecisionNotRecordedError',
  });
  const proposal = await proposals.require(proposalId);
  expect(proposal.status).toBe('FAILED');
  expect(proposal.reason).toMatch(/tidak tercatat/);
  const statuses = (await audit.listEvents(proposalId)).filter((e) => e.kind === 'STATUS').map((e) => e.to);
  for (const status of neverReached) expect(statuses).not.toContain(status);
  expect((await tasks.listOpenTasks('REGENCY#3371')).map((t) => t.proposalId)).not.toContain(proposalId);
  expect((await tasks.listOpenTasks('PROVINCE#33')).map((t) => t.proposalId)).not.toContain(proposalId);
  for (const kind of ['REGENCY', 'PROVINCE', 'STIPULATION'] as const) {
    const task = await tasks.getTaskWithToken(proposalId, kind);
    if (task) expect(task.state, kind).toBe('CLOSED');
  }
}

beforeAll(async () => {
  workflows = await startWorkflows({ machines: ['proposal'], population: families, settleTimeoutMs: 40_000 });
  ({ aws, runtime } = workflows);
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  audit = new AuditTrail(aws.clients.documents, aws.names.tables.proposals);
  decisions = new DecisionsRepository(aws.clients.documents, aws.names.tables.proposals);
  tasks = new TasksRepository(aws.clients.documents, aws.names.tables.proposals);
});

afterAll(async () => {
  await workflows?.stop();
});

describe('a SendTaskSuccess that the approvals API did not send', () => {
  it('fails the proposal on {"decision":"MAYBE"} at the regency: never AWAITING_PROVINCE, no open task', async () => {
    const { proposalId, executionArn } = await uploaded('maybe', families[0] as ProposalRow);
    await forge(proposalId, 'REGENCY', { decision: 'MAYBE' });
    await expectRefused(proposalId, executionArn, ['AWAITING_PROVINCE', 'AWAITING_STIPULATION', 'STIPULATED']);
  });

  it('fails the proposal on a well-formed APPROVE that nobody recorded', async () => {
    const { proposalId, executionArn } = await uploaded('forged-approve', families[1] as ProposalRow);
    await forge(proposalId, 'REGENCY', {
      decision: 'APPROVE',
      level: 'REGENCY',
      decidedBy: REGENCY_APPROVER.username,
      decidedAt: new Date().toISOString(),
      note: '',
      exclusions: [],
    });
    await expectRefused(proposalId, executionArn, ['AWAITING_PROVINCE', 'AWAITING_STIPULATION', 'STIPULATED']);
    // The approvals API has no decision on record, and now refuses one: the proposal is over.
    expect(await decisions.listDecisions(proposalId)).toEqual([]);
    expect(await decide(REGENCY_APPROVER, proposalId, { decision: 'APPROVE' })).toBe(409);
  });

  it('fails the proposal when the output contradicts the recorded decision (a REJECT answered as APPROVE)', async () => {
    const { proposalId, executionArn } = await uploaded('turned', families[2] as ProposalRow);
    // The approvals API has recorded the approver's REJECT; the forger answers the token before the API does.
    const rejection = {
      decision: 'REJECT' as const,
      level: 'REGENCY' as const,
      decidedBy: REGENCY_APPROVER.username,
      decidedAt: new Date().toISOString(),
      note: 'Data belum diverifikasi',
      exclusions: [],
    };
    expect(await decisions.putDecision({ proposalId, ...rejection })).toBe(true);
    await forge(proposalId, 'REGENCY', { ...rejection, decision: 'APPROVE', note: '' });
    await expectRefused(proposalId, executionArn, ['AWAITING_PROVINCE', 'AWAITING_STIPULATION', 'STIPULATED']);
    expect((await proposals.require(proposalId)).reason).toMatch(/berbeda dengan yang tercatat pada decision/);
  });

  it("fails the proposal when the regency's recorded decision is replayed on the province task", async () => {
    const { proposalId, executionArn } = await uploaded('replayed', families[3] as ProposalRow);
    expect(await decide(REGENCY_APPROVER, proposalId, { decision: 'APPROVE', note: 'ok' })).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitProvinceApproval', 60_000);
    const [regency] = await decisions.listDecisions(proposalId);
    await forge(proposalId, 'PROVINCE', regency);
    await expectRefused(proposalId, executionArn, ['AWAITING_STIPULATION', 'STIPULATED']);
  });

  it('fails the proposal on a StipulationRelease that no stipulation run recorded', async () => {
    const { proposalId, executionArn } = await uploaded('forged-release', families[4] as ProposalRow);
    expect(await decide(REGENCY_APPROVER, proposalId, { decision: 'APPROVE', note: 'ok' })).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitProvinceApproval', 60_000);
    expect(await decide(PROVINCE_APPROVER, proposalId, { decision: 'APPROVE', note: 'ok' })).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitStipulation', 60_000);
    await forge(proposalId, 'STIPULATION', { outcome: 'STIPULATED', period: '2026-11', applied: 1, returnedRows: 0 });
    await expectRefused(proposalId, executionArn, ['STIPULATED']);
    // Out of the stipulation queue: the month's run will not apply it.
    expect((await proposals.listStipulationQueue('2026-11')).map((p) => p.proposalId)).not.toContain(proposalId);
  });
});

describe('a SendTaskFailure that Step Functions did not raise', () => {
  it('does not let a forged States.Timeout expire a proposal whose approval period has not passed', async () => {
    const { proposalId, executionArn } = await uploaded('forged-timeout', families[5] as ProposalRow);
    await forgeFailure(proposalId, 'REGENCY', 'States.Timeout', 'forged');
    const execution = await settled(executionArn);
    expect({ status: execution.status, error: execution.error }).toEqual({
      status: 'FAILED',
      error: 'PrematureExpiryError',
    });
    const proposal = await proposals.require(proposalId);
    expect(proposal.status).toBe('FAILED');
    expect(proposal.reason).toMatch(/sebelum batas waktunya/);
    const statuses = (await audit.listEvents(proposalId)).filter((e) => e.kind === 'STATUS').map((e) => e.to);
    expect(statuses).not.toContain('EXPIRED');
    expect((await tasks.listOpenTasks('REGENCY#3371')).map((t) => t.proposalId)).not.toContain(proposalId);
  });

  it('never shows the region a reason written by the sender of a forged failure', async () => {
    const { proposalId, executionArn } = await uploaded('forged-cause', families[6] as ProposalRow);
    const forgedText = 'Hubungi http://contoh.invalid untuk memulihkan usulan';
    await forgeFailure(
      proposalId,
      'REGENCY',
      'DecisionNotRecordedError',
      JSON.stringify({ errorType: 'DecisionNotRecordedError', errorMessage: forgedText }),
    );
    expect((await settled(executionArn)).status).toBe('FAILED');
    const proposal = await proposals.require(proposalId);
    expect(proposal.status).toBe('FAILED');
    expect(proposal.reason).not.toContain('contoh.invalid');
    expect(proposal.reason).toMatch(/kesalahan sistem/);
  });
});

describe('what task outputs carry', () => {
  it("keeps the excluded NIKs and their reasons out of the execution's history", async () => {
    const row = families[7] as ProposalRow;
    const { proposalId, executionArn } = await uploaded('exclusions-history', row);
    const reason = 'Pindah ke luar daerah menurut verifikasi lapangan';
    expect(
      await decide(REGENCY_APPROVER, proposalId, {
        decision: 'APPROVE_WITH_EXCLUSIONS',
        note: 'ok',
        exclusions: [{ kind: 'NIK', id: row.nik, reason }],
      }),
    ).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitProvinceApproval', 60_000);
    const history = JSON.stringify(await runtime.getExecutionHistory({ executionArn, includeExecutionData: true }));
    expect(history).toContain('APPROVE_WITH_EXCLUSIONS');
    expect(history).not.toContain(row.nik);
    expect(history).not.toContain(reason);
    // The exclusion itself is on record, where the stipulation reads it.
    expect((await decisions.exclusionsOf(proposalId)).map((e) => e.id)).toEqual([row.nik]);
  });
});
