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
import { ProposalNotFoundError } from '#shared/errors.ts';
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
 * Failures whose message is written for the region (errors.ts): the reason is that message, not the
 * system-error default. A Lambda error's Cause is its JSON ({errorType, errorMessage, trace}); a Pass
 * state's is the text itself.
 */
const REASONS_FOR_THE_REGION = new Set(['DecisionNotRecordedError']);

function errorMessageOf(cause: string | null | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : undefined;
  } catch {
    return cause.slice(0, 1000);
  }
}

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
  if (status === 'FAILED' && errorName && REASONS_FOR_THE_REGION.has(errorName)) {
    const message = errorMessageOf(error?.Cause);
    if (message) return message;
  }
  if (status === 'FAILED' && errorName) return `${DEFAULT_REASONS.FAILED} (${errorName})`;
  return DEFAULT_REASONS[status];
}
