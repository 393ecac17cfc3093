/**
 * Reads a proposal (usulan) file into ProposalRow batches (PROPOSAL_FORMAT.md, "Layout"): forgiving
 * about encoding and layout, and it never drops, fixes or rewrites a value (validation is the
 * integrity engine's job).
 */

import {
  type ByteSource,
  type CsvDelimiter,
  CsvFileTypeError,
  CsvHeaderTooLongError,
  CsvQuoteError,
  CsvReader,
  MAX_HEADER_CHARS,
} from './csv.ts';
import { type NotCsvFileType, notCsvMessage } from './file-type.ts';
import type { Lang } from './messages.ts';
import { PROPOSAL_COLUMNS, type ProposalField, type ProposalRow, REQUIRED_COLUMNS } from './proposal.ts';

export type ProposalFormatErrorCode =
  | 'EMPTY_FILE'
  | 'NOT_CSV'
  | 'TOO_MANY_COLUMNS'
  | 'HEADER_TOO_LONG'
  | 'MISSING_COLUMN'
  | 'DUPLICATE_COLUMN'
  | 'UNTERMINATED_QUOTE';

/**
 * Limits of what one file may carry beside its rows (PROPOSAL_FORMAT.md knows 18 columns). What is kept
 * of a file ends up on the proposal record, a DynamoDB item of at most 400 KB: so a header is read up to
 * MAX_COLUMNS cells (more returns the file), and of its unknown columns only the first
 * MAX_STORED_UNKNOWN_COLUMNS names, each cut to MAX_COLUMN_NAME_CHARS characters, and their count are kept.
 */
export const MAX_COLUMNS = 1000;
export const MAX_STORED_UNKNOWN_COLUMNS = 20;
export const MAX_COLUMN_NAME_CHARS = 100;

const count = (n: number, lang: Lang) => n.toLocaleString(lang === 'id' ? 'id-ID' : 'en-US');

const quoted = (names: readonly string[]) => names.map((name) => `'${name}'`).join(', ');

/** A file-level problem: the whole file goes back to the region with this message. */
export class ProposalFormatError extends Error {
  override readonly name = 'ProposalFormatError';
  readonly code: ProposalFormatErrorCode;
  /** The column concerned; for MISSING_COLUMN every missing column, joined with ', ' (each one is in `columns`). */
  readonly column?: string;
  readonly columns?: readonly string[];
  /** Physical line of the file (1-based, empty lines counted). */
  readonly line?: number;
  /** NOT_CSV: what the file is instead (core/file-type.ts). */
  readonly fileType?: NotCsvFileType;
  /** TOO_MANY_COLUMNS: the cells of the header line. */
  readonly columnCount?: number;

  constructor(
    code: ProposalFormatErrorCode,
    details: {
      columns?: readonly string[];
      line?: number;
      fileType?: NotCsvFileType;
      columnCount?: number;
      cause?: unknown;
    } = {},
  ) {
    super('', details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.columns?.length) {
      this.columns = details.columns;
      this.column = details.columns.join(', ');
    }
    if (details.line !== undefined) this.line = details.line;
    if (details.fileType !== undefined) this.fileType = details.fileType;
    if (details.columnCount !== undefined) this.columnCount = details.columnCount;
    this.message = this.messageIn('id');
  }

