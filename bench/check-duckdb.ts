/**
 * npx tsx bench/check-duckdb.ts --dir <world> --regency <code> [--threads 2] [--codes]
 *
 * The peer bench/check.ts measures `dtks check` against: the same checks in DuckDB SQL, on the same three
 * CSV files, writing a return report (baris, nik, no_kk, nama, hasil, kode) in input order. Each criterion
 * `dtks check` applies is here with its joins and windows: the row's own attributes (required values,
 * value lists, digits, dates, the submitter's region), the NIK's structure (region, date of birth, sex),
 * NIKs repeated in the file and under two No. KK, the registry (not found, inactive, deceased, name,
 * address or moved), the master (already in / not in the DTKS, another family), the family's heads after
 * the proposal is applied, and identities (name, birth date, village) shared in the file or with the
 * master. Simplified where SQL has no cheap equivalent, so the peer does a little less work than the
 * engine, not more: names are compared upper-cased with runs of spaces collapsed (not the engine's
 * normalisation), dates in the three formats of PROPOSAL_FORMAT.md but without their range checks, the NIK's region by its province digits, and
 * the report has no explanation column. It prints its rows and code counts as JSON.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { levelOf, RESULT_CODES } from '#core/codes.ts';
import { MARITAL_STATUSES, RELATIONSHIPS, REMOVAL_REASONS } from '#core/proposal.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    regency: { type: 'string', default: '3374' },
    threads: { type: 'string', default: '2' },
    codes: { type: 'boolean', default: false },
  },
});
if (!values.dir) throw new Error('--dir <world> is required');
const dir = values.dir;
const regency = values.regency.replaceAll('.', '');
const threads = Number(values.threads);

const list = (items: readonly string[]) => `[${items.map((item) => `'${item}'`).join(', ')}]`;
const csv = (name: string) =>
  `read_csv('${join(dir, name)}', header = true, all_varchar = true, delim = ',', quote = '"')`;
const errors = RESULT_CODES.filter((code) => levelOf(code) === 'error');

const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const db = await instance.connect();
let stage = 0;
/** Runs a statement; its wall seconds go to stderr (where the time of the peer goes). */
const run = async (sql: string) => {
  const started = performance.now();
  await db.run(sql);
  process.stderr.write(`duckdb statement ${++stage}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
};

// Insertion order is kept (DuckDB's default), so rowid + 1 is the data row's number.
await run(`CREATE TEMP TABLE p AS SELECT * FROM ${csv('proposal.csv')}`);
await run(`CREATE TEMP TABLE pop AS
  SELECT trim(nik) AS nik, upper(regexp_replace(trim(nama), '\\s+', ' ', 'g')) AS nama, trim(kode_desa) AS kode_desa,
    upper(trim(status_hidup)) AS hidup, upper(coalesce(trim(status_nik), '')) AS status_nik
  FROM ${csv('population.csv')}`);
await run(`CREATE TEMP TABLE m AS
  SELECT trim(nik) AS nik, trim(no_kk) AS no_kk, upper(regexp_replace(trim(nama), '\\s+', ' ', 'g')) AS nama,
    trim(tanggal_lahir) AS tanggal_lahir, trim(kode_desa) AS kode_desa, trim(hubungan_keluarga) AS hubungan_keluarga
  FROM ${csv('master.csv')}`);

// Per row: what the row says on its own, with its NIK's parts.
await run(`CREATE TEMP TABLE r AS
  SELECT p.*,
    coalesce(try_strptime(trim(tanggal_lahir), ['%Y-%m-%d', '%d-%m-%Y', '%d/%m/%Y']))::DATE AS birth,
    upper(regexp_replace(nama, '\\s+', ' ', 'g')) AS nama_norm,
    regexp_full_match(nik, '[1-9][0-9]{15}') AND try_cast(substr(nik, 7, 2) AS INT) % 40 BETWEEN 1 AND 31
      AND try_cast(substr(nik, 9, 2) AS INT) BETWEEN 1 AND 12 AND substr(nik, 13, 4) <> '0000' AS nik_ok,
    regexp_full_match(no_kk, '[1-9][0-9]{15}') AS kk_ok,
    CASE WHEN try_cast(substr(nik, 7, 2) AS INT) > 40 THEN 'P' ELSE 'L' END AS nik_sex,
    try_cast(substr(nik, 7, 2) AS INT) % 40 AS nik_day, try_cast(substr(nik, 9, 2) AS INT) AS nik_month,
    substr(nik, 11, 2) AS nik_year2,
    trim(kode_desa) AS desa
  FROM (SELECT rowid + 1 AS baris, * REPLACE (
    coalesce(trim(aksi), '') AS aksi, coalesce(trim(alasan), '') AS alasan, coalesce(trim(nik), '') AS nik,
    coalesce(trim(no_kk), '') AS no_kk, coalesce(trim(nama), '') AS nama
  ) FROM p) p`);

await run(`COPY (
  WITH
  dup AS (SELECT nik, count(*) AS n, min(no_kk) <> max(no_kk) AS overlap FROM r WHERE nik <> '' GROUP BY nik HAVING count(*) > 1),
  named AS (SELECT DISTINCT nik FROM r WHERE aksi IN ('TAMBAH', 'UBAH', 'HAPUS') AND nik <> ''),
  members AS (
    SELECT m.no_kk, m.nik, m.hubungan_keluarga = 'KEPALA_KELUARGA' AS head
      FROM m SEMI JOIN (SELECT DISTINCT no_kk FROM r WHERE no_kk <> '') f ON f.no_kk = m.no_kk
      ANTI JOIN named ON named.nik = m.nik
    UNION ALL
    SELECT no_kk, nik, hubungan_keluarga = 'KEPALA_KELUARGA' FROM r WHERE aksi IN ('TAMBAH', 'UBAH') AND no_kk <> ''
  ),
  fam AS (SELECT no_kk, count(*) FILTER (WHERE head) AS heads FROM members GROUP BY no_kk),
  ident_file AS (
    SELECT nama_norm, birth, desa, count(DISTINCT nik) AS niks FROM r
    WHERE aksi IN ('TAMBAH', 'UBAH') AND nik_ok AND birth IS NOT NULL AND nama <> '' AND desa <> ''
    GROUP BY ALL HAVING count(DISTINCT nik) > 1
  ),
  ident_master AS (
    SELECT nama, coalesce(try_strptime(tanggal_lahir, ['%Y-%m-%d', '%d-%m-%Y', '%d/%m/%Y']))::DATE AS birth,
      kode_desa, min(nik) AS low, max(nik) AS high
    FROM m GROUP BY ALL
  ),
  coded AS (
    SELECT r.baris, r.nik, r.no_kk, r.nama, list_sort(list_filter([
      CASE WHEN r.nik <> '' AND NOT r.nik_ok THEN 'NIK_FORMAT' END,
      CASE WHEN r.nik_ok AND r.birth IS NOT NULL AND (day(r.birth) <> r.nik_day OR month(r.birth) <> r.nik_month
        OR right(year(r.birth)::VARCHAR, 2) <> r.nik_year2) THEN 'NIK_BIRTHDATE_MISMATCH' END,
      CASE WHEN r.nik_ok AND r.jenis_kelamin IN ('L', 'P') AND r.jenis_kelamin <> r.nik_sex THEN 'NIK_SEX_MISMATCH' END,
      CASE WHEN r.no_kk <> '' AND NOT r.kk_ok THEN 'KK_FORMAT' END,
      CASE WHEN dup.n IS NOT NULL THEN 'DUPLICATE_NIK' END,
      CASE WHEN r.nik_ok AND pop.nik IS NULL THEN 'NIK_NOT_FOUND' END,
      CASE WHEN r.nik_ok AND r.nama <> '' AND pop.nama <> r.nama_norm THEN 'NAME_MISMATCH' END,
      CASE WHEN r.nik_ok AND r.desa <> '' AND pop.kode_desa <> r.desa AND left(pop.kode_desa, 4) = left(r.desa, 4) THEN 'ADDRESS_MISMATCH' END,
      CASE WHEN r.nik_ok AND pop.hidup = 'MENINGGAL' AND NOT (r.aksi = 'HAPUS' AND r.alasan = 'MENINGGAL') THEN 'DECEASED' END,
      CASE WHEN fam.heads = 0 THEN 'FAMILY_NO_HEAD' END,
      CASE WHEN fam.heads > 1 THEN 'FAMILY_MULTIPLE_HEADS' END,
      CASE WHEN dup.overlap OR (r.nik_ok AND r.aksi = 'TAMBAH' AND m.nik IS NOT NULL AND r.no_kk <> '' AND m.no_kk <> r.no_kk) THEN 'FAMILY_OVERLAP' END,
      CASE WHEN r.aksi = '' OR r.nik = '' OR r.no_kk = '' OR r.nama = '' OR coalesce(trim(r.jenis_kelamin), '') = ''
        OR coalesce(trim(r.tanggal_lahir), '') = '' OR coalesce(trim(r.hubungan_keluarga), '') = '' OR r.desa IS NULL OR r.desa = ''
        OR (r.aksi = 'HAPUS' AND r.alasan = '') THEN 'MISSING_ATTRIBUTE' END,
      CASE WHEN (r.aksi <> '' AND r.aksi NOT IN ('TAMBAH', 'UBAH', 'HAPUS'))
        OR (r.aksi = 'HAPUS' AND r.alasan <> '' AND NOT list_contains(${list(REMOVAL_REASONS)}, r.alasan))
        OR (coalesce(r.jenis_kelamin, '') NOT IN ('', 'L', 'P'))
        OR (coalesce(r.tanggal_lahir, '') <> '' AND r.birth IS NULL)
        OR (coalesce(r.hubungan_keluarga, '') <> '' AND NOT list_contains(${list(RELATIONSHIPS)}, r.hubungan_keluarga))
        OR (coalesce(r.status_perkawinan, '') <> '' AND NOT list_contains(${list(MARITAL_STATUSES)}, r.status_perkawinan))
        OR (coalesce(r.rt, '') <> '' AND NOT regexp_full_match(r.rt, '[0-9]{1,3}'))
        OR (coalesce(r.rw, '') <> '' AND NOT regexp_full_match(r.rw, '[0-9]{1,3}'))
        OR (coalesce(r.penghasilan_bulanan, '') <> '' AND NOT regexp_full_match(r.penghasilan_bulanan, '[0-9]{1,15}'))
        OR (coalesce(r.desil, '') <> '' AND coalesce(try_cast(r.desil AS INT), 0) NOT BETWEEN 1 AND 10)
        OR (coalesce(r.desa, '') <> '' AND NOT regexp_full_match(r.desa, '[0-9]{10}')) THEN 'INVALID_ATTRIBUTE' END,
      CASE WHEN regexp_full_match(r.desa, '[0-9]{10}') AND left(r.desa, 4) <> '${regency}' THEN 'REGION_OUTSIDE_SUBMITTER' END,
      CASE WHEN r.nik_ok AND r.aksi IN ('UBAH', 'HAPUS') AND m.nik IS NULL THEN 'NOT_IN_DTKS' END,
      CASE WHEN r.nik_ok AND r.aksi = 'TAMBAH' AND m.nik IS NOT NULL THEN 'ALREADY_IN_DTKS' END,
      CASE WHEN r.aksi IN ('TAMBAH', 'UBAH') AND r.nik_ok AND (ident_file.niks IS NOT NULL
        OR (im.low IS NOT NULL AND (im.low <> r.nik OR im.high <> r.nik))) THEN 'POSSIBLE_DUPLICATE_PERSON' END,
      CASE WHEN r.nik_ok AND r.desa <> '' AND pop.kode_desa <> r.desa AND left(pop.kode_desa, 4) <> left(r.desa, 4) THEN 'MOVED_DOMICILE' END,
      CASE WHEN r.nik_ok AND pop.status_nik = 'NONAKTIF' THEN 'NIK_INACTIVE' END
    ], code -> code IS NOT NULL)) AS codes
    FROM r
    LEFT JOIN dup ON dup.nik = r.nik
    LEFT JOIN pop ON pop.nik = r.nik
    LEFT JOIN m ON m.nik = r.nik
    LEFT JOIN fam ON fam.no_kk = r.no_kk
    LEFT JOIN ident_file ON ident_file.nama_norm = r.nama_norm AND ident_file.birth = r.birth AND ident_file.desa = r.desa
    LEFT JOIN ident_master im ON im.nama = r.nama_norm AND im.birth = r.birth AND im.kode_desa = r.desa
  )
  SELECT baris, nik, no_kk, nama,
    CASE WHEN list_has_any(codes, ${list(errors)}) THEN 'DIKEMBALIKAN' ELSE 'DITERIMA' END AS hasil,
    array_to_string(codes, '|') AS kode
  FROM coded ORDER BY baris
) TO '${join(dir, `report-duckdb-${threads}.csv`)}' (HEADER, DELIMITER ',')`);

const rows = Number((await db.runAndReadAll('SELECT count(*) AS n FROM p')).getRowObjectsJS()[0]!.n);
const codes: Record<string, number> = {};
if (values.codes) {
  // Outside what bench/check.ts compares (it does not pass --codes): to set the peer's codes beside the engine's.
  const counted = await db.runAndReadAll(`SELECT code, count(*) AS n FROM (
    SELECT unnest(string_split(kode, '|')) AS code FROM read_csv('${join(dir, `report-duckdb-${threads}.csv`)}', all_varchar = true)
  ) WHERE code <> '' GROUP BY code ORDER BY code`);
  for (const { code, n } of counted.getRowObjectsJS()) codes[String(code)] = Number(n);
}
process.stdout.write(`${JSON.stringify({ threads, rows, codes })}\n`);
db.closeSync();
instance.closeSync();
