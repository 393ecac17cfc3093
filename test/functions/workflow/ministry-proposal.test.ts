/**
 * A Kemensos proposal (uploaded under kemensos/) through the real state machines: the same check and the
 * same two approvals as a regency's own, the regency's approver seeing where it came from, and the
 * master records it stipulates keeping KEMENSOS as the source of their last change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import { KEYS } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import type { TestAws } from '../../support/aws.ts';
import { startWorkflows, type Workflows } from '../../support/workflows.ts';
import { World } from '../../support/world.ts';

let workflows: Workflows;
let aws: TestAws;
let runtime: StepFunctionsRuntime;
const world = new World();

const head = world.row();
const child = world.row({ noKk: head.noKk, hubunganKeluarga: 'ANAK', tanggalLahir: '2011-05-06' });

beforeAll(async () => {
  workflows = await startWorkflows({
    machines: ['proposal', 'stipulation'],
    population: [head, child],
    settleTimeoutMs: 120_000,
  });
  ({ aws, runtime } = workflows);
});

afterAll(async () => {
  await workflows?.stop();
});

describe('a Kemensos proposal through the proposal and stipulation workflows', () => {
  let proposalId: string;
  let executionArn: string;

  it('is checked and waits for the regency approval, its task and record naming KEMENSOS', async () => {
    executionArn = await workflows.upload(KEYS.upload('KEMENSOS', '3371', '2026-11', 'usulan-kemensos.csv'), [
      head,
      child,
    ]);
    await runtime.waitForPendingTask(executionArn, 'AwaitRegencyApproval', 60_000);
    const [open] = await new TasksRepository(aws.clients.documents, aws.names.tables.proposals).listOpenTasks(
      'REGENCY#3371',
    );
    expect(open).toMatchObject({ level: 'REGENCY', source: 'KEMENSOS' });
    proposalId = open?.proposalId ?? '';
    const proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
    expect(await proposals.require(proposalId)).toMatchObject({
      source: 'KEMENSOS',
      status: 'AWAITING_REGENCY',
      summary: { rows: 2, accepted: 2 },
    });
  });

  it('is stipulated after both approvals, the master records keeping KEMENSOS as their source', async () => {
    const regency = { username: 'kadinsos-3371', role: 'regency_approver', area: '3371' } as const;
    expect(await workflows.decide(regency, proposalId, { decision: 'APPROVE', note: 'Usulan Kemensos sesuai' })).toBe(
      200,
    );
    await runtime.waitForPendingTask(executionArn, 'AwaitProvinceApproval', 60_000);
    const province = { username: 'dinsos-33', role: 'province_approver', area: '33' } as const;
    expect(await workflows.decide(province, proposalId, { decision: 'APPROVE', note: 'ok' })).toBe(200);
    await runtime.waitForPendingTask(executionArn, 'AwaitStipulation', 60_000);
    const stipulation = await runtime.startExecution({
      stateMachineArn: runtime.stateMachineArn('stipulation'),
      input: JSON.stringify({ period: '2026-11' }),
    });
    const run = await workflows.settled(stipulation.executionArn);
    expect(run, run.cause).toMatchObject({ status: 'SUCCEEDED' });
    const done = await workflows.settled(executionArn);
    expect(done, done.cause).toMatchObject({ status: 'SUCCEEDED' });
    const records = await new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master).getRecords([
      head.nik,
      child.nik,
    ]);
    expect(records.get(head.nik)).toMatchObject({ status: 'ACTIVE', source: 'KEMENSOS', sourceProposalId: proposalId });
    expect(records.get(child.nik)).toMatchObject({ status: 'ACTIVE', source: 'KEMENSOS' });
  });
});
