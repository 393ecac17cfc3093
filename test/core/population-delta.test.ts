import { describe, expect, it } from 'vitest';
import {
  applyPopulationChange,
  changeStamp,
  deltaFileOrder,
  type Perubahan,
  type PopulationChange,
  planPersonChanges,
} from '#core/population-delta.ts';
import type { PopulationPerson } from '#core/proposal.ts';

const stored: PopulationPerson = {
  nik: '3371011205800001',
  noKk: '3371010103150002',
  nama: 'BUDI SANTOSO',
  jenisKelamin: 'L',
  tempatLahir: 'MAGELANG',
  tanggalLahir: '1980-05-12',
  kodeDesa: '3371011001',
  alamat: 'JL. MAWAR 1',
  statusHidup: 'HIDUP',
  statusNik: 'AKTIF',
};

/** A delta line for the stored person whose every other column differs, so a change taking too much shows. */
function change(perubahan: Perubahan, overrides: Partial<PopulationPerson> = {}): PopulationChange {
  return {
    line: 1,
    perubahan,
    person: {
      ...stored,
      noKk: '3371010101200009',
      nama: 'BUDI SANTOSO WIBOWO',
      tempatLahir: 'SEMARANG',
      kodeDesa: '3372011002',
      alamat: 'JL. MELATI 9',
      statusHidup: 'HIDUP',
      statusNik: 'AKTIF',
      ...overrides,
    },
  };
}

describe('applyPopulationChange', () => {
  it('LAHIR of an unknown NIK creates the person as the line writes them', () => {
    const birth = change('LAHIR');
    expect(applyPopulationChange(undefined, birth)).toEqual({ outcome: 'APPLIED', person: birth.person });
  });

  it('LAHIR of a known NIK takes the identity fields only, and is UNCHANGED when they are the same', () => {
    const dead = { ...stored, statusHidup: 'MENINGGAL' as const };
    expect(applyPopulationChange(dead, change('LAHIR'))).toEqual({
      outcome: 'APPLIED',
      person: { ...change('LAHIR').person, statusHidup: 'MENINGGAL' },
    });
    expect(applyPopulationChange(stored, { line: 1, perubahan: 'LAHIR', person: stored })).toEqual({
      outcome: 'UNCHANGED',
    });
  });

  it('MENINGGAL sets status_hidup and nothing else; a second one is UNCHANGED', () => {
    const outcome = applyPopulationChange(stored, change('MENINGGAL', { statusHidup: 'HIDUP' }));
    expect(outcome).toEqual({ outcome: 'APPLIED', person: { ...stored, statusHidup: 'MENINGGAL' } });
    if (outcome.outcome !== 'APPLIED') throw new Error('not applied');
    expect(applyPopulationChange(outcome.person, change('MENINGGAL'))).toEqual({ outcome: 'UNCHANGED' });
  });

  it('PINDAH moves the domicile (kode_desa, alamat) and keeps the rest', () => {
    expect(applyPopulationChange(stored, change('PINDAH'))).toEqual({
      outcome: 'APPLIED',
      person: { ...stored, kodeDesa: '3372011002', alamat: 'JL. MELATI 9' },
    });
  });

  it('NONAKTIF deactivates the NIK and AKTIF reactivates it; each is UNCHANGED when already so', () => {
    const deactivated = applyPopulationChange(stored, change('NONAKTIF'));
    expect(deactivated).toEqual({ outcome: 'APPLIED', person: { ...stored, statusNik: 'NONAKTIF' } });
    if (deactivated.outcome !== 'APPLIED') throw new Error('not applied');
    expect(applyPopulationChange(deactivated.person, change('NONAKTIF'))).toEqual({ outcome: 'UNCHANGED' });
    expect(applyPopulationChange(deactivated.person, change('AKTIF'))).toEqual({ outcome: 'APPLIED', person: stored });
    expect(applyPopulationChange(stored, change('AKTIF'))).toEqual({ outcome: 'UNCHANGED' });
  });

  it('a person stored before status_nik existed reads as AKTIF', () => {
    const { statusNik: _, ...old } = stored;
    expect(applyPopulationChange(old as PopulationPerson, change('AKTIF'))).toEqual({ outcome: 'UNCHANGED' });
    expect(applyPopulationChange(old as PopulationPerson, change('MENINGGAL'))).toEqual({
      outcome: 'APPLIED',
      person: { ...stored, statusHidup: 'MENINGGAL' },
    });
  });

  it('UBAH takes the identity fields but never status_hidup or status_nik', () => {
    const line = change('UBAH', { statusHidup: 'MENINGGAL', statusNik: 'NONAKTIF' });
    expect(applyPopulationChange(stored, line)).toEqual({
      outcome: 'APPLIED',
      person: { ...line.person, statusHidup: 'HIDUP', statusNik: 'AKTIF' },
    });
  });

  it.each(['MENINGGAL', 'PINDAH', 'NONAKTIF', 'AKTIF', 'UBAH'] as const)('%s of an unknown NIK is UNKNOWN_NIK', (p) => {
    expect(applyPopulationChange(undefined, change(p))).toEqual({ outcome: 'UNKNOWN_NIK' });
  });
});

