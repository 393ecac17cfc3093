/**
 * Stray export files: the files of a period's export that its manifest does not list. A run that fails
 * after some units leaves their files in the period's folders; a rerun that cuts a regency into other
 * units (EXPORT_UNIT_MAX_PERSONS changed, units planned from another previous export) or no longer lists
 * it writes other keys and leaves those. Athena (partition projection reads every object under
 * `province=…/`) and DuckDB over the folder would read those persons twice, and a Dinas Sosial would
 * download two overlapping CSVs. FinaliseExport deletes them before it writes the manifest.
 *
 * Only keys of the export files' own shapes (KEYS.exportPart, pseudonymisedPart, regencyCsv, regencyXlsx,
 * exportPartRecord) are ever deleted: the quality control's files in the same folders, the manifest and
 * other periods are never touched. The exports bucket is versioned, so a deleted stray gets a delete
 * marker and stays recoverable as a noncurrent version until the bucket's lifecycle rule expires it
 * (90 days, infra/constructs/storage.ts).
 */
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { KEYS } from '../contracts.ts';
import { StrayExportFilesNotDeletedError, TransientError } from '../errors.ts';
import { listKeys } from '../staging.ts';

/** DeleteObjects takes at most 1,000 keys per request (S3 API reference). */
const DELETE_BATCH = 1000;

/** S3's per-key error codes that a retry of the step may clear; any other fails the run. */
const TRANSIENT_CODES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown']);

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `-bagian-NN` of a unit (two digits at least), or nothing. */
const UNIT = '(?:-bagian-\\d{2,})?';

/**
 * The folders a period's export files lie in (each listed with this prefix) and the shapes of the export
 * files' keys in each. `period` '*' gives the IAM patterns (infra/stack.ts grants FinaliseExport listing of
 * these prefixes and DeleteObject on these keys only).
 */
export function exportFileFolders(period: string): { prefix: string; deletable: string[] }[] {
  return [
    { prefix: `${KEYS.exportsPrefix}period=${period}/province=`, deletable: [KEYS.exportPart(period, '*', '*')] },
    {
      prefix: `${KEYS.pseudonymisedPrefix}period=${period}/province=`,
      deletable: [KEYS.pseudonymisedPart(period, '*', '*')],
    },
    {
      prefix: `${KEYS.regencyCsvPrefix}period=${period}/dtks-`,
      deletable: [KEYS.regencyCsv(period, '*'), KEYS.regencyXlsx(period, '*')],
    },
    { prefix: KEYS.exportPartRecords(period), deletable: [KEYS.exportPartRecord(period, '*')] },
  ];
}

/** Whether `key` is one of `period`'s export files by its shape (province 2 digits, regency 4, unit NN). */
export function isExportFile(period: string, key: string): boolean {
  return exportFilePatterns(period).some((pattern) => pattern.test(key));
}

/** The patterns of the period last asked for: FinaliseExport tests every key of one period. */
let compiled: { period: string; patterns: RegExp[] } | undefined;

function exportFilePatterns(period: string): RegExp[] {
  if (compiled?.period === period) return compiled.patterns;
  const p = literal(period);
  const patterns = [
    new RegExp(`^${literal(KEYS.exportsPrefix)}period=${p}/province=\\d{2}/regency-\\d{4}${UNIT}\\.parquet$`),
    new RegExp(`^${literal(KEYS.pseudonymisedPrefix)}period=${p}/province=\\d{2}/regency-\\d{4}${UNIT}\\.parquet$`),
    new RegExp(`^${literal(KEYS.regencyCsvPrefix)}period=${p}/dtks-\\d{4}-${p}${UNIT}\\.(?:csv|xlsx)$`),
    new RegExp(`^${literal(KEYS.exportsPrefix)}period=${p}/_parts/regency-\\d{4}${UNIT}\\.json$`),
  ];
  compiled = { period, patterns };
  return patterns;
}

/**
 * Deletes `period`'s export files that are not in `kept` (the manifest's files and the part records of the
 * units it lists). Any key S3 could not delete fails the step: a stray must not survive into a manifest
 * (TransientError when every failure is one S3 says to retry; deleting is idempotent).
 */
export async function deleteStrayExportFiles(
  s3: S3Client,
  bucket: string,
  period: string,
  kept: ReadonlySet<string>,
): Promise<{ listed: number; deleted: number }> {
  const strays: string[] = [];
  let listed = 0;
  for (const { prefix } of exportFileFolders(period)) {
    for (const key of await listKeys(s3, bucket, prefix)) {
      listed++;
      if (!kept.has(key) && isExportFile(period, key)) strays.push(key);
    }
  }
  const failed: { key: string; code: string }[] = [];
  for (let start = 0; start < strays.length; start += DELETE_BATCH) {
    const batch = strays.slice(start, start + DELETE_BATCH);
    const answer = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    for (const error of answer.Errors ?? []) failed.push({ key: error.Key ?? '?', code: error.Code ?? '?' });
  }
  if (failed.length > 0) {
    const cause = new StrayExportFilesNotDeletedError(period, failed);
    if (failed.every(({ code }) => TRANSIENT_CODES.has(code))) {
      throw new TransientError('Berkas ekspor lama belum terhapus; langkah ini akan diulang otomatis', { cause });
    }
    throw cause;
  }
  return { listed, deleted: strays.length };
}
