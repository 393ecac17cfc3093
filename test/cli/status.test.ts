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

  it('prints stored text with its control characters made visible, not obeyed by the terminal', () => {
    // A forged SendTaskFailure sets the reason, a region's header names the unknown columns, an upload
    // names the key: ESC sequences in them cleared the operator's screen and retitled the window.
    const text = formatProposal({
      ...proposal,
      status: 'FAILED',
      reason: '\u001b[2J\u001b[31mPALSU\u001b]0;judul\u0007 selesai',
      key: 'proposals/3371/2026-11/u\u009b2Jsulan.csv',
      warnings: [{ code: 'UNKNOWN_COLUMNS', count: 1, message: "1 kolom tidak dikenal diabaikan: '\u001b[8m'" }],
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters the output must not carry
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('status: FAILED — \\x1B[2J\\x1B[31mPALSU\\x1B]0;judul\\x07 selesai');
    expect(text).toContain('berkas: s3://dtks-proposals/proposals/3371/2026-11/u\\x9B2Jsulan.csv');
    expect(text).toContain("diabaikan: '\\x1B[8m'");
    // A newline in a reason does not start a line of its own that reads like the CLI's.
    const forged = formatProposal({ ...proposal, status: 'FAILED', reason: 'gagal\nstatus: STIPULATED' });
    expect(forged.split('\n').filter((line) => line.startsWith('status:'))).toEqual([
      'status: FAILED — gagal\\x0Astatus: STIPULATED',
    ]);
  });

  it('names where the proposal came from: MUSDES for a record without a source, KEMENSOS for a ministry upload', () => {
    expect(formatProposal(proposal)).toContain('\nsumber: MUSDES (Musyawarah desa/kelurahan)\n');
    const ministry = formatProposal({ ...proposal, source: 'KEMENSOS', key: 'kemensos/3371/2026-11/usulan.csv' });
    expect(ministry).toContain('\nsumber: KEMENSOS (Kementerian Sosial)\n');
  });

  it('names the report in both forms', () => {
    expect(formatProposal(proposal)).toContain(
      'laporan (Excel): reports/3371/3371-2026-11-abcdefabcdef/laporan-pengembalian.xlsx',
    );
  });
});
