/**
 * A rerun's snapshot folder holds only the files its manifest lists, through the real handlers against the
 * emulators. A first run of 2027-05 exports Kabupaten Bogor (3201) in two units and Kota Cimahi (3277),
 * whose persons then leave, and fails before FinaliseExport. The rerun lists the regencies again
 * (ListRegencies: no previous export, so Bogor is one unit, Cimahi has nobody left) and exports them:
 * FinaliseExport deletes the first run's units and Cimahi's files before it writes the manifest, so the
 * folders hold exactly the manifest's files, their part records and the manifest. The quality control's
 * files in the same folders, a file of another shape and another period's files stay; a deleted stray is
 * still there as a noncurrent version (the bucket is versioned). Run again, FinaliseExport finds nothing
 * more to delete; once the period is recorded it is refused before it deletes anything.
 */
import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { applyChange, changeFromRow, type MasterRecord } from '#core/stipulation.ts';
import { type ExportRegencyInput, KEYS, type ListRegenciesOutput } from '#shared/contracts.ts';
import { listKeys } from '#shared/staging.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { putMasterRecords, seededRecord } from '../../support/stipulation-fixtures.ts';
import { downloadObject } from '../exports/objects.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
const handlers: Record<string, Handler> = {};

const PERIOD = '2027-05';
const OTHER_PERIOD = '2027-06';

/** A NIK of Kabupaten Bogor (3201) or Kota Cimahi (3277) by serial. */
const nik = (regency: string, serial: number) => `${regency}010506800${String(serial).padStart(3, '0')}`;

function row(regency: string, serial: number): ProposalRow {
  return {
    line: serial,
    aksi: 'TAMBAH',
    alasan: '',
    nik: nik(regency, serial),
    noKk: `${regency}01010120${String(serial).padStart(4, '0')}`,
    nama: `Warga ${regency} ${serial}`,
    jenisKelamin: serial % 2 ? 'L' : 'P',
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

async function putExport(key: string, body = 'x'): Promise<void> {
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: aws.names.buckets.exports, Key: key, Body: body }));
}

/** Every object of the period's three folders (full tier with its part records, pseudonymised, Dinas Sosial). */
async function periodFolders(period: string): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of [KEYS.exportsPrefix, KEYS.pseudonymisedPrefix, KEYS.regencyCsvPrefix]) {
    keys.push(...(await listKeys(aws.clients.s3, aws.names.buckets.exports, `${prefix}period=${period}/`)));
  }
  return keys.sort();
}

/** The two units of Kabupaten Bogor the failed run planned: serials below 7, and from 7. */
const FAILED_UNITS: ExportRegencyInput[] = [
  { period: PERIOD, regency: '3201', province: '32', unit: { part: 1, parts: 2, toNik: nik('3201', 7) } },
  { period: PERIOD, regency: '3201', province: '32', unit: { part: 2, parts: 2, fromNik: nik('3201', 7) } },
];

/** The quality control's files of the period, and a file no export writes, in the export folders. */
const NOT_EXPORT_FILES = [
  KEYS.trackingList(PERIOD, '3201'),
  KEYS.qualityControlFull(PERIOD, '3201'),
  KEYS.qualityControlCounts(PERIOD),
  `${KEYS.exportsPrefix}period=${PERIOD}/province=32/BACA-SAYA.txt`,
];

/** The next period's files (a run of it started): no manifest of this period lists them, and they are not its to delete. */
const OTHER_PERIOD_FILES = [
  KEYS.exportPart(OTHER_PERIOD, '32', '3201', { part: 1 }),
  KEYS.regencyCsv(OTHER_PERIOD, '3201', { part: 1 }),
  KEYS.exportPartRecord(OTHER_PERIOD, '3201', { part: 1 }),
];

let beforeFinalise: string[];
let manifest: SnapshotManifest;
let rerunItems: ExportRegencyInput[];
let finaliseInput: unknown;

