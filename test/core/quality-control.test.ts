import { describe, expect, it } from 'vitest';
import {
  addCounts,
  countFinding,
  emptyCounts,
  MovedFamilies,
  movedFamilyDetail,
  type RegistryRecord,
  type ScreenedPerson,
  SUGGESTED_ACTIONS,
  screenPerson,
  type TrackedEntry,
  TrackingReconciler,
  trackingListCells,
} from '#core/quality-control.ts';

const PERSON: ScreenedPerson = {
  nik: '3371014501900001',
  noKk: '3371010101150001',
  nama: 'SITI AMINAH',
  kodeDesa: '3371011001',
  regency: '3371',
};
const SAME: RegistryRecord = {
  nik: PERSON.nik,
  noKk: PERSON.noKk,
  nama: PERSON.nama,
  kodeDesa: PERSON.kodeDesa,
  statusHidup: 'HIDUP',
  statusNik: 'AKTIF',
};
const kinds = (registry: RegistryRecord | undefined) => screenPerson(PERSON, registry).map((finding) => finding.kind);

describe('screenPerson', () => {
  it('finds nothing on a person the registry knows as the master does', () => {
    expect(screenPerson(PERSON, SAME)).toEqual([]);
  });

  it('finds nothing on a spelling variant of the name, nor on another village of the same regency', () => {
    expect(kinds({ ...SAME, nama: 'Siti  Aminah', kodeDesa: '3371021002' })).toEqual([]);
  });

  it('returns NIK_TIDAK_DIKENAL alone for a NIK the registry lacks', () => {
    expect(kinds(undefined)).toEqual(['NIK_TIDAK_DIKENAL']);
  });

  it('returns MENINGGAL alone for a deceased person, whatever else changed', () => {
    expect(kinds({ ...SAME, statusHidup: 'MENINGGAL', kodeDesa: '3308011001', nama: 'BUDI' })).toEqual(['MENINGGAL']);
  });

  it('tells a deactivated NIK from an unknown one', () => {
    expect(kinds({ ...SAME, statusNik: 'NONAKTIF' })).toEqual(['NIK_NONAKTIF']);
  });

  it('returns PINDAH_DOMISILI with the new village and its regency when the registry places them in another regency', () => {
    expect(screenPerson(PERSON, { ...SAME, kodeDesa: '3308011001' })).toEqual([
      { nik: PERSON.nik, kind: 'PINDAH_DOMISILI', detail: '3308011001', destinationRegency: '3308' },
    ]);
  });

  it('returns NAMA_BERUBAH and KK_BERUBAH with what the registry says now', () => {
    expect(screenPerson(PERSON, { ...SAME, nama: 'SITI RAHAYU', noKk: '3371010202200002' })).toEqual([
      { nik: PERSON.nik, kind: 'NAMA_BERUBAH', detail: 'SITI RAHAYU' },
      { nik: PERSON.nik, kind: 'KK_BERUBAH', detail: '3371010202200002' },
    ]);
  });

  it('suggests HAPUS MENINGGAL, HAPUS PINDAH, and a verification for the rest', () => {
    expect(SUGGESTED_ACTIONS.MENINGGAL).toBe('HAPUS MENINGGAL');
    expect(SUGGESTED_ACTIONS.PINDAH_DOMISILI).toBe('HAPUS PINDAH');
    expect(SUGGESTED_ACTIONS.NIK_NONAKTIF).toBe('VERIFIKASI');
  });
});

interface Entry extends TrackedEntry {
  nik: string;
}
const entry = (key: string, sincePeriod: string, fields: Partial<Entry> = {}): Entry => ({
  key,
  status: 'OPEN',
  sincePeriod,
  detail: '',
  nik: key,
  ...fields,
});

