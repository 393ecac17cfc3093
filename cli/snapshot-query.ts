/**
 * An analyst's SQL over one tier of one stipulated period (`dtks snapshot query`). What is fetched is
 * what the analyst is entitled to and asked for, and nothing else:
 *  - the period's manifest (counts and checksums, no persons), which says the period was exported;
 *  - the Parquet objects of that tier under that period's prefix, listed a page at a time
 *    (ListObjectsV2 pages hold 1,000 keys; a period has one file per regency, 514 in Indonesia), each
 *    checked against the SHA-256 the manifest lists.
 * The full tier (names, NIKs) is for the ministry: locally the `ministry` user (role ministry_operator);
 * on AWS the caller's IAM grants decide, and S3's AccessDenied is answered with a message. DuckDB reads
 * local files only (its S3 support needs an extension download an offline machine cannot make).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { isPeriod } from '#core/period.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { KEYS, type Principal, type Role } from '#shared/contracts.ts';
import { listKeys } from '#shared/staging.ts';
import { CliError } from './errors.ts';

export const ACCESS_TIERS = ['pseudonymised', 'full'] as const;
export type AccessTier = (typeof ACCESS_TIERS)[number];

/** The view each tier is queried as, and where its files are (KEYS.exportPart / KEYS.pseudonymisedPart). */
export const TIERS: Record<AccessTier, { view: string; prefix: string }> = {
  full: { view: 'dtks', prefix: KEYS.exportsPrefix },
  pseudonymised: { view: 'dtks_pseudonim', prefix: KEYS.pseudonymisedPrefix },
};

/** Who may read which tier (DOMAIN.md, roles: analysts read at their access tier). */
const TIERS_OF_ROLE: Partial<Record<Role, readonly AccessTier[]>> = {
  ministry_operator: ['full', 'pseudonymised'],
  analyst: ['pseudonymised'],
};

/** The local user a query runs as when `--as` is not given: the general analyst. */
export const DEFAULT_ANALYST = 'analyst';

export interface SnapshotQuery {
  sql: string;
  /** YYYY-MM; default the latest period with a manifest and files of the tier. */
  period?: string;
  tier: AccessTier;
}

export interface SnapshotQueryResult {
  period: string;
  tier: AccessTier;
  columns: string[];
  rows: unknown[][];
}

/**
 * Refuses a local user the tier they are not entitled to, before anything is fetched. `users` are the
 * local environment's; on AWS (no users) the check is S3's.
 */
export function assertEntitled(users: readonly Principal[] | undefined, user: string | undefined, tier: AccessTier) {
  if (!users) return;
  const username = user ?? DEFAULT_ANALYST;
  const principal = users.find((candidate) => candidate.username === username);
  if (!principal) {
    const known = users.map((candidate) => candidate.username).join(', ');
    throw new CliError({
      id: `pengguna lokal "${username}" tidak dikenal; pengguna lokal: ${known}`,
      en: `unknown local user "${username}"; local users: ${known}`,
    });
  }
  if (TIERS_OF_ROLE[principal.role]?.includes(tier)) return;
  throw new CliError(
    tier === 'full'
      ? {
          id: `${username} tidak berhak membaca tier lengkap (nama dan NIK): hanya pengguna kementerian (--as ministry); analis membaca --tier pseudonymised`,
          en: `${username} may not read the full tier (names and NIKs): only ministry users (--as ministry); analysts read --tier pseudonymised`,
        }
      : {
          id: `${username} tidak berhak membaca snapshot: hanya analis dan pengguna kementerian`,
          en: `${username} may not read the snapshot: only analysts and ministry users`,
        },
  );
}

