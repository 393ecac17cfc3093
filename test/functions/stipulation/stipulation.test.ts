import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import { applyChange, changeFromRow, type MasterRecord } from '#core/stipulation.ts';
import type {
  ChangeSetShard,
  CollectOutput,
  ListRegenciesOutput,
  ResolveOutput,
  StipulationRelease,
} from '#shared/contracts.ts';
import { KEYS } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { readJson } from '#shared/staging.ts';
import { APPLY_FUNCTIONS, applyPeriod } from '../../support/apply.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { scanMaster } from '../../support/master.ts';
import { collectedProposals, provinceApprovedProposal } from '../../support/proposals.ts';
import { RESOLVE_FUNCTIONS, resolvePeriod } from '../../support/resolve.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let proposals: ProposalsRepository;
let periods: PeriodsRepository;
let master: DynamoDtksMaster;
const handlers: Record<string, Handler> = {};

const PERIOD = '2026-11';
const KK_1 = '3371010101200001';
const KK_2 = '3371010101200002';
const KK_3 = '3371010101200003';
const KK_4 = '3371010101200004';
const NIK_DECEASED = '3371011203500001';
const NIK_MOVED = '3371014506800002';
const NIK_NEW = '3371010101100003';
const NIK_OTHER = '3371010202100004';
const NIK_EXCLUDED = '3371010303100005';
const NIK_LATER_PERIOD = '3371010404100006';

function row(line: number, aksi: string, nik: string, noKk: string, extra: Partial<ProposalRow> = {}): ProposalRow {
  return {
    line,
    aksi,
    alasan: '',
    nik,
    noKk,
    nama: `Warga ${nik.slice(-4)}`,
    jenisKelamin: 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: '2010-01-01',
    namaIbuKandung: 'Ibu',
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'BELUM_KAWIN',
    alamat: 'Jl. Pahlawan 1',
    rt: '001',
    rw: '002',
    kodeDesa: '3371011001',
    pekerjaan: '',
    penghasilanBulanan: '',
    desil: '',
    ...extra,
  };
}

async function seedMaster(rows: ProposalRow[]): Promise<void> {
  for (const seed of rows) {
    const record = applyChange(undefined, changeFromRow(seed, 'seed', '2026-10'));
    if (record === 'UNCHANGED') throw new Error('seed');
    await master.putRecord(record, undefined);
  }
}

/** A proposal approved by its province at `approvedAt`, waiting for stipulation with its token. */
async function awaitingProposal(
  proposalId: string,
  period: string,
  approvedAt: string,
  rows: ProposalRow[],
  exclusions: { kind: 'NIK' | 'KK'; id: string; reason: string }[] = [],
): Promise<void> {
  await provinceApprovedProposal(aws, { proposalId, period, approvedAt, rows, exclusions });
  await handlers['await-stipulation']?.({ proposalId, taskToken: `token-${proposalId}` }, lambdaContext());
}

async function invoke<T>(name: string, event: unknown): Promise<T> {
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return (await handler(event, lambdaContext(`dtks-${name}`))) as T;
}

/** collect → resolve → apply each shard until done, as the stipulation workflow runs them. */
async function runPeriod(period: string): Promise<{ resolved: ResolveOutput; applied: number; slices: number }> {
  const collected = await invoke<CollectOutput>('stipulation-collect', { period });
  const resolved = await resolvePeriod(invoke, collected);
  const { applied, slices } = await applyPeriod(
    invoke,
    { s3: aws.clients.s3, bucket: aws.names.buckets.proposals },
    resolved,
  );
  return { resolved, applied, slices };
}

