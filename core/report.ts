/**
 * The return report of PROPOSAL_FORMAT.md: what a region gets back for its proposal.
 * CSV, UTF-8 with BOM (opens cleanly in Excel), one line per data row in input order:
 * baris,nik,no_kk,nama,hasil,kode,keterangan — cells neutralised against formula injection.
 */
import { levelOf, RESULT_CODES, type ResultCode } from './codes.ts';
import { formatCsvCell, formatCsvRow } from './csv.ts';
import type { CheckedRow, CheckSummary, ReportedRow } from './integrity.ts';
import { type Lang, messageFor } from './messages.ts';
import type { ProposalFileInfo } from './proposal-reader.ts';
import { type ProposalSource, SOURCE_NAMES } from './source.ts';

export const REPORT_COLUMNS = ['baris', 'nik', 'no_kk', 'nama', 'hasil', 'kode', 'keterangan'] as const;

/** `hasil`: contract values, the same in every language. */
export const ACCEPTED = 'DITERIMA';
export const RETURNED = 'DIKEMBALIKAN';

const BOM = '\uFEFF';

export interface ReportWriter {
  /** The BOM and the header line: the start of the file. */
  header(): string;
  /** The lines of a batch of checked rows. */
  lines(batch: readonly CheckedRow<ReportedRow>[]): string;
  /** The cells of a batch of checked rows, as written (for the .xlsx form, which needs no neutralising). */
  cells(batch: readonly CheckedRow<ReportedRow>[]): string[][];
}

export function createReportWriter(lang: Lang = 'id'): ReportWriter {
  /** `kode` and `keterangan` of each combination of codes. */
  const explanations = new Map<readonly ResultCode[], readonly [string, string]>();
  const explain = (codes: readonly ResultCode[]) => {
    // The engine shares one codes array per combination, so the joined texts are cached by identity.
    let explained = explanations.get(codes);
    if (explained === undefined) {
      explained = [codes.join('|'), codes.map((code) => messageFor(code, lang)).join('; ')];
      explanations.set(codes, explained);
    }
    return explained;
  };
  const cellsOf = ({ row, codes, accepted }: CheckedRow<ReportedRow>): string[] => [
    String(row.line),
    row.nik,
    row.noKk,
    row.nama,
    accepted ? ACCEPTED : RETURNED,
    ...explain(codes),
  ];
  // The last three cells of a line (hasil, kode, keterangan) depend on the codes alone: formatted once per
  // combination, as formatCsvRow would. `baris` is digits: no quote, no formula.
  const tails = [new Map<readonly ResultCode[], string>(), new Map<readonly ResultCode[], string>()];
  const tailOf = (codes: readonly ResultCode[], accepted: boolean) => {
    const cache = tails[accepted ? 1 : 0]!;
    let tail = cache.get(codes);
    if (tail === undefined) {
      tail = formatCsvRow(['', accepted ? ACCEPTED : RETURNED, ...explain(codes)], { neutraliseFormulas: true });
      cache.set(codes, tail);
    }
    return tail;
  };
  return {
    header: () => BOM + formatCsvRow(REPORT_COLUMNS),
    lines(batch) {
      let text = '';
      for (const { row, codes, accepted } of batch) {
        text += `${row.line},${formatCsvCell(row.nik, true)},${formatCsvCell(row.noKk, true)},${formatCsvCell(row.nama, true)}${tailOf(codes, accepted)}`;
      }
      return text;
    },
    cells: (batch) => batch.map(cellsOf),
  };
}

/**
 * File-level warnings of PROPOSAL_FORMAT.md ("Layout"): a file read as Windows-1252 and unknown columns.
 * They concern the file, not a row, so they are named once, in the summary beside the report.
 */
export type FileWarningCode = 'WINDOWS_1252' | 'UNKNOWN_COLUMNS';

export interface FileWarning {
  code: FileWarningCode;
  /** UNKNOWN_COLUMNS: how many columns. */
  count?: number;
  message: string;
}

type ReadInfo = Pick<ProposalFileInfo, 'encoding' | 'windows1252FromLine' | 'unknownColumns'> & {
  unknownColumnCount?: number;
};

