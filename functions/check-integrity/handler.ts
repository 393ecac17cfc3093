/**
 * CheckIntegrity: the five criteria of Pasal 8 ayat 3 over the staged rows, against the DynamoDB-backed
 * population registry, DTKS master and pending claims. Writes the return report for the region, the
 * accepted rows for stipulation, takes the claims of accepted rows, and stores the summary.
 */
import { ReportWorkbook } from '#adapters/xlsx/report-workbook.ts';
import { type CheckSummary, checkProposal } from '#core/integrity.ts';
import type { ProposalRow } from '#core/proposal.ts';
import { createReportWriter, summaryCsv } from '#core/report.ts';
import { sourceOf } from '#core/source.ts';
import { claimAcceptedRows } from '#shared/claim-check.ts';
import { DynamoClaimRegistry } from '#shared/claims-repository.ts';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { CHECK_INTEGRITY_INPUT, type CheckIntegrityOutput, KEYS } from '#shared/contracts.ts';
import { StagedRowsMissingError } from '#shared/errors.ts';
import { S3ObjectSink } from '#shared/exports/object-sink.ts';
import { logger, metrics } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { DynamoPopulationRegistry } from '#shared/population-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { XLSX_CONTENT_TYPE } from '#shared/return-report.ts';
import { ReviewRowsWriter } from '#shared/review-rows.ts';
import { NdjsonWriter, openRows, putText, S3ObjectWriter } from '#shared/staging.ts';

const config = readConfig([
  'proposalsTable',
  'masterTable',
  'claimsTable',
  'populationTable',
  'proposalsBucket',
  'reportLanguage',
]);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const claims = new DynamoClaimRegistry(documents, config.claimsTable);
const ports = {
  population: new DynamoPopulationRegistry(documents, config.populationTable),
  master: new DynamoDtksMaster(documents, config.masterTable),
  claims,
};

export const handler = lambda(CHECK_INTEGRITY_INPUT, async ({ proposalId }): Promise<CheckIntegrityOutput> => {
  logger.appendKeys({ proposalId });
  // A retried check (status already CHECKING) runs again from the start: every write below is idempotent.
  const proposal = await proposals.transition(proposalId, 'CHECKING');
  const bucket = config.proposalsBucket;
  const stagedKey = KEYS.stagedRows(proposalId);

  async function* stagedRows(): AsyncGenerator<ProposalRow[]> {
    const rows = await openRows(s3, bucket, stagedKey);
    if (!rows) throw new StagedRowsMissingError(proposalId);
    yield* rows;
  }

  const reportKey = KEYS.returnReport(proposal.regency, proposalId);
  const report = new S3ObjectWriter(s3, bucket, reportKey, 'text/csv; charset=utf-8');
  const reportWriter = createReportWriter(config.reportLanguage);
  await report.write(reportWriter.header());
  const accepted = new NdjsonWriter<ProposalRow>(s3, bucket, KEYS.acceptedRows(proposalId));
  // The same report as .xlsx, for the spreadsheets that round a 16-digit NIK read from CSV.
  const reportXlsxKey = KEYS.returnReportXlsx(proposal.regency, proposalId);
  const xlsxFile = new S3ObjectSink(s3, bucket, reportXlsxKey, XLSX_CONTENT_TYPE);
  const workbook = new ReportWorkbook((chunk) => xlsxFile.write(chunk), config.reportLanguage);
  // The same rows again for the console's paged, filtered table (review-rows.ts), beside the report.
  const review = new ReviewRowsWriter(s3, bucket, {
    rows: KEYS.reviewRows(proposal.regency, proposalId),
    index: KEYS.reviewIndex(proposal.regency, proposalId),
  });
  let lostClaims = 0;

  let engineSummary: CheckSummary;
  try {
    engineSummary = await checkProposal(
      stagedRows,
      ports,
      {
        submitter: proposal.regency,
        proposalId,
        onProgress: ({ pass, rows }) => logger.debug('Checking', { pass, rows }),
      },
      async (batch) => {
        const claimed = await claimAcceptedRows(claims, proposalId, batch);
        lostClaims += claimed.lost;
        await report.write(reportWriter.lines(claimed.batch));
        await workbook.rows(claimed.batch);
        await review.write(claimed.batch);
        await accepted.write(claimed.batch.filter((row) => row.accepted).map((checked) => checked.row));
      },
    );
  } catch (error) {
    // A failed check leaves no half-written workbook upload behind (the retry writes it again).
    workbook.abort();
    await Promise.all([xlsxFile.abort(), review.abort()]);
    throw error;
  }
  await Promise.all([report.end(), accepted.end(), review.end()]);

  const summary = withLostClaims(engineSummary, lostClaims);
  // The summary beside the report: the file-level warnings Ingest recorded, once each, and the counts.
  const summaryKey = KEYS.returnReportSummary(proposal.regency, proposalId);
  const warnings = proposal.warnings ?? [];
  await putText(
    s3,
    bucket,
    summaryKey,
    summaryCsv(summary, warnings, config.reportLanguage, sourceOf(proposal)),
    'text/csv; charset=utf-8',
  );
  await workbook.close({ summary, warnings, source: sourceOf(proposal) });
  await xlsxFile.close();
  await proposals.update(
    proposalId,
    { summary, reportKey, reportXlsxKey, summaryKey, acceptedKey: KEYS.acceptedRows(proposalId), lostClaims },
    ['CHECKING'],
  );
  metrics.addMetric('rowsChecked', 'Count', summary.rows);
  metrics.addMetric('rowsReturned', 'Count', summary.returned);
  logger.info('Proposal checked', { ...summary, lostClaims });
  return { proposalId, ...summary, reportKey };
});

/** The engine's counts after rows whose claim was lost were returned with FAMILY_OVERLAP. */
function withLostClaims(summary: CheckSummary, lost: number): Omit<CheckIntegrityOutput, 'proposalId' | 'reportKey'> {
  const codes: Record<string, number> = { ...summary.codes };
  if (lost) codes.FAMILY_OVERLAP = (codes.FAMILY_OVERLAP ?? 0) + lost;
  return {
    rows: summary.rows,
    accepted: summary.accepted - lost,
    returned: summary.returned + lost,
    withWarnings: summary.withWarnings,
    codes,
  };
}
