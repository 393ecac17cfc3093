import { describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import {
  applyChange,
  ConflictResolver,
  changeFromRow,
  ExclusionList,
  type MasterRecord,
  type StipulationChange,
  shardOf,
} from '#core/stipulation.ts';
import { proposalRow } from '../support/rows.ts';

const row = proposalRow;

const change = (overrides: Partial<ProposalRow> = {}, proposalId = 'p1', period = '2026-11') =>
  changeFromRow(row(overrides), proposalId, period);

function applied(existing: MasterRecord | undefined, next: StipulationChange): MasterRecord {
  const result = applyChange(existing, next);
  if (result === 'UNCHANGED') throw new Error('expected a new record');
  return result;
}

describe('changeFromRow', () => {
  it('normalises the birth date to ISO and the village code to digits', () => {
    const upsert = change();
    expect(upsert).toMatchObject({ kind: 'UPSERT', action: 'TAMBAH', reason: '', proposalId: 'p1', line: 1 });
    expect(upsert.person.tanggalLahir).toBe('1990-08-17');
    expect(upsert.person.kodeDesa).toBe('3371011001');
  });

  it('makes HAPUS a deactivation carrying its reason', () => {
    expect(change({ aksi: 'HAPUS', alasan: 'MENINGGAL' })).toMatchObject({ kind: 'DEACTIVATE', reason: 'MENINGGAL' });
  });
});

describe('applyChange', () => {
  it('creates an active record with the sparse index attributes of its family, regency and identity', () => {
    const record = applied(undefined, change());
    expect(record).toMatchObject({
      status: 'ACTIVE',
      regency: '3371',
      province: '33',
      activeNoKk: '3371010101200001',
      activeRegency: '3371',
      firstPeriod: '2026-11',
      updatedPeriod: '2026-11',
      lastChange: '2026-11#p1#1',
      sourceProposalId: 'p1',
    });
    expect(record.activeIdentity).toMatch(/\|1990-08-17\|3371011001$/);
  });

  it('changes nothing when the same change is applied again', () => {
    const record = applied(undefined, change());
    expect(applyChange(record, change())).toBe('UNCHANGED');
  });

  it('changes nothing when an update repeats the active record field for field', () => {
    const record = applied(undefined, change());
    expect(applyChange(record, change({ aksi: 'UBAH', line: 7 }, 'p2', '2026-12'))).toBe('UNCHANGED');
  });

  it('updates the fields and keeps the first period', () => {
    const record = applied(undefined, change());
    const moved = applied(
      record,
      change({ aksi: 'UBAH', noKk: '3371010101200099', alamat: 'Jl. Baru 1' }, 'p2', '2026-12'),
    );
    expect(moved).toMatchObject({
      noKk: '3371010101200099',
      activeNoKk: '3371010101200099',
      alamat: 'Jl. Baru 1',
      firstPeriod: '2026-11',
      updatedPeriod: '2026-12',
      lastChange: '2026-12#p2#1',
    });
  });

  it('deactivates on HAPUS with the reason and period, keeping the person and dropping the index attributes', () => {
    const record = applied(undefined, change());
    const removed = applied(record, change({ aksi: 'HAPUS', alasan: 'PINDAH', line: 4 }, 'p3', '2026-12'));
    expect(removed).toMatchObject({
      nik: '3371015708900001',
      nama: 'Siti Aminah',
      status: 'INACTIVE',
      deactivatedReason: 'PINDAH',
      deactivatedPeriod: '2026-12',
      lastChange: '2026-12#p3#4',
    });
    expect(removed).not.toHaveProperty('activeNoKk');
    expect(removed).not.toHaveProperty('activeRegency');
    expect(removed).not.toHaveProperty('activeIdentity');
  });

  it('changes nothing when deactivating a person who is absent or already inactive', () => {
    const hapus = change({ aksi: 'HAPUS', alasan: 'MENINGGAL' }, 'p3', '2026-12');
    expect(applyChange(undefined, hapus)).toBe('UNCHANGED');
    const inactive = applied(applied(undefined, change()), hapus);
    expect(applyChange(inactive, change({ aksi: 'HAPUS', alasan: 'GANDA', line: 9 }, 'p4', '2026-12'))).toBe(
      'UNCHANGED',
    );
  });

  it('does not roll a person back when an older period is applied after a later one', () => {
    const later = applied(
      applied(undefined, change()),
      change({ aksi: 'UBAH', alamat: 'Jl. Baru 1' }, 'p2', '2026-12'),
    );
    expect(applyChange(later, change({ aksi: 'UBAH', alamat: 'Jl. Lama 9', line: 2 }, 'p0', '2026-11'))).toBe(
      'UNCHANGED',
    );
  });

  it("keeps the source of the record's last change: the proposal's source, on an update and on a deactivation", () => {
    const created = applied(undefined, changeFromRow(row(), 'p1', '2026-10', 'MUSDES'));
    expect(created.source).toBe('MUSDES');
    const updated = applied(
      created,
      changeFromRow(row({ aksi: 'UBAH', pekerjaan: 'Buruh' }), 'p2', '2026-11', 'KEMENSOS'),
    );
    expect(updated).toMatchObject({ source: 'KEMENSOS', sourceProposalId: 'p2' });
    const removed = applied(
      updated,
      changeFromRow(row({ aksi: 'HAPUS', alasan: 'PINDAH' }), 'p3', '2026-12', 'MANDIRI'),
    );
    expect(removed).toMatchObject({ status: 'INACTIVE', source: 'MANDIRI' });
    // A change set line written before sources were kept has none: the regency's deliberation.
    const { source: _source, ...older } = changeFromRow(row({ aksi: 'UBAH', pekerjaan: 'Tani' }), 'p4', '2027-01');
    expect(applied(updated, older as StipulationChange).source).toBe('MUSDES');
  });

  it('records the deactivation a re-added person comes back from', () => {
    const inactive = applied(
      applied(undefined, change()),
      change({ aksi: 'HAPUS', alasan: 'PINDAH' }, 'p3', '2026-12'),
    );
    const back = applied(inactive, change({}, 'p5', '2027-01'));
    expect(back).toMatchObject({ status: 'ACTIVE', reactivatedFrom: 'PINDAH@2026-12', activeNoKk: '3371010101200001' });
    expect(back).not.toHaveProperty('deactivatedReason');
  });
});

describe('ConflictResolver', () => {
  it('keeps the first proposal’s change of a person and returns a later proposal’s', () => {
    const resolver = new ConflictResolver();
    expect(resolver.admit(change({}, 'early'))).toEqual({ admitted: true });
    expect(resolver.admit(change({ noKk: '3371010101200077' }, 'late'))).toEqual({
      admitted: false,
      because: 'CONFLICT',
      winner: 'early',
    });
    expect(resolver.admit(change({ nik: '3371014101900002' }, 'late'))).toEqual({ admitted: true });
  });

  it('removes an excluded change without claiming the person', () => {
    const resolver = new ConflictResolver();
    expect(resolver.admit(change({}, 'early'), 'NIK 3371015708900001: sudah mampu')).toMatchObject({
      admitted: false,
      because: 'EXCLUDED',
    });
    expect(resolver.admit(change({}, 'late'))).toEqual({ admitted: true });
  });
});

describe('ExclusionList', () => {
  it('matches a person by NIK or the whole family by No. KK', () => {
    const list = new ExclusionList([
      { kind: 'NIK', id: '3371015708900001', reason: 'sudah mampu' },
      { kind: 'KK', id: '3371010101200002', reason: 'data ganda' },
    ]);
    expect(list.match({ nik: '3371015708900001', noKk: '3371010101200001' })).toBe('NIK 3371015708900001: sudah mampu');
    expect(list.match({ nik: '3371015708900009', noKk: '3371010101200002' })).toBe(
      'No. KK 3371010101200002: data ganda',
    );
    expect(list.match({ nik: '3371015708900009', noKk: '3371010101200001' })).toBeUndefined();
  });
});

describe('shardOf', () => {
  it('is FNV-1a (32-bit) of the NIK modulo the shard count', () => {
    // The published FNV-1a value of "a" (0xe40c292c): the hash itself, with a modulus above it.
    expect(shardOf('a', 2 ** 32)).toBe(0xe40c292c);
    expect(shardOf('3371010101100003', 2 ** 32)).toBe(3086381204);
  });

  it('gives stable shards, the same for a person at every step', () => {
    expect(shardOf('3371010101100003', 64)).toBe(20);
    expect(shardOf('9171010101100003', 64)).toBe(40);
    expect(shardOf('3371011203500001', 64)).toBe(4);
    expect(shardOf('3371011203500001', 16)).toBe(4);
    expect(shardOf('3371011203500001', 1)).toBe(0);
  });

  it('spreads NIKs evenly over the shards', () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) {
      const shard = shardOf(`33710101${String(i).padStart(8, '0')}`, 64);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
