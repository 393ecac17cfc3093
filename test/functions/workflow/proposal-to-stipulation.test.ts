/**
 * The handlers under the real state machines: state-machines/*.asl.json executed by the local Step
 * Functions runtime (local/sfn), which invokes the handlers in-process and answers SendTaskSuccess from
 * the approvals API and the stipulation release over its HTTP API, as Step Functions does in the cloud.
 * One proposal from upload to STIPULATED, through both approvals and the month's stipulation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import type { Principal } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import type { TestAws } from '../../support/aws.ts';
import { startWorkflows, type Workflows } from '../../support/workflows.ts';
import { World } from '../../support/world.ts';

let workflows: Workflows;
let aws: TestAws;
let runtime: StepFunctionsRuntime;
const world = new World();

const headA = world.row();
const childA = world.row({ noKk: headA.noKk, hubunganKeluarga: 'ANAK', tanggalLahir: '2010-02-03' });
const headB = world.row();

const settled = (executionArn: string) => workflows.settled(executionArn);
const decide = (principal: Principal, proposalId: string, body: unknown) =>
  workflows.decide(principal, proposalId, body);

beforeAll(async () => {
  workflows = await startWorkflows({
    machines: ['proposal', 'stipulation'],
    population: [headA, childA, headB],
    settleTimeoutMs: 120_000,
  });
  ({ aws, runtime } = workflows);
});

afterAll(async () => {
  await workflows?.stop();
});

describe('a proposal through the proposal and stipulation workflows', () => {
  let proposalId: string;
  let executionArn: string;

  it('waits for the regency approval after ingest and the check', async () => {
    executionArn = await workflows.upload('proposals/3371/2026-11/usulan-desa-a.csv', [headA, childA, headB]);
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
