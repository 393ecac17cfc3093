/**
 * AwaitStipulation runs as `lambda:invoke.waitForTaskToken` after the province's approval: it stores
 * the stipulation task's token and puts the proposal in the stipulation queue, ordered by approval
 * time (across proposals, the earlier approval wins a conflict). The month's stipulation run releases
 * it with the outcome (StipulationRelease). The token is stored, never logged, never returned.
 */
import { assertTransition } from '#core/lifecycle.ts';
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { AWAIT_STIPULATION_INPUT } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const tasks = new TasksRepository(documents, config.proposalsTable);
const decisions = new DecisionsRepository(documents, config.proposalsTable);

export const handler = lambda(AWAIT_STIPULATION_INPUT, async ({ proposalId, taskToken }) => {
  logger.appendKeys({ proposalId });
  const proposal = await proposals.require(proposalId);
  // A retried step finds the proposal queued already; from anywhere else the move must be the lifecycle's.
  if (proposal.status !== 'AWAITING_STIPULATION') assertTransition(proposal.status, 'AWAITING_STIPULATION', proposalId);
  // The token first, then the queue: a stipulation run that collects the proposal always finds its token.
  await tasks.openTask(proposal, 'STIPULATION', taskToken);
  const province = (await decisions.listDecisions(proposalId)).find((decision) => decision.level === 'PROVINCE');
  const approvedAt = province?.decidedAt ?? new Date().toISOString();
  await proposals.transition(proposalId, 'AWAITING_STIPULATION', {
    set: ProposalsRepository.stipulationQueueAttributes(proposalId, approvedAt),
  });
  logger.info('Proposal queued for stipulation', { approvedAt });
  return { proposalId, status: 'AWAITING_STIPULATION', approvedAt };
});
