/**
 * The incremental snapshot through the real handlers: a regency no applied change touched is carried
 * forward from the previous stipulated period by server-side copy (same bytes, same checksums, marked
 * carriedFrom in its part record and the manifest), a changed one is exported from the master, and a
 * regency a person moved out of counts as changed even on a rerun that finds the move applied.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { applyChange, changeFromRow } from '#core/stipulation.ts';
import type { CollectOutput, ExportPartRecord, ExportRegencyOutput, ListRegenciesOutput } from '#shared/contracts.ts';
import { KEYS } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { APPLY_FUNCTIONS, applyPeriod } from '../../support/apply.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { collectedProposals, provinceApprovedProposal } from '../../support/proposals.ts';
import { RESOLVE_FUNCTIONS, resolvePeriod } from '../../support/resolve.ts';
import { downloadObject } from '../exports/objects.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
const handlers: Record<string, Handler> = {};

function person(i: number, regency: '3371' | '3372', extra: Partial<ProposalRow> = {}): ProposalRow {
  const serial = String(i + 1).padStart(4, '0');
  return {
    line: i + 1,
    aksi: 'TAMBAH',
    alasan: '',
    nik: `${regency}010506800${serial.slice(1)}`,
    noKk: `${regency}01010120${serial}`,
    nama: `Warga ${regency} ${i}`,
    jenisKelamin: 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: '1980-06-05',
    namaIbuKandung: `Ibu ${i}`,
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'KAWIN',
    alamat: `Jl. Pahlawan ${i}`,
    rt: '001',
    rw: '002',
    kodeDesa: `${regency}011001`,
    pekerjaan: 'PETANI',
    penghasilanBulanan: '',
    desil: String((i % 10) + 1),
    ...extra,
  };
}

async function invoke<T>(name: string, event: unknown): Promise<T> {
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return (await handler(event, lambdaContext(`dtks-${name}`))) as T;
}

interface PeriodRun {
  listed: ListRegenciesOutput;
  parts: Map<string, ExportPartRecord>;
  manifest: SnapshotManifest;
}

/** The stipulation workflow's steps for one period, in its order, with the export of every listed regency. */
async function stipulate(period: string): Promise<PeriodRun> {
  const collected = await invoke<CollectOutput>('stipulation-collect', { period });
  const resolved = await resolvePeriod(invoke, collected);
  await applyPeriod(invoke, { s3: aws.clients.s3, bucket: aws.names.buckets.proposals }, resolved);
  const listed = await invoke<ListRegenciesOutput>('stipulation-list-regencies', { period });
  const exported: ExportRegencyOutput[] = [];
  for (const item of listed.regencies)
    exported.push(await invoke<ExportRegencyOutput>('stipulation-export-regency', item));
  const finalised = await invoke<{ manifestKey: string; manifestSha256: string }>('stipulation-finalise-export', {
    period,
    carriedForward: resolved.changes === 0,
    proposalsKey: collected.proposalsKey,
    regencies: exported,
  });
  for (const { proposalId } of await collectedProposals(aws, collected)) {
    await invoke('stipulation-release', { period, proposalId });
  }
  await invoke('stipulation-record-period', {
    period,
    proposalsKey: collected.proposalsKey,
    changes: resolved.changes,
    // FinaliseExport's output, as the workflow passes it: the record keeps the manifest's SHA-256 (hash chain).
    export: finalised,
  });
  const parts = new Map<string, ExportPartRecord>();
  for (const { regency } of listed.regencies) {
    parts.set(regency, JSON.parse((await download(KEYS.exportPartRecord(period, regency))).toString('utf8')));
  }
  const manifest = JSON.parse((await download(finalised.manifestKey)).toString('utf8')) as SnapshotManifest;
  return { listed, parts, manifest };
}

