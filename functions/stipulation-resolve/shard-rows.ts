/**
 * The accepted rows of one NIK shard, read from a proposal's accepted rows (NDJSON of ProposalRow). Every
 * shard child reads every proposal, so most lines belong to other shards: the NIK is read from the line's
 * bytes (`"nik":"…"`, written by JSON.stringify, so its first occurrence is the key) and only the shard's own
 * lines are decoded and parsed. A line whose NIK is escaped or not ASCII is parsed whole, so the shard is
 * the one shardOf gives the parsed NIK in every case.
 */
import type { ProposalRow } from '#core/proposal.ts';
import { shardOf } from '#core/stipulation.ts';
import { READ_BATCH } from '#shared/staging.ts';

const NIK_FIELD = Buffer.from('"nik":"');
const NEWLINE = 0x0a;
const QUOTE = 0x22;
/** A backslash (an escape) or a byte past ASCII: latin1 would not read the NIK as JSON.parse does. */
const NOT_PLAIN = /[\\\u0080-\u00ff]/;

/** The rows of `shard` (of `shards`) in the object's order, in batches. */
export async function* rowsOfShard(
  body: AsyncIterable<Uint8Array>,
  shard: number,
  shards: number,
  batchSize = READ_BATCH,
): AsyncGenerator<ProposalRow[]> {
  let batch: ProposalRow[] = [];
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    const data = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
    let from = 0;
    for (let newline = data.indexOf(NEWLINE); newline !== -1; newline = data.indexOf(NEWLINE, from)) {
      const row = rowOfShard(data, from, newline, shard, shards);
      from = newline + 1;
      if (!row) continue;
      batch.push(row);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    pending = data.subarray(from);
  }
  const last = pending.length ? rowOfShard(pending, 0, pending.length, shard, shards) : undefined;
  if (last) batch.push(last);
  if (batch.length) yield batch;
}

/** The row of the line data[start, end) if it belongs to the shard; undefined for another shard's or a blank line. */
function rowOfShard(data: Buffer, start: number, end: number, shard: number, shards: number): ProposalRow | undefined {
  const field = data.indexOf(NIK_FIELD, start);
  if (field !== -1 && field < end) {
    const nikStart = field + NIK_FIELD.length;
    const nikEnd = data.indexOf(QUOTE, nikStart);
    if (nikEnd !== -1 && nikEnd < end) {
      const nik = data.toString('latin1', nikStart, nikEnd);
      if (!NOT_PLAIN.test(nik)) return shardOf(nik, shards) === shard ? parse(data, start, end) : undefined;
    }
  }
  const text = data.toString('utf8', start, end);
  if (text.trim() === '') return undefined;
  const row = JSON.parse(text) as ProposalRow;
  return shardOf(row.nik, shards) === shard ? row : undefined;
}

function parse(data: Buffer, start: number, end: number): ProposalRow {
  return JSON.parse(data.toString('utf8', start, end)) as ProposalRow;
}
