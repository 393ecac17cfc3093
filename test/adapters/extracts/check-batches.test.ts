/**
 * Pass 1's kept batches (adapters/extracts/check-batches.ts): what goes in comes back exactly, whatever the
 * texts hold, for rows with and without a look-up query.
 */
import { describe, expect, it } from 'vitest';
import { keepBatch, readBatch } from '#adapters/extracts/check-batches.ts';
import type { PortQuery } from '#core/integrity.ts';
import type { ProposalRow } from '#core/proposal.ts';

const row = (line: number, values: Partial<ProposalRow>): ProposalRow => ({
  line,
  aksi: '',
  alasan: '',
  nik: '',
  noKk: '',
  nama: '',
  jenisKelamin: '',
  tempatLahir: '',
  tanggalLahir: '',
  namaIbuKandung: '',
  hubunganKeluarga: '',
  statusPerkawinan: '',
  alamat: '',
  rt: '',
  rw: '',
  kodeDesa: '',
  pekerjaan: '',
  penghasilanBulanan: '',
  desil: '',
  ...values,
});

const query = (of: ProposalRow, values: Partial<PortQuery> = {}): PortQuery => ({
  nik: of.nik,
  noKk: of.noKk,
  nama: of.nama,
  action: 1,
  removesDeceased: false,
  village: '3371010001',
  identityBirthIso: undefined,
  ...values,
});

describe('kept batches of dtks check', () => {
  it('gives back every row and query as kept, in Latin-1 and in wider text', () => {
    const rows = [
      row(7, { nik: '3371014101900001', noKk: '3371010101900001', nama: 'Siti Aminah' }),
      // What a proposal may carry as written: empty cells, a formula, quotes, line breaks, accents.
      row(8, { nik: '', noKk: '=HYPERLINK("x")', nama: 'Ni Luh "Putu"\r\nAyu, Çé' }),
      row(9, { nik: '3371014101900002', noKk: '', nama: 'x'.repeat(70_000) }),
      row(10, { nik: '3371015101900003', noKk: '3371010101900003', nama: '' }),
    ];
    const queries = [
      query(rows[0]!, { identityBirthIso: '1990-01-01' }),
      undefined,
      query(rows[2]!, { action: 3, removesDeceased: true, village: '' }),
      query(rows[3]!, { action: 2 }),
    ];
    const latin = keepBatch(rows, queries);
    expect(latin.wide).toBe(false);
    const back = readBatch(latin, true);
    expect(back.rows).toEqual(rows.map(({ line, nik, noKk, nama }) => ({ line, nik, noKk, nama })));
    expect(back.queries).toEqual(queries);

    // A character above U+00FF (Javanese script, an emoji of two UTF-16 units) makes the batch wide.
    const wide = [row(11, { nik: '3371014101900004', noKk: 'ꦱꦶꦠꦶ', nama: 'Sri 🌾 Wahyuni' }), ...rows];
    const wideQueries = [query(wide[0]!, { identityBirthIso: '2001-12-31' }), ...queries];
    const kept = keepBatch(wide, wideQueries);
    expect(kept.wide).toBe(true);
    expect(readBatch(kept, true).queries).toEqual(wideQueries);
    expect(readBatch(kept, true).rows.map((r) => r.nama)).toEqual(wide.map((r) => r.nama));
    // Without queries: the rows alone, as the report needs them.
    expect(readBatch(kept, false)).toEqual({
      rows: wide.map(({ line, nik, noKk, nama }) => ({ line, nik, noKk, nama })),
      queries: [],
    });
  });

  it('keeps a batch in shared memory, readable from another thread as it is', () => {
    const rows = [row(1, { nik: '3371014101900001', noKk: '3371010101900001', nama: 'Budi' })];
    const kept = keepBatch(rows, [query(rows[0]!)]);
    expect(kept.texts).toBeInstanceOf(SharedArrayBuffer);
    expect(kept.table.buffer).toBeInstanceOf(SharedArrayBuffer);
    // What postMessage does to it: structured clone shares the memory and keeps the rest.
    const cloned = structuredClone(kept);
    expect(readBatch(cloned, true)).toEqual(readBatch(kept, true));
  });

  it('keeps an empty batch', () => {
    expect(readBatch(keepBatch([], []), true)).toEqual({ rows: [], queries: [] });
  });
});
