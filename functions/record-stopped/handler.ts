/**
 * RecordStopped: a proposal execution that ended without its workflow recording the proposal — stopped
 * by an operator (StopExecution), past the execution's timeout, or failed with an error no Catch took —
 * would leave the proposal AWAITING_REGENCY (or wherever it was) forever, its task in the approvers'
 * lists and its NIK claims held. The EventBridge rule on the proposal state machine's status changes
 * (ABORTED, TIMED_OUT, FAILED) delivers the event here; the proposal becomes FAILED with a reason the
 * region can read, and what it left open is closed as for every ended proposal (ended-proposal.ts).
 *
 * Events come at least once: a repeated event finds the proposal FAILED by this same stop and only
 * converges (closing and releasing are idempotent). A proposal the workflow itself ended (RecordFailed
 * before ProposalFailed failed the execution, or any other outcome) is left as it is.
 */
import { z } from 'zod';
import { isTerminal } from '#core/lifecycle.ts';
import { DynamoClaimRegistry } from '#shared/claims-repository.ts';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { RECORD_STOPPED_INPUT, STOPPED_EXECUTION_STATUSES, type StoppedExecutionStatus } from '#shared/contracts.ts';
import { closeEndedProposal } from '#shared/ended-proposal.ts';
import { StatusConflictError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import { parseUploadKey, proposalIdFor } from '#shared/uploads.ts';

const config = readConfig(['proposalsTable', 'claimsTable', 'proposalsBucket']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const tasks = new TasksRepository(documents, config.proposalsTable);
const claims = new DynamoClaimRegistry(documents, config.claimsTable);

/** The execution input: the S3 "Object Created" event that started it (state-machines/proposal.asl.json). */
const UPLOAD = z.object({
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      'version-id': z.string().min(1).optional(),
      etag: z.string().min(1).optional(),
    }),
  }),
});

/**
 * Per stop, the error recorded on the proposal — named like the Step Functions history event, which no
 * handler error is, so a repeated event recognises its own earlier record — and the reason for the region.
 */
const STOPS: Record<StoppedExecutionStatus, { error: string; reason: (detail: StopDetail) => string }> = {
  ABORTED: {
    error: 'ExecutionAborted',
    reason: ({ cause }) =>
      `Pemrosesan usulan dihentikan oleh operator${cause ? `: ${cause}` : ''}. Data usulan tetap disimpan.`,
  },
  TIMED_OUT: {
    error: 'ExecutionTimedOut',
    reason: () =>
      'Pemrosesan usulan dihentikan karena melewati batas waktu alur kerja usulan. Data usulan tetap disimpan.',
  },
  FAILED: {
    error: 'ExecutionFailed',
    reason: ({ error }) =>
      `Pemrosesan usulan gagal karena kesalahan sistem${error ? ` (${error})` : ''}; data usulan disimpan untuk diproses ulang`,
  },
};

type StopDetail = { error?: string | null; cause?: string | null };

/** A cause can be a whole stack trace; the proposal keeps enough to diagnose (as RecordOutcome does). */
const MAX_CAUSE = 4000;

export const handler = lambda(RECORD_STOPPED_INPUT, async (input) => {
  const { detail } = input;
  const status = detail.status as StoppedExecutionStatus;
  if (!STOPPED_EXECUTION_STATUSES.includes(status)) {
    logger.warn('Status change is not a stop; nothing to record', { status: detail.status });
    return { recorded: false };
  }
  // The execution ARN names the execution by its EventBridge event id: no personal data.
  logger.appendKeys({ executionArn: detail.executionArn, executionStatus: status });

  if (detail.input == null) {
    // Step Functions leaves the input out only when input and output together pass 248 KB; the proposal
    // workflow's (an S3 event, a small outcome) never do. Fail to the dead-letter queue rather than guess.
    throw new ValidationError('Masukan eksekusi tidak disertakan dalam peristiwa; usulan tidak dapat ditemukan', [
      detail.executionArn,
    ]);
  }
  const proposalId = proposalIdOf(detail.input);
  if (!proposalId) {
    logger.warn('Stopped execution was not started by a proposal upload; nothing to record');
    return { recorded: false };
  }
  logger.appendKeys({ proposalId });
  const proposal = await proposals.get(proposalId);
  // Stopped before Ingest recorded it, or the execution of a repeated S3 event (DUPLICATE), or a
  // proposal a re-upload has taken over: the proposal, if any, is not this execution's to end.
  if (!proposal || proposal.executionId !== detail.executionArn) {
    logger.info('Stopped execution carries no proposal');
    return { proposalId, recorded: false };
  }

  const stop = STOPS[status];
  // Not yet at an end of the lifecycle: the workflow still carried it when it stopped.
  if (!isTerminal(proposal.status)) {
    const reason = stop.reason(detail);
    const cause = [detail.error, detail.cause].filter(Boolean).join(': ').slice(0, MAX_CAUSE);
    try {
      await proposals.transition(proposalId, 'FAILED', {
        set: {
          reason,
          error: { Error: stop.error, Cause: cause },
          // Ingest did not finish: a re-upload of the object may take the proposal over (ingest handler).
          ...(proposal.status === 'RECEIVED'
            ? { ingestFailure: { at: new Date().toISOString(), error: stop.error } }
            : {}),
        },
        remove: ProposalsRepository.STIPULATION_QUEUE_KEYS,
        detail: reason,
      });
    } catch (failure) {
      // The workflow recorded another outcome between our read and our write: that outcome stands.
      if (!(failure instanceof StatusConflictError)) throw failure;
      logger.info('Proposal was ended by its workflow meanwhile');
      return { proposalId, recorded: false };
    }
  } else if (proposal.status !== 'FAILED' || proposal.error?.Error !== stop.error) {
    logger.info('Proposal was already ended by its workflow', { proposalStatus: proposal.status });
    return { proposalId, recorded: false };
  }
  const { releasedClaims } = await closeEndedProposal(
    { tasks, claims, s3, proposalsBucket: config.proposalsBucket },
    proposalId,
  );
  logger.info('Stopped proposal recorded as FAILED', { releasedClaims });
  return { proposalId, recorded: true, releasedClaims };
});

/** The proposal of an execution: Ingest derives its id from the uploaded object of the execution input, and so does this. */
function proposalIdOf(input: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(input);
  } catch {
    return undefined;
  }
  const upload = UPLOAD.safeParse(json);
  if (!upload.success) return undefined;
  const { bucket, object } = upload.data.detail;
  const version = object['version-id'] ?? object.etag;
  // EventBridge's Object Created events always carry the ETag; without one Ingest asked S3.
  if (!version) return undefined;
  return proposalIdFor({ bucket: bucket.name, key: object.key, version }, parseUploadKey(object.key));
}
