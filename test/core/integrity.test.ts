import { describe, expect, it } from 'vitest';
import { MemoryClaimRegistry, MemoryDtksMaster, MemoryPopulationRegistry } from '#adapters/extracts/memory-ports.ts';
import { loadAreas } from '#core/area.ts';
import type { ResultCode } from '#core/codes.ts';
import { type CheckSummary, checkProposal, UnknownRegencyError } from '#core/integrity.ts';
import type { MasterPerson, PopulationPerson, ProposalRow } from '#core/proposal.ts';
import { DISTRICT, World as People, REGENCY, registered, VILLAGE } from '../support/world.ts';

const areas = loadAreas();
const OTHER_VILLAGE = areas.villagesOf(DISTRICT)[1]!;
const ELSEWHERE = areas.villagesOf(areas.districtsOf('3372')[0]!)[0]!; // Kota Surakarta

// Rows, registry people and identifiers of test/support/world.ts: distinct names per person, so that only
// the tests about identities meet POSSIBLE_DUPLICATE_PERSON.
const people = new People();
const nik = (birthDate?: string, sex?: 'L' | 'P'): string => people.nik(birthDate, sex);
const kk = (): string => people.kk();
const person = (overrides: Partial<ProposalRow> = {}): ProposalRow => people.row(overrides);

function inMaster(row: ProposalRow, overrides: Partial<MasterPerson> = {}): MasterPerson {
  const { line: _line, aksi: _aksi, alasan: _alasan, ...rest } = row;
  return { ...rest, ...overrides };
}

interface World {
  rows: ProposalRow[];
  /** Everyone in the registry: by default every row's person as the row states it. */
  population?: PopulationPerson[];
  extraPopulation?: PopulationPerson[];
  master?: MasterPerson[];
  claims?: { nik: string; noKk: string; proposalId: string }[];
  submitter?: string;
}

async function check(world: World): Promise<{ codes: ResultCode[][]; summary: CheckSummary }> {
  const rows = world.rows.map((row, i) => ({ ...row, line: i + 1 }));
  const population = new MemoryPopulationRegistry();
  for (const p of world.population ?? rows.map((row) => registered(row))) population.add(p);
  for (const p of world.extraPopulation ?? []) population.add(p);
  const master = new MemoryDtksMaster();
  for (const m of world.master ?? []) master.add(m);
  const claims = new MemoryClaimRegistry();
  for (const c of world.claims ?? []) claims.add(c);
  const codes: ResultCode[][] = [];
  async function* openRows() {
    // Two small batches, so cross-batch state is exercised too.
    yield rows.slice(0, 1);
    yield rows.slice(1);
  }
  const summary = await checkProposal(
    openRows,
    { population, master, claims },
    { submitter: world.submitter ?? REGENCY, proposalId: 'P-1', areas },
    (batch) => {
      for (const { row, codes: c } of batch) codes[row.line - 1] = [...c];
    },
  );
  return { codes, summary };
}

/** A clean family: a head and a child. */
function family(): ProposalRow[] {
  const noKk = kk();
  return [
    person({ noKk }),
    person({
      noKk,
      jenisKelamin: 'P',
      hubunganKeluarga: 'ANAK',
      tanggalLahir: '2010-01-20',
      statusPerkawinan: 'BELUM_KAWIN',
    }),
  ];
}