beforeAll(async () => {
  aws = await startTestAws();
  for (const name of [
    'stipulation-list-regencies',
    'stipulation-export-regency',
    'stipulation-finalise-export',
    'stipulation-record-period',
  ]) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
  const bogor = Array.from({ length: 12 }, (_, i) => record(row('3201', i + 1), '2027-04'));
  const cimahi = Array.from({ length: 6 }, (_, i) => record(row('3277', i + 1), '2027-04'));
  await putMaster([...bogor, ...cimahi]);

  // The failed run: Bogor's two units and Cimahi written, then the run stopped before FinaliseExport.
  for (const item of [...FAILED_UNITS, { period: PERIOD, regency: '3277', province: '32' }]) {
    await invoke('stipulation-export-regency', item);
  }
  for (const key of [...NOT_EXPORT_FILES, ...OTHER_PERIOD_FILES]) await putExport(key);

  // Cimahi's persons leave before the rerun: it is no longer listed.
  await putMaster(
    cimahi.map((person, i) => {
      const leaving = { ...row('3277', i + 1), aksi: 'HAPUS' as const, alasan: 'PINDAH' };
      const moved = applyChange(person, changeFromRow(leaving, 'p-move', PERIOD));
      if (moved === 'UNCHANGED') throw new Error('deactivation not applied');
      return moved;
    }),
  );

  // The rerun, in the workflow's order.
  const listed = await invoke<ListRegenciesOutput>('stipulation-list-regencies', { period: PERIOD });
  const list = await downloadObject(aws.clients.s3, aws.names.buckets.proposals, listed.regenciesKey);
  rerunItems = JSON.parse(list.toString('utf8')) as ExportRegencyInput[];
  for (const item of rerunItems) await invoke('stipulation-export-regency', item);
  beforeFinalise = await periodFolders(PERIOD);
  finaliseInput = { period: PERIOD, carriedForward: false, proposals: [], regenciesKey: listed.regenciesKey };
  const finalised = await invoke<{ manifestKey: string }>('stipulation-finalise-export', finaliseInput);
  manifest = JSON.parse(
    (await downloadObject(aws.clients.s3, aws.names.buckets.exports, finalised.manifestKey)).toString('utf8'),
  ) as SnapshotManifest;
}, 120_000);

afterAll(async () => {
  await aws?.stop();
});

describe('FinaliseExport after a failed run that split regencies differently', () => {
  it('reruns Bogor whole and no longer lists Cimahi', () => {
    expect(rerunItems.map(({ regency, unit }) => ({ regency, unit }))).toEqual([{ regency: '3201', unit: undefined }]);
    // The failed run's units and Cimahi's files were in the folders before FinaliseExport.
    expect(beforeFinalise).toEqual(
      expect.arrayContaining([
        KEYS.exportPart(PERIOD, '32', '3201', { part: 1 }),
        KEYS.pseudonymisedPart(PERIOD, '32', '3201', { part: 2 }),
        KEYS.regencyCsv(PERIOD, '3201', { part: 1 }),
        KEYS.regencyXlsx(PERIOD, '3201', { part: 2 }),
        KEYS.exportPartRecord(PERIOD, '3201', { part: 1 }),
        KEYS.exportPart(PERIOD, '32', '3277'),
        KEYS.regencyCsv(PERIOD, '3277'),
      ]),
    );
  });

  it('leaves exactly the manifest, its files, their part records and the files that are not exports', async () => {
    const expected = [
      KEYS.manifest(PERIOD),
      ...manifest.files.map((file) => file.key),
      KEYS.exportPartRecord(PERIOD, '3201'),
      ...NOT_EXPORT_FILES,
    ].sort();
    expect(await periodFolders(PERIOD)).toEqual(expected);
    // Bogor whole, in each of the four tiers; its 12 persons counted once.
    expect(manifest.files.map((file) => file.key).sort()).toEqual(
      [
        KEYS.exportPart(PERIOD, '32', '3201'),
        KEYS.pseudonymisedPart(PERIOD, '32', '3201'),
        KEYS.regencyCsv(PERIOD, '3201'),
        KEYS.regencyXlsx(PERIOD, '3201'),
      ].sort(),
    );
    expect(manifest.totals.records).toBe(12);
  });

  it("leaves another period's files alone", async () => {
    const other = await periodFolders(OTHER_PERIOD);
    expect(other).toEqual([...OTHER_PERIOD_FILES].sort());
  });

  it('keeps a deleted stray as a noncurrent version behind a delete marker', async () => {
    const key = KEYS.exportPart(PERIOD, '32', '3201', { part: 1 });
    const versions = await aws.clients.s3.send(
      new ListObjectVersionsCommand({ Bucket: aws.names.buckets.exports, Prefix: key }),
    );
    expect(versions.DeleteMarkers?.filter((marker) => marker.Key === key && marker.IsLatest)).toHaveLength(1);
    expect(versions.Versions?.filter((version) => version.Key === key && !version.IsLatest)).toHaveLength(1);
  });

  it('finds nothing more to delete when run again, and never touches a stipulated period', async () => {
    const after = await periodFolders(PERIOD);
    const again = await invoke<{ manifestKey: string; manifestSha256: string; records: number }>(
      'stipulation-finalise-export',
      finaliseInput,
    );
    expect(await periodFolders(PERIOD)).toEqual(after);

    await invoke('stipulation-record-period', { period: PERIOD, proposals: [], changes: 1, export: again });
    // A file of an export's shape that no manifest lists, in the stipulated month: a rerun is refused before it.
    const stray = KEYS.exportPart(PERIOD, '32', '3201', { part: 3 });
    await putExport(stray);
    await expect(invoke('stipulation-finalise-export', finaliseInput)).rejects.toThrow(
      expect.objectContaining({ name: 'PeriodAlreadyStipulatedError' }),
    );
    expect(await periodFolders(PERIOD)).toEqual([...after, stray].sort());
  });
});
