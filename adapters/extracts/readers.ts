/**
 * Readers of the reference extracts (PROPOSAL_FORMAT.md, "Reference extracts"): the population
 * registry (Dukcapil) extract and the DTKS master extract. Same tokenizer and the same forgiveness
 * about layout as the proposal reader (BOM, ';' or ',', CRLF/LF/CR, Windows-1252, case and spaces
 * of column names, unknown columns ignored); values are trimmed and otherwise kept as written.
 */

import {
  type ByteSource,
  CsvFileTypeError,
  CsvHeaderTooLongError,
  CsvQuoteError,
  CsvReader,
  MAX_HEADER_CHARS,
} from '#core/csv.ts';
import { type NotCsvFileType, notCsvMessage } from '#core/file-type.ts';
import type { Lang } from '#core/messages.ts';
import {
  MASTER_EXTRACT_COLUMNS,
  type MasterPerson,
  POPULATION_EXTRACT_COLUMNS,
  POPULATION_EXTRACT_OPTIONAL_COLUMNS,
  type PopulationPerson,
  REQUIRED_COLUMNS,
  type StatusNik,
} from '#core/proposal.ts';

export type ExtractKind = 'population' | 'population-delta' | 'master';
export type ExtractFormatErrorCode =
  | 'EMPTY_FILE'
  | 'NOT_CSV'
  | 'HEADER_TOO_LONG'
  | 'MISSING_COLUMN'
  | 'DUPLICATE_COLUMN'
  | 'UNTERMINATED_QUOTE'
  | 'INVALID_VALUE'
  | 'TOO_MANY_ROWS';

const EXTRACT_NAMES: Record<Lang, Record<ExtractKind, string>> = {
  id: {
    population: 'Ekstrak data kependudukan (Dukcapil)',
    'population-delta': 'Ekstrak perubahan data kependudukan (Dukcapil)',
    master: 'Ekstrak master DTKS',
  },
  en: {
    population: 'Population registry (Dukcapil) extract',
    'population-delta': 'Population registry (Dukcapil) delta extract',
    master: 'DTKS master extract',
  },
};

/** A reference extract that cannot be loaded; the message names the extract, and the column or line. */
export class ExtractFormatError extends Error {
  override readonly name = 'ExtractFormatError';
  readonly extract: ExtractKind;
  readonly code: ExtractFormatErrorCode;
  /** MISSING_COLUMN: every missing column joined with ', '; DUPLICATE_COLUMN / INVALID_VALUE: the column. */
  readonly column?: string;
  /** UNTERMINATED_QUOTE: physical line of the file (1-based) where the quote opens. */
  readonly line?: number;
  /** INVALID_VALUE: 1-based data row (header and empty lines not counted); TOO_MANY_ROWS: the most rows. */
  readonly row?: number;
  /** INVALID_VALUE: the value as written. */
  readonly value?: string;
  /** NOT_CSV: what the file is instead (core/file-type.ts). */
  readonly fileType?: NotCsvFileType;

  constructor(
    extract: ExtractKind,
    code: ExtractFormatErrorCode,
    details: {
      columns?: readonly string[];
      line?: number;
      row?: number;
      value?: string;
      fileType?: NotCsvFileType;
      cause?: unknown;
    } = {},
  ) {
    super('', details.cause === undefined ? undefined : { cause: details.cause });
    this.extract = extract;
    this.code = code;
    if (details.columns?.length) this.column = details.columns.join(', ');
    if (details.line !== undefined) this.line = details.line;
    if (details.row !== undefined) this.row = details.row;
    if (details.value !== undefined) this.value = details.value;
    if (details.fileType !== undefined) this.fileType = details.fileType;
    this.message = this.messageIn('id');
  }

  /** The message in Bahasa Indonesia (the default) or English. */
  messageIn(lang: Lang): string {
    const what = EXTRACT_NAMES[lang][this.extract];
    const names = this.column?.split(', ') ?? [];
    const columns = names.map((name) => `'${name}'`).join(', ');
    const many = names.length > 1;
    const value = JSON.stringify(this.value ?? '');
    switch (this.code) {
      case 'EMPTY_FILE':
        return lang === 'id'
          ? `${what} kosong: tidak ada baris judul (nama kolom)`
          : `${what} is empty: there is no header line (column names)`;
      case 'NOT_CSV':
        return `${what}: ${lang === 'id' ? 'berkas ini' : 'this file'} ${notCsvMessage(this.fileType ?? 'BINARY', lang)}`;
      case 'HEADER_TOO_LONG':
        return lang === 'id'
          ? `${what}: baris judul (nama kolom) lebih panjang dari ${MAX_HEADER_CHARS.toLocaleString('id-ID')} karakter atau tidak pernah diakhiri baris baru`
          : `${what}: the header line (column names) is longer than ${MAX_HEADER_CHARS.toLocaleString('en-US')} characters or never ends`;
      case 'MISSING_COLUMN':
        return lang === 'id'
          ? `${what}: kolom wajib ${columns} tidak ada di baris judul`
          : `${what}: required column${many ? 's' : ''} ${columns} ${many ? 'are' : 'is'} missing from the header line`;
      case 'DUPLICATE_COLUMN':
        return lang === 'id'
          ? `${what}: kolom ${columns} muncul lebih dari sekali di baris judul`
          : `${what}: column ${columns} appears more than once in the header line`;
      case 'UNTERMINATED_QUOTE':
        return lang === 'id'
          ? `${what}: tanda kutip (") yang dibuka pada baris ${this.line} tidak pernah ditutup`
          : `${what}: the quote (") opened on line ${this.line} is never closed`;
      case 'INVALID_VALUE':
        return lang === 'id'
          ? `${what}: nilai ${value} pada kolom ${columns} pada baris data ke-${this.row} (baris judul tidak dihitung) tidak dikenal`
          : `${what}: unknown value ${value} in column ${columns} on data row ${this.row} (the header line not counted)`;
      case 'TOO_MANY_ROWS':
        return lang === 'id'
          ? `${what}: lebih dari ${this.row?.toLocaleString('id-ID')} baris, lebih banyak dari yang dapat dimuat; berikan ekstrak kabupaten/kota pengusul (atau provinsinya), bukan ekstrak nasional`
          : `${what}: more than ${this.row?.toLocaleString('en-US')} rows, more than can be loaded; give the extract of the submitting regency/city (or its province), not the national one`;
    }
  }
}

