/**
 * FinaliseExport: after the Map over regencies, the period's manifest (exports/period=…/manifest.json):
 * every file with its tier, record count, size and SHA-256, the totals by province and regency, the
 * source proposals and whether the previous snapshot was carried forward. A rerun writes the same
 * manifest but for `generatedAt`.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { buildSnapshotManifest } from '#core/snapshot.ts';
import { s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { type FinaliseExportInput, KEYS } from '#shared/contracts.ts';
import { ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';

const config = readConfig(['exportsBucket']);

const FILE = z.object({
  key: z.string().min(1),
  tier: z.enum(['full', 'pseudonymised', 'csv']),
  records: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const INPUT = z.object({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
  carriedForward: z.boolean(),
  proposals: z.array(z.object({ proposalId: z.string().min(1), regency: z.string() })),
  parts: z.array(
    z.object({
      regency: z.string().regex(/^\d{4}$/),
      province: z.string().regex(/^\d{2}$/),
      records: z.number().int().nonnegative(),
      files: z.array(FILE),
    }),
  ),
});

export interface FinaliseExportOutput {
  manifestKey: string;
  records: number;
}

export const handler = lambda(async (event: FinaliseExportInput): Promise<FinaliseExportOutput> => {
  const parsed = INPUT.safeParse(event);
  if (!parsed.success) throw new ValidationError('Masukan FinaliseExport tidak valid', [parsed.error.message]);
  const { period, carriedForward, proposals, parts } = parsed.data;
  logger.appendKeys({ period });
  const manifest = buildSnapshotManifest({
    period,
    generatedAt: new Date().toISOString(),
    carriedForward,
    sourceProposals: proposals,
    parts,
  });
  const manifestKey = KEYS.manifest(period);
  await s3.send(
    new PutObjectCommand({
      Bucket: config.exportsBucket,
      Key: manifestKey,
      Body: `${JSON.stringify(manifest, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
  logger.info('Snapshot manifest written', { records: manifest.totals.records, files: manifest.files.length });
  return { manifestKey, records: manifest.totals.records };
});
