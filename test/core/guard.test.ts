import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GUARD_NATIONAL_DEACTIVATIONS,
  DEFAULT_GUARD_REGENCY_SHARE,
  describeBreach,
  effectOf,
  evaluateGuard,
  GuardTally,
} from '#core/guard.ts';
import type { ProposalRow } from '#core/proposal.ts';
import { applyChange, changeFromRow, type MasterRecord } from '#core/stipulation.ts';
import { proposalRow } from '../support/rows.ts';

const row = proposalRow;

const change = (overrides: Partial<ProposalRow> = {}, period = '2026-11') =>
  changeFromRow(row(overrides), 'p1', period);

/** The master record of the row as stipulated in October. */
function stipulated(overrides: Partial<ProposalRow> = {}): MasterRecord {
  const record = applyChange(undefined, changeFromRow(row(overrides), 'seed', '2026-10'));
  if (record === 'UNCHANGED') throw new Error('seed');
  return record;
}

const DEFAULTS = {
  regencyShare: DEFAULT_GUARD_REGENCY_SHARE,
  nationalDeactivations: DEFAULT_GUARD_NATIONAL_DEACTIVATIONS,
};

describe('effectOf', () => {
  it('counts what the merge rule writes: an add, a reactivation, an update with its decile, a deactivation', () => {
    expect(effectOf(undefined, change())).toEqual({ kind: 'ADD', regency: '3371' });
    const active = stipulated();
    expect(effectOf(active, change({ desil: '4' }))).toEqual({ kind: 'UPDATE', regency: '3371', decile: 'UP' });
    expect(effectOf(active, change({ desil: '1' }))).toEqual({ kind: 'UPDATE', regency: '3371', decile: 'DOWN' });
    expect(effectOf(active, change({ desil: '' }))).toEqual({ kind: 'UPDATE', regency: '3371', decile: 'CLEARED' });
    expect(effectOf(stipulated({ desil: '' }), change())).toEqual({ kind: 'UPDATE', regency: '3371', decile: 'SET' });
    expect(effectOf(active, change({ alamat: 'Jl. Baru 1' }))).toEqual({ kind: 'UPDATE', regency: '3371' });
    expect(effectOf(active, change({ aksi: 'HAPUS', alasan: 'MENINGGAL' }))).toEqual({
      kind: 'DEACTIVATE',
      regency: '3371',
      reason: 'MENINGGAL',
    });
    const inactive = applyChange(active, change({ aksi: 'HAPUS', alasan: 'MAMPU' }, '2026-10'));
    if (inactive === 'UNCHANGED') throw new Error('deactivation');
    expect(effectOf(inactive, change())).toEqual({ kind: 'REACTIVATE', regency: '3371' });
  });

  it('names both regencies of a move and counts nothing the merge rule would not write', () => {
    expect(effectOf(stipulated(), change({ kodeDesa: '33.08.01.2001' }))).toEqual({
      kind: 'MOVE',
      from: '3371',
      to: '3308',
    });
    // Deactivating a person the master does not hold, or already holds inactive: nothing.
    expect(effectOf(undefined, change({ aksi: 'HAPUS', alasan: 'MENINGGAL' }))).toEqual({ kind: 'NONE' });
    // An update that changes no field, and a change already applied.
    expect(effectOf(stipulated(), change())).toEqual({ kind: 'NONE' });
    const applied = applyChange(undefined, change());
    if (applied === 'UNCHANGED') throw new Error('add');
    expect(effectOf(applied, change())).toEqual({ kind: 'NONE' });
  });
});

describe('evaluateGuard', () => {
  function tallyOf(deactivations: number, regency = '3371', reason = 'MENINGGAL'): GuardTally {
    const tally = new GuardTally();
    for (let i = 0; i < deactivations; i++) tally.add({ kind: 'DEACTIVATE', regency, reason });
    return tally;
  }

  it('proceeds at exactly the share and asks above it', () => {
    const at = evaluateGuard(tallyOf(5).diffsWith(new Map([['3371', 100]])), DEFAULTS);
    expect(at).toMatchObject({ signOffRequired: false, breaches: [], totals: { deactivations: 5 } });
    const above = evaluateGuard(tallyOf(6).diffsWith(new Map([['3371', 100]])), DEFAULTS);
    expect(above.signOffRequired).toBe(true);
    expect(above.breaches).toEqual([
      { kind: 'REGENCY_SHARE', regency: '3371', deactivations: 6, active: 100, share: 0.06, limit: 0.05 },
    ]);
    expect(describeBreach(above.breaches[0]!)).toBe(
      'kabupaten/kota 3371: 6 penonaktifan dari 100 orang aktif (6%, batas 5%)',
    );
  });

  it('asks when the country exceeds its count though no regency exceeds its share', () => {
    const tally = tallyOf(4, '3371');
    for (let i = 0; i < 4; i++) tally.add({ kind: 'DEACTIVATE', regency: '3308', reason: 'PINDAH' });
    const diffs = tally.diffsWith(
      new Map([
        ['3371', 1000],
        ['3308', 1000],
      ]),
    );
    expect(diffs.map((diff) => [diff.regency, diff.deactivationsByReason])).toEqual([
      ['3308', { PINDAH: 4 }],
      ['3371', { MENINGGAL: 4 }],
    ]);
    const verdict = evaluateGuard(diffs, { regencyShare: 0.05, nationalDeactivations: 7 });
    expect(verdict.breaches).toEqual([{ kind: 'NATIONAL_COUNT', deactivations: 8, limit: 7 }]);
    expect(evaluateGuard(diffs, { regencyShare: 0.05, nationalDeactivations: 8 }).signOffRequired).toBe(false);
  });

  it('tallies adds, moves and decile changes per regency without asking for them', () => {
    const tally = new GuardTally();
    tally.add({ kind: 'ADD', regency: '3371' });
    tally.add({ kind: 'MOVE', from: '3371', to: '3308', decile: 'DOWN' });
    tally.add({ kind: 'UPDATE', regency: '3308', decile: 'UP' });
    tally.add({ kind: 'NONE' });
    const diffs = tally.diffsWith(new Map([['3371', 2]]));
    expect(
      diffs.map(({ regency, adds, movedIn, movedOut, updates, active }) => [
        regency,
        adds,
        movedIn,
        movedOut,
        updates,
        active,
      ]),
    ).toEqual([
      ['3308', 0, 1, 0, 1, 0],
      ['3371', 1, 0, 1, 0, 2],
    ]);
    expect(diffs[0]?.decileChanges).toEqual({ UP: 1, DOWN: 1, SET: 0, CLEARED: 0 });
    expect(evaluateGuard(diffs, DEFAULTS)).toMatchObject({
      signOffRequired: false,
      totals: { adds: 1, moves: 1, updates: 1, decileChanges: 2, deactivations: 0 },
    });
  });
});
