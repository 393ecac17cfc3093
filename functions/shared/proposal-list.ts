/**
 * The period's proposals as a list in S3 (KEYS.proposalList), not in the workflow's payload: about 60
 * bytes a proposal put 4,000 of them at Step Functions' 256 KiB limit. Collect writes it; Resolve,
 * FinaliseExport and RecordPeriod read it, and the release Map's ItemReader iterates it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { KEYS, PROPOSAL_REFS } from './contracts.ts';
import { StagedRowsMissingError } from './errors.ts';
import { putText, readJson } from './staging.ts';

export type ProposalRef = { proposalId: string; regency: string };

/** Writes the list of `period`; returns its key. */
export async function writeProposalList(
  s3: S3Client,
  bucket: string,
  period: string,
  proposals: readonly ProposalRef[],
): Promise<string> {
  const key = KEYS.proposalList(period);
  const list = proposals.map(({ proposalId, regency }) => ({ proposalId, regency }));
  await putText(s3, bucket, key, JSON.stringify(list), 'application/json');
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
