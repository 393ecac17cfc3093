import { describe, expect, it } from 'vitest';
import { summaryPathOf } from '#core/report.ts';
import { KEYS } from '#shared/contracts.ts';
import { parseUploadKey } from '#shared/uploads.ts';

const REGENCY = '3371';
const PROPOSAL = '3371-2026-11-0123456789ab';
const PERIOD = '2026-11';

describe('the S3 keys (KEYS)', () => {
  it('puts every key of the proposals bucket under the prefix its IAM grant and lifecycle rule name', () => {
    expect(KEYS.stagedRows(PROPOSAL).startsWith(KEYS.stagingPrefix)).toBe(true);
    expect(KEYS.acceptedRows(PROPOSAL).startsWith(KEYS.stagingPrefix)).toBe(true);
    for (const key of [
      KEYS.returnReport(REGENCY, PROPOSAL),
      KEYS.returnReportXlsx(REGENCY, PROPOSAL),
      KEYS.returnReportSummary(REGENCY, PROPOSAL),
      KEYS.stipulationReturn(REGENCY, PROPOSAL, PERIOD),
    ]) {
      expect(key.startsWith(`${KEYS.reportsPrefix}${REGENCY}/${PROPOSAL}/`)).toBe(true);
    }
    expect(KEYS.changeSet(PERIOD).startsWith(KEYS.stipulationPrefix)).toBe(true);
    expect(KEYS.changeSetSummary(PERIOD).startsWith(KEYS.stipulationPrefix)).toBe(true);
    expect(KEYS.populationPrefix).toBe('reference/population/');
    expect(parseUploadKey(KEYS.upload(REGENCY, PERIOD, 'usulan.csv'))).toMatchObject({
      valid: true,
      regency: REGENCY,
      period: PERIOD,
    });
    expect(KEYS.acceptedRows(PROPOSAL)).toBe(`staging/${PROPOSAL}/accepted.ndjson`);
  });

  it('keeps the .xlsx report and the summary beside the CSV return report, as the CLI names them', () => {
    const csv = KEYS.returnReport(REGENCY, PROPOSAL);
    expect(KEYS.returnReportXlsx(REGENCY, PROPOSAL)).toBe(csv.replace(/\.csv$/, '.xlsx'));
    expect(KEYS.returnReportSummary(REGENCY, PROPOSAL)).toBe(summaryPathOf(csv));
    expect(KEYS.stipulationReturn(REGENCY, PROPOSAL, PERIOD)).toBe(
      `reports/${REGENCY}/${PROPOSAL}/pengembalian-penetapan-${PERIOD}.csv`,
    );
  });

  it('puts every key of the exports bucket under its tier prefix, part records in a folder no table reads', () => {
    expect(KEYS.exportPart(PERIOD, '33', REGENCY).startsWith(KEYS.exportsPrefix)).toBe(true);
    expect(KEYS.manifest(PERIOD).startsWith(KEYS.exportsPrefix)).toBe(true);
    expect(KEYS.pseudonymisedPart(PERIOD, '33', REGENCY).startsWith(KEYS.pseudonymisedPrefix)).toBe(true);
    expect(KEYS.regencyCsv(PERIOD, REGENCY).startsWith(KEYS.regencyCsvPrefix)).toBe(true);
    expect(KEYS.regencyXlsx(PERIOD, REGENCY).startsWith(KEYS.regencyCsvPrefix)).toBe(true);
    expect(KEYS.exportPartRecord(PERIOD, REGENCY).startsWith(KEYS.exportPartRecords(PERIOD))).toBe(true);
    expect(KEYS.exportPartRecords(PERIOD)).toBe(`${KEYS.exportsPrefix}period=${PERIOD}/_parts/`);
  });
});
