/**
 * The stipulated periods and their export files, by access tier (DOMAIN.md): the ministry sees every
 * tier (full Parquet, pseudonymised Parquet, the regencies' CSV and workbooks); an analyst only the
 * pseudonymised tier, in the listing and in the links: a key of another tier is refused even when named
 * exactly. A link is presigned for one file the period's manifest lists, and every link is recorded in
 * the period's audit trail (who, which file, when).
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SnapshotFile, SnapshotManifest } from '#core/snapshot.ts';
import { DOWNLOAD_REQUEST, KEYS, PERIOD, type Principal } from '#shared/contracts.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import type { PeriodRecord } from '#shared/periods-repository.ts';
import { presignedUrl } from '#shared/presign.ts';
import { openObject } from '#shared/staging.ts';
import { type Event, parseBody, pathParameter, type Response, respond } from './http.ts';
import { audit, config, periods, s3 } from './stores.ts';

/** The console's names of the manifest's tiers: a regency's CSV and workbook are the regency tier. */
export type ConsoleTier = 'full' | 'pseudonymised' | 'regency';
const TIER_OF: Record<SnapshotFile['tier'], ConsoleTier> = {
  full: 'full',
  pseudonymised: 'pseudonymised',
  csv: 'regency',
  xlsx: 'regency',
};

export async function listPeriods(principal: Principal): Promise<Response> {
  assertReader(principal);
  // Each period's export folder (exports/period=YYYY-MM/) is listed; its record says whether it was stipulated.
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: config.exportsBucket,
        Prefix: `${KEYS.exportsPrefix}period=`,
        Delimiter: '/',
        ContinuationToken: token,
      }),
    );
    for (const { Prefix } of page.CommonPrefixes ?? []) if (Prefix) prefixes.push(Prefix);
    token = page.NextContinuationToken;
  } while (token);
  const candidates = prefixes
    .map((prefix) => /period=([^/]+)\/$/.exec(prefix)?.[1] ?? '')
    .filter((period) => PERIOD.safeParse(period).success);
  const records = await Promise.all(candidates.map((period) => periods.getPeriod(period)));
  const stipulated = records
    .filter((record): record is PeriodRecord => record !== undefined)
    .sort((a, b) => b.period.localeCompare(a.period))
    .map((record) => ({
      period: record.period,
      stipulatedAt: record.recordedAt,
      carriedForward: record.carriedForward,
      ...(record.counts.records !== undefined ? { persons: record.counts.records } : {}),
    }));
  return respond(200, { code: 'OK', message: `${stipulated.length} periode ditetapkan`, periods: stipulated });
}

export async function viewPeriod(principal: Principal, event: Event): Promise<Response> {
  assertReader(principal);
  const { period, manifest } = await stipulatedManifest(event);
  const files = visibleFiles(principal, manifest);
  // An analyst's manifest lists the pseudonymised files only: the other tiers' keys are not theirs to know.
  const shown = { ...manifest, files: manifest.files.filter((file) => files.some(({ key }) => key === file.key)) };
  return respond(200, {
    code: 'OK',
    message: `Periode ${period}: ${files.length} berkas`,
    period,
    manifest: shown,
    files,
  });
}

export async function periodDownload(principal: Principal, event: Event): Promise<Response> {
  assertReader(principal);
  const { key } = parseBody(DOWNLOAD_REQUEST, event);
  const { period, manifest } = await stipulatedManifest(event);
  const file = manifest.files.find((candidate) => candidate.key === key);
  if (!file) throw new NotFoundError(`Berkas ${key} tidak tercantum dalam manifes periode ${period}`);
  const tier = TIER_OF[file.tier];
  if (!mayHave(principal, tier)) {
    logger.warn('Download refused', { role: principal.role, period, tier });
    throw new ForbiddenError(`Anda hanya berwenang mengunduh berkas tingkat akses tersamar (pseudonymised)`);
  }
  const fileName = key.slice(key.lastIndexOf('/') + 1);
  const { url, expiresAt } = await presignedUrl(
    new GetObjectCommand({
      Bucket: config.exportsBucket,
      Key: key,
      ResponseContentDisposition: `attachment; filename="${fileName}"`,
    }),
  );
  await audit.addPeriodEvent(period, {
    at: new Date().toISOString(),
    kind: 'DOWNLOAD',
    actor: principal.username,
    detail: `${principal.role}: ${tier} ${key}`,
  });
  logger.info('Export link issued', { period, tier });
  return respond(200, { code: 'OK', message: `Tautan unduhan ${fileName}`, url, expiresAt, fileName, tier });
}

/** The files of the manifest the principal's tier may have, in the console's terms. */
function visibleFiles(principal: Principal, manifest: SnapshotManifest) {
  return manifest.files
    .map((file) => ({
      key: file.key,
      tier: TIER_OF[file.tier],
      rows: file.records,
      bytes: file.bytes,
      sha256: file.sha256,
    }))
    .filter((file) => mayHave(principal, file.tier));
}

function mayHave(principal: Principal, tier: ConsoleTier): boolean {
  return principal.role === 'ministry_operator' || (principal.role === 'analyst' && tier === 'pseudonymised');
}

function assertReader(principal: Principal): void {
  if (principal.role !== 'ministry_operator' && principal.role !== 'analyst') {
    throw new ForbiddenError('Hanya operator Kementerian Sosial dan analis yang dapat melihat periode penetapan');
  }
}

/** The period of the path, stipulated, with its manifest; 404 when it is not (yet) stipulated. */
async function stipulatedManifest(event: Event): Promise<{ period: string; manifest: SnapshotManifest }> {
  const period = pathParameter(event, 'period');
  if (!PERIOD.safeParse(period).success) {
    throw new ValidationError(`Periode "${period}" harus berbentuk YYYY-MM`, ['period: harus berbentuk YYYY-MM']);
  }
  const record = await periods.getPeriod(period);
  if (!record) throw new NotFoundError(`Periode ${period} belum ditetapkan`);
  const body = await openObject(s3, config.exportsBucket, record.manifestKey ?? KEYS.manifest(period));
  if (!body) throw new NotFoundError(`Manifes periode ${period} tidak ditemukan`);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return { period, manifest: JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnapshotManifest };
}
