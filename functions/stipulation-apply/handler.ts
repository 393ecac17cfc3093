/**
 * Apply: one bounded slice of the period's change set applied to the DTKS master. The state machine
 * loops until `done`, so no invocation meets Lambda's 15-minute limit: a slice is at most MAX_CHANGES
 * changes. `offset` is the byte offset in the change set where the next slice starts (0 for the first).
 *
 * Within a slice the changes are partitioned by a hash of the NIK and applied by WORKERS concurrent
 * workers, each reading its records a BatchGetItem of 100 at a time and writing them back with
 * conditional PutItems. Sized from DynamoDB's limits: a new on-demand table takes 4,000 write units/s
 * at first (1,000 per partition, which the table's own hash of the NIK spreads evenly), so the workers
 * share a pace of WRITE_UNITS_PER_SECOND (write-throttle.ts) that halves when DynamoDB throttles and
 * recovers as writes succeed; about 4,000 writes/s at ~10 ms each is some 40 in flight.
 *
 * Idempotent: each write goes through the merge rule (core/stipulation.ts applyChange), which skips a
 * change already applied (lastChange = <period>#<proposalId>#<line>) or older than the record, and is
 * conditional on the record being as read. Running a period twice changes nothing the second time. The
 * change set holds one change per person (resolve admits one), so no two workers meet on a NIK.
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
import { StagedRowsMissingError, TransientError, ValidationError } from '#shared/errors.ts';
import { logger, metrics } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { lines, openObject, putText } from '#shared/staging.ts';
import { isThrottling, WriteThrottle } from '#shared/write-throttle.ts';

const config = readConfig(['masterTable', 'proposalsBucket']);
const master = new DynamoDtksMaster(documents, config.masterTable);

/** Changes per slice: ~20 MB of changes in memory, a few minutes of writes even at a throttled pace. */
const MAX_CHANGES = Number(process.env.APPLY_SLICE_CHANGES ?? 20_000);
/** Partitions of a slice, one worker each. */
const WORKERS = 8;
/** Conditional writes in flight per worker: WORKERS × 6 ≈ 4,000 writes/s × ~10 ms, Little's law. */
const WRITES_PER_WORKER = 6;
/** A new on-demand table's initial write throughput (write units of 1 KB per second). */
const WRITE_UNITS_PER_SECOND = 4000;
/** BatchGetItem takes at most 100 keys: one read per chunk. */
const CHUNK = 100;
/** Attempts of one write under throttling before the slice is given back to the state machine's retry. */
const THROTTLED_ATTEMPTS = 8;

const throttle = new WriteThrottle(WRITE_UNITS_PER_SECOND);

export const handler = lambda(APPLY_INPUT, async (input): Promise<ApplyOutput> => {
  const { period, changeSetKey, offset } = input;
  const started = Date.now();
  const body = await openObject(s3, config.proposalsBucket, changeSetKey, { start: offset });
  if (!body) throw new StagedRowsMissingError(`penetapan ${period}`);

  const partitions: StipulationChange[][] = Array.from({ length: WORKERS }, () => []);
  let nextOffset = offset;
  let taken = 0;
  let done = true;
  for await (const line of lines(body, offset)) {
    if (taken === MAX_CHANGES) {
      done = false;
      break;
    }
    const change = JSON.parse(line.text) as StipulationChange;
    if (change.period !== period)
      throw new ValidationError(`Perubahan periode ${change.period} dalam penetapan ${period}`);
    partitions[partitionOf(change.nik)]?.push(change);
    nextOffset = line.end;
    taken++;
  }
  const markers = new MovedFromMarkers(period);
  const writes = await Promise.all(partitions.map((changes) => applyPartition(changes, markers)));
  const applied = writes.reduce((sum, count) => sum + count, 0);
  metrics.addMetric('masterChangesApplied', 'Count', applied);
  logger.info('Change set slice applied', {
    period,
    offset,
    nextOffset,
    taken,
    applied,
    done,
    pace: Math.round(throttle.pace),
    ms: Date.now() - started,
  });
  return { period, changeSetKey, offset: nextOffset, done, applied };
});

/** FNV-1a of the NIK, modulo WORKERS: the same person always falls to the same worker. */
function partitionOf(nik: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < nik.length; i++) hash = Math.imul(hash ^ nik.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % WORKERS;
}

/** One worker: its partition a chunk at a time; returns the writes made. */
async function applyPartition(changes: readonly StipulationChange[], markers: MovedFromMarkers): Promise<number> {
  let written = 0;
  for (let i = 0; i < changes.length; i += CHUNK) written += await applyChunk(changes.slice(i, i + CHUNK), markers);
  return written;
}

/** Applies a chunk of changes (distinct NIKs); returns the writes made. */
async function applyChunk(changes: readonly StipulationChange[], markers: MovedFromMarkers): Promise<number> {
  const existing = await master.getRecords(changes.map((change) => change.nik));
  const planned = changes.map((change) => ({ change, current: existing.get(change.nik) }));
  await markers.leave(planned);
  let written = 0;
  await forEachConcurrently(planned, WRITES_PER_WORKER, async ({ change, current: read }) => {
    let current: MasterRecord | undefined = read;
    for (let attempt = 0; attempt < 3; attempt++) {
      const next = applyChange(current, change);
      if (next === 'UNCHANGED') return;
      if (await putPaced(next, current?.lastChange)) {
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

/** A conditional put at the shared pace, waiting out DynamoDB's throttling. */
async function putPaced(record: MasterRecord, previousChange: string | undefined): Promise<boolean> {
  // Write units: 1 per KB of item, rounded up (attribute names and values, near enough the JSON's length).
  const units = Math.ceil(JSON.stringify(record).length / 1024);
  for (let attempt = 0; ; attempt++) {
    await throttle.take(units);
    try {
      const put = await master.putRecord(record, previousChange);
      throttle.succeeded();
      return put;
    } catch (error) {
      if (!isThrottling(error) || attempt + 1 === THROTTLED_ATTEMPTS) throw error;
      await throttle.throttled(attempt);
    }
  }
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
