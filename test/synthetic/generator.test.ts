import { describe, expect, it } from 'vitest';
import { loadAreas } from '#core/area.ts';
import { RESULT_CODES } from '#core/codes.ts';
import { parseDate } from '#core/dates.ts';
import { parseKk } from '#core/kk.ts';
import { namesMatch } from '#core/names.ts';
import { nikMatchesBirthDate, parseNik } from '#core/nik.ts';
import type { MasterPerson, PopulationPerson, ProposalRow } from '#core/proposal.ts';
import { generateWorld, type TruthRow, UnknownWorldRegencyError } from '#synthetic/generator.ts';

const areas = loadAreas();
const REGENCY = '3374'; // Kota Semarang

interface World {
  population: PopulationPerson[];
  master: MasterPerson[];
  proposal: ProposalRow[];
  truth: TruthRow[];
  counts: Partial<Record<string, number>>;
}

function build(families: number, defectRate: number, seed: number, regency = REGENCY): World {
  const world = generateWorld({ regency, families, defectRate, seed, areas });
  const out: World = { population: [], master: [], proposal: [], truth: [], counts: {} };
  for (const batch of world.batches(100)) {
    out.population.push(...batch.population);
    out.master.push(...batch.master);
    out.proposal.push(...batch.proposal);
  }
  for (const batch of world.truth()) out.truth.push(...batch);
  out.counts = world.codeCounts();
  return out;
}

const defective = build(2000, 0.2, 11);
const clean = build(1500, 0, 3);

function byKk<T extends { noKk: string }>(rows: readonly T[]): Map<string, T[]> {
  const families = new Map<string, T[]>();
  for (const row of rows) {
    const family = families.get(row.noKk);
    if (family) family.push(row);
    else families.set(row.noKk, [row]);
  }
  return families;
}

