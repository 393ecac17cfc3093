import type { ResultCode } from './codes.ts';

/** Message languages: Bahasa Indonesia is the default, English the other (PROPOSAL_FORMAT.md). */
export type Lang = 'id' | 'en';

export function isLang(value: string): value is Lang {
  return value === 'id' || value === 'en';
}

/** One message per result code, written for the Dinas Sosial operator who must fix the row. */
const CODE_MESSAGES: Readonly<Record<ResultCode, Readonly<Record<Lang, string>>>> = {
  NIK_FORMAT: {
    id: 'NIK tidak valid (harus 16 angka dengan kode wilayah, tanggal lahir dan nomor urut yang benar)',
    en: 'Invalid NIK (must be 16 digits with a valid area code, birth date and serial)',
  },
  NIK_BIRTHDATE_MISMATCH: {
    id: 'Tanggal lahir pada NIK berbeda dengan tanggal_lahir',
    en: 'The birth date encoded in the NIK differs from tanggal_lahir',
  },
  NIK_SEX_MISMATCH: {
    id: 'Jenis kelamin pada NIK (tanggal +40 untuk perempuan) berbeda dengan jenis_kelamin',
    en: 'The sex encoded in the NIK (day + 40 for women) differs from jenis_kelamin',
  },
  KK_FORMAT: {
    id: 'Nomor KK tidak valid (harus 16 angka dengan kode wilayah dan tanggal terbit yang benar)',
    en: 'Invalid family card number (must be 16 digits with a valid area code and issue date)',
  },
  DUPLICATE_NIK: {
    id: 'NIK muncul lebih dari satu kali dalam berkas usulan',
    en: 'The NIK appears more than once in the proposal file',
  },
  NIK_NOT_FOUND: {
    id: 'NIK tidak ditemukan di data kependudukan (Dukcapil)',
    en: 'NIK not found in the population registry (Dukcapil)',
  },
  NIK_INACTIVE: {
    id: 'NIK dinonaktifkan oleh Dukcapil; minta warga memulihkan status NIK di Dukcapil lalu usulkan kembali',
    en: 'Dukcapil has deactivated this NIK; the resident must have it reactivated at Dukcapil before the row is proposed again',
  },
  NAME_MISMATCH: {
    id: 'Nama tidak padan dengan data kependudukan (Dukcapil)',
    en: 'The name does not match the population registry (Dukcapil)',
  },
  ADDRESS_MISMATCH: {
    id: 'Desa/kelurahan berbeda dengan data kependudukan (Dukcapil)',
    en: 'The village differs from the population registry (Dukcapil)',
  },
  DECEASED: {
    id: 'Menurut data kependudukan orang ini sudah meninggal',
    en: 'The population registry records this person as deceased',
  },
  FAMILY_NO_HEAD: {
    id: 'Keluarga (No. KK) ini tidak memiliki kepala keluarga',
    en: 'This family (No. KK) has no head of family',
  },
  FAMILY_MULTIPLE_HEADS: {
    id: 'Keluarga (No. KK) ini memiliki lebih dari satu kepala keluarga',
    en: 'This family (No. KK) has more than one head of family',
  },
  FAMILY_OVERLAP: {
    id: 'Orang ini tercatat di keluarga lain (di berkas ini, di DTKS, atau di usulan lain yang sedang diproses)',
    en: 'This person belongs to another family (in this file, in the DTKS, or in another pending proposal)',
  },
  MISSING_ATTRIBUTE: {
    id: 'Ada kolom wajib yang kosong',
    en: 'A required value is empty',
  },
  INVALID_ATTRIBUTE: {
    id: 'Ada nilai di luar ketentuan (kode, tanggal, atau angka)',
    en: 'A value is outside its domain (code list, date or digits)',
  },
  REGION_OUTSIDE_SUBMITTER: {
    id: 'Kode desa berada di luar kabupaten/kota pengusul',
    en: 'The village code is outside the submitting regency',
  },
  NOT_IN_DTKS: {
    id: 'Orang ini tidak ada di DTKS, sehingga tidak dapat diubah atau dihapus',
    en: 'This person is not in the DTKS, so cannot be updated or removed',
  },
  ALREADY_IN_DTKS: {
    id: 'Orang ini sudah ada di DTKS; usulan diperlakukan sebagai perubahan',
    en: 'This person is already in the DTKS; the row is treated as an update',
  },
  POSSIBLE_DUPLICATE_PERSON: {
    id: 'Ada NIK lain dengan nama, tanggal lahir dan desa yang sama (kemungkinan orang yang sama)',
    en: 'Another NIK has the same name, birth date and village (possibly the same person)',
  },
  MOVED_DOMICILE: {
    id: 'Menurut data kependudukan orang ini sudah pindah ke kabupaten/kota lain',
    en: 'The population registry places this person in another regency (moved)',
  },
};

export function messageFor(code: ResultCode, lang: Lang = 'id'): string {
  return CODE_MESSAGES[code][lang];
}
