/**
 * The return report of PROPOSAL_FORMAT.md: what a region gets back for its proposal.
 * CSV, UTF-8 with BOM (opens cleanly in Excel), one line per data row in input order:
 * baris,nik,no_kk,nama,hasil,kode,keterangan — cells neutralised against formula injection.
 */
import { formatCsvRow } from './csv.ts';
import type { CheckedRow } from './integrity.ts';
import { type Lang, messageFor } from './messages.ts';

export const REPORT_COLUMNS = ['baris', 'nik', 'no_kk', 'nama', 'hasil', 'kode', 'keterangan'] as const;

/** `hasil`: contract values, the same in every language. */
export const ACCEPTED = 'DITERIMA';
export const RETURNED = 'DIKEMBALIKAN';

const BOM = '\uFEFF';

export interface ReportWriter {
  /** The BOM and the header line: the start of the file. */
  header(): string;
  /** The lines of a batch of checked rows. */
  lines(batch: readonly CheckedRow[]): string;
}

export function createReportWriter(lang: Lang = 'id'): ReportWriter {
  const explanations = new Map<readonly string[], string>();
  return {
    header: () => BOM + formatCsvRow(REPORT_COLUMNS),
    lines(batch) {
      let text = '';
      for (const { row, codes, accepted } of batch) {
        // The engine shares one codes array per combination, so the joined texts are cached by identity.
        let explained = explanations.get(codes);
        if (explained === undefined) {
          explained = `${codes.join('|')}\u0000${codes.map((code) => messageFor(code, lang)).join('; ')}`;
          explanations.set(codes, explained);
        }
        const split = explained.indexOf('\u0000');
        text += formatCsvRow(
          [
            String(row.line),
            row.nik,
            row.noKk,
            row.nama,
            accepted ? ACCEPTED : RETURNED,
            explained.slice(0, split),
            explained.slice(split + 1),
          ],
          { neutraliseFormulas: true },
        );
      }
      return text;
    },
  };
}
