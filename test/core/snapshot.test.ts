import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildSnapshotManifest,
  createPseudonymiser,
  FULL_SNAPSHOT_COLUMNS,
  InconsistentSnapshotError,
  PSEUDONYMISED_SNAPSHOT_COLUMNS,
  type SnapshotFile,
  type SnapshotPart,
  type SnapshotPerson,
  toFullSnapshotRow,
  toPseudonymisedSnapshotRow,
} from '#core/snapshot.ts';

const KEY = 'test-pseudonym-key';

function person(overrides: Partial<SnapshotPerson> = {}): SnapshotPerson {
  return {
    nik: '3371014506800002',
    noKk: '3371010101200002',
    nama: 'Siti Rahayu',
    jenisKelamin: 'P',
    tempatLahir: 'Magelang',
    tanggalLahir: '1980-06-05',
    namaIbuKandung: 'Sumiyati',
    hubunganKeluarga: 'ISTRI',
    statusPerkawinan: 'KAWIN',
    alamat: 'Jl. Pahlawan 12',
    rt: '003',
    rw: '004',
    kodeDesa: '3371011001',
    pekerjaan: 'PEDAGANG',
    penghasilanBulanan: '1500000',
    desil: '3',
    status: 'ACTIVE',
    ...overrides,
  };
}

describe('toFullSnapshotRow', () => {
  it('maps every master field to its column, with regency and province from the village code', () => {
    expect(toFullSnapshotRow(person(), '2026-11')).toEqual({
      nik: '3371014506800002',
      no_kk: '3371010101200002',
      nama: 'Siti Rahayu',
      jenis_kelamin: 'P',
      tempat_lahir: 'Magelang',
      tanggal_lahir: '1980-06-05',
      nama_ibu_kandung: 'Sumiyati',
      hubungan_keluarga: 'ISTRI',
      status_perkawinan: 'KAWIN',
      alamat: 'Jl. Pahlawan 12',
      rt: '003',
      rw: '004',
      kode_desa: '3371011001',
      kode_kabupaten: '3371',
      kode_provinsi: '33',
      pekerjaan: 'PEDAGANG',
      penghasilan_bulanan: 1500000,
      desil: 3,
      status: 'ACTIVE',
      // A record written before sources were kept: the regency's deliberation.
      sumber: 'MUSDES',
      periode: '2026-11',
    });
  });

  it("names the source of the record's last change in both tiers (sumber)", () => {
    const ministry = person({ source: 'KEMENSOS' });
    expect(toFullSnapshotRow(ministry, '2026-11').sumber).toBe('KEMENSOS');
    expect(toPseudonymisedSnapshotRow(ministry, '2026-11', createPseudonymiser(KEY)).sumber).toBe('KEMENSOS');
  });

  it('has exactly the contract columns, in order', () => {
    const row = toFullSnapshotRow(person(), '2026-11');
    expect(Object.keys(row)).toEqual(FULL_SNAPSHOT_COLUMNS.map((column) => column.name));
  });

  it('gives null income, decile and occupation when they are empty', () => {
    const row = toFullSnapshotRow(person({ penghasilanBulanan: '', desil: '', pekerjaan: '' }), '2026-11');
    expect(row.penghasilan_bulanan).toBeNull();
    expect(row.desil).toBeNull();
    expect(row.pekerjaan).toBeNull();
  });

  it('gives null for a decile outside 1–10 and an income that is not digits', () => {
    const row = toFullSnapshotRow(person({ penghasilanBulanan: '1.500.000', desil: '11' }), '2026-11');
    expect(row.penghasilan_bulanan).toBeNull();
    expect(row.desil).toBeNull();
    expect(toFullSnapshotRow(person({ desil: '10', penghasilanBulanan: '0' }), '2026-11')).toMatchObject({
      desil: 10,
      penghasilan_bulanan: 0,
    });
  });

  it('gives a null birth date for a day that does not exist', () => {
    expect(toFullSnapshotRow(person({ tanggalLahir: '1981-02-29' }), '2026-11').tanggal_lahir).toBeNull();
    expect(toFullSnapshotRow(person({ tanggalLahir: '1980-02-29' }), '2026-11').tanggal_lahir).toBe('1980-02-29');
  });
});

