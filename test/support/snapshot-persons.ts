/**
 * The persons the export tests export: the i-th of one family of regency 3371 (NIK 337101050680 and
 * i + 1 in four digits), ACTIVE, its columns all filled; `fields` override what a case turns on.
 */
import type { SnapshotPerson } from '#core/snapshot.ts';

export function snapshotPerson(i: number, fields: Partial<SnapshotPerson> = {}): SnapshotPerson {
  return {
    nik: `337101050680${String(i + 1).padStart(4, '0')}`,
    noKk: '3371010101200001',
    nama: `Warga ${i}`,
    jenisKelamin: 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: '1980-06-05',
    namaIbuKandung: 'Ibu',
    hubunganKeluarga: 'ANAK',
    statusPerkawinan: 'KAWIN',
    alamat: 'Jl. Pahlawan 1',
    rt: '001',
    rw: '002',
    kodeDesa: '3371011001',
    pekerjaan: 'PEDAGANG',
    penghasilanBulanan: '1500000',
    desil: '3',
    status: 'ACTIVE',
    ...fields,
  };
}
