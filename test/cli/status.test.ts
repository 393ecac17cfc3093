/** `dtks status <proposal>`: what the region sees of one proposal. */
import { describe, expect, it } from 'vitest';
import { formatProposal } from '#cli/commands/status.ts';
import type { ProposalRecord } from '#shared/proposals-repository.ts';

const proposal: ProposalRecord = {
  proposalId: '3371-2026-11-abcdefabcdef',
  regency: '3371',
  province: '33',
  period: '2026-11',
  status: 'AWAITING_REGENCY',
  bucket: 'dtks-proposals',
  key: 'proposals/3371/2026-11/usulan.csv',
  executionId: 'exec-1',
  receivedAt: '2026-11-02T01:00:00.000Z',
  updatedAt: '2026-11-02T01:00:00.000Z',
  statusChangedAt: '2026-11-02T01:00:00.000Z',
  reportKey: 'reports/3371/3371-2026-11-abcdefabcdef/laporan-pengembalian.csv',
  reportXlsxKey: 'reports/3371/3371-2026-11-abcdefabcdef/laporan-pengembalian.xlsx',
  warnings: [
    { code: 'WINDOWS_1252', message: 'Berkas bukan UTF-8 yang sah dan dibaca sebagai Windows-1252 mulai baris 3' },
    { code: 'UNKNOWN_COLUMNS', count: 1, message: "1 kolom tidak dikenal diabaikan: 'catatan'" },
  ],
};

describe('dtks status <proposal>', () => {
  it('names the file-level warnings once each', () => {
    const text = formatProposal(proposal);
    expect(text).toContain(
      'peringatan berkas: Berkas bukan UTF-8 yang sah dan dibaca sebagai Windows-1252 mulai baris 3\n',
    );
    expect(text.split("1 kolom tidak dikenal diabaikan: 'catatan'")).toHaveLength(2);
  });

  it('names the report in both forms', () => {
    expect(formatProposal(proposal)).toContain(
      'laporan (Excel): reports/3371/3371-2026-11-abcdefabcdef/laporan-pengembalian.xlsx',
    );
  });
});
