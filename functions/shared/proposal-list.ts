/**
 * The period's proposals as lists in S3, never in a payload or an item: about 60 bytes a proposal put
 * 4,000 of them at Step Functions' 256 KiB limit and 6,000 at DynamoDB's 400 KB item.
 *
 * The workflow's list (KEYS.proposalList): Collect writes it on each run; Resolve, FinaliseExport and
 * RecordPeriod read it, and the release Map's ItemReader iterates it.
 *
 * A period's kept lists (KEYS.periodProposals): the collection its first run fixed and the proposals its
 * record names, each stored once under its own SHA-256, outside the expiring stipulation/ folder (a period's
 * record is kept for good); the item keeps the key, the count and the SHA-256 (StoredProposalList).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256Hex } from '#core/chain.ts';
import { KEYS, PROPOSAL_REFS } from './contracts.ts';
import { ProposalListChangedError, StagedRowsMissingError, TransientError } from './errors.ts';
import { openObject, putText, readJson } from './staging.ts';

export type ProposalRef = { proposalId: string; regency: string };

/** A kept list as its item names it: where it is, how many proposals, and the SHA-256 of its bytes. */
export interface StoredProposalList {
  key: string;
  count: number;
  sha256: string;
}

/**
 * Where an item of a period finds its proposals: the list in S3 (`proposalList`), or inline (`proposals`)
 * on an item written before the lists moved to S3 (a stipulated month is never rewritten, so those stay).
 */
export interface ListedProposals {
  proposalList?: StoredProposalList;
  proposals?: ProposalRef[];
}

/** Writes the list of `period`; returns its key. */
export async function writeProposalList(
  s3: S3Client,
  bucket: string,
  period: string,
  proposals: readonly ProposalRef[],
): Promise<string> {
  const key = KEYS.proposalList(period);
  await putText(s3, bucket, key, listText(proposals), 'application/json');
  return key;
}

/** The proposals given inline, or read from the list at `proposalsKey`. */
export async function proposalsOf(
  s3: S3Client,
  bucket: string,
  input: { proposals?: ProposalRef[]; proposalsKey?: string },
): Promise<ProposalRef[]> {
  if (input.proposals) return input.proposals;
  const key = input.proposalsKey as string;
  const list = await readJson<unknown>(s3, bucket, key);
  if (list === undefined) throw new StagedRowsMissingError(`daftar usulan ${key}`);
  return PROPOSAL_REFS.parse(list);
}

/**
 * Keeps `proposals` of `period` once, under the SHA-256 of their bytes (If-None-Match: *): a retry, or another
 * run with the same list, finds the same bytes there already (412), and a run with another list writes
 * another object, so whichever item's conditional write stands names bytes that match it.
 */
export async function storeProposalList(
  s3: S3Client,
  bucket: string,
  period: string,
  proposals: readonly ProposalRef[],
): Promise<StoredProposalList> {
  const text = listText(proposals);
  const sha256 = sha256Hex(text);
  const key = KEYS.periodProposals(period, sha256);
  try {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json', IfNoneMatch: '*' }),
    );
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // 412: the same bytes are there already (the key is their SHA-256); the reader checks them anyway.
    if (status !== 412 && (error as Error).name !== 'PreconditionFailed') {
      // S3 answers 409 ConditionalRequestConflict to a conditional write racing another write of the key.
      if (status === 409) throw new TransientError(`Daftar usulan ${key} sedang ditulis; langkah ini akan diulang`);
      throw error;
    }
  }
  return { key, count: proposals.length, sha256 };
}

/** The proposals an item names: its list in S3, checked against the SHA-256 and count it keeps, or inline. */
export async function listedProposals(s3: S3Client, bucket: string, item: ListedProposals): Promise<ProposalRef[]> {
  const stored = item.proposalList;
  if (!stored) return item.proposals ?? [];
  const body = await openObject(s3, bucket, stored.key);
  if (!body) throw new ProposalListChangedError(stored.key, 'tidak ditemukan');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  const bytes = Buffer.concat(chunks);
  if (sha256Hex(bytes) !== stored.sha256) throw new ProposalListChangedError(stored.key, 'berubah sesudah ditulis');
  const list = PROPOSAL_REFS.parse(JSON.parse(bytes.toString('utf8')));
  if (list.length !== stored.count) {
    throw new ProposalListChangedError(stored.key, `berisi ${list.length} usulan, tercatat ${stored.count}`);
  }
  return list;
}

/** The list as both kinds are written: {proposalId, regency} per proposal, in order, nothing else. */
function listText(proposals: readonly ProposalRef[]): string {
  return JSON.stringify(proposals.map(({ proposalId, regency }) => ({ proposalId, regency })));
}
