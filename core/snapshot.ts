/**
 * The monthly snapshot of the stipulated DTKS (DESIGN.md "Contracts", snapshot export): the row shapes
 * of its two access tiers and the manifest that describes one period. Pure: no I/O, no AWS.
 *
 * - The full tier carries the master's columns as they are, for units entitled to personal data.
 * - The pseudonymised tier is for general analysts: NIK and No. KK become a keyed hash (HMAC-SHA-256
 *   with a period-independent key, so a person can be followed across periods without being named);
 *   names, the mother's maiden name, place and date of birth and the street address with RT/RW are
 *   dropped, and the quasi-identifiers are generalised (district, decade of birth, occupation group)
 *   and suppressed where fewer than k persons share them (core/anonymity.ts).
 *
 * The column lists below are the one source of the schema: the Parquet writer
 * (functions/shared/exports/parquet-stream.ts) writes them, and the Glue tables over the files
 * (infra/constructs/analytics.ts) declare them with ATHENA_TYPES, with the partition keys `period` and
 * `province` taken from the object keys (SNAPSHOT_PARTITION_KEYS).
 */
import { createHmac } from 'node:crypto';
import {
  birthYearBand,
  districtOfVillage,
  occupationGroup,
  QUASI_IDENTIFIERS,
  type QuasiIdentifierValues,
} from './anonymity.ts';
import type { ManifestChain } from './chain.ts';
import { dateExists, twoDigits } from './dates.ts';
import type { MasterPerson } from './proposal.ts';
import { type ProposalSource, sourceOf } from './source.ts';

/** Physical type of a snapshot column; the Parquet writer maps these to Parquet types. */
export type SnapshotColumnType = 'string' | 'date' | 'int32' | 'int64';

/**
 * The Athena/Glue (Hive DDL) type that reads each column type as the Parquet writer writes it: UTF8
 * BYTE_ARRAY as string, INT32 with the DATE logical type as date (not string: Athena refuses to read a
 * DATE column declared string), plain INT32 as int, INT64 as bigint.
 */
export const ATHENA_TYPES = {
  string: 'string',
  date: 'date',
  int32: 'int',
  int64: 'bigint',
} as const satisfies Record<SnapshotColumnType, string>;
export type AthenaType = (typeof ATHENA_TYPES)[SnapshotColumnType];

/**
 * The partition keys of both tiers, from the object keys (`period=YYYY-MM/province=PP/`). Athena keeps
 * partition columns out of the data, and a partition column named like a data column is an error: so
 * `period` and `province` here, `periode` and `kode_provinsi` in the files.
 */
export const SNAPSHOT_PARTITION_KEYS = [
  { name: 'period', type: 'string', comment: 'YYYY-MM, the stipulated period' },
  { name: 'province', type: 'string', comment: 'Kemendagri province code, 2 digits' },
] as const satisfies readonly { name: string; type: AthenaType; comment: string }[];

/** The columns of a tier as Athena declares them, in file order. */
export function athenaColumns(columns: readonly SnapshotColumn[]): { name: string; type: AthenaType }[] {
  return columns.map((column) => ({ name: column.name, type: ATHENA_TYPES[column.type] }));
}

export interface SnapshotColumn<Name extends string = string> {
  name: Name;
  type: SnapshotColumnType;
  /** False for the identifiers and the period: every row has them. */
  nullable: boolean;
}

/**
 * A person of the master as the snapshot reads it: the extract's fields, the status and the source of
 * the last change (absent on a record from before sources were kept: MUSDES).
 */
export type SnapshotPerson = MasterPerson & { status: string; source?: ProposalSource | undefined };

/** One row of the full tier. Dates are ISO `YYYY-MM-DD`; an empty optional attribute is null. */
export interface FullSnapshotRow {
  nik: string;
  no_kk: string;
  nama: string;
  jenis_kelamin: string;
  tempat_lahir: string;
  tanggal_lahir: string | null;
  nama_ibu_kandung: string;
  hubungan_keluarga: string;
  status_perkawinan: string;
  alamat: string;
  rt: string;
  rw: string;
  kode_desa: string;
  kode_kabupaten: string;
  kode_provinsi: string;
  pekerjaan: string | null;
  penghasilan_bulanan: number | null;
  desil: number | null;
  status: string;
  /** The source of the record's last change: MUSDES, KEMENSOS or MANDIRI (core/source.ts). */
  sumber: string;
  periode: string;
}