/** Runs the query; see the module comment for what it fetches. */
export async function querySnapshot(s3: S3Client, bucket: string, query: SnapshotQuery): Promise<SnapshotQueryResult> {
  const { tier } = query;
  if (query.period !== undefined && !isPeriod(query.period)) {
    throw new CliError({
      id: `--period harus berupa bulan YYYY-MM (misalnya 2026-11), bukan "${query.period}"`,
      en: `--period must be a month YYYY-MM (e.g. 2026-11), not "${query.period}"`,
    });
  }
  const s3Call = <T>(call: () => Promise<T>) => answeringAccessDenied(call, tier);
  // The tier's own listing first: a period it does not hold is answered without reading outside the tier
  // (under IAM, a missing manifest the caller may not list would be a 403, not a 404).
  const periods = await s3Call(() => tierPeriods(s3, bucket, tier));
  const period = query.period ?? (await s3Call(() => latestPeriod(s3, bucket, periods)));
  const manifest = periods.includes(period) ? await s3Call(() => readManifest(s3, bucket, period)) : undefined;
  if (!manifest) throw missingPeriod(period, periods);

  // The release is what the manifest lists: a stray object under the prefix (from an abandoned run) is not read.
  // Its Parquet files only: the tier also holds the quality control's CSV and counts, which are not rows of persons.
  const released = new Map(
    manifest.files
      .filter((file) => file.tier === tier && file.key.endsWith('.parquet'))
      .map((file) => [file.key, file]),
  );
  const dir = await mkdtemp(join(tmpdir(), 'dtks-snapshot-'));
  try {
    const files: string[] = [];
    for (const key of await s3Call(() => listKeys(s3, bucket, `${TIERS[tier].prefix}period=${period}/`))) {
      const file = released.get(key);
      if (!file || !key.endsWith('.parquet')) continue;
      const object = await s3Call(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
      const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
      if (createHash('sha256').update(bytes).digest('hex') !== file.sha256) {
        throw new CliError(
          {
            id: `berkas ${key} tidak sama dengan yang dicatat manifest periode ${period} (SHA-256 berbeda): jangan gunakan hasilnya, laporkan ke Pusdatin`,
            en: `${key} differs from what the manifest of ${period} records (SHA-256 mismatch): do not use the result, report it to Pusdatin`,
          },
          1,
        );
      }
      const local = join(dir, key);
      mkdirSync(dirname(local), { recursive: true });
      await writeFile(local, bytes);
      files.push(local);
    }
    if (files.length !== released.size) {
      throw new CliError(
        {
          id: `periode ${period} tier ${tier}: manifest mencatat ${released.size} berkas, yang ada ${files.length}`,
          en: `period ${period}, ${tier} tier: the manifest lists ${released.size} files, ${files.length} are there`,
        },
        1,
      );
    }
    const { columns, rows } = await runDuckDb(query.sql, tier, files);
    return { period, tier, columns, rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runDuckDb(sql: string, tier: AccessTier, files: readonly string[]) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    if (files.length) {
      const list = files.map((file) => `'${file.replaceAll("'", "''")}'`).join(', ');
      await connection.run(
        `CREATE VIEW ${TIERS[tier].view} AS SELECT * FROM read_parquet([${list}], hive_partitioning = true)`,
      );
    }
    let reader: Awaited<ReturnType<typeof connection.runAndReadAll>>;
    try {
      reader = await connection.runAndReadAll(sql);
    } catch (error) {
      throw queryError(error, tier, files.length);
    }
    return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's catalog error for a view this tier does not have, said in the analyst's terms. */
function queryError(error: unknown, tier: AccessTier, files: number): CliError {
  const message = (error as Error).message ?? String(error);
  const other = ACCESS_TIERS.find((candidate) => candidate !== tier) ?? tier;
  if (/Catalog Error/i.test(message) && new RegExp(`\\b${TIERS[other].view}\\b`).test(message)) {
    return new CliError({
      id: `tabel ${TIERS[other].view} adalah tier ${other}; kueri ini membaca tier ${tier}: gunakan tabel ${TIERS[tier].view} (atau --tier ${other} bila berhak)`,
      en: `table ${TIERS[other].view} is the ${other} tier; this query reads the ${tier} tier: use ${TIERS[tier].view} (or --tier ${other} if entitled)`,
    });
  }
  if (/Catalog Error/i.test(message) && files === 0) {
    return new CliError({
      id: `periode ini tidak memuat berkas tier ${tier}: tidak ada tabel ${TIERS[tier].view}`,
      en: `this period has no files of the ${tier} tier: there is no table ${TIERS[tier].view}`,
    });
  }
  return new CliError({ id: `kueri gagal: ${message}`, en: `query failed: ${message}` }, 1, { cause: error });
}

/** The manifest of a period, or undefined when it has none (not exported, or not yet finished). */
async function readManifest(s3: S3Client, bucket: string, period: string): Promise<SnapshotManifest | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: KEYS.manifest(period) }));
    return JSON.parse((await object.Body?.transformToString('utf8')) ?? '') as SnapshotManifest;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The periods with files of the tier, newest first (the tier's own prefix: an analyst lists nothing else). */
export async function tierPeriods(s3: S3Client, bucket: string, tier: AccessTier): Promise<string[]> {
  const periods: string[] = [];
  const prefix = `${TIERS[tier].prefix}period=`;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const common of page.CommonPrefixes ?? []) {
      const period = common.Prefix?.slice(prefix.length, -1) ?? '';
      if (isPeriod(period)) periods.push(period);
    }
    token = page.NextContinuationToken;
  } while (token);
  return periods.sort().reverse();
}

/** The newest of the tier's periods (newest first) that has a manifest: exported to the end. */
async function latestPeriod(s3: S3Client, bucket: string, periods: readonly string[]): Promise<string> {
  for (const period of periods) {
    if (await readManifest(s3, bucket, period)) return period;
  }
  throw new CliError(
    {
      id: 'belum ada periode yang ditetapkan dan diekspor: jalankan penetapan dulu (dtks stipulate)',
      en: 'no period has been stipulated and exported yet: run the stipulation first (dtks stipulate)',
    },
    1,
  );
}

function missingPeriod(period: string, available: readonly string[]): CliError {
  const list = available.length ? available.join(', ') : '—';
  return new CliError(
    {
      id: `periode ${period} belum ditetapkan atau belum diekspor (tidak ada manifes ${KEYS.manifest(period)}); periode yang tersedia: ${list}`,
      en: `period ${period} has not been stipulated or exported (no manifest ${KEYS.manifest(period)}); periods available: ${list}`,
    },
    1,
  );
}

/** S3's AccessDenied (an IAM principal without the tier's grant), said as what it means. */
async function answeringAccessDenied<T>(call: () => Promise<T>, tier: AccessTier): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if ((error as { name?: string }).name !== 'AccessDenied') throw error;
    throw new CliError(
      {
        id: `akses ditolak: kredensial ini tidak berhak membaca tier ${tier} snapshot${tier === 'full' ? ' (coba --tier pseudonymised)' : ''}`,
        en: `access denied: these credentials may not read the ${tier} tier of the snapshot${tier === 'full' ? ' (try --tier pseudonymised)' : ''}`,
      },
      1,
      { cause: error },
    );
  }
}
