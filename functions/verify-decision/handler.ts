/**
 * VerifyDecision runs after each waiting task of the proposal workflow (the regency and province
 * approvals, the stipulation release). Whoever holds a task token can answer it with SendTaskSuccess and
 * any output, so the output is only a claim: the workflow continues on what was recorded, the decision
 * the approvals API stored for the level before it sent the token back (DECISION#<level>), or the
 * StipulationRelease that stipulation-release stored on the proposal before it did. No record, or an
 * output that differs from it in what the workflow acts on, is a DecisionNotRecordedError: the workflow's
 * Catch fails the proposal with that reason, which fires the ExecutionsFailed alarm.
 *
 * The answered task is closed here too: the approvals API closes it after SendTaskSuccess, but a forged
 * answer, or a crash between the two calls, would leave it in the approvers' list.
 */
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import {
  type StipulationRelease,
  type TaskAnswer,
  VERIFY_DECISION_INPUT,
  type VerifyDecisionInput,
} from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { DecisionNotRecordedError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const tasks = new TasksRepository(documents, config.proposalsTable);
const decisions = new DecisionsRepository(documents, config.proposalsTable);

/** What the workflow acts on: who decided what, and when (the approval order of the stipulation). */
const DECISION_FIELDS = ['decision', 'level', 'decidedBy', 'decidedAt'] as const;
const RELEASE_FIELDS = ['outcome', 'period', 'applied', 'returnedRows'] as const;

export const handler = lambda(VERIFY_DECISION_INPUT, async (input): Promise<TaskAnswer | StipulationRelease> => {
  const { proposalId, level } = input;
  const received = asRecord(input.received);
  logger.appendKeys({ proposalId, approvalLevel: level });

  if (level === 'STIPULATION') {
    const release = (await proposals.require(proposalId)).release;
    if (!release) throw await refused(proposalId, level, 'tidak ada hasil penetapan yang tercatat');
    await assertSame(proposalId, level, RELEASE_FIELDS, received, release);
    await tasks.closeTask(proposalId, 'STIPULATION', `stipulation ${release.period}`);
    logger.info('Stipulation release verified', { outcome: release.outcome, period: release.period });
    return {
      outcome: release.outcome,
      period: release.period,
      applied: release.applied,
      returnedRows: release.returnedRows,
    };
  }

  const recorded = await decisions.getDecision(proposalId, level);
  if (!recorded) throw await refused(proposalId, level, 'tidak ada keputusan yang tercatat di API persetujuan');
  await assertSame(proposalId, level, DECISION_FIELDS, received, recorded);
  await tasks.closeTask(proposalId, level, recorded.decidedBy);
  logger.info('Decision verified', { decision: recorded.decision });
  // The exclusions stay in the decision record (the stipulation reads them there), out of the history.
  const { decision, decidedBy, decidedAt, note } = recorded;
  return { decision, level: recorded.level, decidedBy, decidedAt, note: note ?? '' };
});

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

async function assertSame<T extends object>(
  proposalId: string,
  level: VerifyDecisionInput['level'],
  fields: readonly (keyof T & string)[],
  received: Record<string, unknown>,
  recorded: T,
): Promise<void> {
  const differing = fields.filter((field) => received[field] !== recorded[field]);
  if (differing.length > 0) {
    throw await refused(proposalId, level, `berbeda dengan yang tercatat pada ${differing.join(', ')}`);
  }
}

/**
 * The refusal, stored on the proposal before it is thrown: RecordFailed gives the region this reason,
 * not the Catch's Cause, which a SendTaskFailure could have written.
 */
async function refused(
  proposalId: string,
  level: VerifyDecisionInput['level'],
  problem: string,
): Promise<DecisionNotRecordedError> {
  // Only the field names are logged: the received output is the sender's, and may carry anything.
  logger.warn('Task output not recorded', { problem });
  const error = new DecisionNotRecordedError(proposalId, level, problem);
  await proposals.update(proposalId, {
    refusal: { error: error.name, reason: error.message, at: new Date().toISOString() },
  });
  return error;
}
