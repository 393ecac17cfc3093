/**
 * The stipulation guard (issue 11) under the real stipulation workflow (state-machines/stipulation.asl.json)
 * on the local runtime, with the real handlers against the emulators and the approvals API answering the
 * guard's task: a month below the thresholds is applied without asking; a month that deactivates more than
 * 5% of a regency waits for the ministry, applies nothing while it waits, and ends applying nothing when the
 * ministry holds it; a rerun asks again; a forged sign-off (SendTaskSuccess by whoever holds the token) is
 * refused and applies nothing; the ministry's sign-off applies the month and goes on the period record; a
 * rerun of the stipulated period is still refused.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import { applyChange, changeFromRow, type MasterRecord } from '#core/stipulation.ts';
import { LocalFunctions } from '#local/functions.ts';
import type { ExecutionDescription, StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import type { Principal } from '#shared/contracts.ts';
import { GuardRepository } from '#shared/guard-repository.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import type { TestAws } from '../../support/aws.ts';
import { PRINCIPALS } from '../../support/console.ts';
import { apiEvent } from '../../support/lambda.ts';
import { provinceApprovedProposal } from '../../support/proposals.ts';
import { type StipulationRuntime, startStipulationRuntime } from '../../support/workflows.ts';
import { World } from '../../support/world.ts';

const { ministry: MINISTRY, regency: REGENCY_APPROVER } = PRINCIPALS;

let aws: TestAws;
let runtime: StepFunctionsRuntime;
let stipulation: StipulationRuntime;
let master: DynamoDtksMaster;
let periods: PeriodsRepository;
let guard: GuardRepository;
const functions = new LocalFunctions();
const world = new World();
/** The 20 active persons of Kota Magelang before the months below. */
const seeded: ProposalRow[] = [];

beforeAll(async () => {
  stipulation = await startStipulationRuntime({ functions });
  ({ aws, runtime } = stipulation);
  master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
  periods = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals);
  guard = new GuardRepository(aws.clients.documents, aws.names.tables.proposals);
  for (let i = 0; i < 20; i++) {
    const row = world.row({ line: i + 2 });
    const record = applyChange(undefined, changeFromRow(row, 'seed', '2026-08'));
    if (record === 'UNCHANGED') throw new Error('seed');
    await master.putRecord(record, undefined);
    seeded.push(row);
  }
});

afterAll(async () => {
  await stipulation?.stop();
});

/** A province-approved proposal of `period` waiting for stipulation: `deactivate` seeded persons (MENINGGAL) and one new family. */
async function monthWith(proposalId: string, period: string, deactivate: readonly ProposalRow[]): Promise<void> {
  const rows = [
    ...deactivate.map((person, i) => ({ ...person, line: i + 2, aksi: 'HAPUS', alasan: 'MENINGGAL' })),
    world.row({ line: deactivate.length + 2 }),
  ];
  await provinceApprovedProposal(aws, { proposalId, period, approvedAt: `${period}-20T01:00:00.000Z`, rows });
  await functions.invoke('await-stipulation', { proposalId, taskToken: `token-${proposalId}` });
}

const start = (period: string): Promise<string> => stipulation.start(period);
const settled = (executionArn: string): Promise<ExecutionDescription> => stipulation.settled(executionArn);

/** Posts the guard decision to the approvals API as `principal`: the status and the body. */
async function signOff(principal: Principal, period: string, body: unknown) {
  const event = apiEvent('POST /periods/{period}/guard', principal, { pathParameters: { period }, body });
  const result = (await functions.invoke('approvals-api', event)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode ?? 0, body: JSON.parse(String(result.body)) as Record<string, unknown> };
}

async function statusOf(rows: readonly ProposalRow[]): Promise<string[]> {
  const records = await master.getRecords(rows.map((row) => row.nik));
  return rows.map((row) => (records.get(row.nik) as MasterRecord | undefined)?.status ?? 'ABSENT');
}

