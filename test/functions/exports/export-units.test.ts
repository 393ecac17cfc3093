/**
 * A large regency exported in units, through the real export handlers against the emulators, with
 * EXPORT_UNIT_MAX_PERSONS at 50: the first month exports Kabupaten Bogor (3201, 130 persons) whole and
 * records its NIK runs; the next month, changed, it is exported as three NIK ranges cut at those runs,
 * which together hold exactly what one export of the regency holds (boundaries on a NIK that is still
 * there and on one deactivated since, new NIKs next to them and beyond both ends); the month after,
 * unchanged, its three units are carried forward file by file. The manifests count it once, its units
 * summed, and `dtks snapshot verify` finds every period intact.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { applyChange, changeFromRow, type MasterRecord } from '#core/stipulation.ts';
import { LOCAL_PSEUDONYM_KEY } from '#local/provision.ts';
import {
  type ChangeSetSummary,
  type ExportPartRecord,
  type ExportRegencyInput,
  type ExportRegencyOutput,
  KEYS,
  type ListRegenciesOutput,
} from '#shared/contracts.ts';
import { exportRegency } from '#shared/exports/regency-export.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { verifySnapshots } from '../../../cli/snapshot-verify.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { putMasterRecords, seededRecord } from '../../support/stipulation-fixtures.ts';
import { type Duck, MemorySink, openDuck, type TempDir, tempDir } from './duckdb.ts';
import { downloadObject } from './objects.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
const handlers: Record<string, Handler> = {};
let duck: Duck;
let dir: TempDir;

const [JANUARY, FEBRUARY, MARCH] = ['2027-01', '2027-02', '2027-03'];
const BOGOR = 130;

/** A NIK of Kabupaten Bogor by serial: the seeded persons have the even serials 2, 4, …, 260. */
const nik = (serial: number) => `3201010506800${String(serial).padStart(3, '0')}`;

function row(serial: number, regency = '3201'): ProposalRow {
  return {
    line: serial,
    aksi: 'TAMBAH',
    alasan: '',
    nik: regency === '3201' ? nik(serial) : `3271014506800${String(serial).padStart(3, '0')}`,
    noKk: `${regency}01010120${String(serial).padStart(4, '0')}`,
    nama: `Warga ${regency} ${serial}`,
    jenisKelamin: regency === '3201' ? 'L' : 'P',
    tempatLahir: 'Bogor',
    tanggalLahir: '1980-06-05',
    namaIbuKandung: `Ibu ${serial}`,
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'KAWIN',
    alamat: `Jl. Pajajaran ${serial}`,
    rt: '001',
    rw: '002',
    kodeDesa: `${regency}011001`,
    pekerjaan: 'PETANI',
    penghasilanBulanan: '',
    desil: String((serial % 10) + 1),
  };
}

const record = seededRecord;
const putMaster = (records: readonly MasterRecord[]) => putMasterRecords(aws, records);

async function invoke<T>(name: string, event: unknown): Promise<T> {
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return (await handler(event, lambdaContext(`dtks-${name}`))) as T;
}

function download(key: string): Promise<Buffer> {
  return downloadObject(aws.clients.s3, aws.names.buckets.exports, key);
}

async function json<T>(key: string): Promise<T> {
  return JSON.parse((await download(key)).toString('utf8')) as T;
}

/** The change set summary Resolve leaves: the regencies the period's changes touch. */
async function changed(period: string, regencies: string[]): Promise<void> {
  const summary: ChangeSetSummary = { period, proposals: [], changes: regencies.length, returnedRows: 0, regencies };
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: KEYS.changeSetSummary(period),
      Body: JSON.stringify(summary),
    }),
  );
}

interface PeriodRun {
  items: ExportRegencyInput[];
  counts: ListRegenciesOutput['counts'];
  outputs: ExportRegencyOutput[];
  parts: ExportPartRecord[];
  manifest: SnapshotManifest;
}

/** ListRegencies, ExportRegency for every item, FinaliseExport from the item list, RecordPeriod: the workflow's order. */
async function stipulateExports(period: string): Promise<PeriodRun> {
  const listed = await invoke<ListRegenciesOutput>('stipulation-list-regencies', { period });
  // The Map's items, as the distributed Map's ItemReader reads them from the proposals bucket.
  const list = await downloadObject(aws.clients.s3, aws.names.buckets.proposals, listed.regenciesKey);
  const items = JSON.parse(list.toString('utf8')) as ExportRegencyInput[];
  const outputs: ExportRegencyOutput[] = [];
  for (const item of items) outputs.push(await invoke<ExportRegencyOutput>('stipulation-export-regency', item));
  const finalised = await invoke<{ manifestKey: string; manifestSha256: string; records: number }>(
    'stipulation-finalise-export',
    { period, carriedForward: false, proposals: [], regenciesKey: listed.regenciesKey },
  );
  await invoke('stipulation-record-period', { period, proposals: [], changes: 1, export: finalised });
  const parts = await Promise.all(
    items.map((item) => json<ExportPartRecord>(KEYS.exportPartRecord(period, item.regency, item.unit))),
  );
  return { items, counts: listed.counts, outputs, parts, manifest: await json(finalised.manifestKey) };
}

