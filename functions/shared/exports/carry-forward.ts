/**
 * The incremental snapshot: a regency that no applied change touched in the period has the same active
 * persons as when the previous period was stipulated, so its export is not read from the master and
 * written again (a full index read and four encodings per regency per month) but carried forward: each
 * file of the previous period's part is copied inside S3 (CopyObject, no bytes through the Lambda) to
 * this period's key. Same bytes, so the same SHA-256 and size, which the new part record repeats from the
 * previous one, marked `carriedFrom` (the manifest lists it so).
 *
 * A carried file keeps what it says inside: its `periode` column and Parquet metadata name the period
 * whose export wrote it (`writtenIn`). The part is exported from the master instead when the previous
 * one cannot stand for it: no part record there, a part of another snapshot format (SNAPSHOT_FORMAT), a
 * pseudonymised file of another k, a tier missing, or a file whose size is not what the record says.
 * Each source file is pinned by the version read with HeadObject, so a copy is of the object checked.
 *
 * A regency the previous period exported in units (EXPORT_UNIT) is carried unit by unit: ListRegencies
 * lists the previous units, same NIK ranges, and each copies its own part's files (together every file of
 * the regency, whatever units they came from); a unit that cannot be carried is exported from the master
 * over its range, which the previous export sized to fit one invocation.
 */
import { CopyObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrently } from '../concurrency.ts';
import type { ExportFile, ExportPartRecord, ExportUnit } from '../contracts.ts';
import { readPartRecord } from './part-records.ts';
import { SNAPSHOT_FORMAT, tierKey } from './regency-export.ts';

const TIERS: readonly ExportFile['tier'][] = ['full', 'pseudonymised', 'csv', 'xlsx'];

export interface CarryForwardInput {
  period: string;
  regency: string;
  province: string;
  /** The previous period, stipulated (ListRegencies checked its record). */
  from: string;
  /** The k of this period's pseudonymised tier: one release, one k. */
  k: number;
  /** The unit carried, as the previous period exported it; absent: a regency exported whole. */
  unit?: ExportUnit;
}

export type CarryForwardResult = { carried: true; part: ExportPartRecord } | { carried: false; because: string };

/** Copies the previous period's files of the regency, or says why they cannot be carried. */
export async function carryForward(
  s3: S3Client,
  bucket: string,
  input: CarryForwardInput,
): Promise<CarryForwardResult> {
  const { period, regency, province, from, unit } = input;
  const previous = await readPartRecord(s3, bucket, from, regency, unit);
  if (!previous) return { carried: false, because: `tidak ada catatan ekspor ${regency} periode ${from}` };
  const refusal = whyNotCarried(previous, input);
  if (refusal) return { carried: false, because: refusal };

  const sources = new Map<ExportFile['tier'], string>();
  for (const file of previous.files) {
    const head = await headObject(s3, bucket, file.key);
    if (!head || head.bytes !== file.bytes)
      return { carried: false, because: `berkas ${file.key} tidak ada atau ukurannya tidak sesuai catatan` };
    sources.set(file.tier, head.versionId ? `?versionId=${encodeURIComponent(head.versionId)}` : '');
  }
  const files: ExportFile[] = previous.files.map((file) => ({
    ...file,
    key: tierKey(file.tier, { period, province, regency, unit }),
  }));
  await forEachConcurrently(previous.files, TIERS.length, async (file, index) => {
    const target = files[index] as ExportFile;
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: target.key,
        CopySource: `${bucket}/${encodeURIComponent(file.key)}${sources.get(file.tier) ?? ''}`,
        MetadataDirective: 'COPY',
      }),
    );
  });
  return {
    carried: true,
    part: {
      period,
      regency,
      province,
      records: previous.records,
      files,
      format: SNAPSHOT_FORMAT,
      carriedFrom: from,
      writtenIn: previous.writtenIn ?? previous.period,
      ...(unit ? { unit } : {}),
      ...(previous.runs ? { runs: previous.runs } : {}),
    },
  };
}

function whyNotCarried(
  previous: ExportPartRecord,
  { regency, province, from, k, unit }: CarryForwardInput,
): string | undefined {
  const [was, asked] = [previous.unit, unit];
  if (
    was?.part !== asked?.part ||
    was?.parts !== asked?.parts ||
    was?.fromNik !== asked?.fromNik ||
    was?.toNik !== asked?.toNik
  )
    return `bagian ekspor ${regency} periode ${from} tidak sama dengan bagian yang diminta`;
  if (previous.format !== SNAPSHOT_FORMAT)
    return `ekspor ${regency} periode ${from} berformat ${previous.format ?? 'lama'}, sekarang ${SNAPSHOT_FORMAT}`;
  if (previous.province !== province)
    return `ekspor ${regency} periode ${from} tercatat di provinsi ${previous.province}`;
  const tiers = previous.files.map((file) => file.tier).sort();
  if (tiers.join() !== [...TIERS].sort().join())
    return `ekspor ${regency} periode ${from} memuat tier ${tiers.join(', ')}`;
  const pseudonymised = previous.files.find((file) => file.tier === 'pseudonymised');
  if (pseudonymised?.anonymity?.k !== k)
    return `tier tersamar ${regency} periode ${from} ditulis dengan k=${pseudonymised?.anonymity?.k}, sekarang k=${k}`;
  return undefined;
}

async function headObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ bytes: number; versionId: string | undefined } | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { bytes: head.ContentLength ?? -1, versionId: head.VersionId };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
    throw error;
  }
}