beforeAll(async () => {
  // Small slices, so that the loop over the change set is exercised.
  aws = await startTestAws({ env: { APPLY_SLICE_CHANGES: '2' } });
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  periods = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals);
  master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
  for (const name of [
    'await-stipulation',
    'stipulation-collect',
    ...RESOLVE_FUNCTIONS,
    ...APPLY_FUNCTIONS,
    'stipulation-release',
    'stipulation-record-period',
    'stipulation-list-regencies',
  ]) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
  await seedMaster([row(1, 'TAMBAH', NIK_DECEASED, KK_1), row(2, 'TAMBAH', NIK_MOVED, KK_2)]);
  await awaitingProposal('3371-2026-11-first0000000', PERIOD, '2026-11-20T01:00:00.000Z', [
    row(1, 'TAMBAH', NIK_NEW, KK_3),
    row(2, 'UBAH', NIK_MOVED, KK_2, { alamat: 'Jl. Baru 7' }),
    row(3, 'HAPUS', NIK_DECEASED, KK_1, { alasan: 'MENINGGAL' }),
  ]);
  await awaitingProposal(
    '3371-2026-11-second000000',
    PERIOD,
    '2026-11-21T01:00:00.000Z',
    [
      row(1, 'TAMBAH', NIK_NEW, KK_4),
      row(2, 'TAMBAH', NIK_OTHER, KK_4),
      row(3, 'TAMBAH', NIK_EXCLUDED, '3371010101200005'),
    ],
    [{ kind: 'KK', id: '3371010101200005', reason: 'Keluarga sudah mampu' }],
  );
  await awaitingProposal('3371-2026-12-later0000000', '2026-12', '2026-11-22T01:00:00.000Z', [
    row(1, 'TAMBAH', NIK_LATER_PERIOD, KK_4),
  ]);
});

afterAll(async () => {
  await aws?.stop();
});

