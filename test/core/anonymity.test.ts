import { describe, expect, it } from 'vitest';
import {
  AnonymityPlan,
  birthYearBand,
  EquivalenceClassCounts,
  equivalenceClassOf,
  OTHER_OCCUPATION_GROUP,
  occupationGroup,
  type QuasiIdentifierValues,
  suppressQuasiIdentifiers,
} from '#core/anonymity.ts';

const row = (
  district: string,
  band = '1980-1989',
  sex = 'L',
  group = 'PEDAGANG/WIRASWASTA',
  source = 'MUSDES',
): QuasiIdentifierValues => ({
  kode_kecamatan: district,
  kelompok_tahun_lahir: band,
  jenis_kelamin: sex,
  kelompok_pekerjaan: group,
  sumber: source,
});

function counted(rows: readonly QuasiIdentifierValues[]): EquivalenceClassCounts {
  const counts = new EquivalenceClassCounts();
  for (const r of rows) counts.add(r);
  return counts;
}

const times = (n: number, r: QuasiIdentifierValues) => Array.from({ length: n }, () => r);

describe('generalisation', () => {
  it('bands a birth year into its decade', () => {
    expect(birthYearBand(1980)).toBe('1980-1989');
    expect(birthYearBand(1989)).toBe('1980-1989');
    expect(birthYearBand(2000)).toBe('2000-2009');
    expect(birthYearBand(null)).toBeNull();
  });

  it('groups occupations, sending rare and free-text ones to LAINNYA', () => {
    expect(occupationGroup('PETANI/PEKEBUN')).toBe('PERTANIAN/PERIKANAN');
    expect(occupationGroup(' buruh  harian lepas ')).toBe('BURUH/JASA');
    expect(occupationGroup('TUKANG KAYU')).toBe('BURUH/JASA');
    expect(occupationGroup('KARYAWAN BUMN')).toBe('KARYAWAN');
    expect(occupationGroup('GURU')).toBe('APARATUR/PROFESIONAL');
    expect(occupationGroup('BUPATI')).toBe(OTHER_OCCUPATION_GROUP);
    expect(occupationGroup('penjual bakso keliling di depan SD 3')).toBe(OTHER_OCCUPATION_GROUP);
    expect(occupationGroup('')).toBeNull();
  });

  it('tells a null quasi-identifier from an empty one', () => {
    expect(equivalenceClassOf({ ...row('337101'), jenis_kelamin: null })).not.toBe(
      equivalenceClassOf({ ...row('337101'), jenis_kelamin: '' }),
    );
  });
});

describe('AnonymityPlan', () => {
  it('publishes classes of k or more and suppresses smaller ones', () => {
    const big = row('337101');
    const small = row('337102', '1930-1939', 'P', 'PENSIUNAN');
    const rows = [...times(6, big), ...times(5, row('337103')), ...times(3, small), ...times(2, row('337104'))];
    const plan = new AnonymityPlan(counted(rows), 5);
    expect(plan.actionFor(big)).toBe('publish');
    expect(plan.actionFor(row('337103'))).toBe('publish');
    expect(plan.actionFor(small)).toBe('suppress');
    expect(plan.actionFor(row('337104'))).toBe('suppress');
    expect(plan).toMatchObject({ suppressed: 5, withheld: 0 });
  });

  it('counts the source as a quasi-identifier: a self-registration among a class of deliberations is its own class', () => {
    const deliberated = row('337101');
    const registered = row('337101', '1980-1989', 'L', 'PEDAGANG/WIRASWASTA', 'MANDIRI');
    const rows = [...times(9, deliberated), ...times(4, registered), ...times(5, row('337102'))];
    const plan = new AnonymityPlan(counted(rows), 5);
    // Published with the others, the four would be told apart by a neighbour who knows who registered.
    expect(plan.actionFor(registered)).toBe('suppress');
    expect(plan.actionFor(deliberated)).toBe('publish');
  });

  it('suppresses the smallest published class too while the blanked rows are fewer than k', () => {
    const rows = [...times(9, row('337101')), ...times(6, row('337102')), ...times(2, row('337103'))];
    const plan = new AnonymityPlan(counted(rows), 5);
    expect(plan.actionFor(row('337103'))).toBe('suppress');
    expect(plan.actionFor(row('337102'))).toBe('suppress');
    expect(plan.actionFor(row('337101'))).toBe('publish');
    expect(plan.suppressed).toBe(8);
  });

  it('breaks ties between equally small classes the same way every time', () => {
    const rows = [...times(5, row('337102')), ...times(5, row('337101')), ...times(1, row('337109'))];
    const again = [...rows].reverse();
    const first = new AnonymityPlan(counted(rows), 5);
    const second = new AnonymityPlan(counted(again), 5);
    expect(first.actionFor(row('337101'))).toBe('suppress');
    expect(first.actionFor(row('337102'))).toBe('publish');
    expect(second.actionFor(row('337101'))).toBe('suppress');
    expect(second.actionFor(row('337102'))).toBe('publish');
  });

  it('withholds every row of a file with fewer than k persons, and nothing of an empty one', () => {
    const plan = new AnonymityPlan(counted([...times(2, row('337101')), row('337102')]), 5);
    expect(plan.actionFor(row('337101'))).toBe('withhold');
    expect(plan).toMatchObject({ suppressed: 0, withheld: 3 });
    expect(new AnonymityPlan(counted([]), 5)).toMatchObject({ suppressed: 0, withheld: 0 });
  });

  it('refuses a k that protects no one', () => {
    expect(() => new AnonymityPlan(counted([]), 1)).toThrow(RangeError);
  });

  it('blanks the five quasi-identifiers of a suppressed row and keeps the rest', () => {
    expect(suppressQuasiIdentifiers({ ...row('337101'), desil: 3 })).toEqual({
      kode_kecamatan: null,
      kelompok_tahun_lahir: null,
      jenis_kelamin: null,
      kelompok_pekerjaan: null,
      sumber: null,
      desil: 3,
    });
  });
});
