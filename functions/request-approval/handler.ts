/**
 * RequestApproval runs as `lambda:invoke.waitForTaskToken`: it moves the proposal to the level's
 * awaiting status and stores the task with its token, where the approvals API finds it. The workflow
 * waits until an approver's decision is sent back with SendTaskSuccess (or the state times out).
 * The token is a bearer credential for the execution: it is stored, never logged, never returned.
 */
import { z } from 'zod';
import { AWAITING_APPROVAL } from '#core/lifecycle.ts';
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import type { RequestApprovalInput } from '#shared/contracts.ts';
import { ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);

const INPUT = z.object({
  proposalId: z.string().min(1),
  level: z.enum(['REGENCY', 'PROVINCE']),
  taskToken: z.string().min(1),
});

export const handler = lambda(async (event: RequestApprovalInput) => {
  const parsed = INPUT.safeParse(event);
  // zod's message would quote the input, token included: report the failing fields only.
  if (!parsed.success) {
    throw new ValidationError(
      'Masukan RequestApproval tidak valid',
      parsed.error.issues.map((issue) => issue.path.join('.')),
    );
  }
  const { proposalId, level, taskToken } = parsed.data;
  logger.appendKeys({ proposalId, approvalLevel: level });
  const status = AWAITING_APPROVAL[level];
  // Status first, then the task: an approver never sees a task whose proposal is not yet awaiting it.
  const proposal = await proposals.transition(proposalId, status, { detail: level });
  const task = await proposals.openTask(proposal, level, taskToken);
  logger.info('Approval task opened');
  return { proposalId, level, status, createdAt: task.createdAt };
});