describe('generateWorld', () => {
  it('writes the same world for the same seed and another world for another seed', () => {
    const again = build(2000, 0.2, 11);
    expect(again.proposal).toEqual(defective.proposal);
    expect(again.population).toEqual(defective.population);
    expect(again.master).toEqual(defective.master);
    expect(again.truth).toEqual(defective.truth);
    const other = build(2000, 0.2, 12);
    expect(other.proposal.slice(0, 50)).not.toEqual(defective.proposal.slice(0, 50));
  });

  it('injects every result code at least once in a 2,000-family world at defect rate 0.2', () => {
    const codes = new Set(defective.truth.flatMap((t) => t.codes));
    expect([...codes].sort()).toEqual([...RESULT_CODES].sort());
    for (const code of RESULT_CODES) expect(defective.counts[code], code).toBeGreaterThan(0);
  });

  it('has a truth line for every proposal row, numbered from 1 in order', () => {
    expect(defective.truth.map((t) => t.line)).toEqual(defective.proposal.map((_, i) => i + 1));
    expect(defective.proposal.map((row) => row.line)).toEqual(defective.proposal.map((_, i) => i + 1));
  });

  it('leaves every row clean at defect rate 0', () => {
    const flagged = clean.truth.filter((t) => t.codes.length > 0);
    expect(flagged).toEqual([]);
  });

  it('has the sizes of a regency: about 3.6 proposal rows, 4 master rows and 7.6 registry people per family', () => {
    const families = 1500;
    expect(clean.proposal.length / families).toBeGreaterThan(3.2);
    expect(clean.proposal.length / families).toBeLessThan(4);
    expect(clean.master.length / families).toBeGreaterThan(3.6);
    expect(clean.master.length / families).toBeLessThan(4.4);
    expect(clean.population.length / families).toBeGreaterThan(7);
    expect(clean.population.length / families).toBeLessThan(8.2);
  });

  it('gives every master family exactly one head, and so every new family of a clean proposal', () => {
    for (const [noKk, members] of byKk(defective.master)) {
      expect(members.filter((m) => m.hubunganKeluarga === 'KEPALA_KELUARGA').length, noKk).toBe(1);
    }
    const masterKks = new Set(clean.master.map((m) => m.noKk));
    const newFamilies = [...byKk(clean.proposal.filter((r) => r.aksi === 'TAMBAH' && !masterKks.has(r.noKk)))];
    expect(newFamilies.length).toBeGreaterThan(1000);
    for (const [noKk, rows] of newFamilies) {
      expect(rows.filter((r) => r.hubunganKeluarga === 'KEPALA_KELUARGA').length, noKk).toBe(1);
    }
  });

  it('encodes every registry person’s birth date and sex in a well-formed NIK, and issues well-formed No. KK', () => {
    const wrong = defective.population.filter((person) => {
      const parsed = parseNik(person.nik, areas);
      return (
        !parsed.ok ||
        !nikMatchesBirthDate(parsed.parts, person.tanggalLahir) ||
        parsed.parts.sex !== person.jenisKelamin ||
        !parseKk(person.noKk, areas).ok
      );
    });
    expect(wrong).toEqual([]);
  });

  it('gives every registry person a NIK of their own', () => {
    const niks = new Set(defective.population.map((p) => p.nik));
    expect(niks.size).toBe(defective.population.length);
  });

  it('registers some people in another province (born elsewhere) and everyone in a real village', () => {
    const elsewhere = defective.master.filter((m) => m.nik.slice(0, 2) !== REGENCY.slice(0, 2));
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(defective.master.every((m) => m.kodeDesa.startsWith(REGENCY) && areas.isVillage(m.kodeDesa))).toBe(true);
    expect(defective.population.every((p) => areas.isVillage(p.kodeDesa))).toBe(true);
  });

  it('makes children younger than both parents', () => {
    for (const members of byKk(defective.master).values()) {
      const head = members.find((m) => m.hubunganKeluarga === 'KEPALA_KELUARGA')!;
      const wife = members.find((m) => m.hubunganKeluarga === 'ISTRI');
      for (const child of members.filter((m) => m.hubunganKeluarga === 'ANAK')) {
        expect(child.tanggalLahir > head.tanggalLahir, `${child.nik} after ${head.nik}`).toBe(true);
        if (wife) expect(child.tanggalLahir > wife.tanggalLahir).toBe(true);
        if (wife) expect(child.namaIbuKandung).toBe(wife.nama);
      }
    }
  });

  it('writes tolerated variants on clean rows: titles, case, spelling, and DD-MM-YYYY and DD/MM/YYYY dates', () => {
    const registry = new Map(clean.population.map((p) => [p.nik, p]));
    const variants = clean.proposal.filter((row) => row.nama !== registry.get(row.nik)?.nama);
    expect(variants.some((row) => /\b(H|HJ|DRS|DRA|IR)\. /.test(row.nama) || /, [A-Z.]+$/.test(row.nama))).toBe(true);
    expect(variants.some((row) => /[a-z]/.test(row.nama))).toBe(true);
    expect(variants.some((row) => /MUHAMAD|MOHAMMAD|SITY|DJOKO|ACHMAD|JUSUF|SOE/.test(row.nama))).toBe(true);
    for (const row of variants) expect(namesMatch(row.nama, registry.get(row.nik)!.nama), row.nama).toBe(true);
    expect(clean.proposal.some((row) => /^\d\d-\d\d-\d{4}$/.test(row.tanggalLahir))).toBe(true);
    expect(clean.proposal.some((row) => /^\d\d\/\d\d\/\d{4}$/.test(row.tanggalLahir))).toBe(true);
    expect(clean.proposal.every((row) => parseDate(row.tanggalLahir) !== undefined)).toBe(true);
  });

  it('sends UBAH, HAPUS with every alasan, and TAMBAH into existing master families', () => {
    const masterKks = new Set(clean.master.map((m) => m.noKk));
    expect(clean.proposal.some((r) => r.aksi === 'UBAH')).toBe(true);
    const reasons = new Set(clean.proposal.filter((r) => r.aksi === 'HAPUS').map((r) => r.alasan));
    expect([...reasons].sort()).toEqual(['GANDA', 'MAMPU', 'MENINGGAL', 'PINDAH', 'TIDAK_LAYAK']);
    expect(clean.proposal.some((r) => r.aksi === 'TAMBAH' && masterKks.has(r.noKk))).toBe(true);
    // HAPUS alasan MENINGGAL removes a person the registry says died: clean (checked above at defect rate 0).
    const dead = new Set(clean.population.filter((p) => p.statusHidup === 'MENINGGAL').map((p) => p.nik));
    const removedDead = clean.proposal.filter((r) => r.aksi === 'HAPUS' && r.alasan === 'MENINGGAL');
    expect(removedDead.length).toBeGreaterThan(0);
    expect(removedDead.every((r) => dead.has(r.nik))).toBe(true);
  });

  it('moves a master member into another master family with an UBAH', () => {
    const masterFamilyOf = new Map(clean.master.map((m) => [m.nik, m.noKk]));
    const moves = clean.proposal.filter(
      (r) => r.aksi === 'UBAH' && masterFamilyOf.has(r.nik) && masterFamilyOf.get(r.nik) !== r.noKk,
    );
    expect(moves.length).toBeGreaterThan(0);
    const masterKks = new Set(masterFamilyOf.values());
    expect(moves.every((r) => masterKks.has(r.noKk))).toBe(true);
  });

  it('accepts the dotted regency code and refuses one that is not in the official list', () => {
    expect(() => generateWorld({ regency: '33.74', families: 1, areas })).not.toThrow();
    expect(() => generateWorld({ regency: '3399', families: 1, areas })).toThrow(UnknownWorldRegencyError);
    expect(() => generateWorld({ regency: '3374', families: 0, areas })).toThrow(RangeError);
    expect(() => generateWorld({ regency: '3374', families: 5, defectRate: 1.5, areas })).toThrow(RangeError);
  });
});
