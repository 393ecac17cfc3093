/**
 * Apply: one bounded slice of one NIK shard's change set (KEYS.changeSetShard) applied to the DTKS master.
 * A child of the ApplyShards distributed Map runs its shard's slices in a loop (ApplySlice → IsTheSliceDone)
 * until `done`, so no invocation meets Lambda's 15-minute limit: a slice is at most MAX_CHANGES changes,
 * and starts no chunk once less than TIME_MARGIN_MS of the invocation is left (under sustained throttling
 * the pace can fall to a sixteenth of the child's share, and 20,000 changes would then outlast 15 minutes):
 * it returns the offset it reached and the next slice goes on from there.
 * `offset` is the byte offset in the shard's change set where the next slice starts (0 for the first).
 *
 * Before it writes, a slice renews the execution's master write lease (functions/shared/master-lease.ts,
 * a conditional write: a consistent check that the lease is still this execution's); another holder's
 * lease fails the slice with MasterWriteLeaseHeldError and nothing is written. Under the lease nobody else
 * writes the master, so the records go back unconditionally with BatchWriteItem, 25 per request, which
 * costs DynamoDB and this function a fraction of a conditional PutItem per record.
 *
 * Within a slice the changes are read a BatchGetItem of 100 at a time, merged, and written, CHUNKS_IN_FLIGHT
 * chunks at once. Sized from DynamoDB's limits: the master takes MASTER_WRITE_UNITS write units/s (the
 * table's warm throughput; 4,000 for a new on-demand table, 1,000 per partition, which the table's own hash
 * of the NIK spreads evenly) and ApplyShards runs at most APPLY_SHARDS_IN_PARALLEL children (16; fewer when
 * there are fewer STIPULATION_SHARDS), so each child paces its writes at MASTER_WRITE_UNITS / 16: 250 write
 * units/s on a new table, 2,500 at a warm throughput of 40,000 (write-throttle.ts), a pace that halves
 * when DynamoDB throttles (a refused request, or items handed back unprocessed, which are retried with
 * backoff and jitter) and recovers as writes succeed.
 *
 * Idempotent: each record goes through the merge rule (core/stipulation.ts applyChange), which skips a
 * change already applied (lastChange = <period>#<proposalId>#<line>) or older than the record: running a
 * period twice changes nothing the second time. Each NIK is in one shard and once in it (Resolve admits one
 * change per person), so no two children, and no two chunks, meet on a person.
 *
 * A change that moves a person out of a regency (another village's regency, or a deactivation) leaves
 * a marker for that regency (KEYS.movedFromMarker) before the write: the regency's export must be
 * written again, and a rerun that finds the move applied would no longer see where the person was.
 */
import { applyChange, type MasterRecord, type StipulationChange } from '#core/stipulation.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import { APPLY_INPUT, type ApplyOutput, KEYS } from '#shared/contracts.ts';
import { StagedRowsMissingError, ValidationError } from '#shared/errors.ts';
import { logger, metrics } from '#shared/logger.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { lines, openObject, putText } from '#shared/staging.ts';
import { WriteThrottle } from '#shared/write-throttle.ts';

const config = readConfig([
  'masterTable',
  'proposalsTable',
  'proposalsBucket',
  'masterWriteUnits',
  'stipulationShards',
]);
const master = new DynamoDtksMaster(documents, config.masterTable);
const lease = new MasterLeaseRepository(documents, config.proposalsTable);

/** Changes per slice: ~20 MB of changes in memory, a few minutes of writes even at a throttled pace. */
const MAX_CHANGES = Number(process.env.APPLY_SLICE_CHANGES ?? 20_000);
/**
 * The ApplyShards Map's MaxConcurrency (state-machines/stipulation.asl.json; a test holds them equal): the
 * children that share the master's write throughput.
 */
export const APPLY_SHARDS_IN_PARALLEL = 16;
/** BatchGetItem takes at most 100 keys: one read per chunk. */
const CHUNK = 100;
/**
 * Chunks read, merged and written at once: a chunk is one BatchGetItem then four BatchWriteItems of
 * ~10 ms each, so four in flight keep a child's share (250–2,500 writes/s) busy without queueing on it.
 */
const CHUNKS_IN_FLIGHT = 4;
/**
 * No chunk starts with less than this left of the invocation: a chunk is one BatchGetItem and four
 * BatchWriteItems, seconds even when throttled (the throttle's longest wait is a few seconds), so two
 * minutes leave ample room for the chunks in flight to finish.
 */
const TIME_MARGIN_MS = Number(process.env.APPLY_SLICE_MARGIN_MS ?? 2 * 60 * 1000);

