import { createHash, createHmac } from 'node:crypto';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import type { ProposalSource } from '#core/source.ts';
import { applyChange, changeFromRow, type MasterRecord } from '#core/stipulation.ts';
import { LOCAL_PSEUDONYM_KEY } from '#local/provision.ts';
import { batchWrite } from '#shared/batch-writer.ts';
import { type ExportPartRecord, type ExportRegencyOutput, type FinaliseExportInput, KEYS } from '#shared/contracts.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { type Duck, openDuck, type TempDir, tempDir } from './duckdb.ts';
import { downloadObject } from './objects.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let exportRegency: Handler;
let finaliseExport: Handler;
let duck: Duck;
let dir: TempDir;

const PERIOD = '2026-11';
const SIZE_3371 = 120;

function row(i: number, extra: Partial<ProposalRow> = {}): ProposalRow {
  const serial = String(i + 1).padStart(4, '0');
  const female = i % 2 === 1;
  return {
    line: i + 1,
    aksi: 'TAMBAH',
    alasan: '',
    nik: `337101${female ? '45' : '05'}0680${serial}`,
    noKk: `337101010120${String(Math.floor(i / 4) + 1).padStart(4, '0')}`,
    nama: `Warga Nomor ${i}`,
    jenisKelamin: female ? 'P' : 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: '1980-06-05',
    namaIbuKandung: `Ibu Warga ${i}`,
    hubunganKeluarga: i % 4 === 0 ? 'KEPALA_KELUARGA' : 'ANAK',
    statusPerkawinan: 'KAWIN',
    alamat: `Jl. Pahlawan ${i}`,
    rt: '001',
    rw: '002',
    kodeDesa: '3371011001',
    pekerjaan: i % 3 === 0 ? '' : 'PEDAGANG',
    penghasilanBulanan: i % 5 === 0 ? '' : String(100_000 * i),
    desil: i % 7 === 0 ? '' : String((i % 10) + 1),
    ...extra,
  };
}

/** Person i of 3371 as seeded; person 42 has cells a spreadsheet would run as formulas. */
function kotaRow(i: number): ProposalRow {
  return row(i, i === 42 ? { nama: '=HYPERLINK("http://x")', alamat: '+62 Jl. Rumus', pekerjaan: '@SUM(A1)' } : {});
}

function record(seed: ProposalRow, period = '2026-10', source: ProposalSource = 'MUSDES'): MasterRecord {
  const result = applyChange(undefined, changeFromRow(seed, 'seed', period, source));
  if (result === 'UNCHANGED') throw new Error('seed record not created');
  return result;
}

/**
 * The master: 120 active persons of 3371 (one with formula-like cells), one deactivated, 5 of 3372, 3 of
 * 3201 from a ministry proposal (KEMENSOS).
 */
function masterRecords(): MasterRecord[] {
  const records: MasterRecord[] = [];
  for (let i = 0; i < SIZE_3371; i++) {
    records.push(
      record(
        row(i, i === 42 ? { nama: '=HYPERLINK("http://x")', alamat: '+62 Jl. Rumus', pekerjaan: '@SUM(A1)' } : {}),
      ),
    );
  }
  const deactivated = applyChange(record(row(200)), {
    ...changeFromRow({ ...row(200), aksi: 'HAPUS', alasan: 'MENINGGAL' }, 'p-remove', PERIOD),
  });
  if (deactivated === 'UNCHANGED') throw new Error('deactivation not applied');
  records.push(deactivated);
  for (let i = 0; i < 5; i++) {
    records.push(record(row(300 + i, { nik: `33720105068${String(i).padStart(5, '0')}`, kodeDesa: '3372011001' })));
  }
  for (let i = 0; i < 3; i++) {
    records.push(
      record(
        row(400 + i, { nik: `32010105068${String(i).padStart(5, '0')}`, kodeDesa: '3201011001' }),
        '2026-10',
        'KEMENSOS',
      ),
    );
  }
  return records;
}

