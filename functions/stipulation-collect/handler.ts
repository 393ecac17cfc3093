/**
 * Collect, the first step of the month's stipulation: the proposals waiting for stipulation whose period
 * is the closing period or earlier (a late approval joins the next run), in approval order.
 *
 * A stipulated period is immutable: when its record exists, nothing is collected and the answer says
 * when it was stipulated, so the workflow ends refused before it touches the master or the exports.
 * The first run of a period fixes its collection (PERIOD#<period>, COLLECTION): a rerun after a failed
 * run stipulates the same proposals, those the failed run already released (and so took out of the queue)
 * included, and the period's record and manifest name every one of them. A proposal of the collection
 * that ended meanwhile without being released (FAILED, say) is left out. The collection's item names its
 * list in S3 (periods-repository.ts), as the period's record does: neither grows with the period.
 *
 * The collected list goes to S3 (KEYS.proposalList, proposal-list.ts), not into the payload: only its key
 * and count travel through the workflow, so a period may hold any number of proposals.
 */
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import { COLLECT_INPUT, type CollectOutput, KEYS } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { writeProposalList } from '#shared/proposal-list.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const periods = new PeriodsRepository(documents, config.proposalsTable, { s3, bucket: config.proposalsBucket });

const READ_CONCURRENCY = 16;

export const handler = lambda(COLLECT_INPUT, async (input): Promise<CollectOutput> => {
  const { period } = input;
  const stipulated = await periods.getPeriod(period);
  if (stipulated) {
    logger.warn('Period already stipulated: nothing collected', { period, recordedAt: stipulated.recordedAt });
    const proposalsKey = KEYS.proposalList(period);
    return {
      period,
      proposalsBucket: config.proposalsBucket,
      proposalsKey,
      proposalCount: 0,
      stipulatedAt: stipulated.recordedAt,
    };
  }
  const queue = await proposals.listStipulationQueue(period);
  const { first, collection } = await periods.fixCollection({
    period,
    collectedAt: new Date().toISOString(),
    proposals: queue.map(({ proposalId, regency }) => ({ proposalId, regency })),
  });
  const collected = first ? collection.proposals : await stillInPeriod(period, collection.proposals);
  const proposalsKey = await writeProposalList(s3, config.proposalsBucket, period, collected);
  logger.info('Stipulation queue collected', { period, proposals: collected.length, rerun: !first });
  return { period, proposalsBucket: config.proposalsBucket, proposalsKey, proposalCount: collected.length };
});

/** The collection's proposals that still wait for stipulation, or that this period released already. */
async function stillInPeriod(
  period: string,
  refs: readonly { proposalId: string; regency: string }[],
): Promise<{ proposalId: string; regency: string }[]> {
  const keep = new Array<boolean>(refs.length).fill(false);
  await forEachConcurrently(refs, READ_CONCURRENCY, async ({ proposalId }, index) => {
    const proposal = await proposals.get(proposalId);
    keep[index] = proposal?.status === 'AWAITING_STIPULATION' || proposal?.release?.period === period;
  });
  return refs.filter((_, index) => keep[index]);
}