/** The data lines of a Dinas Sosial CSV (BOM and header dropped). */
const csvRows = (bytes: Buffer) =>
  bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter(Boolean)
    .slice(1);

const bogorParts = (run: PeriodRun) => run.parts.filter((part) => part.regency === '3201');

let january: PeriodRun;
let february: PeriodRun;
let march: PeriodRun;
/** Kabupaten Bogor as one export of February's master would have it (the same writer, one unit). */
let whole: { csv: Buffer; records: number; pseudonymised: number };

beforeAll(async () => {
  aws = await startTestAws();
  process.env.EXPORT_UNIT_MAX_PERSONS = '50';
  for (const name of [
    'stipulation-list-regencies',
    'stipulation-export-regency',
    'stipulation-finalise-export',
    'stipulation-record-period',
  ]) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
  duck = await openDuck();
  dir = await tempDir();
  // Kabupaten Bogor: 130 persons (even serials 2 … 260); Kota Bogor (3271): 8.
  await putMaster([
    ...Array.from({ length: BOGOR }, (_, i) => record(row(2 * i + 2), '2026-12')),
    ...Array.from({ length: 8 }, (_, i) => record(row(i + 1, '3271'), '2026-12')),
  ]);
  // January: no earlier export, no change set summary: every regency exported whole from the master.
  january = await stipulateExports(JANUARY);

  // February: Kabupaten Bogor changes. The split points are serials 92 and 172 (runs of 5 persons, cut at
  // the run starts nearest 130/3 and 2·130/3). Serial 172 is deactivated (its boundary now falls between
  // NIKs); 92 stays; new persons next to both boundaries and beyond either end.
  const master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
  const [boundary] = await master.getRecords([nik(172)]).then((found) => [...found.values()]);
  const deactivated =
    boundary &&
    applyChange(boundary, {
      ...changeFromRow({ ...row(172), aksi: 'HAPUS', alasan: 'PINDAH' }, 'p-move', FEBRUARY),
    });
  if (!deactivated || deactivated === 'UNCHANGED') throw new Error('deactivation not applied');
  await putMaster([deactivated, ...[1, 91, 93, 171, 301].map((serial) => record(row(serial), FEBRUARY))]);
  await changed(FEBRUARY, ['3201']);
  february = await stipulateExports(FEBRUARY);
  const sinks = new Map<string, MemorySink>();
  const part = await exportRegency({
    period: FEBRUARY,
    regency: '3201',
    province: '32',
    persons: () => master.activeInRegency('3201'),
    pseudonymKey: LOCAL_PSEUDONYM_KEY,
    k: 5,
    openFile: (key) => {
      const sink = new MemorySink(key);
      sinks.set(key, sink);
      return sink;
    },
  });
  whole = {
    csv: sinks.get(KEYS.regencyCsv(FEBRUARY, '3201'))?.bytes() ?? Buffer.alloc(0),
    records: part.records,
    pseudonymised: part.files.find((file) => file.tier === 'pseudonymised')?.records ?? -1,
  };

  // March: nothing changes.
  await changed(MARCH, []);
  march = await stipulateExports(MARCH);
}, 600_000);

afterAll(async () => {
  duck?.close();
  await dir?.remove();
  await aws?.stop();
  delete process.env.EXPORT_UNIT_MAX_PERSONS;
});

