/**
 * ResolvePlan, the first step of Resolve: the period's proposals in approval order (the earlier approval
 * wins a conflict, whatever order the caller listed them in), each with its source and the approvers'
 * exclusions, written once to S3 (KEYS.resolutionPlan), and the ResolveShards Map's items, one per NIK
 * shard (KEYS.resolutionItems). The 64 shard children then read one object each instead of each reading
 * 1,542 proposal records and their decisions from the proposals table.
 */
import { sourceOf } from '#core/source.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import {
  KEYS,
  type PlannedProposal,
  RESOLVE_PLAN_INPUT,
  type ResolutionPlan,
  type ResolvePlanOutput,
} from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { proposalsOf } from '#shared/proposal-list.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { putText } from '#shared/staging.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket', 'stipulationShards']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const decisions = new DecisionsRepository(documents, config.proposalsTable);
/** Proposals read at once (record and decisions): a period of thousands of proposals is read in seconds. */
const READ_CONCURRENCY = 16;

export const handler = lambda(RESOLVE_PLAN_INPUT, async (input): Promise<ResolvePlanOutput> => {
  const { period } = input;
  const bucket = config.proposalsBucket;
  const shards = config.stipulationShards;
  const refs = await proposalsOf(s3, bucket, input);
  const planned = new Array<{ order: string; proposal: PlannedProposal }>(refs.length);
  await forEachConcurrently(refs, READ_CONCURRENCY, async ({ proposalId }, index) => {
    const [record, exclusions] = await Promise.all([proposals.require(proposalId), decisions.exclusionsOf(proposalId)]);
    planned[index] = {
      order: `${record.approvedAt ?? ''}#${proposalId}`,
      proposal: { proposalId, regency: record.regency, source: sourceOf(record), exclusions },
    };
  });
  planned.sort((a, b) => a.order.localeCompare(b.order));
  const plan: ResolutionPlan = { period, proposals: planned.map(({ proposal }) => proposal) };

  const planKey = KEYS.resolutionPlan(period);
  const itemsKey = KEYS.resolutionItems(period);
  const items = Array.from({ length: shards }, (_, shard) => ({ shard }));
  await putText(s3, bucket, planKey, JSON.stringify(plan), 'application/json');
  await putText(s3, bucket, itemsKey, JSON.stringify(items), 'application/json');
  logger.info('Resolution planned', { period, proposals: refs.length, shards });
  return { period, planKey, itemsKey, shards, proposalCount: refs.length };
});
