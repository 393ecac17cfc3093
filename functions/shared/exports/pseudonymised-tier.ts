/**
 * The pseudonymised tier's file of one regency: k-anonymous rows (core/anonymity.ts) in nik_hash order.
 *
 * Why the order matters: the master is read in NIK order, and a NIK is district of registration, birth
 * day (women + 40), month, year and serial. Rows written in that order would tell an analyst, from a
 * row's place between its neighbours, the birth date, sex and district its quasi-identifiers were
 * generalised or blanked to hide. Ordered by the keyed hash, a row's place says nothing; and a rerun
 * over the same master still writes the same bytes.
 *
 * Sorting a file needs its rows, and a unit can hold a million persons. The regency is read once: the
 * main pass hands every active person to take(), which counts its equivalence class and keeps its row,
 * serialised (a JSON string of ~250 bytes where a row object takes ~400: a million rows are ~250 MB,
 * within ExportRegency's 2 GB), in one of HASH_BUCKETS contiguous nik_hash ranges. close() plans the
 * suppression from the classes of exactly the rows it writes, so the plan holds by construction whatever
 * the master did meanwhile, then sorts and writes the buckets one after another: contiguous in hash
 * order, so the file is sorted. (Before, a counting pass and one more read per further 200,000 rows read a
 * unit of a million six times; the master's read throughput bounds the national export, ExportRegencies.)
 */
import { AnonymityPlan, EquivalenceClassCounts, suppressQuasiIdentifiers } from '#core/anonymity.ts';
import {
  type FileAnonymity,
  PSEUDONYMISED_SNAPSHOT_COLUMNS,
  type PseudonymisedSnapshotRow,
  type Pseudonymiser,
  type SnapshotPerson,
  toPseudonymisedSnapshotRow,
} from '#core/snapshot.ts';
import type { ByteSink, WrittenObject } from './object-sink.ts';
import { type ParquetStreamOptions, ParquetStreamWriter } from './parquet-stream.ts';

/** Contiguous nik_hash ranges the rows are kept in until written: a unit of 10^6 sorts ~16,000 at a time. */
export const HASH_BUCKETS = 64;

export interface PseudonymisedTierOptions {
  k: number;
  period: string;
  regency: string;
  pseudonymise: Pseudonymiser;
  parquet: ParquetStreamOptions;
}

export interface PseudonymisedTierFile extends WrittenObject {
  records: number;
  anonymity: FileAnonymity;
}

const byHash = (a: PseudonymisedSnapshotRow, b: PseudonymisedSnapshotRow) =>
  a.nik_hash < b.nik_hash ? -1 : a.nik_hash > b.nik_hash ? 1 : 0;

export class PseudonymisedTierWriter {
  private readonly writer: ParquetStreamWriter<PseudonymisedSnapshotRow>;
  /** The classes of the rows taken: the plan's counts. */
  private readonly counts = new EquivalenceClassCounts();
  private readonly buckets: string[][] = Array.from({ length: HASH_BUCKETS }, () => []);

  constructor(
    sink: ByteSink,
    private readonly options: PseudonymisedTierOptions,
  ) {
    this.writer = new ParquetStreamWriter(sink, PSEUDONYMISED_SNAPSHOT_COLUMNS, options.parquet);
  }

  /** The main pass: an active person of the regency, counted and kept for writing. */
  take(person: SnapshotPerson): void {
    const row = toPseudonymisedSnapshotRow(person, this.options.period, this.options.pseudonymise);
    this.counts.add(row);
    this.buckets[bucketOf(row)]?.push(JSON.stringify(row));
  }

  /** Plans the suppression from the rows taken, writes them bucket by bucket in hash order, completes the file. */
  async close(): Promise<PseudonymisedTierFile> {
    const plan = new AnonymityPlan(this.counts, this.options.k);
    for (const bucket of this.buckets) {
      const rows: PseudonymisedSnapshotRow[] = [];
      for (const text of bucket) {
        const row = JSON.parse(text) as PseudonymisedSnapshotRow;
        const action = plan.actionFor(row);
        if (action === 'publish') rows.push(row);
        else if (action === 'suppress') rows.push(suppressQuasiIdentifiers(row));
      }
      // Freed as written: the rows of one bucket at a time are objects.
      bucket.length = 0;
      await this.writer.write(rows.sort(byHash));
    }
    const file = await this.writer.close();
    const { k, suppressed, withheld } = plan;
    return { ...file, records: this.writer.records, anonymity: { k, suppressed, withheld } };
  }
}

/** The bucket of a row: its hash range, contiguous in hash order. */
function bucketOf(row: PseudonymisedSnapshotRow): number {
  return Math.floor((Number.parseInt(row.nik_hash.slice(0, 8), 16) / 2 ** 32) * HASH_BUCKETS);
}
