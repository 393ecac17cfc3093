/**
 * AwaitStipulation runs as `lambda:invoke.waitForTaskToken` after the province's approval: it stores
 * the stipulation task's token and puts the proposal in the stipulation queue, ordered by approval
 * time (across proposals, the earlier approval wins a conflict). The month's stipulation run releases
 * it with the outcome (StipulationRelease). The token is stored, never logged, never returned.
 */
import { z } from 'zod';
import { assertTransition } from '#core/lifecycle.ts';
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import type { AwaitStipulationInput } from '#shared/contracts.ts';
import { ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);

const INPUT = z.object({ proposalId: z.string().min(1), taskToken: z.string().min(1) });

export const handler = lambda(async (event: AwaitStipulationInput) => {
  const parsed = INPUT.safeParse(event);
  if (!parsed.success) {
    throw new ValidationError(
      'Masukan AwaitStipulation tidak valid',
      parsed.error.issues.map((issue) => issue.path.join('.')),
    );
  }
  const { proposalId, taskToken } = parsed.data;
  logger.appendKeys({ proposalId });
  const proposal = await proposals.require(proposalId);
  // A retried step finds the proposal queued already; from anywhere else the move must be the lifecycle's.
  if (proposal.status !== 'AWAITING_STIPULATION') assertTransition(proposal.status, 'AWAITING_STIPULATION', proposalId);
  // The token first, then the queue: a stipulation run that collects the proposal always finds its token.
  await proposals.openTask(proposal, 'STIPULATION', taskToken);
  const province = (await proposals.listDecisions(proposalId)).find((decision) => decision.level === 'PROVINCE');
  const approvedAt = province?.decidedAt ?? new Date().toISOString();
  await proposals.transition(proposalId, 'AWAITING_STIPULATION', {
    set: ProposalsRepository.stipulationQueueAttributes(proposalId, approvedAt),
  });
  logger.info('Proposal queued for stipulation', { approvedAt });
  return { proposalId, status: 'AWAITING_STIPULATION', approvedAt };
});
