/**
 * The snapshot export of one regency for one period: the active persons of the master, read a page at a
 * time, written to the four files of the contracts (KEYS) at once:
 *  - the full-tier Parquet (exports/period=…/province=…/regency-….parquet),
 *  - the pseudonymised Parquet for general analysts (pseudonymised/period=…/…),
 *  - the CSV for the regency's Dinas Sosial (regency-csv/period=…/…),
 *  - the same as an Excel workbook beside it (regency-xlsx.ts: NIK and RT as text cells).
 * Each file is streamed to S3 and its SHA-256 and size come back in the part record, for the manifest.
 * The master is read once: the pass that writes the other files hands each person to the pseudonymised
 * tier, which is k-anonymous (core/anonymity.ts) over exactly the persons this export wrote, its rows in
 * nik_hash order (pseudonymised-tier.ts keeps them, serialised, until the pass has counted every class).
 * Reading once matters at national scale: the master's read throughput bounds the month's exports.
 * The other files' rows are in NIK order (the regency index's sort key) and the writers add no
 * timestamps, so a rerun of the same period over the same master writes byte-identical files.
 *
 * A large regency is exported in units (contracts' EXPORT_UNIT, core/snapshot.ts planExportUnits): each
 * unit is one NIK range and one invocation, writing its own four files (`…-bagian-NN`) and part record.
 * Why the Dinas Sosial's CSV and workbook come in parts too rather than being assembled: a workbook is a
 * zip and cannot be concatenated, so one regency file would mean one invocation re-reading and encoding
 * the whole regency, the very 15-minute limit the units avoid; the manifest lists every part with its
 * checksum, and each part is a complete file with its header. Each unit's pseudonymised file is
 * k-anonymous on its own: a class of the regency is the sum of its classes in the units, so their union is
 * k-anonymous too (a class split across units may be suppressed where the whole regency would not be).
 * Every export records its persons' NIK runs (core/snapshot.ts NikRuns): the next period splits there.
 */

import { XLSX_CONTENT_TYPE } from '#adapters/xlsx/writer.ts';
import {
  createPseudonymiser,
  DEFAULT_EXPORT_UNIT_MAX_PERSONS,
  FULL_SNAPSHOT_COLUMNS,
  type FullSnapshotRow,
  NikRuns,
  runLength,
  type SnapshotPerson,
  toFullSnapshotRow,
} from '#core/snapshot.ts';
import { type ExportFile, type ExportPartRecord, type ExportUnit, KEYS } from '../contracts.ts';
import type { ByteSink } from './object-sink.ts';
import { ParquetStreamWriter } from './parquet-stream.ts';
import { PseudonymisedTierWriter } from './pseudonymised-tier.ts';
import { RegencyCsvWriter } from './regency-csv.ts';
import { RegencyXlsxWriter } from './regency-xlsx.ts';

/**
 * The snapshot format: the files' columns, their order and encodings. Raise it with any change to what a
 * file holds or how it is written, so that no regency carries files of the old format forward
 * (carry-forward.ts): the first period after the change exports every regency from the master.
 */
export const SNAPSHOT_FORMAT = 1;

export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export interface RegencyExportInput {
  period: string;
  regency: string;
  province: string;
  /** One NIK range of a regency exported in units; absent: the whole regency. */
  unit?: ExportUnit;
  /** Persons per recorded NIK run (core/snapshot.ts runLength of EXPORT_UNIT_MAX_PERSONS). @default runLength(1,000,000) */
  runLength?: number;
  /** Reads the regency's (or unit's) active persons, a page at a time; called once. */
  persons(): AsyncIterable<readonly SnapshotPerson[]>;
  /** The HMAC key of the pseudonymised tier (the same in every period). */
  pseudonymKey: string;
  /** The k of the pseudonymised tier's k-anonymity. */
  k: number;
  /** Opens the file at `key` (an S3 multipart upload in the handler). */
  openFile(key: string, contentType: string): ByteSink;
  rowGroupSize?: number;
}

