/**
 * `dtks snapshot verify [--period P]`: whether anything of a stipulated period was changed after its
 * stipulation (issue 11). Re-reads every file a period's manifest lists and hashes it (streamed: a
 * regency's Parquet file is never held whole), compares the manifest's own bytes with the SHA-256 its
 * period record keeps (DynamoDB: another store than the manifest), and follows the hash chain
 * (core/chain.ts) to the previous period's manifest. With --period, that period and its chain back to the
 * first; without, every period with a manifest. Reads the full tier's files (names, NIKs) only to hash
 * them: the ministry's (or an auditor's) credentials.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  fileProblems,
  type IntegrityProblem,
  isTampering,
  linkProblems,
  type Observed,
  sha256Hex,
} from '#core/chain.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { KEYS } from '#shared/contracts.ts';
import type { PeriodRecord } from '#shared/periods-repository.ts';
import { tierPeriods } from './snapshot-query.ts';

export interface VerifySources {
  s3: S3Client;
  bucket: string;
  /** The period's record (PERIOD#<period>, META), or undefined when it was not stipulated. */
  periodRecord(period: string): Promise<PeriodRecord | undefined>;
}

export interface VerifiedPeriod {
  period: string;
  /** The files the manifest lists (0 when the manifest could not be read). */
  files: number;
  /** The period its manifest chains to, if any. */
  previous: string | null;
  problems: IntegrityProblem[];
}

export interface VerifyResult {
  periods: VerifiedPeriod[];
  /** True when no period shows a change after its stipulation. */
  intact: boolean;
}

export async function verifySnapshots(sources: VerifySources, period?: string): Promise<VerifyResult> {
  const verified: VerifiedPeriod[] = [];
  if (period) {
    // The period and its chain back to the first, each once.
    const seen = new Set<string>();
    for (let next: string | null = period; next && !seen.has(next); ) {
      seen.add(next);
      const result = await verifyPeriod(sources, next);
      verified.push(result);
      next = result.problems.some((problem) => problem.kind === 'CHAIN_BROKEN') ? null : result.previous;
    }
  } else {
    const periods = (await tierPeriods(sources.s3, sources.bucket, 'full')).sort();
    for (const each of periods) verified.push(await verifyPeriod(sources, each));
  }
  return { periods: verified, intact: verified.every((each) => !each.problems.some(isTampering)) };
}

async function verifyPeriod(sources: VerifySources, period: string): Promise<VerifiedPeriod> {
  const record = await sources.periodRecord(period);
  if (!record) return { period, files: 0, previous: null, problems: [{ kind: 'NOT_STIPULATED', period }] };
  const key = record.manifestKey ?? KEYS.manifest(period);
  const bytes = await readObject(sources, key);
  if (!bytes) return { period, files: 0, previous: null, problems: [{ kind: 'MANIFEST_MISSING', period, key }] };
  const problems: IntegrityProblem[] = [];
  if (record.manifestSha256 && sha256Hex(bytes) !== record.manifestSha256) {
    problems.push({ kind: 'MANIFEST_CHANGED', period, key });
  }
  const manifest = JSON.parse(bytes.toString('utf8')) as SnapshotManifest;
  const observed = new Map<string, Observed>();
  for (const file of manifest.files) observed.set(file.key, await hashObject(sources, file.key));
  problems.push(...fileProblems(period, manifest.files, observed));
  const previous = manifest.chain?.previous ?? null;
  const found: Observed = previous ? await hashObject(sources, previous.key) : { found: false };
  problems.push(...linkProblems(period, manifest.chain, found));
  return { period, files: manifest.files.length, previous: previous?.period ?? null, problems };
}

async function readObject(sources: VerifySources, key: string): Promise<Buffer | undefined> {
  try {
    const object = await sources.s3.send(new GetObjectCommand({ Bucket: sources.bucket, Key: key }));
    return Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The object's SHA-256, streamed, or not found. */
async function hashObject(sources: VerifySources, key: string): Promise<Observed> {
  try {
    const object = await sources.s3.send(new GetObjectCommand({ Bucket: sources.bucket, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    return { found: true, sha256: hash.digest('hex') };
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return { found: false };
    throw error;
  }
}