/** Every column of the population extract, required and optional (the delta extract adds `perubahan`). */
export const POPULATION_COLUMNS = [...POPULATION_EXTRACT_COLUMNS, ...POPULATION_EXTRACT_OPTIONAL_COLUMNS];
export type PopulationColumn = (typeof POPULATION_COLUMNS)[number];

/**
 * A `status_nik` cell as written: AKTIF when empty (the column is optional, and Dukcapil marks only the
 * deactivated), any case, trimmed; undefined for any other value, which the caller rejects: a status the
 * registry cannot state would make NIK_INACTIVE silently wrong.
 */
export function statusNikOf(cell: string | undefined): StatusNik | undefined {
  const status = cell?.trim().toUpperCase() ?? '';
  if (status === '' || status === 'AKTIF') return 'AKTIF';
  if (status === 'NONAKTIF') return 'NONAKTIF';
  return undefined;
}

const MASTER_COLUMNS = MASTER_EXTRACT_COLUMNS;
type MasterColumn = (typeof MASTER_COLUMNS)[number];
/** The proposal's required columns without `aksi`. */
const MASTER_REQUIRED = REQUIRED_COLUMNS.filter((name): name is Exclude<typeof name, 'aksi'> => name !== 'aksi');

/** An index no row reaches: an optional column absent from the header reads as ''. */
const ABSENT = 1 << 30;

/** Cell index of every known column (ABSENT when not in the header); throws on a missing or duplicate column. */
function columnIndexes<C extends string>(
  extract: ExtractKind,
  header: readonly string[],
  known: readonly C[],
  required: readonly C[],
): Record<C, number> {
  const at = Object.fromEntries(known.map((name) => [name, ABSENT])) as Record<C, number>;
  const seen = new Set<string>();
  header.forEach((cell, index) => {
    const name = cell.trim().toLowerCase();
    if (!(known as readonly string[]).includes(name)) return;
    if (seen.has(name)) throw new ExtractFormatError(extract, 'DUPLICATE_COLUMN', { columns: [name] });
    seen.add(name);
    at[name as C] = index;
  });
  const missing = required.filter((name) => !seen.has(name));
  if (missing.length) throw new ExtractFormatError(extract, 'MISSING_COLUMN', { columns: missing });
  return at;
}

/**
 * Tokenizes an extract (this file's, and the delta extract of delta-reader.ts) and maps each record with
 * `toPerson` (built once from the header indexes). Yields one array per decoded input chunk: big
 * batches, since extracts are loaded whole.
 */
export async function* readExtract<C extends string, P>(
  extract: ExtractKind,
  source: ByteSource,
  known: readonly C[],
  required: readonly C[],
  toPerson: (at: Record<C, number>) => (cells: string[], row: number) => P,
): AsyncGenerator<P[]> {
  let convert: ((cells: string[], row: number) => P) | undefined;
  let row = 0;
  try {
    for await (const chunk of new CsvReader(source)) {
      let rows = chunk.rows;
      if (convert === undefined) {
        convert = toPerson(columnIndexes(extract, rows[0] as string[], known, required));
        rows = rows.slice(1);
      }
      if (rows.length === 0) continue;
      const people: P[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) people[i] = convert(rows[i] as string[], ++row);
      yield people;
    }
  } catch (error) {
    if (error instanceof CsvQuoteError) {
      throw new ExtractFormatError(extract, 'UNTERMINATED_QUOTE', { line: error.line, cause: error });
    }
    if (error instanceof CsvFileTypeError) {
      throw new ExtractFormatError(extract, 'NOT_CSV', { fileType: error.fileType, cause: error });
    }
    if (error instanceof CsvHeaderTooLongError)
      throw new ExtractFormatError(extract, 'HEADER_TOO_LONG', { cause: error });
    throw error;
  }
  if (convert === undefined) throw new ExtractFormatError(extract, 'EMPTY_FILE');
}

