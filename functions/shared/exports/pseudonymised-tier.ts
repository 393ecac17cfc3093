/**
 * The pseudonymised tier's file of one regency: k-anonymous rows (core/anonymity.ts) in nik_hash order.
 *
 * Why the order matters: the master is read in NIK order, and a NIK is district of registration, birth
 * day (women + 40), month, year and serial. Rows written in that order would tell an analyst, from a
 * row's place between its neighbours, the birth date, sex and district its quasi-identifiers were
 * generalised or blanked to hide. Ordered by the keyed hash, a row's place says nothing; and a rerun
 * over the same master still writes the same bytes.
 *
 * Sorting a file needs its rows, and a regency can hold a million persons: rows are sorted in hash
 * ranges of at most `maxBufferedRows` (the file is the ranges in order). The first range is collected
 * while the export's main pass writes the other files; each further range costs one more read of the
 * regency from the master. The classes of every range are checked against the counting pass, so a
 * master that changed in between fails the export (TransientError) instead of breaking the plan's k.
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
import { TransientError } from '../errors.ts';
import type { ByteSink, WrittenObject } from './object-sink.ts';
import { type ParquetStreamOptions, ParquetStreamWriter } from './parquet-stream.ts';

/**
 * Rows held for sorting: about 80 MB of row objects (~400 bytes each), beside the other writers' row
 * groups, within ExportRegency's 2 GB. Most regencies fit in one range: no extra read.
 */
export const DEFAULT_MAX_BUFFERED_ROWS = 200_000;

export interface PseudonymisedTierOptions {
  /** The classes of the regency's active persons, from the counting pass. */
  counts: EquivalenceClassCounts;
  k: number;
  period: string;
  regency: string;
  pseudonymise: Pseudonymiser;
  parquet: ParquetStreamOptions;
  maxBufferedRows?: number;
}

export interface PseudonymisedTierFile extends WrittenObject {
  records: number;
  anonymity: FileAnonymity;
}

const byHash = (a: PseudonymisedSnapshotRow, b: PseudonymisedSnapshotRow) =>
  a.nik_hash < b.nik_hash ? -1 : a.nik_hash > b.nik_hash ? 1 : 0;

export class PseudonymisedTierWriter {
  private readonly plan: AnonymityPlan;
  private readonly writer: ParquetStreamWriter<PseudonymisedSnapshotRow>;
  private readonly ranges: number;
  /** Classes of each hash range as the main pass saw them. */
  private readonly seen: EquivalenceClassCounts[];
  private readonly seenAll = new EquivalenceClassCounts();
  private buffer: PseudonymisedSnapshotRow[] = [];

  constructor(
    sink: ByteSink,
    private readonly options: PseudonymisedTierOptions,
  ) {
    this.plan = new AnonymityPlan(options.counts, options.k);
    this.writer = new ParquetStreamWriter(sink, PSEUDONYMISED_SNAPSHOT_COLUMNS, options.parquet);
    const perRange = options.maxBufferedRows ?? DEFAULT_MAX_BUFFERED_ROWS;
    this.ranges = Math.max(1, Math.ceil(options.counts.persons / perRange));
    this.seen = Array.from({ length: this.ranges }, () => new EquivalenceClassCounts());
  }

  /** The main pass: an active person of the regency. Rows of the first hash range are kept for writing. */
  take(person: SnapshotPerson): void {
    const row = toPseudonymisedSnapshotRow(person, this.options.period, this.options.pseudonymise);
    const range = this.rangeOf(row);
    this.seen[range]?.add(row);
    this.seenAll.add(row);
    if (range === 0) this.keep(row);
  }

  /**
   * Writes the first range, reads the regency again for each further range, and completes the file.
   * @throws TransientError when the master changed since the counting pass.
   */
  async close(readPersons: () => AsyncIterable<readonly SnapshotPerson[]>): Promise<PseudonymisedTierFile> {
    this.assertSame(this.seenAll, this.options.counts);
    await this.writeRange();
    for (let range = 1; range < this.ranges; range++) {
      const again = new EquivalenceClassCounts();
      for await (const page of readPersons()) {
        for (const person of page) {
          if (person.status !== 'ACTIVE') continue;
          const row = toPseudonymisedSnapshotRow(person, this.options.period, this.options.pseudonymise);
          if (this.rangeOf(row) !== range) continue;
          again.add(row);
          this.keep(row);
        }
      }
      this.assertSame(again, this.seen[range] ?? new EquivalenceClassCounts());
      await this.writeRange();
    }
    const file = await this.writer.close();
    const { k, suppressed, withheld } = this.plan;
    return { ...file, records: this.writer.records, anonymity: { k, suppressed, withheld } };
  }

  /** Ranges are contiguous in hash order: the file is sorted when they are written one after the other. */
  private rangeOf(row: PseudonymisedSnapshotRow): number {
    if (this.ranges === 1) return 0;
    return Math.floor((Number.parseInt(row.nik_hash.slice(0, 8), 16) / 2 ** 32) * this.ranges);
  }

  private keep(row: PseudonymisedSnapshotRow): void {
    const action = this.plan.actionFor(row);
    if (action === 'publish') this.buffer.push(row);
    else if (action === 'suppress') this.buffer.push(suppressQuasiIdentifiers(row));
  }

  private async writeRange(): Promise<void> {
    const rows = this.buffer.sort(byHash);
    this.buffer = [];
    await this.writer.write(rows);
  }

  private assertSame(read: EquivalenceClassCounts, expected: EquivalenceClassCounts): void {
    if (read.equals(expected)) return;
    throw new TransientError(
      `Data induk ${this.options.regency} berubah selama ekspor periode ${this.options.period}: anonimisasi dihitung ulang pada percobaan berikutnya`,
    );
  }
}
