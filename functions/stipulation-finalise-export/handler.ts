/**
 * FinaliseExport: after the Map over regencies, the period's manifest (exports/period=…/manifest.json):
 * every file with its tier, record count, size and SHA-256, the totals by province and regency, the
 * source proposals and whether the previous snapshot was carried forward. The files come from the part
 * records ExportRegency wrote to S3 (KEYS.exportPartRecord), one per regency the Map reports (one per unit
 * of a regency exported in units): a regency without one fails the step (ExportPartMissingError) rather
 * than leaving it out of the manifest. The manifest's `totals.byRegency` is each regency's persons, its
 * units summed (the stipulation guard reads a regency's active persons there); its `files` every unit's. The
 * quality control's files of the period (tracking lists, full tier per person, pseudonymised counts) are
 * listed too, from its summary on the period (PeriodsRepository.getQualityControl), so that the hash chain
 * and `dtks snapshot verify` cover them.
 *
 * The manifest joins the hash chain of the stipulated periods (core/chain.ts): it names the manifest of the
 * latest period recorded before it by the SHA-256 of its bytes (none for the first period). A previous
 * manifest whose bytes differ from the SHA-256 its period record keeps was changed after its stipulation:
 * the step fails (ManifestChainError) rather than chain onto it. The output carries the manifest's own
 * SHA-256, which RecordPeriod keeps on the period record (`dtks snapshot verify` compares both).
 *
 * The manifest of a stipulated period is never rewritten: a recorded period is refused
 * (PeriodAlreadyStipulatedError), and the manifest is written with If-None-Match: * as the last line of
 * defence. An existing manifest of a period that is not recorded is a failed run's, and a rerun replaces it.
 *
 * Before it writes the manifest, the step deletes the period's stray export files (exports/stray-files.ts):
 * export files (by their KEYS shapes: Parquet of both tiers, the Dinas Sosial CSV and workbook, part
 * records) that a failed run left and the manifest does not list, e.g. units of a regency the rerun cut
 * differently or a regency it no longer lists; Athena and DuckDB over the folder would read their persons
 * twice. Nothing else is deleted (the quality control's files, the manifest, other periods). The bucket is
 * versioned: a deleted stray stays recoverable as a noncurrent version (90 days). A key S3 could not
 * delete fails the step (StrayExportFilesNotDeletedError) before any manifest is written.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { chainAfter, type ManifestLink, sha256Hex } from '#core/chain.ts';
import { buildSnapshotManifest } from '#core/snapshot.ts';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { type ExportRegencyInput, FINALISE_EXPORT_INPUT, type FinaliseExportInput, KEYS } from '#shared/contracts.ts';
import { ExportPartMissingError, PeriodAlreadyStipulatedError, TransientError } from '#shared/errors.ts';
import { readPartRecords } from '#shared/exports/part-records.ts';
import { deleteStrayExportFiles } from '#shared/exports/stray-files.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { previousRecordedManifest } from '#shared/previous-manifest.ts';
import { proposalsOf } from '#shared/proposal-list.ts';
import { readJson } from '#shared/staging.ts';

const config = readConfig(['exportsBucket', 'proposalsTable', 'proposalsBucket']);
const periods = new PeriodsRepository(documents, config.proposalsTable);

export interface FinaliseExportOutput {
  manifestKey: string;
  records: number;
  /** SHA-256 of the manifest's bytes as written: the period record keeps it, the next manifest names it. */
  manifestSha256: string;
}

export const handler = lambda(FINALISE_EXPORT_INPUT, async (input): Promise<FinaliseExportOutput> => {
  const { period, carriedForward } = input;
  logger.appendKeys({ period });
  await refuseStipulated(period);
  const proposals = await proposalsOf(s3, config.proposalsBucket, input);
  const parts = await readPartRecords(s3, config.exportsBucket, period, await exportedRegencies(input));
  const manifest = buildSnapshotManifest({
    period,
    generatedAt: new Date().toISOString(),
    carriedForward,
    sourceProposals: proposals,
    parts,
    chain: chainAfter(await previousLink(period)),
    // The quality control's files of this run (its summary, written before the stipulation's exports).
    otherFiles: (await periods.getQualityControl(period))?.files ?? [],
  });
  // The manifest's files and the part records of its units stay; a failed run's other export files go.
  const kept = new Set([
    ...manifest.files.map((file) => file.key),
    ...parts.map((part) => KEYS.exportPartRecord(period, part.regency, part.unit)),
  ]);
  // Checked again right before deleting: a stipulated month's files are never touched.
  await refuseStipulated(period);
  const strays = await deleteStrayExportFiles(s3, config.exportsBucket, period, kept);
  if (strays.deleted > 0) logger.info('Stray export files of an unfinished run deleted', strays);
  const manifestKey = KEYS.manifest(period);
  const body = `${JSON.stringify(manifest, null, 2)}\n`;
  if (!(await putManifest(manifestKey, body, { onlyIfAbsent: true }))) {
    // Another manifest is there. Of a stipulated period: refused. Of a period not recorded: a failed run's.
    await refuseStipulated(period);
    logger.info('Manifest of an unfinished run replaced');
    await putManifest(manifestKey, body, { onlyIfAbsent: false });
  }
  logger.info('Snapshot manifest written', {
    regencies: parts.length,
    records: manifest.totals.records,
    files: manifest.files.length,
  });
  return { manifestKey, records: manifest.totals.records, manifestSha256: sha256Hex(body) };
});

/**
 * The regencies of the export: as the caller reported them, or the export Map's item list ListRegencies
 * wrote (the distributed Map's results stay in S3; each regency's part record is its result).
 */
async function exportedRegencies(
  input: FinaliseExportInput,
): Promise<{ regency: string; province: string; records?: number; unit?: { part: number; parts: number } }[]> {
  if (input.regencies) return input.regencies;
  const key = input.regenciesKey as string;
  const items = await readJson<ExportRegencyInput[]>(s3, config.proposalsBucket, key);
  if (!items) throw new ExportPartMissingError(input.period, [`(daftar ${key})`]);
  return items.map(({ regency, province, unit }) => ({
    regency,
    province,
    ...(unit ? { unit: { part: unit.part, parts: unit.parts } } : {}),
  }));
}

/** The manifest of the latest period recorded before `period`, checked against its record; null for the first. */
async function previousLink(period: string): Promise<ManifestLink | null> {
  const previous = await previousRecordedManifest(periods, s3, config.exportsBucket, period);
  return previous && { period: previous.period, key: previous.key, sha256: previous.sha256 };
}

async function refuseStipulated(period: string): Promise<void> {
  const recorded = await periods.getPeriod(period);
  if (recorded) throw new PeriodAlreadyStipulatedError(period, recorded.recordedAt);
}

/** PutObject of the manifest; with `onlyIfAbsent` false when an object is already there (412). */
async function putManifest(key: string, body: string, { onlyIfAbsent }: { onlyIfAbsent: boolean }): Promise<boolean> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: config.exportsBucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ...(onlyIfAbsent ? { IfNoneMatch: '*' } : {}),
      }),
    );
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (onlyIfAbsent && (status === 412 || (error as Error).name === 'PreconditionFailed')) return false;
    // S3 answers 409 ConditionalRequestConflict to a conditional write racing another write: try again.
    if (status === 409)
      throw new TransientError('Manifes sedang ditulis oleh langkah lain; langkah ini akan diulang', { cause: error });
    throw error;
  }
}
