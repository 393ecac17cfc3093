/**
 * The return report of PROPOSAL_FORMAT.md as .xlsx: core/report.ts's rows and summary, written as a
 * workbook by the streaming writer beside it (adapters/xlsx/writer.ts).
 */
import type { CheckedRow, CheckSummary, ReportedRow } from '#core/integrity.ts';
import type { Lang } from '#core/messages.ts';
import { createReportWriter, type FileWarning, RETURNED, type ReportWriter, summaryRows } from '#core/report.ts';
import type { ProposalSource } from '#core/source.ts';
import { type XlsxColumn, type XlsxSink, XlsxWriter } from './writer.ts';

/** Columns of the .xlsx report: the CSV's, with NIK, No. KK and the codes as text cells. */
const REPORT_SHEET: readonly XlsxColumn[] = [
  { name: 'baris', kind: 'integer', width: 8 },
  { name: 'nik', kind: 'text', width: 19 },
  { name: 'no_kk', kind: 'text', width: 19 },
  { name: 'nama', kind: 'text', width: 28 },
  { name: 'hasil', kind: 'text', width: 14 },
  { name: 'kode', kind: 'text', width: 30 },
  { name: 'keterangan', kind: 'text', width: 80 },
];
const SUMMARY_SHEET: readonly XlsxColumn[] = [
  { name: 'bagian', kind: 'text', width: 10 },
  { name: 'kode', kind: 'text', width: 28 },
  { name: 'tingkat', kind: 'text', width: 12 },
  { name: 'jumlah', kind: 'integer', width: 10 },
  { name: 'keterangan', kind: 'text', width: 90 },
];
export const REPORT_SHEET_NAME = 'Laporan';
export const SUMMARY_SHEET_NAME = 'Ringkasan';

/**
 * The return report as .xlsx (PROPOSAL_FORMAT.md): the sheet `Laporan` with the report's columns, and
 * the summary as the second sheet `Ringkasan` (what sits beside the CSV report as `.ringkasan.csv`).
 * Rows stream through adapters/xlsx/writer.ts; a report of more than 1,048,575 rows continues on `Laporan (2)`.
 */
export class ReportWorkbook {
  private readonly xlsx: XlsxWriter;
  private readonly report: ReportWriter;
  private started = false;

  constructor(
    sink: XlsxSink,
    private readonly lang: Lang = 'id',
  ) {
    this.xlsx = new XlsxWriter(sink);
    this.report = createReportWriter(lang);
  }

  async rows(batch: readonly CheckedRow<ReportedRow>[]): Promise<void> {
    await this.start();
    await this.xlsx.addRows(this.report.cells(batch));
  }

  /** One line stating a file-level error, for a file rejected as a whole (as fileLevelReport in CSV). */
  async fileLevel(message: string): Promise<void> {
    await this.start();
    await this.xlsx.addRows([[null, '', '', '', RETURNED, '', message]]);
  }

  /** Adds the summary sheet and completes the file (without a summary for a file rejected as a whole). */
  async close(summary?: {
    summary: CheckSummary;
    warnings: readonly FileWarning[];
    source?: ProposalSource;
  }): Promise<void> {
    await this.start();
    if (summary) {
      await this.xlsx.startSheet(SUMMARY_SHEET_NAME, SUMMARY_SHEET);
      await this.xlsx.addRows(
        summaryRows(summary.summary, summary.warnings, this.lang, summary.source).map(
          ([bagian, kode, tingkat, jumlah, keterangan]) => [
            bagian ?? '',
            kode ?? '',
            tingkat ?? '',
            jumlah === undefined || jumlah === '' ? null : Number(jumlah),
            keterangan ?? '',
          ],
        ),
      );
    }
    await this.xlsx.close();
  }

  abort(): void {
    this.xlsx.abort();
  }

  private async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.xlsx.startSheet(REPORT_SHEET_NAME, REPORT_SHEET);
  }
}
