/**
 * A proposal record as the tests store one: regency 3371 (province 33) for 2026-11, uploaded to the
 * local proposals bucket as proposals/3371/2026-11/<id>.csv, run by execution exec-<id>, received now
 * and still CHECKING. A test names only what its case turns on.
 */
import { LOCAL_RESOURCES } from '#local/provision.ts';
import type { ProposalRecord } from '#shared/proposals-repository.ts';

export function proposalRecord(proposalId: string, fields: Partial<ProposalRecord> = {}): ProposalRecord {
  const now = new Date().toISOString();
  return {
    proposalId,
    regency: '3371',
    province: '33',
    period: '2026-11',
    status: 'CHECKING',
    bucket: LOCAL_RESOURCES.buckets.proposals,
    key: `proposals/3371/2026-11/${proposalId}.csv`,
    executionId: `exec-${proposalId}`,
    receivedAt: now,
    updatedAt: now,
    statusChangedAt: now,
    ...fields,
  };
}
