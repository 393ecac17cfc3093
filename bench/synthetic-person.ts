/**
 * Person i of a bench's synthetic population in one district, the part every bench shares: a NIK unique
 * over (birth day, serial), four persons per family and one family card each. The benches add what they
 * vary themselves (RT/RW, work, income, decile).
 */
import { encodeKk } from '#core/kk.ts';
import { encodeNik } from '#core/nik.ts';

/** The family of person i: four persons each, the first its head. */
export function familyOf(i: number): number {
  return Math.floor(i / 4);
}

export function syntheticPerson(i: number, district: string) {
  const birthDate = new Date(Date.UTC(1950, 0, 1) + (i % 20_000) * 86_400_000).toISOString().slice(0, 10);
  const sex = i % 2 ? 'P' : 'L';
  const family = familyOf(i);
  // A card serial runs to 9999 per district and issue day: the next 9999 families get the next day.
  const issueDate = new Date(Date.UTC(2010, 0, 1) + Math.floor(family / 9999) * 86_400_000).toISOString().slice(0, 10);
  return {
    nik: encodeNik({ district, birthDate, sex, serial: Math.floor(i / 20_000) + 1 }),
    noKk: encodeKk({ district, issueDate, serial: (family % 9999) + 1 }),
    nama: `Warga ${i}`,
    jenisKelamin: sex,
    tempatLahir: 'Magelang',
    tanggalLahir: birthDate,
    namaIbuKandung: `Ibu ${family}`,
    hubunganKeluarga: i % 4 === 0 ? 'KEPALA_KELUARGA' : 'ANAK',
    statusPerkawinan: i % 4 === 0 ? 'KAWIN' : 'BELUM_KAWIN',
    alamat: `Jl. Pahlawan No. ${family % 500}`,
    kodeDesa: `${district}${String(1001 + (family % 12))}`,
  };
}
