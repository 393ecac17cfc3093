/**
 * RecordOutcome: the terminal states of a proposal (RETURNED, REJECTED, EXPIRED, FAILED, STIPULATED)
 * with the reason the region will read, its open tasks closed and its NIK claims released. Staged data
 * is kept: a FAILED proposal can be inspected and re-run.
 */
import { DynamoClaimRegistry } from '#shared/claims-repository.ts';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { RECORD_OUTCOME_INPUT, type TerminalStatus } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { closeEndedProposal } from '#shared/ended-proposal.ts';
import { PrematureExpiryError, ProposalNotFoundError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { type ProposalRecord, ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';

const config = readConfig(['proposalsTable', 'claimsTable', 'proposalsBucket']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const tasks = new TasksRepository(documents, config.proposalsTable);
const decisions = new DecisionsRepository(documents, config.proposalsTable);
const claims = new DynamoClaimRegistry(documents, config.claimsTable);

const DEFAULT_REASONS: Record<TerminalStatus, string> = {
  RETURNED: 'Tidak ada baris yang lolos pemeriksaan integritas data; lihat laporan pengembalian',
  REJECTED: 'Usulan ditolak oleh pemberi persetujuan',
  EXPIRED: 'Batas waktu persetujuan terlewati tanpa keputusan',
  FAILED: 'Pemrosesan usulan gagal karena kesalahan sistem; data usulan disimpan untuk diproses ulang',
  STIPULATED: 'Usulan telah ditetapkan dalam DTKS',
};

/**
 * Step Functions raises States.Timeout when TimeoutSeconds has passed since the task state was entered,
 * a moment before request-approval stored the task's createdAt; a retried request-approval stores a
 * later one. This much earlier than createdAt + TimeoutSeconds still counts as the real timeout.
 */
const EXPIRY_TOLERANCE_MS = 15 * 60 * 1000;

/** A Catch cause can be a whole stack trace; the proposal keeps enough to diagnose. */
const MAX_CAUSE = 4000;

export const handler = lambda(RECORD_OUTCOME_INPUT, async (input) => {
  const { proposalId, status, error } = input;
  logger.appendKeys({ proposalId, status });
  let proposal: ProposalRecord;
  try {
    proposal = await proposals.require(proposalId);
  } catch (failure) {
    // A workflow that failed before Ingest recorded the proposal has nothing to record.
    if (failure instanceof ProposalNotFoundError && status === 'FAILED') {
      logger.warn('Failed proposal was never recorded', { errorName: error?.Error });
      return { proposalId, status, recorded: false, releasedClaims: 0 };
    }
    throw failure;
  }
  if (status === 'EXPIRED' && input.expiry) await assertApprovalPeriodPassed(proposal, input.expiry);
  const reason = input.reason ?? (await defaultReason(proposal, status, error ?? undefined));
  // The statuses each end may be reached from are the lifecycle's (core/lifecycle.ts).
  await proposals.transition(proposalId, status, {
    set: {
      reason,
      ...(error ? { error: { Error: error.Error ?? undefined, Cause: error.Cause?.slice(0, MAX_CAUSE) } } : {}),
    },
    remove: ProposalsRepository.STIPULATION_QUEUE_KEYS,
    detail: reason,
  });
  const { releasedClaims } = await closeEndedProposal(
    { tasks, claims, s3, proposalsBucket: config.proposalsBucket },
    proposalId,
  );
  logger.info('Proposal outcome recorded', { releasedClaims });
  return { proposalId, status, recorded: true, releasedClaims };
});

async function defaultReason(
  proposal: ProposalRecord,
  status: TerminalStatus,
  error?: { Error?: string | null; Cause?: string | null },
): Promise<string> {
  const errorName = error?.Error ?? undefined;
  if (status === 'REJECTED') {
    const rejection = (await decisions.listDecisions(proposal.proposalId)).find((d) => d.decision === 'REJECT');
    if (rejection) {
      const level = rejection.level === 'REGENCY' ? 'kabupaten/kota' : 'provinsi';
      return `Ditolak di tingkat ${level} oleh ${rejection.decidedBy}${rejection.note ? `: ${rejection.note}` : ''}`;
    }
  }
  // A refusal one of our own steps stored for this error; a Catch's Cause is never shown to the region.
  if (status === 'FAILED' && errorName && proposal.refusal?.error === errorName) return proposal.refusal.reason;
  if (status === 'FAILED' && errorName) return `${DEFAULT_REASONS.FAILED} (${errorName.slice(0, 100)})`;
  return DEFAULT_REASONS[status];
}

/**
 * An expiry is believed only once the task's approval period is over: a States.Timeout that anyone
 * holding the token can send with SendTaskFailure must not end a proposal nobody let lapse.
 */
async function assertApprovalPeriodPassed(
  proposal: ProposalRecord,
  expiry: { level: 'REGENCY' | 'PROVINCE'; timeoutSeconds: number },
): Promise<void> {
  const task = await tasks.getTaskWithToken(proposal.proposalId, expiry.level);
  const openedAt = task ? Date.parse(task.createdAt) : Number.NaN;
  if (Date.now() >= openedAt + expiry.timeoutSeconds * 1000 - EXPIRY_TOLERANCE_MS) return;
  const error = new PrematureExpiryError(proposal.proposalId, expiry.level, task?.createdAt);
  await proposals.update(proposal.proposalId, {
    refusal: { error: error.name, reason: error.message, at: new Date().toISOString() },
  });
  logger.warn('Premature expiry refused', { approvalLevel: expiry.level });
  throw error;
}
