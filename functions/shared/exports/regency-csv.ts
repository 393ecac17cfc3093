/**
 * The per-regency CSV of the snapshot for the Dinas Sosial kabupaten/kota: the full-tier columns, UTF-8
 * with BOM so that Excel opens it with the right characters, and every cell neutralised against
 * spreadsheet formula injection (a name or address starting with `=`, `+`, `-` or `@`), as the return
 * report of PROPOSAL_FORMAT.md is.
 */
import { formatCsvRow } from '#core/csv.ts';
import { FULL_SNAPSHOT_COLUMNS, type FullSnapshotRow } from '#core/snapshot.ts';
import type { ByteSink, WrittenObject } from './object-sink.ts';

const BOM = '\uFEFF';
const encoder = new TextEncoder();

function cell(value: string | number | null): string {
  return value === null ? '' : String(value);
}

export class RegencyCsvWriter {
  private started = false;
  records = 0;

  constructor(private readonly sink: ByteSink) {}

  async write(rows: readonly FullSnapshotRow[]): Promise<void> {
    let text = '';
    if (!this.started) {
      text = BOM + formatCsvRow(FULL_SNAPSHOT_COLUMNS.map((column) => column.name));
      this.started = true;
    }
    for (const row of rows) {
      text += formatCsvRow(
        FULL_SNAPSHOT_COLUMNS.map((column) => cell(row[column.name])),
        { neutraliseFormulas: true },
      );
    }
    this.records += rows.length;
    await this.sink.write(encoder.encode(text));
  }

  async close(): Promise<WrittenObject> {
    // A regency without active persons still gets a file: the header alone.
    if (!this.started) await this.write([]);
    return this.sink.close();
  }
}
