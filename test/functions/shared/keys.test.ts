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
      KEYS.reviewRows(REGENCY, PROPOSAL),
      KEYS.reviewIndex(REGENCY, PROPOSAL),
    ]) {
      expect(key.startsWith(`${KEYS.reportsPrefix}${REGENCY}/${PROPOSAL}/`)).toBe(true);
    }
    expect(KEYS.changeSet(PERIOD).startsWith(KEYS.stipulationPrefix)).toBe(true);
    expect(KEYS.changeSetSummary(PERIOD).startsWith(KEYS.stipulationPrefix)).toBe(true);
    expect(KEYS.populationPrefix).toBe('reference/population/');
    expect(parseUploadKey(KEYS.upload('MUSDES', REGENCY, PERIOD, 'usulan.csv'))).toMatchObject({
      valid: true,
      regency: REGENCY,
      period: PERIOD,
    });
    expect(KEYS.acceptedRows(PROPOSAL)).toBe(`staging/${PROPOSAL}/accepted.ndjson`);
  });

  it('reads the source of an upload from its prefix: proposals/ MUSDES, kemensos/ KEMENSOS, mandiri/ MANDIRI', () => {
    expect(KEYS.uploadPrefixes).toEqual(['proposals/', 'kemensos/', 'mandiri/']);
    for (const [source, prefix] of [
      ['MUSDES', 'proposals/'],
      ['KEMENSOS', 'kemensos/'],
      ['MANDIRI', 'mandiri/'],
    ] as const) {
      expect(KEYS.uploadPrefixOf(source)).toBe(prefix);
      const key = KEYS.upload(source, REGENCY, PERIOD, 'usulan.csv');
      expect(key).toBe(`${prefix}${REGENCY}/${PERIOD}/usulan.csv`);
      expect(parseUploadKey(key)).toEqual({
        valid: true,
        source,
        regency: REGENCY,
        province: '33',
        period: PERIOD,
        fileName: 'usulan.csv',
      });
    }
  });

  it('refuses a key under no upload prefix, naming the three accepted locations in Bahasa Indonesia', () => {
    for (const key of ['usulan/3371/2026-11/usulan.csv', 'Kemensos3371/2026-11/usulan.csv', '3371/2026-11/a.csv']) {
      const location = parseUploadKey(key);
      expect(location.valid).toBe(false);
      if (location.valid) continue;
      for (const prefix of ['proposals/', 'kemensos/', 'mandiri/']) expect(location.reason).toContain(prefix);
      expect(location.reason).toContain(`Lokasi berkas '${key}' tidak sesuai`);
    }
    // Under a known prefix but malformed: the source is still known, the regency and period read where they can.
    const bad = parseUploadKey('kemensos/3371/2026-13/usulan.csv');
    expect(bad).toMatchObject({ valid: false, source: 'KEMENSOS', regency: '3371', period: '' });
    expect(parseUploadKey('proposals/3371/2026-11/sub/usulan.csv')).toMatchObject({ valid: false, source: 'MUSDES' });
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
