/**
 * What the approvals API reads and writes, created once at cold start and shared by its route modules:
 * the configuration, the SDK clients and the repositories of the proposals table.
 */
import { AuditTrail } from '#shared/audit-trail.ts';
import { documents, s3, sfn } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import type { DecisionStores } from '#shared/decisions.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';

export const config = readConfig([
  'proposalsTable',
  'proposalsBucket',
  'exportsBucket',
  'stipulationStateMachineArn',
  'approvalTimeoutSeconds',
]);
export const proposals = new ProposalsRepository(documents, config.proposalsTable);
export const tasks = new TasksRepository(documents, config.proposalsTable);
export const decisions = new DecisionsRepository(documents, config.proposalsTable);
export const periods = new PeriodsRepository(documents, config.proposalsTable);
export const audit = new AuditTrail(documents, config.proposalsTable);
export const decisionStores: DecisionStores = { sfn, proposals, tasks, decisions, audit };
export { s3, sfn };