describe('the stipulation guard', () => {
  it('applies a month at or below the thresholds without asking', async () => {
    // One deactivation of 20 active persons is 5%: not above the share.
    await monthWith('3371-2026-09-aaaaaaaaaaaa', '2026-09', seeded.slice(0, 1));
    const run = await settled(await start('2026-09'));
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await statusOf(seeded.slice(0, 1))).toEqual(['INACTIVE']);
    expect(await guard.getTask('2026-09')).toBeUndefined();
    expect((await periods.getPeriod('2026-09'))?.guard).toBeUndefined();
  });

  it('compares nothing, and asks nothing, for a month without a change set', async () => {
    // SummariseResolution's list of a month without changes: no shard, so CompareShards runs no child.
    const shardsKey = 'stipulation/2026-09/no-shards.json';
    await aws.clients.s3.send(
      new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: shardsKey, Body: '[]' }),
    );
    const verdict = await functions.invoke('stipulation-guard', {
      action: 'COMPARE',
      period: '2026-09',
      executionId: 'carried-forward',
      shardsKey,
    });
    expect(verdict).toMatchObject({ signOffRequired: false, breaches: [], totals: { deactivations: 0, adds: 0 } });
  });

  const held = () => seeded.slice(1, 3);

  it('holds a month that deactivates more than 5% of a regency until the ministry answers, applying nothing', async () => {
    // Two of the 20 persons active now (19 seeded, 1 added in September): 10%.
    await monthWith('3371-2026-10-bbbbbbbbbbbb', '2026-10', held());
    const executionArn = await start('2026-10');
    await runtime.waitForPendingTask(executionArn, 'AwaitMinistrySignOff');
    const task = await guard.getTask('2026-10');
    expect(task).toMatchObject({ state: 'OPEN', executionId: executionArn, verdict: { signOffRequired: true } });
    expect(task?.verdict.breaches).toEqual(['kabupaten/kota 3371: 2 penonaktifan dari 20 orang aktif (10%, batas 5%)']);
    expect(task).not.toHaveProperty('taskToken');
    // The diff report the ministry answers: counts per regency, no NIK.
    const report = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: task?.verdict.reportKey }),
    );
    const text = (await report.Body?.transformToString()) ?? '';
    expect(JSON.parse(text).regencies).toEqual([
      expect.objectContaining({
        regency: '3371',
        active: 20,
        adds: 1,
        deactivations: 2,
        deactivationsByReason: { MENINGGAL: 2 },
      }),
    ]);
    for (const row of held()) expect(text).not.toContain(row.nik);
    expect(await statusOf(held())).toEqual(['ACTIVE', 'ACTIVE']);

    // Only the ministry answers; a regency approver is refused and nothing moves.
    expect((await signOff(REGENCY_APPROVER, '2026-10', { decision: 'APPROVE', note: 'setuju' })).status).toBe(403);
    expect((await signOff(MINISTRY, '2026-10', { decision: 'APPROVE', note: '' })).status).toBe(400);
    expect(runtime.describeExecution({ executionArn }).status).toBe('RUNNING');

    const answer = await signOff(MINISTRY, '2026-10', { decision: 'HOLD', note: 'Verifikasi data kematian dulu' });
    expect(answer).toMatchObject({ status: 200, body: { code: 'HELD', signOff: { decidedBy: 'ministry' } } });
    const run = await settled(executionArn);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'StipulationHeld' });
    expect(run.cause).toContain('Penetapan periode 2026-10 ditahan oleh Kementerian (ministry');
    expect(run.cause).toContain('Verifikasi data kematian dulu');
    expect(await statusOf(held())).toEqual(['ACTIVE', 'ACTIVE']);
    expect(await periods.getPeriod('2026-10')).toBeUndefined();
    // Answered: a second answer is refused.
    expect((await signOff(MINISTRY, '2026-10', { decision: 'APPROVE', note: 'ulang' })).body.code).toBe(
      'NOT_AWAITING_SIGN_OFF',
    );
  });

  it('asks again on a rerun, and refuses a forged sign-off sent with the token, applying nothing', async () => {
    const executionArn = await start('2026-10');
    await runtime.waitForPendingTask(executionArn, 'AwaitMinistrySignOff');
    const task = await guard.getTaskWithToken('2026-10');
    expect(task).toMatchObject({ state: 'OPEN', executionId: executionArn, earlier: [{ decision: 'HOLD' }] });
    expect(task?.signOff).toBeUndefined();
    // Whoever holds the token answers with a sign-off that looks right but was never recorded.
    const forged = {
      decision: 'APPROVE',
      period: '2026-10',
      executionId: executionArn,
      decidedBy: 'ministry',
      decidedAt: new Date().toISOString(),
      note: 'palsu',
      reportSha256: task?.verdict.reportSha256,
    };
    runtime.sendTaskSuccess({ taskToken: task?.taskToken ?? '', output: JSON.stringify(forged) });
    const run = await settled(executionArn);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'SignOffNotRecordedError' });
    expect(run.cause).toContain('tidak ada persetujuan yang tercatat');
    expect(await statusOf(held())).toEqual(['ACTIVE', 'ACTIVE']);
    expect(await periods.getPeriod('2026-10')).toBeUndefined();
  });

  it("applies the month on the ministry's sign-off and records who, when and why on the period", async () => {
    const executionArn = await start('2026-10');
    await runtime.waitForPendingTask(executionArn, 'AwaitMinistrySignOff');
    const answer = await signOff(MINISTRY, '2026-10', { decision: 'APPROVE', note: 'Data kematian terverifikasi' });
    expect(answer).toMatchObject({ status: 200, body: { code: 'SIGNED_OFF' } });
    const run = await settled(executionArn);
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await statusOf(held())).toEqual(['INACTIVE', 'INACTIVE']);
    const record = await periods.getPeriod('2026-10');
    expect(record?.guard).toMatchObject({
      signOffRequired: true,
      signOff: {
        decision: 'APPROVE',
        decidedBy: 'ministry',
        note: 'Data kematian terverifikasi',
        executionId: executionArn,
      },
      earlier: [{ decision: 'HOLD', note: 'Verifikasi data kematian dulu' }],
    });
    expect(record?.guard?.signOff?.reportSha256).toBe(record?.guard?.reportSha256);
    // The token is gone with the answer.
    expect(await guard.getTaskWithToken('2026-10')).not.toHaveProperty('taskToken');
  });

  it('still refuses a rerun of the stipulated period, before the guard asks anything', async () => {
    const before = await guard.getTask('2026-10');
    const rerun = await settled(await start('2026-10'));
    expect({ status: rerun.status, error: rerun.error }).toEqual({
      status: 'FAILED',
      error: 'PeriodAlreadyStipulated',
    });
    expect(await guard.getTask('2026-10')).toEqual(before);
    expect((await signOff(MINISTRY, '2026-10', { decision: 'APPROVE', note: 'lagi' })).status).toBe(409);
  });
});