/**
 * Each child's share of the master's writes (fewer shards than the Map's concurrency share among fewer),
 * one pace per shard. On Lambda a child's invocations have their container to themselves, but the local
 * runtime runs the Map's children in one process, where a single pace for the module made them all share
 * one child's share (with 4 shards, a quarter of the table's units: apply waited on it most of the time).
 * Kept across the shard's slices, so a warm container does not forget a pace that throttling halved.
 */
const throttles = new Map<number, WriteThrottle>();

function throttleOf(shard: number): WriteThrottle {
  let throttle = throttles.get(shard);
  if (!throttle) {
    throttle = new WriteThrottle(
      config.masterWriteUnits / Math.min(APPLY_SHARDS_IN_PARALLEL, config.stipulationShards),
    );
    throttles.set(shard, throttle);
  }
  return throttle;
}

export const handler = lambda(APPLY_INPUT, async (input, context): Promise<ApplyOutput> => {
  const { period, executionId, shard, changeSetKey, offset } = input;
  const startedAt = Date.now();
  const throttle = throttleOf(shard);
  await lease.renew(executionId, period);
  const body = await openObject(s3, config.proposalsBucket, changeSetKey, { start: offset });
  if (!body) throw new StagedRowsMissingError(`penetapan ${period}`);

  const chunks: { changes: StipulationChange[]; end: number }[] = [];
  let taken = 0;
  let whole = true;
  for await (const line of lines(body, offset)) {
    if (taken === MAX_CHANGES) {
      whole = false;
      break;
    }
    const change = JSON.parse(line.text) as StipulationChange;
    if (change.period !== period)
      throw new ValidationError(`Perubahan periode ${change.period} dalam penetapan ${period}`);
    if (taken % CHUNK === 0) chunks.push({ changes: [], end: offset });
    const chunk = chunks[chunks.length - 1] as { changes: StipulationChange[]; end: number };
    chunk.changes.push(change);
    chunk.end = line.end;
    taken++;
  }
  const markers = new MovedFromMarkers(period);
  let applied = 0;
  // Chunks start in order and none starts once the time is short (it only gets shorter), so the chunks
  // applied are the first `started`: the next slice begins where the last of them ends.
  let started = 0;
  await forEachConcurrently(chunks, CHUNKS_IN_FLIGHT, async (chunk, index) => {
    if (index !== started || context.getRemainingTimeInMillis() < TIME_MARGIN_MS) return;
    started++;
    const written = await applyChunk(chunk.changes, markers, throttle);
    applied += written;
  });
  const nextOffset = started === 0 ? offset : (chunks[started - 1] as { end: number }).end;
  const done = whole && started === chunks.length;
  metrics.addMetric('masterChangesApplied', 'Count', applied);
  logger.info('Change set slice applied', {
    period,
    shard,
    offset,
    nextOffset,
    taken,
    chunks: `${started}/${chunks.length}`,
    applied,
    done,
    pace: Math.round(throttle.pace),
    ms: Date.now() - startedAt,
  });
  return { period, executionId, shard, changeSetKey, offset: nextOffset, done, applied };
});

/** Applies a chunk of changes (distinct NIKs); returns the records written. */
async function applyChunk(
  changes: readonly StipulationChange[],
  markers: MovedFromMarkers,
  throttle: WriteThrottle,
): Promise<number> {
  const existing = await master.getRecords(changes.map((change) => change.nik));
  const planned = changes.map((change) => ({ change, current: existing.get(change.nik) }));
  await markers.leave(planned);
  const records: MasterRecord[] = [];
  for (const { change, current } of planned) {
    const next = applyChange(current, change);
    if (next !== 'UNCHANGED') records.push(next);
  }
  await master.putRecords(records, throttle);
  return records.length;
}

/** The regencies persons leave in this slice, each marked once (an empty object) before its first move. */
class MovedFromMarkers {
  private readonly marked = new Map<string, Promise<void>>();

  constructor(private readonly period: string) {}

  async leave(planned: readonly { change: StipulationChange; current: MasterRecord | undefined }[]): Promise<void> {
    const left = new Set<string>();
    for (const { change, current } of planned) {
      const from = current?.activeRegency;
      if (!from || from === change.person.kodeDesa.slice(0, 4)) continue;
      if (applyChange(current, change) !== 'UNCHANGED') left.add(from);
    }
    await Promise.all([...left].map((regency) => this.mark(regency)));
  }

  private mark(regency: string): Promise<void> {
    let marking = this.marked.get(regency);
    if (!marking) {
      marking = putText(s3, config.proposalsBucket, KEYS.movedFromMarker(this.period, regency), '', 'text/plain');
      // A failed marker is asked again by the next chunk that needs it (the slice fails meanwhile).
      marking.catch(() => this.marked.delete(regency));
      this.marked.set(regency, marking);
    }
    return marking;
  }
}