function download(key: string): Promise<Buffer> {
  return downloadObject(aws.clients.s3, aws.names.buckets.exports, key);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Each tier's SHA-256 of a part, as recorded. */
const checksums = (part: ExportPartRecord | undefined) =>
  Object.fromEntries((part?.files ?? []).map((file) => [file.tier, file.sha256]));

let october: PeriodRun;
let november: PeriodRun;
let december: PeriodRun;
let january: PeriodRun;
let february: PeriodRun;

beforeAll(async () => {
  aws = await startTestAws();
  for (const name of [
    'await-stipulation',
    'stipulation-collect',
    ...RESOLVE_FUNCTIONS,
    ...APPLY_FUNCTIONS,
    'stipulation-list-regencies',
    'stipulation-export-regency',
    'stipulation-finalise-export',
    'stipulation-release',
    'stipulation-record-period',
  ]) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
  // The master as 2026-10 left it: 8 persons of Kota Magelang (3371), 6 of Kota Surakarta (3372).
  const master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
  for (const seed of [
    ...Array.from({ length: 8 }, (_, i) => person(i, '3371')),
    ...Array.from({ length: 6 }, (_, i) => person(i, '3372')),
  ]) {
    const record = applyChange(undefined, changeFromRow(seed, 'seed', '2026-09'));
    if (record === 'UNCHANGED') throw new Error('seed');
    await master.putRecord(record, undefined);
  }
  // October: nothing proposed, and no earlier period stipulated: both regencies exported from the master.
  october = await stipulate('2026-10');

  // November: one person of 3371 changes address; 3372 has no change.
  await provinceApprovedProposal(aws, {
    proposalId: '3371-2026-11-address00000',
    period: '2026-11',
    approvedAt: '2026-11-20T01:00:00.000Z',
    rows: [{ ...person(2, '3371', { alamat: 'Jl. Baru 9' }), aksi: 'UBAH', line: 1 }],
  });
  await invoke('await-stipulation', { proposalId: '3371-2026-11-address00000', taskToken: 'token-address' });
  november = await stipulate('2026-11');

  // December: a person of 3372 moves to a village of 3371, in a proposal of 3371: the change set names 3371 only.
  const moved = person(4, '3372');
  await provinceApprovedProposal(aws, {
    proposalId: '3371-2026-12-moved0000000',
    period: '2026-12',
    approvedAt: '2026-12-20T01:00:00.000Z',
    rows: [{ ...moved, aksi: 'UBAH', kodeDesa: '3371011002', line: 1 }],
  });
  await invoke('await-stipulation', { proposalId: '3371-2026-12-moved0000000', taskToken: 'token-moved' });
  december = await stipulate('2026-12');
  // January and February: no proposal at all.
  january = await stipulate('2027-01');
  february = await stipulate('2027-02');
}, 600_000);

afterAll(async () => {
  await aws?.stop();
});

describe('the incremental snapshot', () => {
  it('exports every regency from the master when the month before is not stipulated', () => {
    expect(october.listed.regencies).toEqual([
      { period: '2026-10', regency: '3371', province: '33' },
      { period: '2026-10', regency: '3372', province: '33' },
    ]);
    expect([...october.parts.values()].map((part) => part.carriedFrom)).toEqual([undefined, undefined]);
  });

  it('lists the unchanged regency to be carried forward from the stipulated month before, the changed one not', () => {
    expect(november.listed.regencies).toEqual([
      { period: '2026-11', regency: '3371', province: '33' },
      { period: '2026-11', regency: '3372', province: '33', carryFrom: '2026-10' },
    ]);
    expect(november.listed.counts).toEqual({ regencies: 2, changed: 1, carried: 1, units: 2 });
  });

  it("carries the unchanged regency's files with the previous period's bytes and checksums", async () => {
    const carried = november.parts.get('3372');
    expect(carried).toMatchObject({ period: '2026-11', records: 6, carriedFrom: '2026-10', writtenIn: '2026-10' });
    expect(checksums(carried)).toEqual(checksums(october.parts.get('3372')));
    for (const file of carried?.files ?? []) {
      expect(file.key).toContain('2026-11');
      const bytes = await download(file.key);
      expect({ bytes: bytes.length, sha256: sha256(bytes) }).toEqual({ bytes: file.bytes, sha256: file.sha256 });
    }
  });

  it('exports the changed regency from the master again, with the change in it', async () => {
    const changed = november.parts.get('3371');
    expect(changed?.carriedFrom).toBeUndefined();
    expect(changed?.records).toBe(8);
    expect(checksums(changed).full).not.toBe(checksums(october.parts.get('3371')).full);
    const csv = (await download(KEYS.regencyCsv('2026-11', '3371'))).toString('utf8');
    expect(csv).toContain('Jl. Baru 9');
  });

  it('records the carried files as carried in the manifest, which still holds every regency', () => {
    const { manifest } = november;
    expect(manifest.totals.byRegency).toEqual({ '3371': 8, '3372': 6 });
    const carried = manifest.files.filter((file) => file.carriedFrom === '2026-10');
    expect(carried.map((file) => file.key).sort()).toEqual(
      (november.parts.get('3372')?.files ?? []).map((file) => file.key).sort(),
    );
    expect(manifest.files.filter((file) => !file.carriedFrom)).toHaveLength(4);
  });

  it('counts a regency a person moved out of as changed, and exports it without that person', async () => {
    expect(december.listed.regencies).toEqual([
      { period: '2026-12', regency: '3371', province: '33' },
      { period: '2026-12', regency: '3372', province: '33' },
    ]);
    expect(december.parts.get('3372')).toMatchObject({ records: 5 });
    expect(december.parts.get('3372')?.carriedFrom).toBeUndefined();
    expect(december.parts.get('3371')).toMatchObject({ records: 9 });
    // A rerun finds the move applied; the marker left before the write still names 3372.
    const listedAgain = await invoke<ListRegenciesOutput>('stipulation-list-regencies', { period: '2026-12' });
    expect(listedAgain.regencies.map((item) => item.carryFrom)).toEqual([undefined, undefined]);
  });

  it('carries every regency of a month without change, onward from a carried period, keeping who wrote the bytes', () => {
    expect(january.manifest.carriedForward).toBe(true);
    expect(february.listed.counts).toEqual({ regencies: 2, changed: 0, carried: 2, units: 2 });
    for (const regency of ['3371', '3372']) {
      expect(february.parts.get(regency)).toMatchObject({ carriedFrom: '2027-01', writtenIn: '2026-12' });
      expect(checksums(february.parts.get(regency))).toEqual(checksums(december.parts.get(regency)));
    }
  });
});