/**
 * One row of the pseudonymised tier. The five quasi-identifiers (core/anonymity.ts) are null in a
 * suppressed row: jenis_kelamin, kelompok_tahun_lahir (`1980-1989`), kode_kecamatan, kelompok_pekerjaan,
 * sumber.
 */
export interface PseudonymisedSnapshotRow {
  nik_hash: string;
  no_kk_hash: string;
  jenis_kelamin: string | null;
  kelompok_tahun_lahir: string | null;
  hubungan_keluarga: string;
  status_perkawinan: string;
  kode_kecamatan: string | null;
  kode_kabupaten: string;
  kode_provinsi: string;
  kelompok_pekerjaan: string | null;
  penghasilan_bulanan: number | null;
  desil: number | null;
  status: string;
  sumber: string | null;
  periode: string;
}

const column = <Name extends string>(name: Name, type: SnapshotColumnType, nullable = true): SnapshotColumn<Name> => ({
  name,
  type,
  nullable,
});

/** The full tier's columns, in file order. */
export const FULL_SNAPSHOT_COLUMNS = [
  column('nik', 'string', false),
  column('no_kk', 'string', false),
  column('nama', 'string'),
  column('jenis_kelamin', 'string'),
  column('tempat_lahir', 'string'),
  column('tanggal_lahir', 'date'),
  column('nama_ibu_kandung', 'string'),
  column('hubungan_keluarga', 'string'),
  column('status_perkawinan', 'string'),
  column('alamat', 'string'),
  column('rt', 'string'),
  column('rw', 'string'),
  column('kode_desa', 'string', false),
  column('kode_kabupaten', 'string', false),
  column('kode_provinsi', 'string', false),
  column('pekerjaan', 'string'),
  column('penghasilan_bulanan', 'int64'),
  column('desil', 'int32'),
  column('status', 'string', false),
  column('sumber', 'string', false),
  column('periode', 'string', false),
] as const satisfies readonly SnapshotColumn<keyof FullSnapshotRow>[];

/** The pseudonymised tier's columns, in file order. */
export const PSEUDONYMISED_SNAPSHOT_COLUMNS = [
  column('nik_hash', 'string', false),
  column('no_kk_hash', 'string', false),
  column('jenis_kelamin', 'string'),
  column('kelompok_tahun_lahir', 'string'),
  column('hubungan_keluarga', 'string'),
  column('status_perkawinan', 'string'),
  column('kode_kecamatan', 'string'),
  column('kode_kabupaten', 'string', false),
  column('kode_provinsi', 'string', false),
  column('kelompok_pekerjaan', 'string'),
  column('penghasilan_bulanan', 'int64'),
  column('desil', 'int32'),
  column('status', 'string', false),
  // A quasi-identifier: null in a suppressed row.
  column('sumber', 'string'),
  column('periode', 'string', false),
] as const satisfies readonly SnapshotColumn<keyof PseudonymisedSnapshotRow>[];

const DIGITS = /^\d+$/;

/** `YYYY-MM-DD` of a real calendar day, or null (the master stores normalised ISO dates). Char codes: once per row. */
function isoDateOrNull(text: string): string | null {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return null;
  const century = twoDigits(text, 0);
  const year = twoDigits(text, 2);
  if (century < 0 || year < 0) return null;
  return dateExists(century * 100 + year, twoDigits(text, 5), twoDigits(text, 8)) ? text : null;
}

