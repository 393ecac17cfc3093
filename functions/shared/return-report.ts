/**
 * Return reports (laporan pengembalian, PROPOSAL_FORMAT.md) stored for the region: the per-row report
 * the integrity check writes (core/report.ts), and the one-line report of a file that could not be read
 * at all, so a region always finds a report where it expects one.
 */
import { formatCsvRow } from '#core/csv.ts';
import type { Lang } from '#core/messages.ts';
import type { ProposalRow } from '#core/proposal.ts';
import { createReportWriter, RETURNED } from '#core/report.ts';

/** The report of a file rejected as a whole: the header and one line that states the file-level error. */
export function fileLevelReport(message: string, lang: Lang): string {
  return (
    createReportWriter(lang).header() +
    formatCsvRow(['', '', '', '', RETURNED, '', message], { neutraliseFormulas: true })
  );
}

export { XLSX_CONTENT_TYPE } from '#adapters/xlsx/writer.ts';

export type StipulationReturn =
  | { row: ProposalRow; because: 'CONFLICT'; winner: string; period: string }
  | { row: ProposalRow; because: 'EXCLUDED'; exclusion: string };

/** The lines of rows returned at stipulation, in the return report's columns. */
export function stipulationReturnLines(returns: readonly StipulationReturn[], lang: Lang): string {
  let text = '';
  for (const entry of returns) {
    const { row } = entry;
    const [code, explanation] =
      entry.because === 'CONFLICT'
        ? [
            'FAMILY_OVERLAP',
            lang === 'id'
              ? `Orang ini juga diusulkan dalam usulan ${entry.winner} yang disetujui lebih dahulu; penetapan ${entry.period} memakai usulan itu`
              : `This person is also in proposal ${entry.winner}, approved earlier; stipulation ${entry.period} applies that one`,
          ]
        : [
            '',
            lang === 'id'
              ? `Dikecualikan oleh pemberi persetujuan (${entry.exclusion})`
              : `Excluded by the approver (${entry.exclusion})`,
          ];
    text += formatCsvRow([String(row.line), row.nik, row.noKk, row.nama, RETURNED, code, explanation], {
      neutraliseFormulas: true,
    });
  }
  return text;
}
