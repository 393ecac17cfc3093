/**
 * A proposal record as the tests store one: regency 3371 (province 33) for 2026-11, uploaded to the
 * local proposals bucket as proposals/3371/2026-11/<id>.csv, run by execution exec-<id>, received now
 * and still CHECKING. A test names only what its case turns on. And the proposals the stipulation takes
 * up, approved by their province.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ProposalRow } from '#core/proposal.ts';
import { LOCAL_RESOURCES } from '#local/provision.ts';
import { type ApprovalDecision, KEYS } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { type ProposalRecord, ProposalsRepository } from '#shared/proposals-repository.ts';
import type { TestAws } from './aws.ts';

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

/**
 * A proposal of `period` its province approved at `approvedAt`, as AwaitStipulation finds one: its
 * record AWAITING_PROVINCE since then, its accepted rows staged as CheckIntegrity writes them (one JSON
 * line each) and the province's decision recorded, with `exclusions` if any.
 */
export async function provinceApprovedProposal(
  aws: TestAws,
  proposal: {
    proposalId: string;
    period: string;
    approvedAt: string;
    rows: readonly ProposalRow[];
    exclusions?: ApprovalDecision['exclusions'];
  },
): Promise<void> {
  const { proposalId, period, approvedAt, rows, exclusions = [] } = proposal;
  await new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals).create(
    proposalRecord(proposalId, {
      period,
      status: 'AWAITING_PROVINCE',
      key: `proposals/3371/${period}/${proposalId}.csv`,
      receivedAt: approvedAt,
      updatedAt: approvedAt,
      statusChangedAt: approvedAt,
    }),
  );
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: KEYS.acceptedRows(proposalId),
      Body: rows.map((row) => `${JSON.stringify(row)}\n`).join(''),
    }),
  );
  await new DecisionsRepository(aws.clients.documents, aws.names.tables.proposals).putDecision({
    proposalId,
    decision: exclusions.length ? 'APPROVE_WITH_EXCLUSIONS' : 'APPROVE',
    level: 'PROVINCE',
    decidedBy: 'dinsos-33',
    decidedAt: approvedAt,
    note: '',
    exclusions,
  });
}

/** The proposals a stipulation-collect answer names: its list in S3 (the workflow's payload has only the key). */
export async function collectedProposals(
  aws: TestAws,
  collected: { proposalsKey?: string },
): Promise<{ proposalId: string; regency: string }[]> {
  if (!collected.proposalsKey) return [];
  const object = await aws.clients.s3.send(
    new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: collected.proposalsKey }),
  );
  return JSON.parse((await object.Body?.transformToString()) ?? '[]');
}