export async function exportRegency(input: RegencyExportInput): Promise<ExportPartRecord> {
  const { period, regency, province, unit } = input;
  const pseudonymise = createPseudonymiser(input.pseudonymKey);
  const key = (tier: ExportFile['tier']) => tierKey(tier, { period, province, regency, unit });
  const keys = { full: key('full'), pseudonymised: key('pseudonymised'), csv: key('csv'), xlsx: key('xlsx') };
  const sinks = {
    full: input.openFile(keys.full, PARQUET_CONTENT_TYPE),
    pseudonymised: input.openFile(keys.pseudonymised, PARQUET_CONTENT_TYPE),
    csv: input.openFile(keys.csv, CSV_CONTENT_TYPE),
    xlsx: input.openFile(keys.xlsx, XLSX_CONTENT_TYPE),
  };
  const options = { rowGroupSize: input.rowGroupSize, metadata: { period, province, regency } };
  const full = new ParquetStreamWriter<FullSnapshotRow>(sinks.full, FULL_SNAPSHOT_COLUMNS, options);
  const pseudonymised = new PseudonymisedTierWriter(sinks.pseudonymised, {
    k: input.k,
    period,
    regency,
    pseudonymise,
    parquet: options,
  });
  const csv = new RegencyCsvWriter(sinks.csv);
  const xlsx = new RegencyXlsxWriter(sinks.xlsx, regency);
  const runs = new NikRuns(input.runLength ?? runLength(DEFAULT_EXPORT_UNIT_MAX_PERSONS));

  try {
    for await (const page of readingAhead(input.persons())) {
      const fullRows: FullSnapshotRow[] = [];
      for (const person of page) {
        // The regency index is sparse on active persons; a record read while being deactivated is skipped.
        if (person.status !== 'ACTIVE') continue;
        fullRows.push(toFullSnapshotRow(person, period));
        pseudonymised.take(person);
        runs.add(person.nik);
      }
      await Promise.all([full.write(fullRows), csv.write(fullRows), xlsx.write(fullRows)]);
    }
    const [pseudonymisedFile, fullFile, csvFile, xlsxFile] = await Promise.all([
      pseudonymised.close(),
      full.close(),
      csv.close(),
      xlsx.close(),
    ]);
    const records = full.records;
    return {
      period,
      regency,
      province,
      records,
      format: SNAPSHOT_FORMAT,
      ...(unit ? { unit } : {}),
      ...(runs.runs ? { runs: runs.runs } : {}),
      files: [
        { ...fullFile, records, tier: 'full' },
        { ...pseudonymisedFile, tier: 'pseudonymised' },
        { ...csvFile, records, tier: 'csv' },
        { ...xlsxFile, records, tier: 'xlsx' },
      ],
    };
  } catch (error) {
    await Promise.all(Object.values(sinks).map((sink) => sink.abort()));
    throw error;
  }
}

/** The key of a tier's file of a regency (or of one unit of it) in a period: the keys an export writes. */
export function tierKey(
  tier: ExportFile['tier'],
  { period, province, regency, unit }: { period: string; province: string; regency: string; unit?: ExportUnit },
): string {
  switch (tier) {
    case 'full':
      return KEYS.exportPart(period, province, regency, unit);
    case 'pseudonymised':
      return KEYS.pseudonymisedPart(period, province, regency, unit);
    case 'csv':
      return KEYS.regencyCsv(period, regency, unit);
    case 'xlsx':
      return KEYS.regencyXlsx(period, regency, unit);
  }
}

/**
 * The pages with the next one already requested while the current one is written: the DynamoDB Query
 * (network) overlaps the encoding (CPU) instead of alternating with it. One page ahead at most.
 */
export async function* readingAhead<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = pages[Symbol.asyncIterator]();
  let next = iterator.next();
  // Awaited below; this only keeps a failure while the consumer is busy from being reported as unhandled.
  next.catch(() => undefined);
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