/** The file-level warnings of how a proposal was read, in the chosen language. */
export function fileWarnings(info: ReadInfo, lang: Lang = 'id'): FileWarning[] {
  const warnings: FileWarning[] = [];
  if (info.encoding === 'windows-1252') {
    const line = info.windows1252FromLine ?? 1;
    warnings.push({
      code: 'WINDOWS_1252',
      message:
        lang === 'id'
          ? `Berkas bukan UTF-8 yang sah dan dibaca sebagai Windows-1252 mulai baris ${line}; periksa huruf beraksen pada nama dan alamat, lalu simpan sebagai CSV UTF-8`
          : `The file is not valid UTF-8 and was read as Windows-1252 from line ${line}; check accented letters in names and addresses, and save it as CSV UTF-8`,
    });
  }
  const count = info.unknownColumnCount ?? info.unknownColumns.length;
  if (count > 0) {
    const names = info.unknownColumns.map((name) => `'${name}'`).join(', ');
    const more = count - info.unknownColumns.length;
    warnings.push({
      code: 'UNKNOWN_COLUMNS',
      count,
      message:
        lang === 'id'
          ? `${count} kolom tidak dikenal diabaikan: ${names}${more > 0 ? ` (dan ${more} lainnya)` : ''}`
          : `${count} unknown column${count > 1 ? 's' : ''} ignored: ${names}${more > 0 ? ` (and ${more} more)` : ''}`,
    });
  }
  return warnings;
}

export const SUMMARY_COLUMNS = ['bagian', 'kode', 'tingkat', 'jumlah', 'keterangan'] as const;

/**
 * The summary beside the return report, as rows of SUMMARY_COLUMNS: the proposal's source (SUMBER) when
 * the pipeline knows it (`dtks check` reads a file, not a proposal), the file-level warnings (BERKAS),
 * the rows per result code (KODE) and the totals (TOTAL). The same rows make the summary CSV and the
 * second sheet of the .xlsx report.
 */
export function summaryRows(
  summary: CheckSummary,
  warnings: readonly FileWarning[],
  lang: Lang = 'id',
  source?: ProposalSource,
): string[][] {
  const level = (l: 'error' | 'warning') => (lang === 'id' ? (l === 'error' ? 'galat' : 'peringatan') : l);
  const rows: string[][] = source ? [['SUMBER', source, '', '', SOURCE_NAMES[source][lang]]] : [];
  rows.push(
    ...warnings.map((w) => [
      'BERKAS',
      w.code,
      level('warning'),
      w.count === undefined ? '' : String(w.count),
      w.message,
    ]),
  );
  for (const code of RESULT_CODES) {
    const count = summary.codes[code];
    if (count) rows.push(['KODE', code, level(levelOf(code)), String(count), messageFor(code, lang)]);
  }
  rows.push(
    ['TOTAL', 'BARIS', '', String(summary.rows), lang === 'id' ? 'baris data usulan' : 'data rows of the proposal'],
    [
      'TOTAL',
      ACCEPTED,
      '',
      String(summary.accepted),
      lang === 'id' ? 'baris tanpa galat' : 'rows without an error code',
    ],
    [
      'TOTAL',
      RETURNED,
      '',
      String(summary.returned),
      lang === 'id' ? 'baris dengan galat, dikembalikan' : 'rows with an error code, returned',
    ],
    [
      'TOTAL',
      'DENGAN_PERINGATAN',
      '',
      String(summary.withWarnings),
      lang === 'id' ? 'baris dengan kode peringatan' : 'rows with a warning code',
    ],
  );
  return rows;
}

/** The summary as CSV (UTF-8 with BOM, like the report). */
export function summaryCsv(
  summary: CheckSummary,
  warnings: readonly FileWarning[],
  lang: Lang = 'id',
  source?: ProposalSource,
): string {
  let text = BOM + formatCsvRow(SUMMARY_COLUMNS);
  for (const row of summaryRows(summary, warnings, lang, source))
    text += formatCsvRow(row, { neutraliseFormulas: true });
  return text;
}

/** Where the summary goes beside a CSV report: `laporan.csv` → `laporan.ringkasan.csv`. */
export function summaryPathOf(reportPath: string): string {
  return `${reportPath.replace(/\.(csv|xlsx)$/i, '')}.ringkasan.csv`;
}
