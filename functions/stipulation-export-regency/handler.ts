/**
 * ExportRegency (one iteration of the stipulation workflow's Map over regencies): the period's snapshot
 * of one regency, from the master's active persons to the full and pseudonymised Parquet files and the
 * Dinas Sosial CSV in the exports bucket, then the part record (files, counts, checksums) that
 * FinaliseExport reads for the manifest. The pseudonymised tier is k-anonymous with k = ANONYMITY_K
 * (default 5, core/anonymity.ts). Only a summary goes back to the Map: the file lists of every
 * regency would exceed Step Functions' 256 KiB payload limit. Idempotent: a rerun writes the same keys
 * with the same bytes.
 *
 * A regency that no applied change touched (`carryFrom`, set by ListRegencies) is carried forward: the
 * previous period's files are copied inside S3 (carry-forward.ts), so a month's export work grows with
 * the regencies that changed, not with the nation. When the previous part cannot stand for this one it
 * is exported from the master, and the log says why.
 *
 * An item with a `unit` (a large regency, split by ListRegencies) exports or carries that NIK range only
 * (unit-persons.ts), to its own `…-bagian-NN` files and part record, so that no invocation nears Lambda's
 * 15 minutes; its output names the unit, for FinaliseExport.
 */

import { runLength } from '#core/snapshot.ts';
import { documents, s3, secrets } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { EXPORT_REGENCY_INPUT, type ExportRegencyOutput } from '#shared/contracts.ts';
import { carryForward } from '#shared/exports/carry-forward.ts';
import { S3ObjectSink } from '#shared/exports/object-sink.ts';
import { writePartRecord } from '#shared/exports/part-records.ts';
import { pseudonymKeyLoader } from '#shared/exports/pseudonym-key.ts';
import { exportRegency } from '#shared/exports/regency-export.ts';
import { activeInUnit } from '#shared/exports/unit-persons.ts';
import { logger, metrics } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';

// ANONYMITY_K is read (and refused when invalid) at cold start, not at the first regency exported.
const config = readConfig(['masterTable', 'exportsBucket', 'anonymityK', 'exportUnitMaxPersons']);
const master = new DynamoDtksMaster(documents, config.masterTable);
const pseudonymKey = pseudonymKeyLoader(secrets);

export const handler = lambda(EXPORT_REGENCY_INPUT, async (input): Promise<ExportRegencyOutput> => {
  const { period, regency, province, carryFrom, unit } = input;
  logger.appendKeys({ period, regency, ...(unit ? { unit: `${unit.part}/${unit.parts}` } : {}) });
  const summary = (records: number): ExportRegencyOutput => ({
    regency,
    province,
    records,
    ...(unit ? { unit: { part: unit.part, parts: unit.parts } } : {}),
  });
  if (carryFrom) {
    const carried = await carryForward(s3, config.exportsBucket, {
      period,
      regency,
      province,
      from: carryFrom,
      k: config.anonymityK,
      ...(unit ? { unit } : {}),
    });
    if (carried.carried) {
      await writePartRecord(s3, config.exportsBucket, carried.part);
      metrics.addMetric('CarriedPersons', 'Count', carried.part.records);
      logger.info('Regency carried forward', { from: carryFrom, records: carried.part.records });
      return summary(carried.part.records);
    }
    logger.warn('Regency not carried forward: exported from the master', { from: carryFrom, because: carried.because });
  }
  const part = await exportRegency({
    period,
    regency,
    province,
    ...(unit ? { unit } : {}),
    runLength: runLength(config.exportUnitMaxPersons),
    // Two passes over the regency index: the pseudonymised tier's class counts, then the files.
    persons: () =>
      unit ? activeInUnit(documents, config.masterTable, regency, unit) : master.activeInRegency(regency),
    pseudonymKey: await pseudonymKey(),
    k: config.anonymityK,
    openFile: (key, contentType) => new S3ObjectSink(s3, config.exportsBucket, key, contentType),
  });
  // Written after the files are complete: a part record names only files that exist.
  await writePartRecord(s3, config.exportsBucket, part);
  metrics.addMetric('ExportedPersons', 'Count', part.records);
  const anonymity = part.files.find((file) => file.anonymity)?.anonymity;
  logger.info('Regency exported', { records: part.records, bytes: part.files.map((file) => file.bytes), anonymity });
  return summary(part.records);
});
