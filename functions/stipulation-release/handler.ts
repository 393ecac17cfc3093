/**
 * Release: answers a proposal waiting for stipulation with its outcome (StipulationRelease) through
 * SendTaskSuccess on its stored stipulation token. The proposal's own workflow then records STIPULATED
 * (or RETURNED when every row was lost to conflicts or exclusions), after checking the output against
 * the release recorded here first. A token already closed (a repeated run, a timeout) is tolerated: the
 * proposal has moved on.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { documents, sfn } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { RELEASE_INPUT, type StipulationRelease } from '#shared/contracts.ts';
import { taskCallError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);

const CLOSED_TASK_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

export const handler = lambda(RELEASE_INPUT, async (input) => {
  const { period, proposalId } = input;
  logger.appendKeys({ proposalId });
  const proposal = await proposals.require(proposalId);
  const counts = proposal.stipulation;
  if (counts?.period !== period) {
    throw new ValidationError(`Usulan ${proposalId} tidak termasuk dalam penetapan ${period}`);
  }
  const release: StipulationRelease = {
    outcome: counts.changes > 0 ? 'STIPULATED' : 'RETURNED',
    period,
    applied: counts.changes,
    returnedRows: counts.conflicts + counts.excluded,
  };
  // Recorded before the token is answered: the proposal workflow's VerifyStipulationRelease continues only
  // on a release that is on record, so a SendTaskSuccess from anyone else gets nowhere.
  await proposals.update(proposalId, { release });
  const task = await proposals.getTaskWithToken(proposalId, 'STIPULATION');
  let delivered = false;
  if (task?.state === 'OPEN') {
    try {
      await sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify(release) }));
      delivered = true;
    } catch (error) {
      if (!CLOSED_TASK_ERRORS.has((error as Error).name)) throw taskCallError('SendTaskSuccess', error);
    }
    await proposals.closeTask(proposalId, 'STIPULATION', `stipulation ${period}`);
  }
  // Out of the queue: a second run of the period does not collect it again.
  await proposals.update(proposalId, { release }, undefined, ProposalsRepository.STIPULATION_QUEUE_KEYS);
  logger.info('Proposal released', { ...release, delivered });
  return { proposalId, ...release, delivered };
});
