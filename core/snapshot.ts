/**
 * The monthly snapshot of the stipulated DTKS (DESIGN.md "Contracts", snapshot export): the row shapes
 * of its two access tiers and the manifest that describes one period. Pure: no I/O, no AWS.
 *
 * - The full tier carries the master's columns as they are, for units entitled to personal data.
 * - The pseudonymised tier is for general analysts: NIK and No. KK become a keyed hash (HMAC-SHA-256
 *   with a period-independent key, so a person can be followed across periods without being named);
 *   names, the mother's maiden name, place and day of birth and the street address with RT/RW are
 *   dropped (only the birth year stays).
 *
 * Column names are a contract: the Glue tables over the Parquet files (infra/) use them, with the
 * partition keys `period` and `province` taken from the object keys.
 */
import { createHmac } from 'node:crypto';
import { dateExists, twoDigits } from './dates.ts';
import type { MasterPerson } from './proposal.ts';

/** Physical type of a snapshot column; the Parquet writer maps these to Parquet types. */
export type SnapshotColumnType = 'string' | 'date' | 'int32' | 'int64';

export interface SnapshotColumn<Name extends string = string> {
  name: Name;
  type: SnapshotColumnType;
  /** False for the identifiers and the period: every row has them. */
  nullable: boolean;
}

/** A person of the master as the snapshot reads it: the extract's fields and the status. */
export type SnapshotPerson = MasterPerson & { status: string };

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
  periode: string;
}

/** One row of the pseudonymised tier. */
export interface PseudonymisedSnapshotRow {
  nik_hash: string;
  no_kk_hash: string;
  jenis_kelamin: string;
  tahun_lahir: number | null;
  hubungan_keluarga: string;
  status_perkawinan: string;
  kode_desa: string;
  kode_kabupaten: string;
  kode_provinsi: string;
  pekerjaan: string | null;
  penghasilan_bulanan: number | null;
  desil: number | null;
  status: string;
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
  column('periode', 'string', false),
] as const satisfies readonly SnapshotColumn<keyof FullSnapshotRow>[];

/** The pseudonymised tier's columns, in file order. */
export const PSEUDONYMISED_SNAPSHOT_COLUMNS = [
  column('nik_hash', 'string', false),
  column('no_kk_hash', 'string', false),
  column('jenis_kelamin', 'string'),
  column('tahun_lahir', 'int32'),
  column('hubungan_keluarga', 'string'),
  column('status_perkawinan', 'string'),
  column('kode_desa', 'string', false),
  column('kode_kabupaten', 'string', false),
  column('kode_provinsi', 'string', false),
  column('pekerjaan', 'string'),
  column('penghasilan_bulanan', 'int64'),
  column('desil', 'int32'),
  column('status', 'string', false),
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

/** The pseudonymised-tier row of a master person: identifiers hashed, names and street address dropped. */
export function toPseudonymisedSnapshotRow(
  person: SnapshotPerson,
  period: string,
  pseudonymise: Pseudonymiser,
): PseudonymisedSnapshotRow {
  const birthDate = isoDateOrNull(person.tanggalLahir);
  const village = person.kodeDesa;
  return {
    nik_hash: pseudonymise(person.nik),
    no_kk_hash: pseudonymise(person.noKk),
    jenis_kelamin: person.jenisKelamin,
    tahun_lahir: birthDate ? Number(birthDate.slice(0, 4)) : null,
    hubungan_keluarga: person.hubunganKeluarga,
    status_perkawinan: person.statusPerkawinan,
    kode_desa: village,
    kode_kabupaten: village.slice(0, 4),
    kode_provinsi: village.slice(0, 2),
    pekerjaan: textOrNull(person.pekerjaan),
    penghasilan_bulanan: incomeOrNull(person.penghasilanBulanan),
    desil: decileOrNull(person.desil),
    status: person.status,
    periode: period,
  };
}

// ---------------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------------
/** Access tier of an export file: full Parquet, pseudonymised Parquet, or the Dinas Sosial CSV. */
export type SnapshotTier = 'full' | 'pseudonymised' | 'csv';

export interface SnapshotFile {
  key: string;
  tier: SnapshotTier;
  records: number;
  bytes: number;
  /** Lowercase hex SHA-256 of the object's bytes. */
  sha256: string;
}

/** What the export of one regency produced (structurally the ExportPartRecord of the contracts, without its period). */
export interface SnapshotPart {
  regency: string;
  province: string;
  records: number;
  files: readonly SnapshotFile[];
}

export interface SnapshotManifest {
  period: string;
  generatedAt: string;
  /** True when the month brought no change and the previous snapshot was stipulated again. */
  carriedForward: boolean;
  sourceProposals: { proposalId: string; regency: string }[];
  totals: { records: number; byProvince: Record<string, number>; byRegency: Record<string, number> };
  files: SnapshotFile[];
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
}): SnapshotManifest {
  const byRegency = new Map<string, number>();
  const byProvince = new Map<string, number>();
  const files: SnapshotFile[] = [];
  let records = 0;
  for (const part of input.parts) {
    if (byRegency.has(part.regency)) {
      throw new InconsistentSnapshotError(`Kabupaten/kota ${part.regency} diekspor lebih dari sekali`);
    }
    for (const file of part.files) {
      if (file.records !== part.records) {
        throw new InconsistentSnapshotError(
          `Berkas ${file.key} memuat ${file.records} baris, padahal ekspor ${part.regency} memuat ${part.records}`,
        );
      }
      files.push({ key: file.key, tier: file.tier, records: file.records, bytes: file.bytes, sha256: file.sha256 });
    }
    byRegency.set(part.regency, part.records);
    byProvince.set(part.province, (byProvince.get(part.province) ?? 0) + part.records);
    records += part.records;
  }
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    period: input.period,
    generatedAt: input.generatedAt,
    carriedForward: input.carriedForward,
    sourceProposals: input.sourceProposals.map(({ proposalId, regency }) => ({ proposalId, regency })),
    totals: { records, byProvince: sortedRecord(byProvince), byRegency: sortedRecord(byRegency) },
    files,
  };
}
