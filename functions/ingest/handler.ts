/**
 * Ingest, the first state of the proposal workflow: records the uploaded file as a proposal (once per
 * object version, however often S3 reports it), reads it with the proposal reader and stages the rows
 * as NDJSON for the check. A file that cannot be read, or sits in the wrong place, is RETURNED with a
 * report that says why.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ReportWorkbook } from '#adapters/xlsx/report-workbook.ts';
import { loadAreas } from '#core/area.ts';
import type { ProposalRow } from '#core/proposal.ts';
import { ProposalFormatError, readProposal } from '#core/proposal-reader.ts';
import { fileWarnings } from '#core/report.ts';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { INGEST_INPUT, type IngestInput, type IngestOutput, KEYS } from '#shared/contracts.ts';
import { isTransientAwsError } from '#shared/errors.ts';
import { S3ObjectSink } from '#shared/exports/object-sink.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { type ProposalRecord, ProposalsRepository } from '#shared/proposals-repository.ts';
import { fileLevelReport, XLSX_CONTENT_TYPE } from '#shared/return-report.ts';
import { NdjsonWriter, openObject, putText, storeRtRw } from '#shared/staging.ts';
import { parseUploadKey, proposalIdFor, type UploadLocation } from '#shared/uploads.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket', 'reportLanguage']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);

export const handler = lambda(INGEST_INPUT, async (input): Promise<IngestOutput> => {
  const location = parseUploadKey(input.key);
  const version = input.versionId ?? input.etag ?? (await currentVersion(input.bucket, input.key));
  const proposalId = proposalIdFor({ bucket: input.bucket, key: input.key, version }, location);
  const now = new Date().toISOString();
  const record: ProposalRecord = {
    proposalId,
    regency: location.regency,
    province: location.regency.slice(0, 2),
    period: location.period,
    // Where the file was placed decides its source (functions/shared/uploads.ts); a key under no upload
    // prefix (only a direct invocation can bring one) has none, and is returned below.
    ...(location.source ? { source: location.source } : {}),
    status: 'RECEIVED',
    bucket: input.bucket,
    key: input.key,
    ...(input.versionId ? { versionId: input.versionId } : {}),
    ...(input.etag ? { etag: input.etag } : {}),
    executionId: input.executionId,
    receivedAt: now,
    updatedAt: now,
    statusChangedAt: now,
  };
  const created = await proposals.create(record);
  if (!created.created) {
    const { existing } = created;
    if (ingestCanBeRetried(existing, Date.now())) {
      // The object was received before but never staged (that ingest failed, or its execution died): this
      // execution, started by a re-upload of the same object, takes the proposal over and reads it again.
      if (!(await proposals.takeOverIngest(proposalId, existing, input.executionId))) {
        return { outcome: 'DUPLICATE', proposalId };
      }
      logger.info('Failed ingest taken over by a re-upload', { proposalId });
    } else if (existing.executionId !== input.executionId) {
      // Another execution for the same object version: S3 delivered the event again.
      logger.info('Duplicate upload event', { proposalId });
      return { outcome: 'DUPLICATE', proposalId };
    } else if (existing.status === 'RETURNED') {
      // Our own execution retrying after a failure: carry on from where the proposal is.
      return { outcome: 'RETURNED', proposalId, reason: existing.reason ?? '' };
    } else if (existing.status !== 'RECEIVED') {
      const { regency, province, period, rows = 0 } = existing;
      return { outcome: 'INGESTED', proposalId, regency, province, period, rows };
    }
  }
  logger.appendKeys({ proposalId });
  try {
    return await ingestFile(record, input, location);
  } catch (error) {
    // A transient failure is retried by the Ingest state itself; any other ends the execution, so the
    // proposal says so, and a re-upload of the same object may try again (ingestCanBeRetried).
    if (!isTransientAwsError(error)) await recordIngestFailure(proposalId, error);
    throw error;
  }
});

/**
 * A RECEIVED proposal untouched for this long has lost its execution (a Lambda timeout or crash the
 * handler cannot catch): the Ingest state's 7 attempts of at most 5 minutes, with about 2 minutes of
 * backoff between them, are over long before.
 */
const INGEST_ABANDONED_AFTER_MS = 60 * 60 * 1000;

/** Whether a re-upload of the object may ingest it again: its first ingest failed and nothing was staged. */
function ingestCanBeRetried(existing: ProposalRecord, now: number): boolean {
  if (existing.status === 'FAILED') return existing.ingestFailure !== undefined;
  return existing.status === 'RECEIVED' && now - Date.parse(existing.updatedAt) > INGEST_ABANDONED_AFTER_MS;
}

