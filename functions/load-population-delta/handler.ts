/**
 * LoadPopulationDelta: a Dukcapil delta extract placed under reference/population-delta/ (EventBridge S3
 * "Object Created", or a direct {bucket, key} invocation) updates the population registry table in place
 * (core/population-delta.ts says what each `perubahan` changes and how files are ordered).
 *
 * - The file is read twice: first checked whole, so that a malformed file (a missing column, an unknown
 *   `perubahan`) is refused with nothing applied; then applied in file order, a batch of lines at a time.
 * - Idempotent: a file already applied (bucket, key, version, ETag in the ledger) is not read again, and
 *   each person's write is conditional on the item being as read, with the stamp of the line that changed
 *   it, so a retry of a half-done load or a re-upload of the same file changes nothing more.
 * - An older file after a newer one: a person changed by the newer file keeps that change (superseded);
 *   its lines for people the newer file did not touch are applied. A correction of a file already applied
 *   is a new file with a later sequence: the same name again finds its own stamps and changes nothing.
 * - A full extract loaded afterwards (load-population) rewrites each person whole, without a stamp: it is
 *   the newer truth, and a delta dated before its cut-off must not be placed after it.
 * - The counts per `perubahan` are returned and written to KEYS.populationDeltaSummary(file); skipped
 *   lines are named by line, never by NIK, there and in the log.
 * - Once applied (or found applied: a second delivery after a failed start), the quality control workflow
 *   is started for the open period (functions/shared/quality-control-run.ts), one run per period and file.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readPopulationDelta } from '#adapters/extracts/delta-reader.ts';
import { ExtractFormatError } from '#adapters/extracts/readers.ts';
import type { ByteSource } from '#core/csv.ts';
import {
  type DeltaFileOrder,
  deltaFileOrder,
  PERUBAHAN,
  type PopulationChange,
  planPersonChanges,
} from '#core/population-delta.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import {
  KEYS,
  LOAD_POPULATION_DELTA_INPUT,
  type LoadPopulationDeltaOutput,
  type PopulationDeltaCounts,
} from '#shared/contracts.ts';
import { TransientError, ValidationError } from '#shared/errors.ts';
import { logger, metrics } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import {
  DynamoPopulationDeltas,
  type StoredPopulationPerson,
  type StoredVersion,
} from '#shared/population-repository.ts';
import { type RegistryLoad, startQualityControl } from '#shared/quality-control-run.ts';

const config = readConfig(['populationTable']);
const deltas = new DynamoPopulationDeltas(documents, config.populationTable);

/** Conditional PutItems in flight: BatchWriteItem takes no condition, so each person is its own write. */
const WRITE_CONCURRENCY = 32;
/** Lines read before their NIKs are looked up together (BatchGetItem, 100 keys a call). */
const LINES_PER_BATCH = 2_000;
/** Attempts of one person's write against writers that come between the read and the write. */
const MAX_CONFLICTS = 5;
/** The summary names at most this many skipped lines. */
const MAX_SKIPPED_LINES = 1_000;
const NIK = /^\d{16}$/;