describe('deltaFileOrder and changeStamp', () => {
  it('orders files by day, then sequence, then line, as strings', () => {
    const a = deltaFileOrder('2026-12-01-2.csv');
    const b = deltaFileOrder('2026-12-01-10.csv');
    const c = deltaFileOrder('2026-12-02-1.CSV');
    if (!a || !b || !c) throw new Error('no order');
    expect(a).toEqual({ date: '2026-12-01', seq: 2, order: '2026-12-01#000002' });
    const stamps = [changeStamp(c, 1), changeStamp(b, 1), changeStamp(a, 100), changeStamp(a, 99)];
    expect([...stamps].sort()).toEqual([changeStamp(a, 99), changeStamp(a, 100), changeStamp(b, 1), changeStamp(c, 1)]);
  });

  it('refuses a name without a real day and a sequence', () => {
    for (const name of [
      '2026-02-30-1.csv',
      '2026-12-01.csv',
      'delta.csv',
      '2026-12-01-1.txt',
      '2026-12-01-1234567.csv',
    ]) {
      expect(deltaFileOrder(name), name).toBeUndefined();
    }
  });
});

describe('planPersonChanges', () => {
  const file = (name: string) => {
    const order = deltaFileOrder(name);
    if (!order) throw new Error(name);
    return order;
  };
  const day1 = file('2026-12-01-1.csv');
  const day2 = file('2026-12-02-1.csv');

  it("applies one NIK's lines in file order and writes the person once with the last line's stamp", () => {
    const plan = planPersonChanges(
      { person: stored, deltaStamp: undefined },
      [
        { ...change('PINDAH'), line: 3 },
        { ...change('MENINGGAL'), line: 7 },
      ],
      day1,
    );
    expect(plan).toEqual({
      write: {
        person: { ...stored, kodeDesa: '3372011002', alamat: 'JL. MELATI 9', statusHidup: 'MENINGGAL' },
        deltaStamp: changeStamp(day1, 7),
      },
      lines: [
        { line: 3, perubahan: 'PINDAH', outcome: 'APPLIED' },
        { line: 7, perubahan: 'MENINGGAL', outcome: 'APPLIED' },
      ],
    });
  });

  it('a line of this file at or before the stored stamp is UNCHANGED and writes nothing (re-delivery, retry)', () => {
    const plan = planPersonChanges(
      { person: stored, deltaStamp: changeStamp(day1, 7) },
      [
        { ...change('PINDAH'), line: 3 },
        { ...change('NONAKTIF'), line: 7 },
        { ...change('NONAKTIF'), line: 9 },
      ],
      day1,
    );
    expect(plan.lines.map((line) => line.outcome)).toEqual(['UNCHANGED', 'UNCHANGED', 'APPLIED']);
    expect(plan.write).toEqual({ person: { ...stored, statusNik: 'NONAKTIF' }, deltaStamp: changeStamp(day1, 9) });
  });

  it("an older file's line after a newer change is SUPERSEDED", () => {
    const plan = planPersonChanges({ person: stored, deltaStamp: changeStamp(day2, 1) }, [change('NONAKTIF')], day1);
    expect(plan).toEqual({ write: undefined, lines: [{ line: 1, perubahan: 'NONAKTIF', outcome: 'SUPERSEDED' }] });
  });

  it('a line that changes nothing still moves the stamp, so an older file cannot undo it', () => {
    const newer = planPersonChanges({ person: stored, deltaStamp: undefined }, [change('AKTIF')], day2);
    expect(newer).toEqual({
      write: { person: stored, deltaStamp: changeStamp(day2, 1) },
      lines: [{ line: 1, perubahan: 'AKTIF', outcome: 'UNCHANGED' }],
    });
    const older = planPersonChanges(
      { person: stored, deltaStamp: newer.write?.deltaStamp },
      [change('NONAKTIF')],
      day1,
    );
    expect(older.write).toBeUndefined();
  });

  it('an unknown NIK is created by LAHIR and changed by the lines after it; before it, skipped', () => {
    const plan = planPersonChanges(
      { person: undefined, deltaStamp: undefined },
      [
        { ...change('UBAH'), line: 1 },
        { ...change('LAHIR'), line: 2 },
        { ...change('NONAKTIF'), line: 3 },
      ],
      day1,
    );
    expect(plan.lines.map((line) => line.outcome)).toEqual(['UNKNOWN_NIK', 'APPLIED', 'APPLIED']);
    expect(plan.write).toEqual({
      person: { ...change('LAHIR').person, statusNik: 'NONAKTIF' },
      deltaStamp: changeStamp(day1, 3),
    });
    expect(
      planPersonChanges({ person: undefined, deltaStamp: undefined }, [change('PINDAH')], day1).write,
    ).toBeUndefined();
  });
});
