/**
 * The manifest of the latest period recorded before a period: what FinaliseExport chains the new manifest
 * onto and where the guard takes each regency's active persons from. One home, because both must trust the
 * same manifest the same way: its bytes are read whole and their SHA-256 compared with the one the period's
 * record keeps (another store than the manifest), so a manifest changed after its stipulation is refused
 * (ManifestChainError) instead of chained onto, or believed by the guard (inflated counts would let a mass
 * deactivation through without the ministry's sign-off).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { sha256Hex } from '#core/chain.ts';
import { addMonths } from '#core/period.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { KEYS } from './contracts.ts';
import { ManifestChainError } from './errors.ts';
import type { PeriodsRepository } from './periods-repository.ts';
import { openObject } from './staging.ts';

/** How far back the previous recorded period is looked for: ten years of months. */
export const RECORDED_PERIOD_LOOKBACK_MONTHS = 120;

export interface RecordedManifest {
  /** The earlier period, and its manifest's key and SHA-256 as checked against its record. */
  period: string;
  key: string;
  sha256: string;
  manifest: SnapshotManifest;
}

/** The latest period recorded before `period`, with its checked manifest; null for the first period. */
export async function previousRecordedManifest(
  periods: Pick<PeriodsRepository, 'getPeriod'>,
  s3: S3Client,
  exportsBucket: string,
  period: string,
): Promise<RecordedManifest | null> {
  for (let back = 1; back <= RECORDED_PERIOD_LOOKBACK_MONTHS; back++) {
    const earlier = addMonths(period, -back);
    const record = await periods.getPeriod(earlier);
    if (!record) continue;
    const key = record.manifestKey ?? KEYS.manifest(earlier);
    const body = await openObject(s3, exportsBucket, key);
    if (!body) throw new ManifestChainError(period, earlier, key, 'hilang');
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    const sha256 = sha256Hex(bytes);
    if (record.manifestSha256 && record.manifestSha256 !== sha256) {
      throw new ManifestChainError(period, earlier, key, 'diubah sesudah penetapannya');
    }
    return { period: earlier, key, sha256, manifest: JSON.parse(bytes.toString('utf8')) as SnapshotManifest };
  }
  return null;
}