describe('toPseudonymisedSnapshotRow', () => {
  const pseudonymise = createPseudonymiser(KEY);

  it('has exactly the contract columns, in order', () => {
    const row = toPseudonymisedSnapshotRow(person(), '2026-11', pseudonymise);
    expect(Object.keys(row)).toEqual(PSEUDONYMISED_SNAPSHOT_COLUMNS.map((column) => column.name));
  });

  it('carries no name, NIK, No. KK, birth place or day, street address, RT or RW', () => {
    const source = person();
    const row = toPseudonymisedSnapshotRow(source, '2026-11', pseudonymise);
    const text = JSON.stringify(row);
    for (const secret of [
      source.nik,
      source.noKk,
      source.nama,
      source.namaIbuKandung,
      source.tempatLahir,
      source.tanggalLahir,
      source.alamat,
    ]) {
      expect(text).not.toContain(secret);
    }
    for (const dropped of ['nama', 'nama_ibu_kandung', 'tempat_lahir', 'tanggal_lahir', 'alamat', 'rt', 'rw', 'nik']) {
      expect(row).not.toHaveProperty(dropped);
    }
    expect(row.kelompok_tahun_lahir).toBe('1980-1989');
  });

  it('publishes the district, decade of birth and occupation group instead of village, birth year and occupation', () => {
    const row = toPseudonymisedSnapshotRow(person({ pekerjaan: 'PETANI/PEKEBUN' }), '2026-11', pseudonymise);
    expect(row).toMatchObject({
      kode_kecamatan: '337101',
      kode_kabupaten: '3371',
      kode_provinsi: '33',
      kelompok_tahun_lahir: '1980-1989',
      jenis_kelamin: 'P',
      kelompok_pekerjaan: 'PERTANIAN/PERIKANAN',
    });
    for (const dropped of ['kode_desa', 'tahun_lahir', 'pekerjaan']) expect(row).not.toHaveProperty(dropped);
    expect(
      toPseudonymisedSnapshotRow(person({ tanggalLahir: '' }), '2026-11', pseudonymise).kelompok_tahun_lahir,
    ).toBeNull();
  });

  it('replaces NIK and No. KK by HMAC-SHA-256 of the key, in hex', () => {
    const row = toPseudonymisedSnapshotRow(person(), '2026-11', pseudonymise);
    expect(row.nik_hash).toBe(createHmac('sha256', KEY).update('3371014506800002').digest('hex'));
    expect(row.no_kk_hash).toBe(createHmac('sha256', KEY).update('3371010101200002').digest('hex'));
    expect(row.nik_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the same NIK the same in every period', () => {
    const november = toPseudonymisedSnapshotRow(person(), '2026-11', pseudonymise);
    const december = toPseudonymisedSnapshotRow(person(), '2026-12', createPseudonymiser(KEY));
    expect(december.nik_hash).toBe(november.nik_hash);
    expect(december.no_kk_hash).toBe(november.no_kk_hash);
    expect(december.periode).toBe('2026-12');
  });

  it('hashes differently under a different key', () => {
    const other = toPseudonymisedSnapshotRow(person(), '2026-11', createPseudonymiser('another-key'));
    expect(other.nik_hash).not.toBe(toPseudonymisedSnapshotRow(person(), '2026-11', pseudonymise).nik_hash);
  });

  it('refuses an empty key', () => {
    expect(() => createPseudonymiser('')).toThrow(RangeError);
  });
});

describe('buildSnapshotManifest', () => {
  const file = (key: string, tier: 'full' | 'pseudonymised' | 'csv', records: number) => ({
    key,
    tier,
    records,
    bytes: 100 + records,
    sha256: 'a'.repeat(64),
  });
  const pseudonymised = (regency: string, records: number, anonymity = { k: 5, suppressed: 1, withheld: 0 }) => ({
    ...file(
      `pseudonymised/period=2026-11/province=${regency.slice(0, 2)}/regency-${regency}.parquet`,
      'pseudonymised',
      records - anonymity.withheld,
    ),
    anonymity,
  });
  const part = (
    regency: string,
    records: number,
    anonymity?: { k: number; suppressed: number; withheld: number },
  ): SnapshotPart => ({
    regency,
    province: regency.slice(0, 2),
    records,
    files: [
      file(`exports/period=2026-11/province=${regency.slice(0, 2)}/regency-${regency}.parquet`, 'full', records),
      pseudonymised(regency, records, anonymity),
      file(`regency-csv/period=2026-11/dtks-${regency}-2026-11.csv`, 'csv', records),
    ],
  });
  const manifestOf = (parts: SnapshotPart[]) =>
    buildSnapshotManifest({ period: '2026-11', generatedAt: 'x', carriedForward: false, sourceProposals: [], parts });

  it('totals persons by province and regency and lists every file by key', () => {
    const manifest = buildSnapshotManifest({
      period: '2026-11',
      generatedAt: '2026-11-30T17:00:00.000Z',
      carriedForward: false,
      sourceProposals: [{ proposalId: 'p1', regency: '3371' }],
      parts: [part('3372', 5), part('3371', 7), part('3201', 2)],
    });
    expect(manifest.totals).toEqual({
      records: 14,
      byProvince: { '32': 2, '33': 12 },
      byRegency: { '3201': 2, '3371': 7, '3372': 5 },
    });
    expect(manifest.files.map((f) => f.key)).toEqual([...manifest.files.map((f) => f.key)].sort());
    expect(manifest.files).toHaveLength(9);
    expect(manifest.sourceProposals).toEqual([{ proposalId: 'p1', regency: '3371' }]);
    expect(manifest.carriedForward).toBe(false);
  });

  it('is the same for parts in another order', () => {
    const input = {
      period: '2026-11',
      generatedAt: 'x',
      carriedForward: true,
      sourceProposals: [],
      parts: [part('3372', 5), part('3371', 7)],
    };
    expect(JSON.stringify(buildSnapshotManifest({ ...input, parts: [...input.parts].reverse() }))).toBe(
      JSON.stringify(buildSnapshotManifest(input)),
    );
  });

  it('records the k of the pseudonymised tier and the rows it suppressed or withheld', () => {
    const manifest = manifestOf([
      part('3371', 7, { k: 5, suppressed: 2, withheld: 0 }),
      part('3372', 4, { k: 5, suppressed: 0, withheld: 4 }),
    ]);
    expect(manifest.pseudonymisation).toEqual({
      k: 5,
      quasiIdentifiers: ['kode_kecamatan', 'kelompok_tahun_lahir', 'jenis_kelamin', 'kelompok_pekerjaan', 'sumber'],
      suppressedRecords: 2,
      withheldRecords: 4,
    });
    const withheld = manifest.files.find((f) => f.key.includes('pseudonymised') && f.key.includes('3372'));
    expect(withheld).toMatchObject({ records: 0, anonymity: { k: 5, suppressed: 0, withheld: 4 } });
    expect(manifest.totals.records).toBe(11);
  });

  it('refuses pseudonymised files written with different k, or without their anonymity', () => {
    expect(() =>
      manifestOf([
        part('3371', 7, { k: 5, suppressed: 0, withheld: 0 }),
        part('3372', 7, { k: 11, suppressed: 0, withheld: 0 }),
      ]),
    ).toThrow(InconsistentSnapshotError);
    const bare = part('3371', 7);
    const stripped = { ...bare, files: bare.files.map(({ anonymity: _anonymity, ...rest }: SnapshotFile) => rest) };
    expect(() => manifestOf([stripped])).toThrow(InconsistentSnapshotError);
  });

  it('lists the files released beside the exports with their tier, outside the totals and the k', () => {
    const tracking = file('regency-csv/period=2026-11/pelacakan-3371-2026-11.csv', 'csv', 4);
    const counts = file('pseudonymised/period=2026-11/pengendalian-kualitas.json', 'pseudonymised', 1);
    const manifest = buildSnapshotManifest({
      period: '2026-11',
      generatedAt: 'x',
      carriedForward: false,
      sourceProposals: [],
      parts: [part('3371', 7)],
      otherFiles: [tracking, counts],
    });
    expect(manifest.files).toHaveLength(5);
    expect(manifest.files).toContainEqual(tracking);
    expect(manifest.files).toContainEqual(counts);
    expect(manifest.files.map((f) => f.key)).toEqual([...manifest.files.map((f) => f.key)].sort());
    expect(manifest.totals.records).toBe(7);
    expect(manifest.pseudonymisation).toMatchObject({ k: 5, suppressedRecords: 1 });
    const again = part('3371', 7).files[0] as SnapshotFile;
    expect(() =>
      buildSnapshotManifest({
        period: '2026-11',
        generatedAt: 'x',
        carriedForward: false,
        sourceProposals: [],
        parts: [part('3371', 7)],
        otherFiles: [again],
      }),
    ).toThrow(InconsistentSnapshotError);
  });

  it('refuses a regency exported twice', () => {
    expect(() =>
      buildSnapshotManifest({
        period: '2026-11',
        generatedAt: 'x',
        carriedForward: false,
        sourceProposals: [],
        parts: [part('3371', 1), part('3371', 1)],
      }),
    ).toThrow(InconsistentSnapshotError);
  });

  it('refuses a file whose count differs from its regency', () => {
    const broken = { ...part('3371', 3), files: [file('k', 'full', 2)] };
    expect(() =>
      buildSnapshotManifest({
        period: '2026-11',
        generatedAt: 'x',
        carriedForward: false,
        sourceProposals: [],
        parts: [broken],
      }),
    ).toThrow(InconsistentSnapshotError);
  });
});