  messageIn(lang: Lang): string {
    const columns = this.columns ?? [];
    const many = columns.length > 1;
    switch (this.code) {
      case 'EMPTY_FILE':
        return lang === 'id'
          ? 'Berkas kosong: tidak ada baris judul (nama kolom) dan tidak ada data'
          : 'The file is empty: there is no header line (column names) and no data';
      case 'NOT_CSV':
        return `${lang === 'id' ? 'Berkas ini' : 'This file'} ${notCsvMessage(this.fileType ?? 'BINARY', lang)}`;
      case 'TOO_MANY_COLUMNS':
        return lang === 'id'
          ? `Baris judul berisi ${count(this.columnCount ?? 0, lang)} kolom, lebih dari batas ${count(MAX_COLUMNS, lang)} kolom; usulan hanya memerlukan ${count(Object.keys(PROPOSAL_COLUMNS).length, lang)} kolom: hapus kolom lain lalu simpan ulang sebagai CSV`
          : `The header line has ${count(this.columnCount ?? 0, lang)} columns, more than the limit of ${count(MAX_COLUMNS, lang)}; a proposal needs only ${count(Object.keys(PROPOSAL_COLUMNS).length, lang)} columns: remove the others and save it as CSV again`;
      case 'HEADER_TOO_LONG':
        return lang === 'id'
          ? `Baris judul (nama kolom) lebih panjang dari ${count(MAX_HEADER_CHARS, lang)} karakter atau tidak pernah diakhiri baris baru; periksa bahwa berkas ini CSV usulan`
          : `The header line (column names) is longer than ${count(MAX_HEADER_CHARS, lang)} characters or never ends; check that this is a proposal CSV`;
      case 'MISSING_COLUMN':
        return lang === 'id'
          ? `Kolom wajib ${quoted(columns)} tidak ada di baris judul`
          : `Required column${many ? 's' : ''} ${quoted(columns)} ${many ? 'are' : 'is'} missing from the header line`;
      case 'DUPLICATE_COLUMN':
        return lang === 'id'
          ? `Kolom ${quoted(columns)} muncul lebih dari sekali di baris judul`
          : `Column ${quoted(columns)} appears more than once in the header line`;
      case 'UNTERMINATED_QUOTE':
        return lang === 'id'
          ? `Tanda kutip (") yang dibuka pada baris ${this.line} berkas tidak pernah ditutup`
          : `The quote (") opened on line ${this.line} of the file is never closed`;
    }
  }
}

export interface ProposalFileInfo {
  delimiter: CsvDelimiter;
  bom: boolean;
  encoding: 'utf-8' | 'windows-1252';
  /** Physical line where the Windows-1252 fallback started. */
  windows1252FromLine?: number;
  /**
   * Header names that are not proposal columns, as written (trimmed), each once: a warning, not an error.
   * Only the first MAX_STORED_UNKNOWN_COLUMNS, each cut to MAX_COLUMN_NAME_CHARS characters.
   */
  unknownColumns: string[];
  /** How many distinct unknown columns the header has (unknownColumns may list fewer). */
  unknownColumnCount: number;
  /** Data rows read so far (final after iteration). */
  rows: number;
}

/**
 * Batches of rows in file order. `info.delimiter`, `bom` and `unknownColumns` are set before the first
 * batch is yielded; `encoding`, `windows1252FromLine` and `rows` are final when iteration ends.
 */
export interface ProposalReader extends AsyncIterable<ProposalRow[]> {
  readonly info: ProposalFileInfo;
}

/** Rows per batch unless the caller says otherwise. */
export const DEFAULT_BATCH_SIZE = 2048;
/** An index no row reaches: a column absent from the header reads as ''. */
const ABSENT = 1 << 30;

