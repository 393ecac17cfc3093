/** One fixed proposal row (Siti Aminah of Kota Magelang, a new head of family) for the core's unit tests. */
import type { ProposalRow } from '#core/proposal.ts';

/** The row of line 1, TAMBAH, with `overrides` applied. */
export function proposalRow(overrides: Partial<ProposalRow> = {}): ProposalRow {
  return {
    line: 1,
    aksi: 'TAMBAH',
    alasan: '',
    nik: '3371015708900001',
    noKk: '3371010101200001',
    nama: 'Siti Aminah',
    jenisKelamin: 'P',
    tempatLahir: 'Magelang',
    tanggalLahir: '17-08-1990',
    namaIbuKandung: 'Sri Rahayu',
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'CERAI_MATI',
    alamat: 'Jl. Pahlawan 3',
    rt: '001',
    rw: '002',
    kodeDesa: '33.71.01.1001',
    pekerjaan: 'Pedagang',
    penghasilanBulanan: '1500000',
    desil: '2',
    ...overrides,
  };
}
