/**
 * FinaliseExport: after the Map over regencies, the period's manifest (exports/period=…/manifest.json):
 * every file with its tier, record count, size and SHA-256, the totals by province and regency, the
 * source proposals and whether the previous snapshot was carried forward. The files come from the part
 * records ExportRegency wrote to S3 (KEYS.exportPartRecord), one per regency the Map reports: a regency
 * without one fails the step (ExportPartMissingError) rather than leaving it out of the manifest. A rerun
 * writes the same manifest but for `generatedAt`.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { buildSnapshotManifest } from '#core/snapshot.ts';
import { s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { type FinaliseExportInput, KEYS } from '#shared/contracts.ts';
import { ValidationError } from '#shared/errors.ts';
import { EXPORT_REGENCY_OUTPUT, readPartRecords } from '#shared/exports/part-records.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';

const config = readConfig(['exportsBucket']);

const INPUT = z.object({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
  carriedForward: z.boolean(),
  proposals: z.array(z.object({ proposalId: z.string().min(1), regency: z.string() })),
  regencies: z.array(EXPORT_REGENCY_OUTPUT),
});

export interface FinaliseExportOutput {
  manifestKey: string;
  records: number;
}

export const handler = lambda(async (event: FinaliseExportInput): Promise<FinaliseExportOutput> => {
  const parsed = INPUT.safeParse(event);
  if (!parsed.success) throw new ValidationError('Masukan FinaliseExport tidak valid', [parsed.error.message]);
  const { period, carriedForward, proposals, regencies } = parsed.data;
  logger.appendKeys({ period });
  const parts = await readPartRecords(s3, config.exportsBucket, period, regencies);
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
  logger.info('Snapshot manifest written', {
    regencies: parts.length,
    records: manifest.totals.records,
    files: manifest.files.length,
  });
  return { manifestKey, records: manifest.totals.records };
});
