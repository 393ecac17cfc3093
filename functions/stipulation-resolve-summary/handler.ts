/**
 * ResolveSummary, the last step of Resolve (after the ResolveShards Map): joins the shards' counts
 * (KEYS.resolutionShardSummary, one per shard; a shard without one fails the step rather than leave its
 * changes out) into what one pass over the period gave before the change set was sharded:
 *  - each proposal's stipulation counts on its record, and its return report (KEYS.stipulationReturn) of
 *    the rows the shards returned (KEYS.resolutionReturns, one object per shard), in the proposal's row order;
 *  - the change set's summary (ChangeSetSummary, KEYS.changeSetSummary), read by the later steps;
 *  - the shards with changes (KEYS.shardList), the items of the Compare and Apply Maps, which read the
 *    shards' change sets themselves (the period's change set is never joined into one object).
 * A rerun writes the same objects and counts again.
 */
import { createReportWriter } from '#core/report.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import {
  type ChangeSetShard,
  type ChangeSetSummary,
  KEYS,
  type PlannedProposal,
  RESOLVE_SUMMARY_INPUT,
  type ResolutionPlan,
  type ResolutionReturn,
  type ResolvedCounts,
  type ResolveOutput,
  type ResolveShardSummary,
} from '#shared/contracts.ts';
import { ResolutionShardMissingError, StagedRowsMissingError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { type StipulationReturn, stipulationReturnLines } from '#shared/return-report.ts';
import { openObject, putText, readJson, readNdjson, S3ObjectWriter } from '#shared/staging.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket', 'reportLanguage']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
/** Shard summaries read, and proposals written (record and report), at once. */
const CONCURRENCY = 16;

export const handler = lambda(RESOLVE_SUMMARY_INPUT, async ({ period, shards, planKey }): Promise<ResolveOutput> => {
  const bucket = config.proposalsBucket;
  const plan = await readJson<ResolutionPlan>(s3, bucket, planKey);
  if (!plan) throw new StagedRowsMissingError(`rencana penetapan ${planKey}`);
  const summaries = await shardSummaries(period, shards);
  const returned = await returnedByProposal(period, summaries);

  await forEachConcurrently(plan.proposals, CONCURRENCY, async (proposal) => {
    const inShards = summaries.flatMap((summary) => {
      const counts = summary.proposals[proposal.proposalId];
      return counts ? [{ shard: summary.shard, counts }] : [];
    });
    const counts: ResolvedCounts = { changes: 0, conflicts: 0, excluded: 0 };
    for (const { counts: shard } of inShards) {
      counts.changes += shard.changes;
      counts.conflicts += shard.conflicts;
      counts.excluded += shard.excluded;
    }
    const rows = returned.get(proposal.proposalId) ?? [];
    // The shards' returned rows must be those their counts name: a shard's object replaced or cut short fails.
    if (rows.length !== counts.conflicts + counts.excluded) {
      throw new ResolutionShardMissingError(
        period,
        inShards.map(({ shard }) => shard),
      );
    }
    const reportKey = rows.length ? await writeReturnReport(period, proposal, rows) : undefined;
    await proposals.update(proposal.proposalId, {
      stipulation: { period, ...counts, ...(reportKey ? { reportKey } : {}) },
    });
    logger.info('Proposal resolved', { proposalId: proposal.proposalId, ...counts });
  });

  const changes = summaries.reduce((sum, summary) => sum + summary.changes, 0);
  const returnedRows = summaries.reduce((sum, summary) => sum + summary.returnedRows, 0);
  const summary: ChangeSetSummary = {
    period,
    proposals: plan.proposals.map(({ proposalId, regency }) => ({ proposalId, regency })),
    changes,
    returnedRows,
    regencies: [...new Set(summaries.flatMap((shard) => shard.regencies))].sort(),
  };
  const withChanges: ChangeSetShard[] = summaries
    .filter((shard) => shard.changes > 0)
    .map(({ shard, changeSetKey, changes: count }) => ({ shard, changeSetKey, changes: count }));
  const shardsKey = KEYS.shardList(period);
  await putText(s3, bucket, shardsKey, JSON.stringify(withChanges), 'application/json');
  await putText(s3, bucket, KEYS.changeSetSummary(period), JSON.stringify(summary), 'application/json');
  logger.info('Change set written', { period, changes, returnedRows, shards: withChanges.length });
  return { period, changes, returnedRows, shardsKey };
});

/** Every shard's summary, in shard order. */
async function shardSummaries(period: string, shards: number): Promise<ResolveShardSummary[]> {
  const numbers = Array.from({ length: shards }, (_, shard) => shard);
  const summaries = new Array<ResolveShardSummary | undefined>(shards);
  await forEachConcurrently(numbers, CONCURRENCY, async (shard) => {
    summaries[shard] = await readJson<ResolveShardSummary>(
      s3,
      config.proposalsBucket,
      KEYS.resolutionShardSummary(period, shard),
    );
  });
  const missing = numbers.filter((shard) => !summaries[shard]);
  if (missing.length) throw new ResolutionShardMissingError(period, missing);
  return summaries as ResolveShardSummary[];
}

/**
 * The rows the shards returned, by proposal. Returned rows are few (conflicts and exclusions, a small share
 * of the month's rows), so each shard's object is read whole, one after the other.
 */
async function returnedByProposal(
  period: string,
  summaries: readonly ResolveShardSummary[],
): Promise<Map<string, StipulationReturn[]>> {
  const byProposal = new Map<string, StipulationReturn[]>();
  for (const { shard, returnsKey } of summaries) {
    if (!returnsKey) continue;
    const body = await openObject(s3, config.proposalsBucket, returnsKey);
    if (!body) throw new ResolutionShardMissingError(period, [shard]);
    for await (const batch of readNdjson<ResolutionReturn>(body)) {
      for (const { proposalId, ...entry } of batch) {
        const rows = byProposal.get(proposalId) ?? [];
        if (!rows.length) byProposal.set(proposalId, rows);
        rows.push(entry as StipulationReturn);
      }
    }
  }
  return byProposal;
}

/** The proposal's return report, its rows in the proposal's row order (`baris`), as one pass wrote them. */
async function writeReturnReport(
  period: string,
  proposal: PlannedProposal,
  rows: StipulationReturn[],
): Promise<string> {
  rows.sort((a, b) => a.row.line - b.row.line);
  const key = KEYS.stipulationReturn(proposal.regency, proposal.proposalId, period);
  const report = new S3ObjectWriter(s3, config.proposalsBucket, key, 'text/csv; charset=utf-8');
  await report.write(createReportWriter(config.reportLanguage).header());
  await report.write(stipulationReturnLines(rows, config.reportLanguage));
  await report.end();
  return key;
}