describe('checkProposal', () => {
  it('accepts a clean family with no codes', async () => {
    const { codes, summary } = await check({ rows: family() });
    expect(codes).toEqual([[], []]);
    expect(summary).toMatchObject({ rows: 2, accepted: 2, returned: 0, withWarnings: 0, codes: {} });
  });

  it('refuses a submitter that is not a regency', async () => {
    await expect(check({ rows: family(), submitter: '3399' })).rejects.toBeInstanceOf(UnknownRegencyError);
  });

  describe('criterion 1 and 2: the NIK', () => {
    it.each([
      ['too short', '337101120580001'],
      ['letters', '33710112058000A1'],
      ['day 32', `${DISTRICT}320580001`.padEnd(16, '1')],
      ['month 13', `${DISTRICT}1213800001`],
      ['serial 0000', `${DISTRICT}1205800000`],
      ['unknown province 00', '0071011205800001'],
    ])('returns NIK_FORMAT for a NIK that is %s, and skips registry look-ups', async (_what, bad) => {
      const row = person({ nik: bad });
      const { codes } = await check({ rows: [row], population: [] });
      expect(codes[0]).toEqual(['NIK_FORMAT']);
    });

    it('accepts a woman whose NIK day is the birth day + 40', async () => {
      const row = person({ jenisKelamin: 'P', nama: 'SITI RAHAYU', tanggalLahir: '1985-07-03' });
      expect(row.nik.slice(6, 8)).toBe('43');
      const { codes } = await check({ rows: [row] });
      expect(codes[0]).toEqual([]);
    });

    it('returns NIK_SEX_MISMATCH when the day+40 rule disagrees with jenis_kelamin', async () => {
      const row = person({ nik: nik('1980-05-12', 'P') });
      const { codes } = await check({ rows: [row] });
      expect(codes[0]).toEqual(['NIK_SEX_MISMATCH']);
    });

    it('returns NIK_BIRTHDATE_MISMATCH when the NIK encodes another birth date', async () => {
      const row = person({ nik: nik('1981-05-12'), tanggalLahir: '1980-05-12' });
      const { codes } = await check({ rows: [row] });
      expect(codes[0]).toEqual(['NIK_BIRTHDATE_MISMATCH']);
    });

    it('reads tanggal_lahir in DD-MM-YYYY and DD/MM/YYYY too', async () => {
      const a = person({ nik: nik('1980-05-12') });
      const b = person({ nik: nik('1980-05-12') });
      a.tanggalLahir = '12-05-1980';
      b.tanggalLahir = '12/05/1980';
      b.noKk = a.noKk;
      b.hubunganKeluarga = 'SUAMI';
      b.nama = 'AGUS SALIM';
      const { codes } = await check({ rows: [a, b] });
      expect(codes).toEqual([[], []]);
    });

    it('returns DUPLICATE_NIK on every occurrence of a NIK, and nothing more within one family', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const twin = { ...child };
      const { codes } = await check({ rows: [head, child, twin] });
      expect(codes).toEqual([[], ['DUPLICATE_NIK'], ['DUPLICATE_NIK']]);
    });

    it('returns NIK_NOT_FOUND for a valid NIK unknown to Dukcapil', async () => {
      const row = person();
      const { codes } = await check({ rows: [row], population: [] });
      expect(codes[0]).toEqual(['NIK_NOT_FOUND']);
    });

    it('returns NAME_MISMATCH for another name, but accepts titles, case and one-letter variants', async () => {
      const a = person({ nama: 'BUDI SANTOSO' });
      const b = person({ nama: 'H. Muhamad Ridwan, S.Pd' });
      const c = person({ nama: 'AGUS SALIM' });
      const { codes } = await check({
        rows: [a, b, c],
        population: [
          registered(a, { nama: 'Budi  Santoso' }),
          registered(b, { nama: 'MUHAMMAD RIDWAN' }),
          registered(c, { nama: 'JOKO WIDODO' }),
        ],
      });
      expect(codes).toEqual([[], [], ['NAME_MISMATCH']]);
    });

    it('returns ADDRESS_MISMATCH when the registry village differs within the regency', async () => {
      const row = person();
      const { codes } = await check({ rows: [row], population: [registered(row, { kodeDesa: OTHER_VILLAGE })] });
      expect(codes[0]).toEqual(['ADDRESS_MISMATCH']);
    });

    it('warns MOVED_DOMICILE, not ADDRESS_MISMATCH, when the registry places the person in another regency', async () => {
      const row = person();
      const { codes, summary } = await check({
        rows: [row],
        population: [registered(row, { kodeDesa: ELSEWHERE })],
      });
      expect(codes[0]).toEqual(['MOVED_DOMICILE']);
      expect(summary).toMatchObject({ accepted: 1, returned: 0, withWarnings: 1 });
    });

    it('accepts a dotted village code (33.71.01.1001) as the same village', async () => {
      const row = person();
      const dotted = `${VILLAGE.slice(0, 2)}.${VILLAGE.slice(2, 4)}.${VILLAGE.slice(4, 6)}.${VILLAGE.slice(6)}`;
      const { codes } = await check({ rows: [{ ...row, kodeDesa: dotted }], population: [registered(row)] });
      expect(codes[0]).toEqual([]);
    });

    it('returns DECEASED for a person the registry records as dead, unless the row removes them for that reason', async () => {
      const dead = person();
      const master = person();
      const removal = { ...master, aksi: 'HAPUS', alasan: 'MENINGGAL' };
      const { codes } = await check({
        rows: [dead, removal],
        population: [registered(dead, { statusHidup: 'MENINGGAL' }), registered(master, { statusHidup: 'MENINGGAL' })],
        master: [inMaster(master)],
      });
      expect(codes).toEqual([['DECEASED'], []]);
    });

    it('returns NIK_INACTIVE, not NIK_NOT_FOUND, for a NIK Dukcapil has deactivated; an active NIK gets no code', async () => {
      const active = person();
      const inactive = person();
      const { codes, summary } = await check({
        rows: [active, inactive],
        population: [registered(active, { statusNik: 'AKTIF' }), registered(inactive, { statusNik: 'NONAKTIF' })],
      });
      expect(codes).toEqual([[], ['NIK_INACTIVE']]);
      expect(summary).toMatchObject({ accepted: 1, returned: 1, codes: { NIK_INACTIVE: 1 } });
    });

    it('still compares the name, village and life status of a deactivated NIK (the person is known)', async () => {
      const renamed = person({ nama: 'AGUS SALIM' });
      const elsewhere = person();
      const dead = person();
      const removed = person({ aksi: 'HAPUS', alasan: 'MENINGGAL' });
      const { codes } = await check({
        rows: [renamed, elsewhere, dead, removed],
        population: [
          registered(renamed, { statusNik: 'NONAKTIF', nama: 'JOKO WIDODO' }),
          registered(elsewhere, { statusNik: 'NONAKTIF', kodeDesa: OTHER_VILLAGE }),
          registered(dead, { statusNik: 'NONAKTIF', statusHidup: 'MENINGGAL' }),
          registered(removed, { statusNik: 'NONAKTIF', statusHidup: 'MENINGGAL' }),
        ],
        master: [inMaster(removed)],
      });
      expect(codes).toEqual([
        ['NAME_MISMATCH', 'NIK_INACTIVE'],
        ['ADDRESS_MISMATCH', 'NIK_INACTIVE'],
        ['DECEASED', 'NIK_INACTIVE'],
        // The contract excepts only DECEASED for a removal for death; the deactivated NIK is still returned.
        ['NIK_INACTIVE'],
      ]);
    });

    it('skips the registry status of a malformed NIK, as every registry look-up', async () => {
      const row = person();
      const bad = { ...row, nik: `${row.nik.slice(0, 15)}X` };
      const { codes } = await check({ rows: [bad], population: [registered(bad, { statusNik: 'NONAKTIF' })] });
      expect(codes[0]).toEqual(['NIK_FORMAT']);
    });
  });

  describe('criterion 3 and 4: families', () => {
    it('returns FAMILY_NO_HEAD on every row of a family without a head', async () => {
      const rows = family().map((r) => ({ ...r, hubunganKeluarga: 'ANAK' }));
      const { codes } = await check({ rows });
      expect(codes).toEqual([['FAMILY_NO_HEAD'], ['FAMILY_NO_HEAD']]);
    });

    it('returns FAMILY_MULTIPLE_HEADS on every row of a family with two heads', async () => {
      const rows = family().map((r) => ({ ...r, hubunganKeluarga: 'KEPALA_KELUARGA' }));
      const { codes } = await check({ rows });
      expect(codes).toEqual([['FAMILY_MULTIPLE_HEADS'], ['FAMILY_MULTIPLE_HEADS']]);
    });

    it('does not flag an UBAH of one member of a master family whose head stays in the master', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const { codes } = await check({
        rows: [{ ...child, aksi: 'UBAH', pekerjaan: 'PELAJAR' }],
        population: [registered(head), registered(child)],
        master: [inMaster(head), inMaster(child)],
      });
      expect(codes).toEqual([[]]);
    });

    it('returns FAMILY_MULTIPLE_HEADS when a TAMBAH adds a second head to a master family', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const newcomer = person({ noKk: head.noKk, nama: 'AGUS SALIM' });
      const { codes } = await check({
        rows: [newcomer],
        population: [registered(head), registered(child), registered(newcomer)],
        master: [inMaster(head), inMaster(child)],
      });
      expect(codes).toEqual([['FAMILY_MULTIPLE_HEADS']]);
    });

    it('returns FAMILY_NO_HEAD when the head is removed and nobody takes the role', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const { codes } = await check({
        rows: [{ ...head, aksi: 'HAPUS', alasan: 'PINDAH' }],
        population: [registered(head), registered(child)],
        master: [inMaster(head), inMaster(child)],
      });
      expect(codes).toEqual([['FAMILY_NO_HEAD']]);
    });

    it('accepts a removed head when an UBAH names the new head in the same proposal', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const { codes } = await check({
        rows: [
          { ...head, aksi: 'HAPUS', alasan: 'PINDAH' },
          { ...child, aksi: 'UBAH', hubunganKeluarga: 'KEPALA_KELUARGA' },
        ],
        population: [registered(head), registered(child)],
        master: [inMaster(head), inMaster(child)],
      });
      expect(codes).toEqual([[], []]);
    });

    it('accepts removing a whole family', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const { codes } = await check({
        rows: [
          { ...head, aksi: 'HAPUS', alasan: 'MAMPU' },
          { ...child, aksi: 'HAPUS', alasan: 'MAMPU' },
        ],
        population: [registered(head), registered(child)],
        master: [inMaster(head), inMaster(child)],
      });
      expect(codes).toEqual([[], []]);
    });

    it('returns FAMILY_OVERLAP (and ALREADY_IN_DTKS) for a TAMBAH into a new family of a person the master holds in another', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const other = family();
      const moved = { ...child, noKk: other[0]!.noKk };
      const { codes } = await check({
        rows: [other[0]!, moved],
        population: [registered(head), registered(child), registered(other[0]!)],
        master: [inMaster(head), inMaster(child)],
      });
      expect(codes).toEqual([[], ['ALREADY_IN_DTKS', 'FAMILY_OVERLAP']]);
    });

    it('does not return FAMILY_OVERLAP for an UBAH that moves a master member to another family', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const [otherHead] = family() as [ProposalRow];
      const moved = { ...child, aksi: 'UBAH', noKk: otherHead.noKk };
      const { codes } = await check({
        rows: [moved],
        population: [registered(head), registered(child), registered(otherHead)],
        master: [inMaster(head), inMaster(child), inMaster(otherHead)],
      });
      expect(codes).toEqual([[]]);
    });

    it('returns DUPLICATE_NIK and FAMILY_OVERLAP for the same NIK in two families of the file', async () => {
      const a = family();
      const b = family();
      const twin = { ...a[1]!, noKk: b[0]!.noKk };
      const { codes } = await check({ rows: [...a, ...b, twin], population: [...a, ...b].map((r) => registered(r)) });
      expect(codes[1]).toEqual(['DUPLICATE_NIK', 'FAMILY_OVERLAP']);
      expect(codes[4]).toEqual(['DUPLICATE_NIK', 'FAMILY_OVERLAP']);
      expect(codes[0]).toEqual([]);
    });

    it('returns FAMILY_OVERLAP when another pending proposal claims the person in another family', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const { codes } = await check({
        rows: [head, child],
        claims: [
          { nik: child.nik, noKk: kk(), proposalId: 'P-OTHER' },
          { nik: head.nik, noKk: kk(), proposalId: 'P-1' },
        ],
      });
      expect(codes).toEqual([[], ['FAMILY_OVERLAP']]);
    });
  });

  describe('criterion 5 and the contract codes', () => {
    it.each([
      ['nama', { nama: '' }],
      ['tempat_lahir', { tempatLahir: '' }],
      ['nama_ibu_kandung', { namaIbuKandung: '' }],
      ['rt', { rt: '' }],
      ['alasan of a HAPUS', { aksi: 'HAPUS', alasan: '' }],
    ] as [string, Partial<ProposalRow>][])('returns MISSING_ATTRIBUTE when %s is empty', async (_what, overrides) => {
      const row = person();
      const { codes } = await check({
        rows: [{ ...row, ...overrides }],
        population: [registered(row)],
        master: overrides.aksi ? [inMaster(row)] : [],
      });
      expect(codes[0]).toEqual(['MISSING_ATTRIBUTE']);
    });

    it.each([
      ['rt of 4 digits', { rt: '1234' }],
      ['an unknown relationship', { hubunganKeluarga: 'SEPUPU' }],
      ['an unknown marital status', { statusPerkawinan: 'JOMBLO' }],
      ['income with dots', { penghasilanBulanan: '1.500.000' }],
      ['an unknown aksi', { aksi: 'GANTI' }],
      ['jenis_kelamin X', { jenisKelamin: 'X' }],
      ['decile 11', { desil: '11' }],
      ['a village code that does not exist', { kodeDesa: `${REGENCY}019999` }],
    ])('returns INVALID_ATTRIBUTE for %s', async (_what, overrides) => {
      const row = person();
      const { codes } = await check({ rows: [{ ...row, ...overrides }], population: [registered(row)] });
      expect(codes[0]).toContain('INVALID_ATTRIBUTE');
    });

    it('returns INVALID_ATTRIBUTE for a date that does not exist, without comparing it to the NIK', async () => {
      const row = person();
      const { codes } = await check({ rows: [{ ...row, tanggalLahir: '1980-02-30' }], population: [registered(row)] });
      expect(codes[0]).toEqual(['INVALID_ATTRIBUTE']);
    });

    it('returns INVALID_ATTRIBUTE for an unknown removal reason', async () => {
      const row = person();
      const { codes } = await check({
        rows: [{ ...row, aksi: 'HAPUS', alasan: 'BOSAN' }],
        population: [registered(row)],
        master: [inMaster(row)],
      });
      expect(codes[0]).toEqual(['INVALID_ATTRIBUTE']);
    });

    it('returns REGION_OUTSIDE_SUBMITTER for a village of another regency', async () => {
      const row = person({ kodeDesa: ELSEWHERE });
      const { codes } = await check({ rows: [row] });
      expect(codes[0]).toEqual(['REGION_OUTSIDE_SUBMITTER']);
    });

    it('returns NOT_IN_DTKS for an UBAH or HAPUS of a person who is not in the master', async () => {
      const a = person({ aksi: 'UBAH' });
      const b = person({ aksi: 'HAPUS', alasan: 'PINDAH' });
      const { codes } = await check({ rows: [a, b] });
      expect(codes).toEqual([['NOT_IN_DTKS'], ['NOT_IN_DTKS']]);
    });

    it('warns ALREADY_IN_DTKS for a TAMBAH of a person in the master, in the same family', async () => {
      const [head, child] = family() as [ProposalRow, ProposalRow];
      const { codes, summary } = await check({
        rows: [head],
        population: [registered(head)],
        master: [inMaster(head), inMaster(child)],
      });
      expect(codes).toEqual([['ALREADY_IN_DTKS']]);
      expect(summary.accepted).toBe(1);
    });

    it('warns POSSIBLE_DUPLICATE_PERSON for two NIKs with the same normalised name, birth date and village', async () => {
      const a = person({ nama: 'Drs. Budi Santoso' });
      const b = person({ nama: 'BUDI SANTOSO' });
      const c = person({ nama: 'BUDI SANTOSO', tanggalLahir: '1980-05-13' });
      const { codes } = await check({ rows: [a, b, c] });
      expect(codes).toEqual([['POSSIBLE_DUPLICATE_PERSON'], ['POSSIBLE_DUPLICATE_PERSON'], []]);
    });

    it('warns POSSIBLE_DUPLICATE_PERSON against an active master person with another NIK', async () => {
      const existing = person({ nama: 'AGUS SALIM' });
      const newcomer = person({ nama: 'AGUS SALIM' });
      const { codes } = await check({
        rows: [newcomer],
        population: [registered(newcomer)],
        master: [inMaster(existing)],
      });
      expect(codes).toEqual([['POSSIBLE_DUPLICATE_PERSON']]);
    });

    it('counts every code in the summary', async () => {
      const rows = [...family(), person({ kodeDesa: ELSEWHERE, nama: 'X' })];
      const { summary } = await check({ rows });
      expect(summary).toEqual({
        rows: 3,
        accepted: 2,
        returned: 1,
        withWarnings: 0,
        codes: { REGION_OUTSIDE_SUBMITTER: 1 },
      });
    });
  });
});
