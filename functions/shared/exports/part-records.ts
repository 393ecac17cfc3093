/**
 * The part records of a period's export (KEYS.exportPartRecord): ExportRegency writes one per regency
 * once its files are complete, FinaliseExport reads them back to write the manifest. The file lists of
 * the 514 regencies of Indonesia come to more than Step Functions' 256 KiB payload limit, so only a
 * summary per regency (ExportRegencyOutput) travels through the state machine and the rest through S3.
 * A regency exported in units (EXPORT_UNIT) has one record per unit (KEYS.exportPartRecord with the unit).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { InconsistentSnapshotError } from '#core/snapshot.ts';
import { forEachConcurrently } from '../concurrency.ts';
import {
  EXPORT_UNIT,
  type ExportPartRecord,
  type ExportRegencyOutput,
  KEYS,
  PERIOD,
  PROVINCE,
  REGENCY,
} from '../contracts.ts';
import { ExportPartMissingError } from '../errors.ts';
import { listKeys } from '../staging.ts';

/** GetObjects in flight: 514 small objects read in a few seconds without meeting S3's request rates. */
const READ_CONCURRENCY = 16;

const COUNT = z.number().int().nonnegative();

const PART_RECORD = z.object({
  period: PERIOD,
  regency: REGENCY,
  province: PROVINCE,
  records: COUNT,
  files: z.array(
    z.object({
      key: z.string().min(1),
      tier: z.enum(['full', 'pseudonymised', 'csv', 'xlsx']),
      records: COUNT,
      bytes: COUNT,
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      anonymity: z.object({ k: COUNT.min(2), suppressed: COUNT, withheld: COUNT }).optional(),
    }),
  ),
  format: COUNT.optional(),
  carriedFrom: PERIOD.optional(),
  writtenIn: PERIOD.optional(),
  unit: EXPORT_UNIT.optional(),
  runs: z.array(z.object({ nik: z.string().regex(/^\d{16}$/), persons: COUNT.min(1) })).optional(),
});

/** Writes the record of one regency's export; a rerun overwrites it under the same key. */
export async function writePartRecord(s3: S3Client, bucket: string, record: ExportPartRecord): Promise<string> {
  const key = KEYS.exportPartRecord(record.period, record.regency, record.unit);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(record)}\n`,
      ContentType: 'application/json',
    }),
  );
  return key;
}

/**
 * The part records of the regencies the Map exported, in their order. Every regency must have one
 * (ExportPartMissingError names those without), and each must agree with what its export reported to
 * the Map, when that is given (InconsistentSnapshotError otherwise). Records of regencies not in the list (left by an
 * earlier run of the period) are not read.
 */
export async function readPartRecords(
  s3: S3Client,
  bucket: string,
  period: string,
  regencies: readonly (Omit<ExportRegencyOutput, 'records'> & { records?: number })[],
): Promise<ExportPartRecord[]> {
  const stored = await listKeys(s3, bucket, KEYS.exportPartRecords(period));
  const missing = regencies
    .filter(({ regency, unit }) => !stored.has(KEYS.exportPartRecord(period, regency, unit)))
    .map(({ regency, unit }) => (unit ? `${regency} bagian ${unit.part}/${unit.parts}` : regency));
  if (missing.length > 0) throw new ExportPartMissingError(period, missing);

  const records: ExportPartRecord[] = new Array(regencies.length);
  await forEachConcurrently(regencies, READ_CONCURRENCY, async (expected, index) => {
    const key = KEYS.exportPartRecord(period, expected.regency, expected.unit);
    const record = await readPartRecord(s3, bucket, period, expected.regency, expected.unit);
    if (!record) throw new ExportPartMissingError(period, [expected.regency]);
    if (
      record.period !== period ||
      record.regency !== expected.regency ||
      record.province !== expected.province ||
      record.unit?.part !== expected.unit?.part ||
      record.unit?.parts !== expected.unit?.parts ||
      (expected.records !== undefined && record.records !== expected.records)
    ) {
      throw new InconsistentSnapshotError(
        `Catatan ekspor ${key} (periode ${record.period}, ${record.regency}/${record.province}, ${record.records} baris) ` +
          `tidak sesuai dengan ekspor ${expected.regency}/${expected.province} yang melaporkan ${expected.records} baris`,
      );
    }
    records[index] = record;
  });
  return records;
}

/**
 * The part record of one regency's export (or of one unit of it) in `period`, or undefined when there is none; a record that is
 * not whole or not valid is an InconsistentSnapshotError.
 */
export async function readPartRecord(
  s3: S3Client,
  bucket: string,
  period: string,
  regency: string,
  unit?: { part: number },
): Promise<ExportPartRecord | undefined> {
  const key = KEYS.exportPartRecord(period, regency, unit);
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
  let parsed: ReturnType<typeof PART_RECORD.safeParse>;
  try {
    parsed = PART_RECORD.safeParse(JSON.parse(text));
  } catch (error) {
    throw new InconsistentSnapshotError(`Catatan ekspor ${key} bukan JSON yang utuh`, { cause: error });
  }
  if (!parsed.success) {
    throw new InconsistentSnapshotError(`Catatan ekspor ${key} tidak valid: ${parsed.error.message}`);
  }
  return parsed.data;
}
