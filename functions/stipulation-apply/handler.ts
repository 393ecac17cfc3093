/**
 * Apply: one bounded slice of the period's change set applied to the DTKS master. The state machine
 * loops until `done`, so no invocation meets Lambda's 15-minute limit: a slice ends after MAX_CHANGES
 * changes or when the time budget is spent. `offset` is the byte offset in the change set where the
 * next slice starts (0 for the first).
 *
 * Idempotent: each write goes through the merge rule (core/stipulation.ts applyChange), which skips a
 * change already applied (lastChange = <period>#<proposalId>#<line>) or older than the record, and is
 * conditional on the record being as read. Running a period twice changes nothing the second time.
 */
import { applyChange, type MasterRecord, type StipulationChange } from '#core/stipulation.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import { APPLY_INPUT, type ApplyOutput } from '#shared/contracts.ts';
import { StagedRowsMissingError, TransientError, ValidationError } from '#shared/errors.ts';
import { logger, metrics } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { lines, openObject } from '#shared/staging.ts';

const config = readConfig(['masterTable', 'proposalsBucket']);
const master = new DynamoDtksMaster(documents, config.masterTable);

/** Changes per slice. */
const MAX_CHANGES = Number(process.env.APPLY_SLICE_CHANGES ?? 5000);
/** Time budget per slice, well inside Lambda's 15 minutes. */
const MAX_MILLIS = 10 * 60 * 1000;
/** Kept free at the end of an invocation for the last chunk's writes. */
const SAFETY_MILLIS = 60 * 1000;
/** BatchGetItem takes at most 100 keys: one read per chunk. */
const CHUNK = 100;
// Conditional single-item writes: enough in flight to hide their latency (DynamoDB ~5–10 ms each).
const WRITE_CONCURRENCY = 32;

export const handler = lambda(APPLY_INPUT, async (input, context): Promise<ApplyOutput> => {
  const { period, changeSetKey, offset } = input;
  const started = Date.now();
  const deadline = Math.min(started + MAX_MILLIS, started + context.getRemainingTimeInMillis() - SAFETY_MILLIS);
  const body = await openObject(s3, config.proposalsBucket, changeSetKey, { start: offset });
  if (!body) throw new StagedRowsMissingError(`penetapan ${period}`);

  let nextOffset = offset;
  let taken = 0;
  let applied = 0;
  let done = true;
  let chunk: StipulationChange[] = [];
  let chunkEnd = offset;
  for await (const line of lines(body, offset)) {
    if (taken === MAX_CHANGES || Date.now() > deadline) {
      done = false;
      break;
    }
    const change = JSON.parse(line.text) as StipulationChange;
    if (change.period !== period)
      throw new ValidationError(`Perubahan periode ${change.period} dalam penetapan ${period}`);
    chunk.push(change);
    chunkEnd = line.end;
    taken++;
    if (chunk.length === CHUNK) {
      applied += await applyChunk(chunk);
      nextOffset = chunkEnd;
      chunk = [];
    }
  }
  if (chunk.length) {
    applied += await applyChunk(chunk);
    nextOffset = chunkEnd;
  }
  metrics.addMetric('masterChangesApplied', 'Count', applied);
  logger.info('Change set slice applied', {
    period,
    offset,
    nextOffset,
    taken,
    applied,
    done,
    ms: Date.now() - started,
  });
  return { period, changeSetKey, offset: nextOffset, done, applied };
});

/** Applies a chunk of changes (distinct NIKs: resolve admits one change per person); returns the writes made. */
async function applyChunk(changes: readonly StipulationChange[]): Promise<number> {
  const existing = await master.getRecords(changes.map((change) => change.nik));
  let written = 0;
  await forEachConcurrently(changes, WRITE_CONCURRENCY, async (change) => {
    let current: MasterRecord | undefined = existing.get(change.nik);
    for (let attempt = 0; attempt < 3; attempt++) {
      const next = applyChange(current, change);
      if (next === 'UNCHANGED') return;
      if (await master.putRecord(next, current?.lastChange)) {
        written++;
        return;
      }
      // Written by someone else since the read: merge again onto what is there now.
      current = (await master.getRecords([change.nik])).get(change.nik);
    }
    throw new TransientError(`Data DTKS NIK ${change.nik} berubah terus-menerus saat penetapan; langkah akan diulang`);
  });
  return written;
}