describe('a regency exported in units', () => {
  it('exports a regency without an earlier export whole, and records its NIK runs', () => {
    expect(january.items.map((item) => [item.regency, item.unit])).toEqual([
      ['3201', undefined],
      ['3271', undefined],
    ]);
    const [bogor] = bogorParts(january);
    expect(bogor?.records).toBe(BOGOR);
    expect(bogor?.runs).toHaveLength(26);
    expect(bogor?.runs?.[0]).toEqual({ nik: nik(2), persons: 5 });
  });

  it('lists a regency whose previous export held more than EXPORT_UNIT_MAX_PERSONS as NIK ranges cut at its runs', () => {
    expect(february.items.filter((item) => item.regency === '3201').map((item) => item.unit)).toEqual([
      { part: 1, parts: 3, toNik: nik(92) },
      { part: 2, parts: 3, fromNik: nik(92), toNik: nik(172) },
      { part: 3, parts: 3, fromNik: nik(172) },
    ]);
    expect(february.items.find((item) => item.regency === '3271')).toEqual({
      period: FEBRUARY,
      regency: '3271',
      province: '32',
      carryFrom: JANUARY,
    });
    expect(february.counts).toEqual({ regencies: 2, changed: 1, carried: 1, units: 4 });
  });

  it('exports each unit to its own files and part record, and reports the unit to the Map', () => {
    expect(february.outputs.filter((output) => output.regency === '3201')).toEqual([
      { regency: '3201', province: '32', records: 47, unit: { part: 1, parts: 3 } },
      { regency: '3201', province: '32', records: 42, unit: { part: 2, parts: 3 } },
      { regency: '3201', province: '32', records: 45, unit: { part: 3, parts: 3 } },
    ]);
    expect(bogorParts(february)[1]?.files.map((file) => file.key)).toEqual([
      'exports/period=2027-02/province=32/regency-3201-bagian-02.parquet',
      'pseudonymised/period=2027-02/province=32/regency-3201-bagian-02.parquet',
      'regency-csv/period=2027-02/dtks-3201-2027-02-bagian-02.csv',
      'regency-csv/period=2027-02/dtks-3201-2027-02-bagian-02.xlsx',
    ]);
  });

  it('holds in its units exactly the persons and rows one export of the regency holds: no gap, no overlap', async () => {
    const parts = bogorParts(february);
    expect(parts.reduce((sum, part) => sum + part.records, 0)).toBe(whole.records);
    expect(whole.records).toBe(BOGOR - 1 + 5);
    const unitRows: string[] = [];
    for (const part of parts) {
      const csv = part.files.find((file) => file.tier === 'csv');
      unitRows.push(...csvRows(await download(csv?.key ?? '')));
    }
    expect(unitRows).toEqual(csvRows(whole.csv));
    const pseudonymised = parts.map((part) => part.files.find((file) => file.tier === 'pseudonymised'));
    expect(pseudonymised.reduce((sum, file) => sum + (file?.records ?? 0), 0)).toBe(whole.pseudonymised);
    expect(pseudonymised.map((file) => file?.anonymity?.withheld)).toEqual([0, 0, 0]);
  });

  it('refuses a unit that is not a whole NIK range with a ValidationError, before reading anything', async () => {
    const item = { period: FEBRUARY, regency: '3201', province: '32' };
    for (const unit of [
      { part: 2, parts: 3, toNik: nik(172) },
      { part: 1, parts: 3, fromNik: nik(2), toNik: nik(92) },
      { part: 3, parts: 3, fromNik: nik(172), toNik: nik(300) },
      { part: 2, parts: 3, fromNik: nik(172), toNik: nik(92) },
      { part: 4, parts: 3, fromNik: nik(172) },
    ]) {
      await expect(invoke('stipulation-export-regency', { ...item, unit }), JSON.stringify(unit)).rejects.toThrow(
        expect.objectContaining({ name: 'ValidationError' }),
      );
    }
  });

  it('leaves a partition folder that a Parquet reader (as Athena) reads as every person once', async () => {
    const folder = join(dir.path, 'province=32');
    await mkdir(folder, { recursive: true });
    for (const file of february.manifest.files.filter(
      (each) => each.key.startsWith('exports/') && each.tier === 'full',
    )) {
      await dir.file(join('province=32', file.key.split('/').pop() ?? ''), await download(file.key));
    }
    const [counted] = await duck.rows(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT nik)::INTEGER AS persons FROM read_parquet('${folder}/*.parquet')`,
    );
    expect(counted).toEqual({ n: 134 + 8, persons: 134 + 8 });
  });

  it('counts the regency once in the manifest, its units summed, and lists every unit file with its checksum', () => {
    expect(february.manifest.totals).toEqual({
      records: 142,
      byProvince: { '32': 142 },
      byRegency: { '3201': 134, '3271': 8 },
    });
    const bogorFiles = february.manifest.files.filter((file) => file.key.includes('3201'));
    expect(bogorFiles).toHaveLength(12);
    for (const part of bogorParts(february)) {
      for (const file of part.files) {
        expect(february.manifest.files.find((listed) => listed.key === file.key)?.sha256).toBe(file.sha256);
      }
    }
  });

  it('carries an unchanged split regency forward unit by unit: its previous units, the same bytes', () => {
    expect(march.items.filter((item) => item.regency === '3201')).toEqual(
      february.items
        .filter((item) => item.regency === '3201')
        .map((item) => ({ ...item, period: MARCH, carryFrom: FEBRUARY })),
    );
    const checksums = (run: PeriodRun) =>
      bogorParts(run).flatMap((part) => part.files.map((file) => [file.tier, file.records, file.sha256]));
    expect(checksums(march)).toEqual(checksums(february));
    expect(bogorParts(march).map((part) => [part.carriedFrom, part.records, part.runs])).toEqual(
      bogorParts(february).map((part) => [FEBRUARY, part.records, part.runs]),
    );
    expect(march.manifest.totals.byRegency).toEqual({ '3201': 134, '3271': 8 });
    expect(march.manifest.files.filter((file) => file.carriedFrom === FEBRUARY)).toHaveLength(12 + 4);
  });

  it('passes dtks snapshot verify for every period, the hash chain whole', async () => {
    const periods = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals);
    const result = await verifySnapshots(
      { s3: aws.clients.s3, bucket: aws.names.buckets.exports, periodRecord: (each) => periods.getPeriod(each) },
      MARCH,
    );
    expect(result.periods.map((period) => [period.period, period.problems])).toEqual([
      [MARCH, []],
      [FEBRUARY, []],
      [JANUARY, []],
    ]);
    expect(result.intact).toBe(true);
  });
});
