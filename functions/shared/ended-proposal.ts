/**
 * What a proposal leaves open when it ends, whatever ended it (RecordOutcome at the end of the workflow,
 * RecordStopped when its execution was stopped): its approval and stipulation tasks are closed, so they
 * leave the approvers' lists, and its NIK claims are released. Both steps are idempotent (a closed task
 * stays closed, a released claim is gone), so a retried or repeated event converges.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoClaimRegistry } from './claims-repository.ts';
import { KEYS } from './contracts.ts';
import { openRows } from './staging.ts';
import type { TaskKind, TasksRepository } from './tasks-repository.ts';

export interface EndedProposalStores {
  tasks: TasksRepository;
  claims: DynamoClaimRegistry;
  s3: S3Client;
  /** The proposals bucket, where CheckIntegrity staged the accepted rows (the NIKs claimed). */
  proposalsBucket: string;
}

const TASKS: TaskKind[] = ['REGENCY', 'PROVINCE', 'STIPULATION'];

/** Closes the proposal's open tasks (as `closedBy`) and releases its claims; returns how many were released. */
export async function closeEndedProposal(
  stores: EndedProposalStores,
  proposalId: string,
  closedBy = 'system',
): Promise<{ releasedClaims: number }> {
  for (const kind of TASKS) await stores.tasks.closeTask(proposalId, kind, closedBy);
  return { releasedClaims: await releaseClaims(stores, proposalId) };
}

/**
 * Claims end with the proposal, STIPULATED included: once stipulated the master itself holds the
 * person's family, and a claim left behind would block every later change of that person.
 */
async function releaseClaims(stores: EndedProposalStores, proposalId: string): Promise<number> {
  const rows = await openRows(stores.s3, stores.proposalsBucket, KEYS.acceptedRows(proposalId));
  if (!rows) return 0;
  let released = 0;
  for await (const batch of rows) {
    released += await stores.claims.release(
      proposalId,
      batch.map((row) => row.nik),
    );
  }
  return released;
}