/**
 * The population registry (Dukcapil) extract. `status_hidup` must be HIDUP or MENINGGAL, the optional
 * `status_nik` AKTIF (also when empty or absent) or NONAKTIF (any case).
 */
export function readPopulationExtract(source: ByteSource): AsyncIterable<PopulationPerson[]> {
  return readExtract<PopulationColumn, PopulationPerson>(
    'population',
    source,
    POPULATION_COLUMNS,
    POPULATION_EXTRACT_COLUMNS,
    (at) => populationPersonReader(at, 'population'),
  );
}

/**
 * The person of a population extract's record, built once from the header indexes; its errors name
 * `extract` (the delta extract reads its population columns with it).
 */
export function populationPersonReader(
  at: Record<PopulationColumn, number>,
  extract: ExtractKind,
): (cells: string[], row: number) => PopulationPerson {
  // Indexes in locals: a property load per cell from the index record costs as much as the tokenizing.
  const {
    alamat: iAlamat,
    jenis_kelamin: iJenisKelamin,
    kode_desa: iKodeDesa,
    nama: iNama,
    nik: iNik,
    no_kk: iNoKk,
    status_hidup: iStatusHidup,
    status_nik: iStatusNik,
    tanggal_lahir: iTanggalLahir,
    tempat_lahir: iTempatLahir,
  } = at;
  return (cells, row) => {
    const status = cells[iStatusHidup]?.trim().toUpperCase() ?? '';
    if (status !== 'HIDUP' && status !== 'MENINGGAL') {
      // A registry that cannot say whether a person lives would make DECEASED checks silently wrong.
      throw new ExtractFormatError(extract, 'INVALID_VALUE', {
        columns: ['status_hidup'],
        row,
        value: cells[iStatusHidup] ?? '',
      });
    }
    const statusNik = statusNikOf(cells[iStatusNik]);
    if (statusNik === undefined) {
      throw new ExtractFormatError(extract, 'INVALID_VALUE', {
        columns: ['status_nik'],
        row,
        value: cells[iStatusNik] ?? '',
      });
    }
    return {
      nik: cells[iNik]?.trim() ?? '',
      noKk: cells[iNoKk]?.trim() ?? '',
      nama: cells[iNama]?.trim() ?? '',
      jenisKelamin: cells[iJenisKelamin]?.trim() ?? '',
      tempatLahir: cells[iTempatLahir]?.trim() ?? '',
      tanggalLahir: cells[iTanggalLahir]?.trim() ?? '',
      kodeDesa: cells[iKodeDesa]?.trim() ?? '',
      alamat: cells[iAlamat]?.trim() ?? '',
      statusHidup: status,
      statusNik,
    };
  };
}

/** The DTKS master extract: the proposal columns without `aksi` and `alasan` (pekerjaan, penghasilan_bulanan, desil optional). */
export function readMasterExtract(source: ByteSource): AsyncIterable<MasterPerson[]> {
  return readExtract<MasterColumn, MasterPerson>('master', source, MASTER_COLUMNS, MASTER_REQUIRED, (at) => {
    const {
      alamat: iAlamat,
      desil: iDesil,
      hubungan_keluarga: iHubunganKeluarga,
      jenis_kelamin: iJenisKelamin,
      kode_desa: iKodeDesa,
      nama: iNama,
      nama_ibu_kandung: iNamaIbuKandung,
      nik: iNik,
      no_kk: iNoKk,
      pekerjaan: iPekerjaan,
      penghasilan_bulanan: iPenghasilanBulanan,
      rt: iRt,
      rw: iRw,
      status_perkawinan: iStatusPerkawinan,
      tanggal_lahir: iTanggalLahir,
      tempat_lahir: iTempatLahir,
    } = at;
    return (cells) => ({
      nik: cells[iNik]?.trim() ?? '',
      noKk: cells[iNoKk]?.trim() ?? '',
      nama: cells[iNama]?.trim() ?? '',
      jenisKelamin: cells[iJenisKelamin]?.trim() ?? '',
      tempatLahir: cells[iTempatLahir]?.trim() ?? '',
      tanggalLahir: cells[iTanggalLahir]?.trim() ?? '',
      namaIbuKandung: cells[iNamaIbuKandung]?.trim() ?? '',
      hubunganKeluarga: cells[iHubunganKeluarga]?.trim() ?? '',
      statusPerkawinan: cells[iStatusPerkawinan]?.trim() ?? '',
      alamat: cells[iAlamat]?.trim() ?? '',
      rt: cells[iRt]?.trim() ?? '',
      rw: cells[iRw]?.trim() ?? '',
      kodeDesa: cells[iKodeDesa]?.trim() ?? '',
      pekerjaan: cells[iPekerjaan]?.trim() ?? '',
      penghasilanBulanan: cells[iPenghasilanBulanan]?.trim() ?? '',
      desil: cells[iDesil]?.trim() ?? '',
    });
  });
}
