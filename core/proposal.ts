/**
 * The shape of one proposal row (PROPOSAL_FORMAT.md), as read from the file: every value is the raw
 * cell text with surrounding spaces trimmed, '' when empty or absent. Validation of domains is the
 * integrity engine's job, so a reader never drops or rewrites a value.
 */
export interface ProposalRow {
  /** `baris`: 1-based index of the data row (header and empty lines not counted). */
  line: number;
  aksi: string;
  alasan: string;
  nik: string;
  noKk: string;
  nama: string;
  jenisKelamin: string;
  tempatLahir: string;
  tanggalLahir: string;
  namaIbuKandung: string;
  hubunganKeluarga: string;
  statusPerkawinan: string;
  alamat: string;
  rt: string;
  rw: string;
  kodeDesa: string;
  pekerjaan: string;
  penghasilanBulanan: string;
  /** DTSEN welfare decile 1–10, optional (DOMAIN.md: carry an optional decile attribute). */
  desil: string;
}

export type ProposalField = Exclude<keyof ProposalRow, 'line'>;

/** File column name → row field. Required columns are listed in REQUIRED_COLUMNS. */
export const PROPOSAL_COLUMNS: Readonly<Record<string, ProposalField>> = {
  aksi: 'aksi',
  alasan: 'alasan',
  nik: 'nik',
  no_kk: 'noKk',
  nama: 'nama',
  jenis_kelamin: 'jenisKelamin',
  tempat_lahir: 'tempatLahir',
  tanggal_lahir: 'tanggalLahir',
  nama_ibu_kandung: 'namaIbuKandung',
  hubungan_keluarga: 'hubunganKeluarga',
  status_perkawinan: 'statusPerkawinan',
  alamat: 'alamat',
  rt: 'rt',
  rw: 'rw',
  kode_desa: 'kodeDesa',
  pekerjaan: 'pekerjaan',
  penghasilan_bulanan: 'penghasilanBulanan',
  desil: 'desil',
};

/** `alasan` is required only for HAPUS, so it is an optional column of the file. */
export const REQUIRED_COLUMNS = [
  'aksi',
  'nik',
  'no_kk',
  'nama',
  'jenis_kelamin',
  'tempat_lahir',
  'tanggal_lahir',
  'nama_ibu_kandung',
  'hubungan_keluarga',
  'status_perkawinan',
  'alamat',
  'rt',
  'rw',
  'kode_desa',
] as const;

export const ACTIONS = ['TAMBAH', 'UBAH', 'HAPUS'] as const;
export type Action = (typeof ACTIONS)[number];

export const REMOVAL_REASONS = ['MENINGGAL', 'PINDAH', 'TIDAK_LAYAK', 'GANDA', 'MAMPU'] as const;
export type RemovalReason = (typeof REMOVAL_REASONS)[number];

export const RELATIONSHIPS = [
  'KEPALA_KELUARGA',
  'SUAMI',
  'ISTRI',
  'ANAK',
  'MENANTU',
  'CUCU',
  'ORANG_TUA',
  'MERTUA',
  'FAMILI_LAIN',
  'LAINNYA',
] as const;

export const MARITAL_STATUSES = ['BELUM_KAWIN', 'KAWIN', 'CERAI_HIDUP', 'CERAI_MATI'] as const;

/** Columns of the DTKS master extract, in file order: the proposal columns without `aksi` and `alasan`. */
export const MASTER_EXTRACT_COLUMNS = [
  'nik',
  'no_kk',
  'nama',
  'jenis_kelamin',
  'tempat_lahir',
  'tanggal_lahir',
  'nama_ibu_kandung',
  'hubungan_keluarga',
  'status_perkawinan',
  'alamat',
  'rt',
  'rw',
  'kode_desa',
  'pekerjaan',
  'penghasilan_bulanan',
  'desil',
] as const;

/** Columns of the population registry (Dukcapil) extract, in file order. */
export const POPULATION_EXTRACT_COLUMNS = [
  'nik',
  'no_kk',
  'nama',
  'jenis_kelamin',
  'tempat_lahir',
  'tanggal_lahir',
  'kode_desa',
  'alamat',
  'status_hidup',
] as const;

/** Optional columns of the population registry extract, written after the required ones. */
export const POPULATION_EXTRACT_OPTIONAL_COLUMNS = ['status_nik'] as const;

/**
 * Registry status of a NIK (population extract column `status_nik`, optional). `NONAKTIF`: Dukcapil has
 * deactivated the NIK, which it can undo, so the person is known, unlike a NIK the registry lacks.
 */
export const STATUS_NIK = ['AKTIF', 'NONAKTIF'] as const;
export type StatusNik = (typeof STATUS_NIK)[number];

/** A person of the DTKS master extract: the proposal columns without `aksi` and `alasan`. */
export type MasterPerson = Omit<ProposalRow, 'line' | 'aksi' | 'alasan'>;

/** A person of the population registry (Dukcapil) extract. */
export interface PopulationPerson {
  nik: string;
  noKk: string;
  nama: string;
  jenisKelamin: string;
  tempatLahir: string;
  tanggalLahir: string;
  kodeDesa: string;
  alamat: string;
  statusHidup: 'HIDUP' | 'MENINGGAL';
  /**
   * Always set: the column `status_nik` is optional in the extract and an absent column or empty cell
   * reads as `AKTIF`, as does a stored person written before the column existed.
   */
  statusNik: StatusNik;
}
