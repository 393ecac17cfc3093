import { describe, expect, it } from 'vitest';
import { readProposal } from '#core/proposal-reader.ts';
import {
  cutoffOf,
  mandiriProposalCsv,
  RECEIPT_PATTERN,
  type RegisteredPerson,
  receiptFrom,
} from '#core/registration.ts';

describe('receipt numbers', () => {
  it('are MDR- and 16 base32 characters of the 80 random bits', () => {
    expect(receiptFrom(new Uint8Array(10))).toBe('MDR-AAAAAAAAAAAAAAAA');
    expect(receiptFrom(new Uint8Array(10).fill(255))).toBe('MDR-7777777777777777');
    const receipt = receiptFrom(crypto.getRandomValues(new Uint8Array(10)));
    expect(receipt).toMatch(RECEIPT_PATTERN);
    expect(() => receiptFrom(new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('the cut-off', () => {
  it('is the day at 00:00 WIB, and refuses a day some month lacks', () => {
    expect(cutoffOf('2027-02', 28).toISOString()).toBe('2027-02-27T17:00:00.000Z');
    expect(() => cutoffOf('2027-02', 29)).toThrow(/1–28/);
  });
});

describe('the gathered MANDIRI proposal file', () => {
  it('reads back with the proposal reader: every person a TAMBAH row, a comma or quote in a value kept', async () => {
    const person = (nik: string, alamat: string): RegisteredPerson => ({
      nik,
      no_kk: '3371010101150001',
      nama: 'BUDI',
      jenis_kelamin: 'L',
      tempat_lahir: 'MAGELANG',
      tanggal_lahir: '1980-04-12',
      nama_ibu_kandung: 'SUMIRAH',
      hubungan_keluarga: 'KEPALA_KELUARGA',
      status_perkawinan: 'KAWIN',
      alamat,
      rt: '002',
      rw: '005',
      kode_desa: '3371011001',
      pekerjaan: '',
      penghasilan_bulanan: '1500000',
    });
    const csv = mandiriProposalCsv([
      person('3371011204800001', 'JL. MAWAR 3, "GANG 2"'),
      person('3371011204800002', '-'),
    ]);
    const rows = [];
    for await (const batch of readProposal([new TextEncoder().encode(csv)])) rows.push(...batch);
    expect(rows.map((row) => [row.aksi, row.nik, row.alamat, row.penghasilanBulanan])).toEqual([
      ['TAMBAH', '3371011204800001', 'JL. MAWAR 3, "GANG 2"', '1500000'],
      ['TAMBAH', '3371011204800002', '-', '1500000'],
    ]);
  });
});
