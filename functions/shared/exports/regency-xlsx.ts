/**
 * The per-regency snapshot as an Excel workbook, beside the CSV (regency-csv.ts) for the Dinas Sosial:
 * the same full-tier columns, but NIK, No. KK, the area codes and RT/RW as text cells (a spreadsheet
 * rounds a 16-digit NIK read from CSV and drops RT 005 to 5), tanggal_lahir as a date, the counts as
 * numbers. Streamed (adapters/xlsx/writer.ts): a regency of 10^6 persons never sits in memory. Excel holds
 * 1,048,576 rows per sheet (the header included); persons beyond continue on the sheet `DTKS <regency>
 * (2)`, with the header again, so no row is ever cut off.
 */

import { type XlsxColumn, type XlsxColumnKind, XlsxWriter } from '#adapters/xlsx/writer.ts';
import { FULL_SNAPSHOT_COLUMNS, type FullSnapshotRow, type SnapshotColumnType } from '#core/snapshot.ts';
import type { ByteSink, WrittenObject } from './object-sink.ts';

const KIND: Record<SnapshotColumnType, XlsxColumnKind> = {
  string: 'text',
  date: 'date',
  int32: 'integer',
  int64: 'integer',
};

const WIDTHS: Partial<Record<string, number>> = { nik: 19, no_kk: 19, nama: 28, nama_ibu_kandung: 28, alamat: 36 };

const COLUMNS: readonly XlsxColumn[] = FULL_SNAPSHOT_COLUMNS.map((column) => ({
  name: column.name,
  kind: KIND[column.type],
  ...(WIDTHS[column.name] ? { width: WIDTHS[column.name] } : {}),
}));

export class RegencyXlsxWriter {
  private readonly xlsx: XlsxWriter;
  private started = false;
  records = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly regency: string,
    options: { maxRows?: number } = {},
  ) {
    // The chunks come from the zip stream and are not reused: the sink may keep them.
    this.xlsx = new XlsxWriter((chunk) => sink.write(chunk), options);
  }

  async write(rows: readonly FullSnapshotRow[]): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.xlsx.startSheet(`DTKS ${this.regency}`, COLUMNS);
    }
    await this.xlsx.addRows(rows.map((row) => FULL_SNAPSHOT_COLUMNS.map((column) => row[column.name])));
    this.records += rows.length;
  }

  async close(): Promise<WrittenObject> {
    // A regency without active persons still gets a workbook: the header alone.
    if (!this.started) await this.write([]);
    await this.xlsx.close();
    return this.sink.close();
  }
}
