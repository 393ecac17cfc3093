/**
 * What the console's API tests stand on: checked proposals as CheckIntegrity leaves them (the record with
 * its summary and report keys, the report file, the rows kept for the console by review-rows.ts), a
 * stipulated period (its record, its manifest and the files it names, one per tier), and the principals
 * of every role for regency 3371 of province 33.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { ResultCode } from '#core/codes.ts';
import type { CheckedRow } from '#core/integrity.ts';
import type { ProposalStatus } from '#core/lifecycle.ts';
import type { ProposalRow } from '#core/proposal.ts';
import type { SnapshotFile, SnapshotManifest } from '#core/snapshot.ts';
import { KEYS, type Principal } from '#shared/contracts.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { ReviewRowsWriter } from '#shared/review-rows.ts';
import type { TestAws } from './aws.ts';
import { proposalRecord } from './proposals.ts';

export const PRINCIPALS = {
  operator: { username: 'operator-3371', role: 'region_operator', area: '3371' },
  regency: { username: 'regency-3371', role: 'regency_approver', area: '3371' },
  province: { username: 'province-33', role: 'province_approver', area: '33' },
  ministry: { username: 'ministry', role: 'ministry_operator', area: '' },
  analyst: { username: 'analyst', role: 'analyst', area: '' },
} as const satisfies Record<string, Principal>;
export type RoleName = keyof typeof PRINCIPALS;

/** A checked row of a synthetic proposal: the i-th person (NIK and No. KK of regency 3371), its codes. */
export function checkedRow(i: number, codes: readonly ResultCode[] = [], name = `Warga Ke ${i}`): CheckedRow {
  const nik = `33710${String(i).padStart(11, '0')}`;
  const noKk = `33719${String(Math.floor(i / 4)).padStart(11, '0')}`;
  const row = { line: i, nik, noKk, nama: name } as ProposalRow;
  const accepted = !codes.some((code) => !['MOVED_DOMICILE', 'POSSIBLE_DUPLICATE_PERSON'].includes(code));
  return { row, codes, accepted };
}

/** A proposal as CheckIntegrity leaves it, its report and its rows for the console written. */
export async function checkedProposal(
  aws: TestAws,
  proposal: { proposalId: string; regency?: string; period?: string; status?: ProposalStatus; receivedAt?: string },
  rows: readonly CheckedRow[] = [checkedRow(1), checkedRow(2, ['NIK_NOT_FOUND'])],
): Promise<void> {
  const { proposalId, regency = '3371', period = '2026-11', status = 'AWAITING_REGENCY' } = proposal;
  const bucket = aws.names.buckets.proposals;
  const codes: Record<string, number> = {};
  for (const { codes: rowCodes } of rows) for (const code of rowCodes) codes[code] = (codes[code] ?? 0) + 1;
  const accepted = rows.filter((row) => row.accepted).length;
  const reportKey = KEYS.returnReport(regency, proposalId);
  await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: reportKey, Body: `laporan ${proposalId}\n`, ContentType: 'text/csv' }),
  );
  const review = new ReviewRowsWriter(aws.clients.s3, bucket, {
    rows: KEYS.reviewRows(regency, proposalId),
    index: KEYS.reviewIndex(regency, proposalId),
  });
  await review.write(rows);
  await review.end();
  await new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals).create(
    proposalRecord(proposalId, {
      regency,
      province: regency.slice(0, 2),
      period,
      status,
      key: KEYS.upload('MUSDES', regency, period, `${proposalId}.csv`),
      ...(proposal.receivedAt ? { receivedAt: proposal.receivedAt } : {}),
      summary: { rows: rows.length, accepted, returned: rows.length - accepted, withWarnings: 0, codes },
      reportKey,
      reportXlsxKey: KEYS.returnReportXlsx(regency, proposalId),
    }),
  );
}

/** The export files of a stipulated period for regency 3371, one per tier, each holding its own key as text. */
export function periodFiles(period: string): Record<'full' | 'pseudonymised' | 'regency', string> {
  return {
    full: KEYS.exportPart(period, '33', '3371'),
    pseudonymised: KEYS.pseudonymisedPart(period, '33', '3371'),
    regency: KEYS.regencyCsv(period, '3371'),
  };
}

/** A stipulated period: its record, its manifest and its files (one per tier) in the exports bucket. */
export async function stipulatedPeriod(aws: TestAws, period: string): Promise<void> {
  const bucket = aws.names.buckets.exports;
  const keys = periodFiles(period);
  const files: SnapshotFile[] = [
    { key: keys.full, tier: 'full', records: 3, bytes: keys.full.length, sha256: '0'.repeat(64) },
    {
      key: keys.pseudonymised,
      tier: 'pseudonymised',
      records: 3,
      bytes: keys.pseudonymised.length,
      sha256: '1'.repeat(64),
      anonymity: { k: 5, suppressed: 0, withheld: 0 },
    },
    { key: keys.regency, tier: 'csv', records: 3, bytes: keys.regency.length, sha256: '2'.repeat(64) },
  ];
  for (const { key } of files) await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  const manifest: SnapshotManifest = {
    period,
    generatedAt: `${period}-28T00:00:00.000Z`,
    carriedForward: false,
    sourceProposals: [],
    totals: { records: 3, byProvince: { '33': 3 }, byRegency: { '3371': 3 } },
    pseudonymisation: { k: 5, quasiIdentifiers: [], suppressedRecords: 0, withheldRecords: 0 },
    files,
  };
  await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: KEYS.manifest(period), Body: JSON.stringify(manifest) }),
  );
  await new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals, {
    s3: aws.clients.s3,
    bucket: aws.names.buckets.proposals,
  }).putPeriod({
    period,
    recordedAt: `${period}-28T01:00:00.000Z`,
    carriedForward: false,
    proposals: [],
    counts: { proposals: 0, records: 3 },
    manifestKey: KEYS.manifest(period),
  });
}
