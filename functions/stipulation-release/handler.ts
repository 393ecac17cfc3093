/**
 * Release: answers a proposal waiting for stipulation with its outcome (StipulationRelease) through
 * SendTaskSuccess on its stored stipulation token (recordRelease of decisions.ts, the protocol the
 * approvals API follows too). The proposal's own workflow then records STIPULATED (or RETURNED when
 * every row was lost to conflicts or exclusions), after checking the output against the release
 * recorded here first. A token already closed (a repeated run, a timeout) is tolerated: the proposal has
 * moved on.
 */

import { AuditTrail } from '#shared/audit-trail.ts';
import { documents, sfn } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { RELEASE_INPUT, type StipulationRelease } from '#shared/contracts.ts';
import { type DecisionStores, recordRelease } from '#shared/decisions.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const tasks = new TasksRepository(documents, config.proposalsTable);
const decisions = new DecisionsRepository(documents, config.proposalsTable);
const audit = new AuditTrail(documents, config.proposalsTable);
const stores: DecisionStores = { sfn, proposals, tasks, decisions, audit };

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
  const { delivered } = await recordRelease(stores, proposalId, release);
  // Out of the queue: a second run of the period does not collect it again.
  await proposals.update(proposalId, { release }, undefined, ProposalsRepository.STIPULATION_QUEUE_KEYS);
  logger.info('Proposal released', { ...release, delivered });
  return { proposalId, ...release, delivered };
});
