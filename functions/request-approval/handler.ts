/**
 * RequestApproval runs as `lambda:invoke.waitForTaskToken`: it moves the proposal to the level's
 * awaiting status and stores the task with its token, where the approvals API finds it. The workflow
 * waits until an approver's decision is sent back with SendTaskSuccess (or the state times out).
 * The token is a bearer credential for the execution: it is stored, never logged, never returned.
 */
import { AWAITING_APPROVAL } from '#core/lifecycle.ts';
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { REQUEST_APPROVAL_INPUT } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const tasks = new TasksRepository(documents, config.proposalsTable);

export const handler = lambda(REQUEST_APPROVAL_INPUT, async ({ proposalId, level, taskToken }) => {
  logger.appendKeys({ proposalId, approvalLevel: level });
  const status = AWAITING_APPROVAL[level];
  // Status first, then the task: an approver never sees a task whose proposal is not yet awaiting it.
  const proposal = await proposals.transition(proposalId, status, { detail: level });
  const task = await tasks.openTask(proposal, level, taskToken);
  logger.info('Approval task opened');
  return { proposalId, level, status, createdAt: task.createdAt };
});
