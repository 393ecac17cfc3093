/**
 * Parquet files of the snapshot, written a row group at a time to a ByteSink (an S3 multipart upload).
 *
 * Library: hyparquet-writer. Its ParquetWriter is incremental: each write() encodes whole row groups
 * straight into its Writer and then calls the Writer's flush(), awaiting a returned Promise before it
 * encodes more; only the footer (row group metadata, page offsets) waits for finish(). So a file of a
 * million persons needs the memory of one row group, not of the file. It is pure JavaScript (snappy
 * included), so the esbuild bundle runs on Lambda without native modules. (@dsnp/parquetjs, the other
 * candidate, also writes row groups incrementally, but it is not a dependency of this package.)
 * Compression is SNAPPY, built in: ZSTD would need our own compressor, and Node 20's zlib has no zstd.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SnapshotColumn } from '#core/snapshot.ts';
import type { ByteSink } from './object-sink.ts';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/**
 * Rows per row group: the writer's working set is one row group of each tier (the rows, then one
 * encoded byte array per string cell while hyparquet-writer encodes it). Measured with
 * `bench/stipulation.ts --writers 250000`: 32 Ki rows peaked at 410–480 MB RSS, 64 Ki at 550–600 MB, at
 * the same speed; most of that is garbage V8 has not yet collected (with --max-old-space-size=256 the
 * 64 Ki run finished at 368 MB). A 32 Ki-row group is ~0.6 MB (full) / ~2.6 MB (pseudonymised) compressed: small for
 * Athena's taste, but a regency's file is only tens of MB, so a scan reads it whole anyway.
 */
export const DEFAULT_ROW_GROUP_SIZE = 32_768;

/**
 * Days since 1970-01-01 of an ISO date the snapshot has already validated (core/snapshot.ts), by
 * arithmetic (Howard Hinnant's days_from_civil): a Date per row costs more than the rest of the cell.
 */
function epochDay(iso: string): number {
  let year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  if (month <= 2) year -= 1;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function schemaElement(column: SnapshotColumn): SchemaElement {
  const repetition_type = column.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (column.type) {
    case 'string':
      return {
        name: column.name,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
        repetition_type,
      };
    case 'date':
      return {
        name: column.name,
        type: 'INT32',
        converted_type: 'DATE',
        logical_type: { type: 'DATE' },
        repetition_type,
      };
    case 'int32':
      return { name: column.name, type: 'INT32', repetition_type };
    case 'int64':
      return { name: column.name, type: 'INT64', repetition_type };
  }
}

/** The Parquet schema (root + one leaf per column) of a snapshot tier. */
export function parquetSchema(columns: readonly SnapshotColumn[]): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)];
}

/** The physical value of a cell: dates as days since 1970-01-01, int64 as bigint. */
function physical(type: SnapshotColumn['type'], value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'date':
      return epochDay(value as string);
    case 'int64':
      return BigInt(value as number);
    default:
      return value;
  }
}

/**
 * hyparquet-writer's ByteWriter, emptied into the sink at every flush (after each row group) and at the
 * end: the buffer holds one row group at most. `offset` keeps counting the file's bytes for the footer.
 */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ByteSink) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    // A copy: the buffer is reused for the next row group while the sink may still hold this chunk.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink.write(chunk);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

export interface ParquetStreamOptions {
  rowGroupSize?: number;
  /** Written into the footer's key-value metadata (e.g. the period), for readers that look. */
  metadata?: Record<string, string>;
}

/** Writes rows of one tier to a Parquet file in the sink, a row group at a time. */
export class ParquetStreamWriter<Row extends object> {
  private readonly writer: ParquetWriter;
  private readonly rowGroupSize: number;
  private pending: Row[] = [];
  private finished = false;
  records = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly columns: readonly SnapshotColumn<Extract<keyof Row, string>>[],
    options: ParquetStreamOptions = {},
  ) {
    this.rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
    this.writer = new ParquetWriter({
      writer: new SinkWriter(sink),
      schema: parquetSchema(columns),
      codec: 'SNAPPY',
      // A fixed creator (no version, no time) keeps a rerun's file byte-identical: the manifest's checksums hold.
      createdBy: 'dtks-pipeline snapshot export',
      kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  async write(rows: readonly Row[]): Promise<void> {
    if (this.finished) throw new Error('ParquetStreamWriter: write after close');
    for (const row of rows) this.pending.push(row);
    this.records += rows.length;
    while (this.pending.length >= this.rowGroupSize) {
      const group = this.pending.slice(0, this.rowGroupSize);
      this.pending = this.pending.slice(this.rowGroupSize);
      await this.writeGroup(group);
    }
  }

  /** Writes the last row group and the footer, and closes the sink. */
  async close(): Promise<Awaited<ReturnType<ByteSink['close']>>> {
    if (this.finished) throw new Error('ParquetStreamWriter: closed twice');
    if (this.pending.length) await this.writeGroup(this.pending);
    this.pending = [];
    this.finished = true;
    await this.writer.finish();
    return this.sink.close();
  }

  private async writeGroup(rows: readonly Row[]): Promise<void> {
    const columnData = this.columns.map((column) => {
      const data = new Array<unknown>(rows.length);
      for (let i = 0; i < rows.length; i++)
        data[i] = physical(column.type, (rows[i] as Record<string, unknown>)[column.name]);
      return { name: column.name, data };
    });
    await this.writer.write({ columnData, rowGroupSize: rows.length || 1 });
  }
}