describe('TrackingReconciler', () => {
  it('opens a new entry since this period and writes it', () => {
    const reconciler = new TrackingReconciler<Entry>('2026-11', new Map());
    const outcome = reconciler.observe('a', '', (since) => entry('a', since));
    expect(outcome).toEqual({ state: 'BARU', entry: entry('a', '2026-11'), write: 'CREATE' });
    expect([...reconciler.unseen()]).toEqual([]);
  });

  it('carries an open finding of an earlier month as still open, since its first period, writing nothing', () => {
    const previous = new Map([['a', entry('a', '2026-10')]]);
    const outcome = new TrackingReconciler<Entry>('2026-11', previous).observe('a', '', (since) => entry('a', since));
    expect(outcome).toEqual({ state: 'MASIH_TERBUKA', entry: entry('a', '2026-10'), write: undefined });
  });

  it('keeps an entry new on a rerun of the period that first found it', () => {
    const previous = new Map([['a', entry('a', '2026-11')]]);
    expect(new TrackingReconciler<Entry>('2026-11', previous).observe('a', '', () => entry('x', 'x')).state).toBe(
      'BARU',
    );
  });

  it('updates the detail of an open entry when the registry says something new', () => {
    const previous = new Map([['a', entry('a', '2026-10', { detail: '3308011001' })]]);
    const outcome = new TrackingReconciler<Entry>('2026-11', previous).observe('a', '3308021002', () => entry('x', ''));
    expect(outcome.write).toBe('UPDATE');
    expect(outcome.entry).toMatchObject({ sincePeriod: '2026-10', detail: '3308021002' });
  });

  it('resolves an open entry no longer found, in this period', () => {
    const previous = new Map([['a', entry('a', '2026-10')]]);
    const reconciler = new TrackingReconciler<Entry>('2026-11', previous);
    expect([...reconciler.unseen()]).toEqual([
      {
        state: 'SELESAI',
        entry: { ...entry('a', '2026-10'), status: 'RESOLVED', resolvedPeriod: '2026-11' },
        write: 'RESOLVE',
      },
    ]);
  });

  it('lists again, without writing, what a first run of the period resolved', () => {
    const resolved = entry('a', '2026-10', { status: 'RESOLVED', resolvedPeriod: '2026-11' });
    const reconciler = new TrackingReconciler<Entry>('2026-11', new Map([['a', resolved]]));
    expect([...reconciler.unseen()]).toEqual([{ state: 'SELESAI', entry: resolved, write: undefined }]);
  });

  it('opens anew a resolved entry found again', () => {
    const resolved = entry('a', '2026-09', { status: 'RESOLVED', resolvedPeriod: '2026-10' });
    const outcome = new TrackingReconciler<Entry>('2026-11', new Map([['a', resolved]])).observe('a', '', (since) =>
      entry('a', since),
    );
    expect(outcome).toMatchObject({
      state: 'BARU',
      write: 'CREATE',
      entry: { sincePeriod: '2026-11', status: 'OPEN' },
    });
  });

  it('leaves alone an entry first found after the period screened (a backfill)', () => {
    const reconciler = new TrackingReconciler<Entry>('2026-09', new Map([['a', entry('a', '2026-10')]]));
    expect([...reconciler.unseen()]).toEqual([]);
  });
});

describe('MovedFamilies', () => {
  it('groups the moved members of a family by destination, members in NIK order', () => {
    const families = new MovedFamilies('3371');
    const second = { ...PERSON, nik: '3371010101900002' };
    families.add(PERSON, {
      nik: PERSON.nik,
      kind: 'PINDAH_DOMISILI',
      detail: '3308011001',
      destinationRegency: '3308',
    });
    families.add(second, {
      nik: second.nik,
      kind: 'PINDAH_DOMISILI',
      detail: '3308011001',
      destinationRegency: '3308',
    });
    families.add(second, { nik: second.nik, kind: 'NAMA_BERUBAH', detail: 'X' });
    const [[key, family] = ['', undefined]] = families.entries();
    expect(key).toBe(`PINDAH#${PERSON.noKk}#3308`);
    expect(family?.members.map((member) => member.nik)).toEqual([second.nik, PERSON.nik]);
    expect(family && movedFamilyDetail(family)).toBe(`${second.nik}@3308011001,${PERSON.nik}@3308011001`);
  });
});

describe('counts and the list line', () => {
  it('counts open findings by kind, new ones and resolved ones, and adds regencies up', () => {
    const counts = emptyCounts();
    countFinding(counts, 'MENINGGAL', 'BARU');
    countFinding(counts, 'MENINGGAL', 'MASIH_TERBUKA');
    countFinding(counts, 'KK_BERUBAH', 'SELESAI');
    expect(counts).toMatchObject({ open: { MENINGGAL: 2 }, openTotal: 2, new: 1, resolved: 1 });
    expect(addCounts(emptyCounts(), counts)).toEqual(counts);
  });

  it('writes a line in Bahasa Indonesia with its suggested action', () => {
    const cells = trackingListCells({
      nik: PERSON.nik,
      noKk: PERSON.noKk,
      nama: PERSON.nama,
      finding: 'PINDAH_DOMISILI',
      detail: '3308011001',
      sincePeriod: '2026-10',
      state: 'MASIH_TERBUKA',
      relatedRegency: '3308',
      taskId: 'PLK-3371-ABCDEFGHIJKL',
    });
    expect(cells).toEqual([
      PERSON.nik,
      PERSON.noKk,
      PERSON.nama,
      'PINDAH_DOMISILI',
      'Domisili pindah ke kabupaten/kota lain',
      '3308011001',
      '2026-10',
      'HAPUS PINDAH',
      'masih terbuka',
      '3308',
      'PLK-3371-ABCDEFGHIJKL',
    ]);
  });
});
