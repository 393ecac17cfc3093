/**
 * Return reports (laporan pengembalian, PROPOSAL_FORMAT.md) stored for the region: the per-row report
 * the integrity check writes (core/report.ts), and the one-line report of a file that could not be read
 * at all, so a region always finds a report where it expects one.
 */
import { formatCsvRow } from '#core/csv.ts';
import type { Lang } from '#core/messages.ts';
import { createReportWriter, RETURNED } from '#core/report.ts';

/** The report of a file rejected as a whole: the header and one line that states the file-level error. */
export function fileLevelReport(message: string, lang: Lang): string {
  return (
    createReportWriter(lang).header() +
    formatCsvRow(['', '', '', '', RETURNED, '', message], { neutraliseFormulas: true })
  );
}