function download(key: string): Promise<Buffer> {
  return downloadObject(aws.clients.s3, aws.names.buckets.exports, key);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function exportAll(): Promise<ExportRegencyOutput[]> {
  const exported: ExportRegencyOutput[] = [];
  for (const [regency, province] of [
    ['3371', '33'],
    ['3372', '33'],
    ['3201', '32'],
  ] as const) {
    exported.push((await exportRegency({ period: PERIOD, regency, province }, lambdaContext())) as ExportRegencyOutput);
  }
  return exported;
}

/** The part record that ExportRegency left in the exports bucket for FinaliseExport. */
async function partRecord(regency: string): Promise<ExportPartRecord> {
  return JSON.parse((await download(KEYS.exportPartRecord(PERIOD, regency))).toString('utf8')) as ExportPartRecord;
}

/** What the handlers returned to the Map, and the part records they wrote. */
let summaries: ExportRegencyOutput[];
let parts: ExportPartRecord[];

beforeAll(async () => {
  aws = await startTestAws();
  ({ handler: exportRegency } = (await import('../../../functions/stipulation-export-regency/handler.ts')) as {
    handler: Handler;
  });
  ({ handler: finaliseExport } = (await import('../../../functions/stipulation-finalise-export/handler.ts')) as {
    handler: Handler;
  });
  await batchWrite(
    aws.clients.documents,
    aws.names.tables.master,
    masterRecords().map((Item) => ({ PutRequest: { Item: { ...Item } } })),
  );
  duck = await openDuck();
  dir = await tempDir();
  summaries = await exportAll();
  parts = await Promise.all(summaries.map(({ regency }) => partRecord(regency)));
}, 60_000);

afterAll(async () => {
  duck?.close();
  await dir?.remove();
  await aws?.stop();
});

describe('stipulation-export-regency', () => {
  it('returns only the summary of the regency to the state machine, never its file list', () => {
    expect(summaries).toEqual([
      { regency: '3371', province: '33', records: SIZE_3371 },
      { regency: '3372', province: '33', records: 5 },
      { regency: '3201', province: '32', records: 3 },
    ]);
    // 514 of these fit the 256 KiB payload limit many times over.
    for (const summary of summaries) expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(100);
  });

  it('writes the part record of the regency at its contract key, after the files it names', () => {
    expect(parts.map((p) => [p.period, p.regency, p.province, p.records, p.files.length])).toEqual([
      [PERIOD, '3371', '33', SIZE_3371, 4],
      [PERIOD, '3372', '33', 5, 4],
      [PERIOD, '3201', '32', 3, 4],
    ]);
    expect(KEYS.exportPartRecord(PERIOD, '3371')).toBe(`exports/period=${PERIOD}/_parts/regency-3371.json`);
    expect(KEYS.exportPartRecord(PERIOD, '3371').startsWith(KEYS.exportPartRecords(PERIOD))).toBe(true);
  });

  it('writes the four files of the regency at the contract keys, counting only its active persons', () => {
    const [kota] = parts;
    expect(kota?.records).toBe(SIZE_3371);
    expect(kota?.files.map((f) => [f.tier, f.key, f.records])).toEqual([
      ['full', KEYS.exportPart(PERIOD, '33', '3371'), SIZE_3371],
      ['pseudonymised', KEYS.pseudonymisedPart(PERIOD, '33', '3371'), SIZE_3371],
      ['csv', KEYS.regencyCsv(PERIOD, '3371'), SIZE_3371],
      ['xlsx', KEYS.regencyXlsx(PERIOD, '3371'), SIZE_3371],
    ]);
    expect(parts.map((p) => [p.regency, p.province, p.records])).toEqual([
      ['3371', '33', SIZE_3371],
      ['3372', '33', 5],
      ['3201', '32', 3],
    ]);
  });

  it('reports the size and SHA-256 of each object as stored', async () => {
    for (const file of parts.flatMap((p) => p.files)) {
      const bytes = await download(file.key);
      expect(bytes.length).toBe(file.bytes);
      expect(sha256(bytes)).toBe(file.sha256);
    }
  });

  it('writes a full-tier Parquet that DuckDB reads with the expected counts, sums, types and nulls', async () => {
    const path = await dir.file('full-3371.parquet', await download(KEYS.exportPart(PERIOD, '33', '3371')));
    const source = Array.from({ length: SIZE_3371 }, (_, i) => kotaRow(i));
    const income = source.reduce((sum, r) => sum + (r.penghasilanBulanan ? Number(r.penghasilanBulanan) : 0), 0);
    const [totals] = await duck.rows(
      `SELECT count(*) AS n, count(DISTINCT nik) AS niks, sum(penghasilan_bulanan)::BIGINT AS income,
              count(penghasilan_bulanan) AS with_income, count(desil) AS with_decile, count(pekerjaan) AS with_job,
              min(kode_kabupaten) AS min_regency, max(kode_kabupaten) AS max_regency, min(periode) AS period,
              count(*) FILTER (WHERE status <> 'ACTIVE') AS inactive
       FROM read_parquet('${path}')`,
    );
    expect(totals).toEqual({
      n: BigInt(SIZE_3371),
      niks: BigInt(SIZE_3371),
      income: BigInt(income),
      with_income: BigInt(source.filter((r) => r.penghasilanBulanan).length),
      with_decile: BigInt(source.filter((r) => r.desil).length),
      with_job: BigInt(source.filter((r) => r.pekerjaan).length),
      min_regency: '3371',
      max_regency: '3371',
      period: PERIOD,
      inactive: 0n,
    });
    const seven = row(11);
    const [person] = await duck.rows(
      `SELECT * EXCLUDE (tanggal_lahir), tanggal_lahir::VARCHAR AS tanggal_lahir
       FROM read_parquet('${path}') WHERE nik = '${seven.nik}'`,
    );
    expect(person).toEqual({
      nik: seven.nik,
      no_kk: seven.noKk,
      nama: seven.nama,
      jenis_kelamin: 'P',
      tempat_lahir: 'Magelang',
      nama_ibu_kandung: seven.namaIbuKandung,
      hubungan_keluarga: 'ANAK',
      status_perkawinan: 'KAWIN',
      alamat: seven.alamat,
      rt: '001',
      rw: '002',
      kode_desa: '3371011001',
      kode_kabupaten: '3371',
      kode_provinsi: '33',
      pekerjaan: 'PEDAGANG',
      penghasilan_bulanan: 1_100_000n,
      desil: 2,
      status: 'ACTIVE',
      sumber: 'MUSDES',
      periode: PERIOD,
      tanggal_lahir: '1980-06-05',
    });
    const [empty] = await duck.rows(
      `SELECT pekerjaan, penghasilan_bulanan, desil FROM read_parquet('${path}') WHERE nik = '${row(0).nik}'`,
    );
    expect(empty).toEqual({ pekerjaan: null, penghasilan_bulanan: null, desil: null });
    const types = await duck.rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
      tanggal_lahir: 'DATE',
      penghasilan_bulanan: 'BIGINT',
      desil: 'INTEGER',
      nik: 'VARCHAR',
    });
    // The deactivated person and the other regencies' persons are not in this file.
    const [absent] = await duck.rows(
      `SELECT count(*) AS n FROM read_parquet('${path}') WHERE nik IN ('${row(200).nik}', '3372010506800000')`,
    );
    expect(absent).toEqual({ n: 0n });
  });

  it("names the source of each person's last change in the full tier (sumber): KEMENSOS for the ministry's", async () => {
    const path = await dir.file('full-3201.parquet', await download(KEYS.exportPart(PERIOD, '32', '3201')));
    expect(await duck.rows(`SELECT sumber, count(*) AS n FROM read_parquet('${path}') GROUP BY sumber`)).toEqual([
      { sumber: 'KEMENSOS', n: 3n },
    ]);
    const csv = await dir.file('3201.csv', await download(KEYS.regencyCsv(PERIOD, '3201')));
    expect(
      await duck.rows(`SELECT DISTINCT sumber FROM read_csv('${csv}', header = true, types = {'nik': 'VARCHAR'})`),
    ).toEqual([{ sumber: 'KEMENSOS' }]);
  });

  it('writes a pseudonymised Parquet with keyed hashes and without names, NIKs or street addresses', async () => {
    const bytes = await download(KEYS.pseudonymisedPart(PERIOD, '33', '3371'));
    const path = await dir.file('pseudo-3371.parquet', bytes);
    const columns = (await duck.rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((c) => c.column_name);
    expect(columns).toEqual([
      'nik_hash',
      'no_kk_hash',
      'jenis_kelamin',
      'kelompok_tahun_lahir',
      'hubungan_keluarga',
      'status_perkawinan',
      'kode_kecamatan',
      'kode_kabupaten',
      'kode_provinsi',
      'kelompok_pekerjaan',
      'penghasilan_bulanan',
      'desil',
      'status',
      'sumber',
      'periode',
    ]);
    const seven = row(11);
    const hash = (id: string) => createHmac('sha256', LOCAL_PSEUDONYM_KEY).update(id).digest('hex');
    const [person] = await duck.rows(
      `SELECT no_kk_hash, kelompok_tahun_lahir, kode_kecamatan, kelompok_pekerjaan, penghasilan_bulanan
       FROM read_parquet('${path}') WHERE nik_hash = '${hash(seven.nik)}'`,
    );
    expect(person).toEqual({
      no_kk_hash: hash(seven.noKk),
      kelompok_tahun_lahir: '1980-1989',
      kode_kecamatan: '337101',
      kelompok_pekerjaan: 'PEDAGANG/WIRASWASTA',
      penghasilan_bulanan: 1_100_000n,
    });
    const [count] = await duck.rows(`SELECT count(DISTINCT nik_hash) AS n FROM read_parquet('${path}')`);
    expect(count).toEqual({ n: BigInt(SIZE_3371) });
    // Not even inside the file's bytes (statistics, dictionaries): no NIK, name or street address.
    const text = bytes.toString('latin1');
    for (const secret of [seven.nik, seven.noKk, 'Warga Nomor', 'Jl. Pahlawan', 'Magelang', 'Ibu Warga']) {
      expect(text).not.toContain(secret);
    }
  });

  it('writes pseudonymised files whose quasi-identifier combinations are each shared by at least k = 5 persons', async () => {
    for (const [regency, province] of [
      ['3371', '33'],
      ['3372', '33'],
      ['3201', '32'],
    ] as const) {
      const path = await dir.file(
        `k-${regency}.parquet`,
        await download(KEYS.pseudonymisedPart(PERIOD, province, regency)),
      );
      const small = await duck.rows(
        `SELECT kode_kecamatan, kelompok_tahun_lahir, jenis_kelamin, kelompok_pekerjaan, count(*) AS n
         FROM read_parquet('${path}') GROUP BY ALL HAVING count(*) < 5`,
      );
      expect(small).toEqual([]);
    }
    // 3371: person 42's occupation '@SUM(A1)' is a class of one (LAINNYA), blanked with the smallest other
    // class (the 19 other men without occupation) so that the blanked rows are k or more. 3372's five
    // persons would be classes of one or two: all five are blanked. 3201 has three persons: withheld.
    const anonymity = (regency: string) =>
      parts.find((p) => p.regency === regency)?.files.find((f) => f.tier === 'pseudonymised');
    expect(anonymity('3371')).toMatchObject({ records: SIZE_3371, anonymity: { k: 5, suppressed: 20, withheld: 0 } });
    expect(anonymity('3372')).toMatchObject({ records: 5, anonymity: { k: 5, suppressed: 5, withheld: 0 } });
    expect(anonymity('3201')).toMatchObject({ records: 0, anonymity: { k: 5, suppressed: 0, withheld: 3 } });
  });

  it('writes the Dinas Sosial CSV with a BOM, the full columns and neutralised formulas', async () => {
    const bytes = await download(KEYS.regencyCsv(PERIOD, '3371'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    const lines = text.split(/\r?\n/).filter(Boolean);
    expect(lines).toHaveLength(SIZE_3371 + 1);
    expect(lines[0]).toBe(
      'nik,no_kk,nama,jenis_kelamin,tempat_lahir,tanggal_lahir,nama_ibu_kandung,hubungan_keluarga,status_perkawinan,' +
        'alamat,rt,rw,kode_desa,kode_kabupaten,kode_provinsi,pekerjaan,penghasilan_bulanan,desil,status,sumber,periode',
    );
    const formulaLine = lines.find((line) => line.includes('HYPERLINK')) ?? '';
    expect(formulaLine).not.toMatch(/(^|,)"?[=+@]/);
    expect(formulaLine).toContain(row(42).nik);
    const path = await dir.file('3371.csv', bytes);
    const [fromDuck] = await duck.rows(
      `SELECT count(*) AS n, sum(penghasilan_bulanan)::BIGINT AS income
       FROM read_csv('${path}', header = true, all_varchar = false, types = {'nik': 'VARCHAR'})`,
    );
    const income = Array.from({ length: SIZE_3371 }, (_, i) => kotaRow(i)).reduce(
      (sum, r) => sum + (r.penghasilanBulanan ? Number(r.penghasilanBulanan) : 0),
      0,
    );
    expect(fromDuck).toEqual({ n: BigInt(SIZE_3371), income: BigInt(income) });
  });

  it('writes the same bytes when run again for the same period', async () => {
    const again = await exportAll();
    expect(again).toEqual(summaries);
    expect(await Promise.all(again.map(({ regency }) => partRecord(regency)))).toEqual(parts);
  });

  it('refuses a regency outside the province with a ValidationError', async () => {
    await expect(exportRegency({ period: PERIOD, regency: '3371', province: '32' }, lambdaContext())).rejects.toThrow(
      expect.objectContaining({ name: 'ValidationError' }),
    );
  });

  it('writes an empty export for a regency without active persons', async () => {
    const output = (await exportRegency(
      { period: PERIOD, regency: '3373', province: '33' },
      lambdaContext(),
    )) as ExportRegencyOutput;
    expect(output.records).toBe(0);
    const path = await dir.file('empty.parquet', await download(KEYS.exportPart(PERIOD, '33', '3373')));
    expect(await duck.rows(`SELECT count(*) AS n FROM read_parquet('${path}')`)).toEqual([{ n: 0n }]);
    const csv = await download(KEYS.regencyCsv(PERIOD, '3373'));
    expect(csv.toString('utf8').slice(1).split(/\r?\n/).filter(Boolean)).toHaveLength(1);
  });
});

describe('stipulation-finalise-export', () => {
  const input = (): FinaliseExportInput => ({
    period: PERIOD,
    carriedForward: false,
    proposals: [
      { proposalId: '3371-2026-11-aaaaaaaaaaaa', regency: '3371' },
      { proposalId: '3201-2026-11-bbbbbbbbbbbb', regency: '3201' },
    ],
    regencies: summaries,
  });

  async function manifest(): Promise<SnapshotManifest> {
    return JSON.parse((await download(KEYS.manifest(PERIOD))).toString('utf8')) as SnapshotManifest;
  }

  it('writes the manifest from the part records in S3 with totals, source proposals and every file with its checksum', async () => {
    const output = await finaliseExport(input(), lambdaContext());
    expect(output).toEqual({
      manifestKey: KEYS.manifest(PERIOD),
      records: SIZE_3371 + 8,
      manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const written = await manifest();
    expect(written.period).toBe(PERIOD);
    expect(written.carriedForward).toBe(false);
    expect(written.sourceProposals).toEqual(input().proposals);
    expect(written.totals).toEqual({
      records: SIZE_3371 + 8,
      byProvince: { '32': 3, '33': SIZE_3371 + 5 },
      byRegency: { '3201': 3, '3371': SIZE_3371, '3372': 5 },
    });
    // Every file of the exported regencies' part records, and nothing else (3373's record is not asked for).
    expect(written.files).toEqual(
      parts.flatMap((part) => part.files).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    );
    for (const file of written.files) {
      const bytes = await download(file.key);
      expect(sha256(bytes)).toBe(file.sha256);
      expect(bytes.length).toBe(file.bytes);
    }
    expect(Date.parse(written.generatedAt)).not.toBeNaN();
    expect(written.pseudonymisation).toEqual({
      k: 5,
      quasiIdentifiers: ['kode_kecamatan', 'kelompok_tahun_lahir', 'jenis_kelamin', 'kelompok_pekerjaan', 'sumber'],
      suppressedRecords: 25,
      withheldRecords: 3,
    });
  });

  it('writes the same manifest again on a rerun, but for generatedAt', async () => {
    const first = await manifest();
    await finaliseExport(input(), lambdaContext());
    const second = await manifest();
    expect({ ...second, generatedAt: '' }).toEqual({ ...first, generatedAt: '' });
  });

  it('records a carried-forward period', async () => {
    await finaliseExport({ ...input(), carriedForward: true, proposals: [] }, lambdaContext());
    expect(await manifest()).toMatchObject({ carriedForward: true, sourceProposals: [] });
  });

  it('fails with ExportPartMissingError, naming the regency, when an exported regency has no part record', async () => {
    const before = await manifest();
    const key = KEYS.exportPartRecord(PERIOD, '3372');
    const bucket = aws.names.buckets.exports;
    await aws.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    try {
      await expect(finaliseExport(input(), lambdaContext())).rejects.toThrow(
        expect.objectContaining({ name: 'ExportPartMissingError', message: expect.stringContaining('3372') }),
      );
      // No manifest without the regency: the one of the earlier run is left as it was.
      expect(await manifest()).toEqual(before);
    } finally {
      await aws.clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(parts[1]),
          ContentType: 'application/json',
        }),
      );
    }
  });

  it('fails with InconsistentSnapshotError when a part record disagrees with what the export reported', async () => {
    const stale = { ...input(), regencies: summaries.map((s) => (s.regency === '3201' ? { ...s, records: 4 } : s)) };
    await expect(finaliseExport(stale, lambdaContext())).rejects.toThrow(
      expect.objectContaining({ name: 'InconsistentSnapshotError', message: expect.stringContaining('3201') }),
    );
  });

  it('refuses a payload that still carries parts instead of regencies', async () => {
    const { regencies: _regencies, ...rest } = input();
    await expect(finaliseExport({ ...rest, parts }, lambdaContext())).rejects.toThrow(
      expect.objectContaining({ name: 'ValidationError' }),
    );
  });

  it("leaves only the manifest, its files and their part records: 3373's export, not in its list, is a stray", async () => {
    const listed = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: aws.names.buckets.exports }));
    const keys = (listed.Contents ?? []).map((object) => object.Key).sort();
    const expected = [
      ...parts.flatMap((p) => p.files.map((f) => f.key)),
      ...parts.map((p) => KEYS.exportPartRecord(PERIOD, p.regency)),
      KEYS.manifest(PERIOD),
    ].sort();
    expect(keys).toEqual(expected);
  });
});