export function readProposal(source: ByteSource, options: { batchSize?: number } = {}): ProposalReader {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const csv = new CsvReader(source);
  const info: ProposalFileInfo = {
    delimiter: ',',
    bom: false,
    encoding: 'utf-8',
    unknownColumns: [],
    unknownColumnCount: 0,
    rows: 0,
  };
  const syncInfo = () => {
    info.delimiter = csv.info.delimiter;
    info.bom = csv.info.bom;
    info.encoding = csv.info.encoding;
    if (csv.info.windows1252FromLine !== undefined) info.windows1252FromLine = csv.info.windows1252FromLine;
  };

  async function* batches(): AsyncGenerator<ProposalRow[]> {
    let at: Record<ProposalField, number> | undefined;
    let batch: ProposalRow[] = [];
    let line = 0;
    try {
      for await (const chunk of csv) {
        syncInfo();
        let rows = chunk.rows;
        if (at === undefined) {
          const header = rows[0] as string[];
          // Named cells only: a spreadsheet may export trailing empty header cells by the thousand.
          const named = header.reduce((n, cell) => (cell.trim() === '' ? n : n + 1), 0);
          if (named > MAX_COLUMNS) {
            throw new ProposalFormatError('TOO_MANY_COLUMNS', { columnCount: named, line: chunk.firstLine });
          }
          at = columnIndexes(header, chunk.firstLine, info);
          rows = rows.slice(1);
        }
        // Indexes in locals: property loads from the index record on every cell would cost as much as the tokenizing.
        const {
          aksi: iAksi,
          alasan: iAlasan,
          nik: iNik,
          noKk: iNoKk,
          nama: iNama,
          jenisKelamin: iJenisKelamin,
          tempatLahir: iTempatLahir,
          tanggalLahir: iTanggalLahir,
          namaIbuKandung: iNamaIbuKandung,
          hubunganKeluarga: iHubunganKeluarga,
          statusPerkawinan: iStatusPerkawinan,
          alamat: iAlamat,
          rt: iRt,
          rw: iRw,
          kodeDesa: iKodeDesa,
          pekerjaan: iPekerjaan,
          penghasilanBulanan: iPenghasilanBulanan,
          desil: iDesil,
        } = at;
        for (const cells of rows) {
          // One object literal, so every row shares one hidden class (what keeps this loop fast).
          batch.push({
            line: ++line,
            aksi: cells[iAksi]?.trim() ?? '',
            alasan: cells[iAlasan]?.trim() ?? '',
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
          if (batch.length >= batchSize) {
            info.rows = line;
            yield batch;
            batch = [];
          }
        }
        info.rows = line;
      }
    } catch (error) {
      if (error instanceof CsvQuoteError)
        throw new ProposalFormatError('UNTERMINATED_QUOTE', { line: error.line, cause: error });
      if (error instanceof CsvFileTypeError)
        throw new ProposalFormatError('NOT_CSV', { fileType: error.fileType, cause: error });
      if (error instanceof CsvHeaderTooLongError) throw new ProposalFormatError('HEADER_TOO_LONG', { cause: error });
      throw error;
    }
    syncInfo();
    if (at === undefined) throw new ProposalFormatError('EMPTY_FILE');
    info.rows = line;
    if (batch.length) yield batch;
  }

  return { info, [Symbol.asyncIterator]: () => batches() };
}

/** Maps each proposal field to its cell index in the header; checks required and duplicate columns. */
function columnIndexes(
  header: readonly string[],
  line: number,
  info: Pick<ProposalFileInfo, 'unknownColumns' | 'unknownColumnCount'>,
): Record<ProposalField, number> {
  const at = Object.fromEntries(Object.values(PROPOSAL_COLUMNS).map((field) => [field, ABSENT])) as Record<
    ProposalField,
    number
  >;
  const seen = new Set<string>();
  const unknown = new Set<string>();
  header.forEach((cell, index) => {
    const written = cell.trim();
    const name = written.toLowerCase();
    const field = Object.hasOwn(PROPOSAL_COLUMNS, name) ? PROPOSAL_COLUMNS[name] : undefined;
    if (field === undefined) {
      // Spreadsheets leave trailing empty header cells: nothing to warn about.
      if (written === '' || unknown.has(written)) return;
      unknown.add(written);
      if (unknown.size <= MAX_STORED_UNKNOWN_COLUMNS) info.unknownColumns.push(written.slice(0, MAX_COLUMN_NAME_CHARS));
      info.unknownColumnCount = unknown.size;
      return;
    }
    if (seen.has(name)) throw new ProposalFormatError('DUPLICATE_COLUMN', { columns: [name], line });
    seen.add(name);
    at[field] = index;
  });
  const missing = REQUIRED_COLUMNS.filter((name) => !seen.has(name));
  if (missing.length) throw new ProposalFormatError('MISSING_COLUMN', { columns: missing, line });
  return at;
}