async function recordIngestFailure(proposalId: string, error: unknown): Promise<void> {
  const name = (error as Error | undefined)?.name ?? 'Error';
  const reason = `Berkas tidak dapat diterima karena kesalahan sistem (${name}); unggah ulang berkas yang sama untuk mencoba lagi`;
  try {
    await proposals.transition(proposalId, 'FAILED', {
      // The name only: an SDK message may quote the request.
      set: { ingestFailure: { at: new Date().toISOString(), error: name }, reason, error: { Error: name } },
      detail: reason,
    });
  } catch (failure) {
    // The original error is what the execution must report; this one is only logged.
    logger.error('Could not record the failed ingest', { errorName: (failure as Error).name });
  }
}

/** Reads the file into staged rows, or returns it with the reason it cannot be read. */
async function ingestFile(record: ProposalRecord, input: IngestInput, location: UploadLocation): Promise<IngestOutput> {
  const { proposalId } = record;

  if (!location.valid) return returnFile(record, location.reason);
  if (!loadAreas().isRegency(location.regency)) {
    return returnFile(
      record,
      `Kode kabupaten/kota ${location.regency} pada lokasi berkas '${input.key}' tidak dikenal dalam daftar wilayah Kemendagri`,
    );
  }

  const body = await openObject(s3, input.bucket, input.key, { versionId: input.versionId });
  if (!body) return returnFile(record, `Berkas '${input.key}' tidak ditemukan (sudah dihapus sebelum diproses)`);
  const staged = new NdjsonWriter<ProposalRow>(s3, config.proposalsBucket, KEYS.stagedRows(proposalId));
  const reader = readProposal(body);
  try {
    for await (const batch of reader) await staged.write(storeRtRw(batch));
  } catch (error) {
    // No staged rows for a file that could not be read: the partial upload is aborted.
    await staged.abort();
    if (!(error instanceof ProposalFormatError)) throw error;
    return returnFile(record, error.messageIn('id'), error.messageIn(config.reportLanguage));
  }
  await staged.end();
  // How the file was read (delimiter, encoding fallback, unknown columns), and the file-level warnings the
  // region is told once each (PROPOSAL_FORMAT.md: dtks status, the API and the summary beside the report).
  const { rows: _rows, ...file } = reader.info;
  const warnings = fileWarnings(file, config.reportLanguage);
  await proposals.update(proposalId, { rows: staged.records, stagedKey: KEYS.stagedRows(proposalId), file, warnings }, [
    'RECEIVED',
  ]);
  logger.info('Proposal staged', { rows: staged.records, bytes: staged.bytes, encoding: file.encoding });
  return {
    outcome: 'INGESTED',
    proposalId,
    regency: location.regency,
    province: location.province,
    period: location.period,
    rows: staged.records,
  };
}

/** Without version or ETag in the event (a hand-started execution), the object's current ETag names it. */
async function currentVersion(bucket: string, key: string): Promise<string> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.VersionId ?? head.ETag ?? 'unknown';
  } catch {
    return 'missing';
  }
}

/** RETURNED for a file-level problem: the reason on the proposal and a one-line return report. */
async function returnFile(
  record: ProposalRecord,
  reason: string,
  reportMessage = reason,
): Promise<IngestOutput & { outcome: 'RETURNED' }> {
  const reportKey = record.regency ? KEYS.returnReport(record.regency, record.proposalId) : undefined;
  const reportXlsxKey = record.regency ? KEYS.returnReportXlsx(record.regency, record.proposalId) : undefined;
  if (reportKey && reportXlsxKey) {
    await putText(
      s3,
      config.proposalsBucket,
      reportKey,
      fileLevelReport(reportMessage, config.reportLanguage),
      'text/csv; charset=utf-8',
    );
    // The .xlsx form too, where the region finds it for a checked file.
    const xlsxFile = new S3ObjectSink(s3, config.proposalsBucket, reportXlsxKey, XLSX_CONTENT_TYPE);
    const workbook = new ReportWorkbook((chunk) => xlsxFile.write(chunk), config.reportLanguage);
    await workbook.fileLevel(reportMessage);
    await workbook.close();
    await xlsxFile.close();
  }
  await proposals.transition(record.proposalId, 'RETURNED', {
    set: { reason, ...(reportKey ? { reportKey, reportXlsxKey } : {}) },
    detail: reason,
  });
  logger.info('Proposal returned at ingest', { reason });
  return { outcome: 'RETURNED', proposalId: record.proposalId, reason };
}