export const handler = lambda(LOAD_POPULATION_DELTA_INPUT, async ({ bucket, key }) => {
  logger.appendKeys({ bucket, key });
  const fileName = key.slice(KEYS.populationDeltaPrefix.length);
  const file = key.startsWith(KEYS.populationDeltaPrefix) ? deltaFileOrder(fileName) : undefined;
  if (!file) {
    throw new ValidationError(
      `Lokasi berkas perubahan Dukcapil '${key}' tidak sesuai: letakkan di ` +
        `${KEYS.populationDeltaPrefix}<YYYY-MM-DD>-<urutan>.csv (tanggal perubahan dan urutan berkas hari itu), ` +
        `misalnya ${KEYS.populationDeltaPrefix}2026-12-01-1.csv`,
      [key],
    );
  }
  const identity = { bucket, key, ...(await identify(bucket, key)) };
  const applied = await deltas.appliedFile(identity);
  if (applied) {
    logger.info('Population delta already applied', { appliedAt: applied.appliedAt });
    await startQualityControl(loadOf(identity));
    return { ...(applied.summary as Omit<LoadPopulationDeltaOutput, 'duplicate'>), duplicate: true };
  }

  const started = Date.now();
  const lines = await validate(key, await openDelta(bucket, key, identity.etag));
  const result = await apply(key, await openDelta(bucket, key, identity.etag), file);
  const summary: Omit<LoadPopulationDeltaOutput, 'duplicate'> = {
    bucket,
    key,
    order: file.order,
    lines,
    ...result,
    summaryKey: KEYS.populationDeltaSummary(fileName),
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: summary.summaryKey,
      Body: `${JSON.stringify(summary, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
  // A concurrent delivery of the same file may record it first: both applied the same lines, conditionally.
  await deltas.recordApplied({ ...identity, appliedAt: new Date().toISOString(), summary });
  for (const perubahan of PERUBAHAN) metrics.addMetric(`delta${perubahan}`, 'Count', summary.counts[perubahan].applied);
  logger.info('Population delta applied', {
    lines,
    counts: summary.counts,
    skippedLines: summary.skippedLines.slice(0, 20).map(({ line }) => line),
    ms: Date.now() - started,
  });
  await startQualityControl(loadOf(identity));
  return { ...summary, duplicate: false };
});

/** The delta file as the quality control's run names it: by its version, else its ETag (the ledger's identity). */
function loadOf(identity: { bucket: string; key: string; etag: string; version: string }): RegistryLoad {
  return { kind: 'delta', bucket: identity.bucket, key: identity.key, version: identity.version || identity.etag };
}

/** The object's ETag and version (HeadObject): what the ledger knows a delivered file by. */
async function identify(bucket: string, key: string): Promise<{ etag: string; version: string }> {
  try {
    const { ETag, VersionId } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: ETag ?? '', version: VersionId ?? '' };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NotFound' || name === 'NoSuchKey') {
      throw new ValidationError(`Berkas perubahan Dukcapil '${key}' tidak ditemukan`, [key]);
    }
    throw error;
  }
}

/** The object's body, the content of this ETag only: a file replaced meanwhile is loaded by its own event. */
async function openDelta(bucket: string, key: string, etag: string): Promise<ByteSource> {
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
    if (!Body) throw new ValidationError(`Berkas perubahan Dukcapil '${key}' kosong`, [key]);
    return Body as AsyncIterable<Uint8Array>;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchKey') throw new ValidationError(`Berkas perubahan Dukcapil '${key}' tidak ditemukan`, [key]);
    if (name === 'PreconditionFailed') {
      throw new TransientError(`Berkas perubahan Dukcapil '${key}' diganti selama dimuat`, { cause: error });
    }
    throw error;
  }
}

/** Reads the whole file, refusing a malformed one before anything is applied; the number of lines. */
async function validate(key: string, body: ByteSource): Promise<number> {
  let lines = 0;
  try {
    for await (const batch of readPopulationDelta(body)) lines += batch.length;
  } catch (error) {
    if (error instanceof ExtractFormatError) throw new ValidationError(error.message, [key]);
    throw error;
  }
  return lines;
}

type Applied = Pick<LoadPopulationDeltaOutput, 'counts' | 'skippedLines'>;

async function apply(key: string, body: ByteSource, file: DeltaFileOrder): Promise<Applied> {
  const counts = Object.fromEntries(
    PERUBAHAN.map((perubahan) => [perubahan, { applied: 0, unchanged: 0, superseded: 0, skipped: 0 }]),
  ) as Applied['counts'];
  const skippedLines: Applied['skippedLines'] = [];
  const skip = (change: PopulationChange, code: 'NIK_NOT_FOUND' | 'NIK_FORMAT') => {
    counts[change.perubahan].skipped++;
    if (skippedLines.length < MAX_SKIPPED_LINES) skippedLines.push({ line: change.line, code });
  };
  let pending: PopulationChange[] = [];
  const flush = async () => {
    const byNik = new Map<string, PopulationChange[]>();
    for (const change of pending) {
      if (!NIK.test(change.person.nik)) skip(change, 'NIK_FORMAT');
      else {
        const own = byNik.get(change.person.nik);
        if (own) own.push(change);
        else byNik.set(change.person.nik, [change]);
      }
    }
    pending = [];
    const stored = await deltas.findStored([...byNik.keys()]);
    const outcomes = await forEachPerson(byNik, stored, file);
    // In file order, so the first skipped lines are the ones the summary names.
    outcomes.sort((a, b) => a.change.line - b.change.line);
    for (const { change, outcome } of outcomes) {
      const tally: PopulationDeltaCounts = counts[change.perubahan];
      if (outcome === 'APPLIED') tally.applied++;
      else if (outcome === 'UNCHANGED') tally.unchanged++;
      else if (outcome === 'SUPERSEDED') tally.superseded++;
      else skip(change, 'NIK_NOT_FOUND');
    }
  };
  try {
    for await (const batch of readPopulationDelta(body)) {
      for (const change of batch) {
        pending.push(change);
        if (pending.length >= LINES_PER_BATCH) await flush();
      }
    }
    await flush();
  } catch (error) {
    // Checked whole before: only a file replaced in between gets here.
    if (error instanceof ExtractFormatError) throw new ValidationError(error.message, [key]);
    throw error;
  }
  return { counts, skippedLines };
}

/** Plans and writes each NIK's lines; a write that meets another writer is planned again from what it left. */
async function forEachPerson(
  byNik: Map<string, PopulationChange[]>,
  stored: Map<string, StoredPopulationPerson>,
  file: DeltaFileOrder,
): Promise<{ change: PopulationChange; outcome: ReturnType<typeof planPersonChanges>['lines'][number]['outcome'] }[]> {
  const outcomes: {
    change: PopulationChange;
    outcome: ReturnType<typeof planPersonChanges>['lines'][number]['outcome'];
  }[] = [];
  await forEachConcurrently([...byNik], WRITE_CONCURRENCY, async ([nik, changes]) => {
    let current = stored.get(nik);
    let consistent = false;
    for (let attempt = 1; ; attempt++) {
      const plan = planPersonChanges({ person: current, deltaStamp: current?.deltaStamp }, changes, file);
      // BatchGetItem reads eventually consistent: a person an earlier batch just created may read as absent,
      // and a skip writes nothing that a condition could catch. Read again, consistently, before skipping.
      if (!current && !consistent && plan.lines.some(({ outcome }) => outcome === 'UNKNOWN_NIK')) {
        current = await deltas.findOneStored(nik);
        consistent = true;
        if (current) continue;
      }
      const read: StoredVersion = current ? { exists: true, deltaStamp: current.deltaStamp } : { exists: false };
      if (!plan.write || (await deltas.writeChanged(plan.write.person, plan.write.deltaStamp, read))) {
        plan.lines.forEach(({ outcome }, i) => {
          const change = changes[i];
          if (change) outcomes.push({ change, outcome });
        });
        return;
      }
      if (attempt === MAX_CONFLICTS) {
        throw new TransientError(`Data kependudukan berubah terus selama dimuat (baris ${changes[0]?.line})`);
      }
      current = await deltas.findOneStored(nik);
      consistent = true;
    }
  });
  return outcomes;
}