describe('the stipulation of a period', () => {
  let firstRun: MasterRecord[];

  it('collects the waiting proposals of the closing period and earlier, in approval order', async () => {
    const collected = await invoke<CollectOutput>('stipulation-collect', { period: PERIOD });
    expect(collected.proposalCount).toBe(2);
    expect(await collectedProposals(aws, collected)).toEqual([
      { proposalId: '3371-2026-11-first0000000', regency: '3371' },
      { proposalId: '3371-2026-11-second000000', regency: '3371' },
    ]);
  });

  it('resolves conflicts (the earlier approval wins) and exclusions, then applies the change set in slices', async () => {
    const { resolved, applied, slices } = await runPeriod(PERIOD);
    expect(resolved).toMatchObject({ period: PERIOD, changes: 4, returnedRows: 2 });
    expect(applied).toBe(4);
    // Each shard's change set in slices of two.
    const shards = await readJson<ChangeSetShard[]>(aws.clients.s3, aws.names.buckets.proposals, resolved.shardsKey);
    expect(slices).toBe((shards ?? []).reduce((sum, { changes }) => sum + Math.ceil(changes / 2), 0));
    firstRun = await scanMaster(aws);
    const byNik = new Map(firstRun.map((record) => [record.nik, record]));
    expect(byNik.get(NIK_NEW)).toMatchObject({
      status: 'ACTIVE',
      noKk: KK_3,
      sourceProposalId: '3371-2026-11-first0000000',
    });
    expect(byNik.get(NIK_MOVED)).toMatchObject({ status: 'ACTIVE', alamat: 'Jl. Baru 7', firstPeriod: '2026-10' });
    expect(byNik.get(NIK_OTHER)).toMatchObject({ status: 'ACTIVE', noKk: KK_4 });
    expect(byNik.has(NIK_EXCLUDED)).toBe(false);
    expect(byNik.has(NIK_LATER_PERIOD)).toBe(false);
    const second = await proposals.require('3371-2026-11-second000000');
    expect(second.stipulation).toMatchObject({ period: PERIOD, changes: 1, conflicts: 1, excluded: 1 });
    const report = await aws.clients.s3.send(
      new GetObjectCommand({
        Bucket: aws.names.buckets.proposals,
        Key: `reports/3371/3371-2026-11-second000000/pengembalian-penetapan-${PERIOD}.csv`,
      }),
    );
    const text = (await report.Body?.transformToString()) ?? '';
    expect(text).toContain(`1,${NIK_NEW},${KK_4}`);
    expect(text).toContain('FAMILY_OVERLAP');
    expect(text).toContain('Keluarga sudah mampu');
  });

  it('deactivates a HAPUS person with the reason and period, and keeps the record', async () => {
    const deceased = firstRun.find((record) => record.nik === NIK_DECEASED);
    expect(deceased).toMatchObject({
      status: 'INACTIVE',
      deactivatedReason: 'MENINGGAL',
      deactivatedPeriod: PERIOD,
      nama: 'Warga 0001',
    });
    expect(deceased).not.toHaveProperty('activeRegency');
    expect((await master.findByNik([NIK_DECEASED])).size).toBe(0);
    expect((await master.findFamilies([KK_1])).size).toBe(0);
  });

  it('changes nothing when the period runs a second time', async () => {
    const { resolved, applied } = await runPeriod(PERIOD);
    expect(resolved.changes).toBe(4);
    expect(applied).toBe(0);
    expect(await scanMaster(aws)).toEqual(firstRun);
  });

  it('lists the regencies to export with their province, as items of the export Map written to S3', async () => {
    const listed = await invoke<ListRegenciesOutput>('stipulation-list-regencies', { period: PERIOD });
    // 2026-10 is not stipulated here: nothing is carried forward.
    expect(listed.regencies).toEqual([{ period: PERIOD, regency: '3371', province: '33' }]);
    const stored = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: listed.regenciesKey }),
    );
    expect(JSON.parse((await stored.Body?.transformToString()) ?? '')).toEqual(listed.regencies);
  });

  it('releases each waiting proposal with its outcome and takes it out of the queue', async () => {
    await invoke('stipulation-release', { period: PERIOD, proposalId: '3371-2026-11-first0000000' });
    await invoke('stipulation-release', { period: PERIOD, proposalId: '3371-2026-11-second000000' });
    const outputs = Object.fromEntries(
      (aws.sfn?.calls ?? []).map((call) => [call.taskToken, call.output as StipulationRelease]),
    );
    expect(outputs['token-3371-2026-11-first0000000']).toEqual({
      outcome: 'STIPULATED',
      period: PERIOD,
      applied: 3,
      returnedRows: 0,
    });
    expect(outputs['token-3371-2026-11-second000000']).toEqual({
      outcome: 'STIPULATED',
      period: PERIOD,
      applied: 1,
      returnedRows: 2,
    });
    // Released again (a repeated run): the closed task is tolerated and nothing is sent twice.
    await invoke('stipulation-release', { period: PERIOD, proposalId: '3371-2026-11-first0000000' });
    expect(aws.sfn?.calls).toHaveLength(2);
    // Out of the queue, but still the period's own until it is recorded: a rerun after a failure later in
    // the run stipulates them again (idempotently), so the period's record and manifest keep them.
    expect((await proposals.listStipulationQueue(PERIOD)).map((p) => p.proposalId)).toEqual([]);
    const collected = await invoke<CollectOutput>('stipulation-collect', { period: PERIOD });
    expect((await collectedProposals(aws, collected)).map((p) => p.proposalId)).toEqual([
      '3371-2026-11-first0000000',
      '3371-2026-11-second000000',
    ]);
  });

  it('records the period with what the workflow gathered, the export manifest included', async () => {
    await invoke('stipulation-record-period', {
      period: PERIOD,
      proposals: [{ proposalId: '3371-2026-11-first0000000', regency: '3371' }],
      carriedForward: false,
      changes: 4,
      applied: 4,
      export: { manifestKey: `exports/period=${PERIOD}/manifest.json`, records: 3 },
    });
    expect(await periods.getPeriod(PERIOD)).toMatchObject({
      period: PERIOD,
      carriedForward: false,
      counts: { proposals: 1, changes: 4, applied: 4, records: 3 },
      manifestKey: `exports/period=${PERIOD}/manifest.json`,
    });
  });

  it('collects nothing for a recorded period and says when it was stipulated', async () => {
    const recorded = await periods.getPeriod(PERIOD);
    expect(await invoke<CollectOutput>('stipulation-collect', { period: PERIOD })).toEqual({
      period: PERIOD,
      proposalsBucket: aws.names.buckets.proposals,
      proposalsKey: KEYS.proposalList(PERIOD),
      proposalCount: 0,
      stipulatedAt: recorded?.recordedAt,
    });
  });
});