/** Monthly income in rupiah (digits only in the proposal format); null when empty or not a safe integer. */
function incomeOrNull(text: string | undefined): number | null {
  if (!text || !DIGITS.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** DTSEN welfare decile 1–10; null when absent (the attribute is optional, DOMAIN.md). */
function decileOrNull(text: string | undefined): number | null {
  if (!text || !DIGITS.test(text)) return null;
  const value = Number(text);
  return value >= 1 && value <= 10 ? value : null;
}

function textOrNull(text: string | undefined): string | null {
  return text ? text : null;
}

/** The full-tier row of a master person in the given period. */
export function toFullSnapshotRow(person: SnapshotPerson, period: string): FullSnapshotRow {
  const village = person.kodeDesa;
  return {
    nik: person.nik,
    no_kk: person.noKk,
    nama: person.nama,
    jenis_kelamin: person.jenisKelamin,
    tempat_lahir: person.tempatLahir,
    tanggal_lahir: isoDateOrNull(person.tanggalLahir),
    nama_ibu_kandung: person.namaIbuKandung,
    hubungan_keluarga: person.hubunganKeluarga,
    status_perkawinan: person.statusPerkawinan,
    alamat: person.alamat,
    rt: person.rt,
    rw: person.rw,
    kode_desa: village,
    kode_kabupaten: village.slice(0, 4),
    kode_provinsi: village.slice(0, 2),
    pekerjaan: textOrNull(person.pekerjaan),
    penghasilan_bulanan: incomeOrNull(person.penghasilanBulanan),
    desil: decileOrNull(person.desil),
    status: person.status,
    sumber: sourceOf(person),
    periode: period,
  };
}

/** Keyed hash of an identifier (NIK, No. KK): lowercase hex of HMAC-SHA-256. */
export type Pseudonymiser = (identifier: string) => string;

/**
 * The pseudonymiser of a key. The key does not depend on the period, so the same NIK hashes the same in
 * every snapshot (analysts can follow a person over time); without the key a hash cannot be reversed by
 * enumerating the (small, structured) space of NIKs, which a plain hash would allow.
 */
export function createPseudonymiser(key: string | Uint8Array): Pseudonymiser {
  if (key.length === 0) throw new RangeError('The pseudonymisation key is empty');
  return (identifier) => createHmac('sha256', key).update(identifier, 'utf8').digest('hex');
}

/** The generalised quasi-identifiers of a master person (core/anonymity.ts): what its class is made of. */
export function quasiIdentifiersOf(person: SnapshotPerson): QuasiIdentifierValues {
  const birthDate = isoDateOrNull(person.tanggalLahir);
  return {
    kode_kecamatan: districtOfVillage(person.kodeDesa),
    kelompok_tahun_lahir: birthYearBand(birthDate ? Number(birthDate.slice(0, 4)) : null),
    jenis_kelamin: textOrNull(person.jenisKelamin),
    kelompok_pekerjaan: occupationGroup(person.pekerjaan),
    sumber: sourceOf(person),
  };
}

/**
 * The pseudonymised-tier row of a master person: identifiers hashed, names and street address dropped,
 * quasi-identifiers generalised. Whether the row is published as it is, suppressed or withheld is the
 * export's AnonymityPlan's to say: it needs the counts of the whole file.
 */
export function toPseudonymisedSnapshotRow(
  person: SnapshotPerson,
  period: string,
  pseudonymise: Pseudonymiser,
): PseudonymisedSnapshotRow {
  const village = person.kodeDesa;
  const quasi = quasiIdentifiersOf(person);
  return {
    nik_hash: pseudonymise(person.nik),
    no_kk_hash: pseudonymise(person.noKk),
    jenis_kelamin: quasi.jenis_kelamin,
    kelompok_tahun_lahir: quasi.kelompok_tahun_lahir,
    hubungan_keluarga: person.hubunganKeluarga,
    status_perkawinan: person.statusPerkawinan,
    kode_kecamatan: quasi.kode_kecamatan,
    kode_kabupaten: village.slice(0, 4),
    kode_provinsi: village.slice(0, 2),
    kelompok_pekerjaan: quasi.kelompok_pekerjaan,
    penghasilan_bulanan: incomeOrNull(person.penghasilanBulanan),
    desil: decileOrNull(person.desil),
    status: person.status,
    sumber: quasi.sumber,
    periode: period,
  };
}

// ---------------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------------
/** Access tier of an export file: full Parquet, pseudonymised Parquet, or the Dinas Sosial CSV and workbook. */
export type SnapshotTier = 'full' | 'pseudonymised' | 'csv' | 'xlsx';

/** How a pseudonymised file was anonymised (core/anonymity.ts): its k, and the rows it blanked or left out. */
export interface FileAnonymity {
  k: number;
  /** Rows written with their quasi-identifiers blanked. */
  suppressed: number;
  /** Persons left out of the file (a regency of fewer than k persons). */
  withheld: number;
}

export interface SnapshotFile {
  key: string;
  tier: SnapshotTier;
  /** Rows in the file: the part's persons, less those withheld from a pseudonymised file. */
  records: number;
  bytes: number;
  /** Lowercase hex SHA-256 of the object's bytes. */
  sha256: string;
  /** Pseudonymised files only. */
  anonymity?: FileAnonymity;
  /** A file carried forward unchanged (same bytes) from this earlier period's snapshot. */
  carriedFrom?: string;
}

/**
 * What the export of one regency, or of one unit of it, produced (structurally the ExportPartRecord of
 * the contracts, without its period).
 */
export interface SnapshotPart {
  regency: string;
  province: string;
  records: number;
  files: readonly SnapshotFile[];
  /** The regency had no change in the period: its files are the previous period's, copied. */
  carriedFrom?: string;
  /** One NIK range of a regency exported in units (planExportUnits); absent: the whole regency. */
  unit?: ExportUnitRange & { part: number; parts: number };
}

export interface SnapshotManifest {
  period: string;
  generatedAt: string;
  /** True when the month brought no change and the previous snapshot was stipulated again. */
  carriedForward: boolean;
  sourceProposals: { proposalId: string; regency: string }[];
  totals: { records: number; byProvince: Record<string, number>; byRegency: Record<string, number> };
  /** The k-anonymity of the pseudonymised tier in this release; k is null when no regency was exported. */
  pseudonymisation: {
    k: number | null;
    quasiIdentifiers: readonly string[];
    suppressedRecords: number;
    withheldRecords: number;
  };
  files: SnapshotFile[];
  /**
   * The hash chain (core/chain.ts): the manifest of the period stipulated before, by the SHA-256 of its
   * bytes (null for the first period), and the revision. Absent on manifests written before the chain.
   */
  chain?: ManifestChain;
}

/** Two parts for one regency, or a part whose files disagree with its count: the export is inconsistent. */
export class InconsistentSnapshotError extends Error {
  override readonly name = 'InconsistentSnapshotError';
}

function sortedRecord(entries: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The manifest of a period from the regencies' parts. Totals count persons (each person is in one file
 * of each tier); files are listed by key so that a rerun writes the same manifest but for `generatedAt`.
 */
export function buildSnapshotManifest(input: {
  period: string;
  generatedAt: string;
  carriedForward: boolean;
  sourceProposals: readonly { proposalId: string; regency: string }[];
  parts: readonly SnapshotPart[];
  /** Where the manifest joins the hash chain (core/chain.ts chainAfter). */
  chain?: ManifestChain;
  /**
   * Files released for the period beside the regencies' exports (the quality control's tracking lists, its
   * full tier per person and its pseudonymised counts), each with its tier: listed, hashed and chained like
   * the others, but neither persons of the snapshot (not in the totals) nor anonymised rows (no k).
   */
  otherFiles?: readonly SnapshotFile[];
}): SnapshotManifest {
  const byRegency = new Map<string, number>();
  const byProvince = new Map<string, number>();
  const files: SnapshotFile[] = [];
  const pseudonymisation: SnapshotManifest['pseudonymisation'] = {
    k: null,
    quasiIdentifiers: [...QUASI_IDENTIFIERS],
    suppressedRecords: 0,
    withheldRecords: 0,
  };
  let records = 0;
  for (const part of input.parts) {
    if (byRegency.has(part.regency) && !part.unit) {
      throw new InconsistentSnapshotError(`Kabupaten/kota ${part.regency} diekspor lebih dari sekali`);
    }
    for (const file of part.files) {
      const withheld = file.anonymity?.withheld ?? 0;
      if (file.records + withheld !== part.records) {
        throw new InconsistentSnapshotError(
          `Berkas ${file.key} memuat ${file.records} baris, padahal ekspor ${part.regency} memuat ${part.records}`,
        );
      }
      const { key, tier, bytes, sha256, anonymity } = file;
      const carried = part.carriedFrom ? { carriedFrom: part.carriedFrom } : {};
      if (tier === 'pseudonymised') {
        // One release, one k: a file written under another setting (a rerun of some regencies only) would
        // make the manifest's promise untrue.
        if (!anonymity || (pseudonymisation.k !== null && anonymity.k !== pseudonymisation.k)) {
          throw new InconsistentSnapshotError(
            `Berkas ${key} tidak dianonimkan dengan k yang sama dengan berkas lain periode ini`,
          );
        }
        pseudonymisation.k = anonymity.k;
        pseudonymisation.suppressedRecords += anonymity.suppressed;
        pseudonymisation.withheldRecords += anonymity.withheld;
        files.push({ key, tier, records: file.records, bytes, sha256, anonymity: { ...anonymity }, ...carried });
      } else files.push({ key, tier, records: file.records, bytes, sha256, ...carried });
    }
    // A regency exported in units counts once, its units summed (the guard reads its persons here).
    byRegency.set(part.regency, (byRegency.get(part.regency) ?? 0) + part.records);
    byProvince.set(part.province, (byProvince.get(part.province) ?? 0) + part.records);
    records += part.records;
  }
  assertUnitsWhole(input.parts);
  const listed = new Set(files.map((file) => file.key));
  for (const { key, tier, records: rows, bytes, sha256 } of input.otherFiles ?? []) {
    if (listed.has(key)) throw new InconsistentSnapshotError(`Berkas ${key} tercantum lebih dari sekali`);
    listed.add(key);
    files.push({ key, tier, records: rows, bytes, sha256 });
  }
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    period: input.period,
    generatedAt: input.generatedAt,
    carriedForward: input.carriedForward,
    sourceProposals: input.sourceProposals.map(({ proposalId, regency }) => ({ proposalId, regency })),
    totals: { records, byProvince: sortedRecord(byProvince), byRegency: sortedRecord(byRegency) },
    pseudonymisation,
    files,
    ...(input.chain ? { chain: input.chain } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Export units: a large regency exported by NIK range
// ---------------------------------------------------------------------------------------------
/**
 * A regency whose previous export held more persons than this is exported in several units (NIK ranges
 * of the byRegency index), each its own invocation: at the 8,000 to 10,000 persons per CPU-second one unit
 * exports (bench/export-unit.ts), a million persons is about 2 minutes, where Kabupaten Bogor whole
 * (~5.7 million) is 10 to 16, at or above Lambda's 15. EXPORT_UNIT_MAX_PERSONS overrides it (the tests use 50).
 */
export const DEFAULT_EXPORT_UNIT_MAX_PERSONS = 1_000_000;
/**
 * The largest setting, bound by memory rather than time: a unit of a million persons peaks at ~1.45 GB of
 * ExportRegency's 2 GB (bench/export-unit.ts --writers 1000000: the pseudonymised rows are kept until the
 * pass has counted every class), so a unit may not be much larger.
 */
export const MAX_EXPORT_UNIT_MAX_PERSONS = 1_200_000;
/**
 * Runs per unit's worth of persons: an export records the first NIK of every tenth of
 * EXPORT_UNIT_MAX_PERSONS (its `runs`), so the next period's split lands within a tenth of the balance.
 */
const RUNS_PER_UNIT = 10;

/** One run of a part's persons in NIK order: its first NIK and how many persons it holds. */
export interface NikRun {
  nik: string;
  persons: number;
}

/** The NIK range of a unit: fromNik <= nik < toNik, an absent end open. */
export interface ExportUnitRange {
  fromNik?: string;
  toNik?: string;
}

/** Persons per run of an export under EXPORT_UNIT_MAX_PERSONS `maxPersons`. */
export function runLength(maxPersons: number): number {
  return Math.max(1, Math.ceil(maxPersons / RUNS_PER_UNIT));
}

/** Collects the runs of an export as its persons are written, in NIK order (the byRegency index's). */
export class NikRuns {
  private readonly collected: NikRun[] = [];
  private last: string | undefined;
  private ordered = true;
  constructor(private readonly length: number) {}

  add(nik: string): void {
    if (this.last !== undefined && nik <= this.last) this.ordered = false;
    this.last = nik;
    const run = this.collected.at(-1);
    if (!run || run.persons >= this.length) this.collected.push({ nik, persons: 1 });
    else run.persons++;
  }

  /** The runs; undefined when the persons did not come in NIK order (no split point can be taken from them). */
  get runs(): NikRun[] | undefined {
    return this.ordered ? this.collected : undefined;
  }
}

/**
 * The units of a regency's export this period, from the runs its previous export recorded (every unit's,
 * in unit order): one unit (the whole regency, `[{}]`) up to `maxPersons` persons, otherwise
 * ceil(persons / maxPersons) units cut at the run starts nearest the even split. The runs are a tenth of
 * `maxPersons` at most, so each unit is within a tenth of it of the balance, never nearly empty (a unit of
 * fewer than k persons would withhold them from the pseudonymised tier). Consecutive units share their
 * boundary (toNik of one is fromNik of the next), so together they are the regency once, whatever NIKs
 * the month added or removed.
 */
export function planExportUnits(runs: readonly NikRun[], maxPersons: number): ExportUnitRange[] {
  const total = runs.reduce((sum, run) => sum + run.persons, 0);
  const parts = Math.ceil(total / maxPersons);
  if (parts <= 1) return [{}];
  // Where each run starts, counted in persons: starts[j] is the position of runs[j].nik.
  const starts: number[] = [];
  let position = 0;
  for (const run of runs) {
    starts.push(position);
    position += run.persons;
  }
  const cuts: string[] = [];
  let after = 0;
  for (let i = 1; i < parts; i++) {
    const target = (i * total) / parts;
    let best = -1;
    for (let j = after + 1; j < runs.length; j++) {
      if (best < 0 || Math.abs((starts[j] as number) - target) < Math.abs((starts[best] as number) - target)) best = j;
      if ((starts[j] as number) > target) break;
    }
    if (best < 0) break;
    cuts.push((runs[best] as NikRun).nik);
    after = best;
  }
  return [undefined, ...cuts].map((fromNik, index) => ({
    ...(fromNik ? { fromNik } : {}),
    ...(cuts[index] ? { toNik: cuts[index] } : {}),
  }));
}

/**
 * The units of each regency exported in units are all there, once each, and meet at their boundaries
 * (no gap, no overlap); a regency is exported either whole or in units, not both.
 */
function assertUnitsWhole(parts: readonly SnapshotPart[]): void {
  const byRegency = new Map<string, SnapshotPart[]>();
  for (const part of parts) byRegency.set(part.regency, [...(byRegency.get(part.regency) ?? []), part]);
  for (const [regency, regencyParts] of byRegency) {
    const units = regencyParts.map((part) => part.unit);
    if (units.length === 1 && !units[0]) continue;
    const sorted = units.filter((unit) => unit !== undefined).sort((a, b) => a.part - b.part);
    const whole =
      sorted.length === units.length &&
      sorted.every(
        (unit, index) =>
          unit.part === index + 1 &&
          unit.parts === sorted.length &&
          unit.fromNik === (index === 0 ? undefined : sorted[index - 1]?.toNik) &&
          (index < sorted.length - 1 || unit.toNik === undefined),
      );
    if (!whole) {
      throw new InconsistentSnapshotError(
        `Bagian ekspor kabupaten/kota ${regency} tidak utuh: ${units.map((unit) => (unit ? `${unit.part}/${unit.parts}` : 'utuh')).join(', ')}`,
      );
    }
  }
}
