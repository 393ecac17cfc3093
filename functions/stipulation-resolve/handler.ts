/**
 * Resolve, one NIK shard (a child of the ResolveShards distributed Map): the period's proposals, re-checked
 * against each other for the persons of this shard, become the shard's change set. In approval order (the
 * plan's, KEYS.resolutionPlan), the first proposal to change a person keeps the change; a later proposal's
 * row for the same person is returned to its region (one person, one record, one family across proposals),
 * and rows an approver excluded (a NIK, or a whole family by No. KK) are removed. A person is in exactly one
 * shard (shardOf), so the shards together decide every row as one pass over all of them would.
 *
 * Writes the shard's change set (NDJSON of StipulationChange, KEYS.changeSetShard), the rows it returned of
 * every proposal in one object (KEYS.resolutionReturns, only when there are some) and the shard's counts
 * (ResolveShardSummary, KEYS.resolutionShardSummary), which ResolveSummary joins. A rerun writes the same
 * objects again.
 */
import { sourceOf } from '#core/source.ts';
import {
  type ChangeVerdict,
  ConflictResolver,
  changeFromRow,
  ExclusionList,
  type StipulationChange,
} from '#core/stipulation.ts';
import { s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import {
  KEYS,
  type PlannedProposal,
  RESOLVE_SHARD_INPUT,
  type ResolutionPlan,
  type ResolutionReturn,
  type ResolvedCounts,
  type ResolveShardOutput,
  type ResolveShardSummary,
} from '#shared/contracts.ts';
import { StagedRowsMissingError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { NdjsonWriter, openObject, putText, readJson } from '#shared/staging.ts';
import { rowsOfShard } from './shard-rows.ts';

const config = readConfig(['proposalsBucket']);
/**
 * Proposals whose accepted rows are opened ahead of the one being read: the rows are decided in approval
 * order, but 1,542 GETs one after the other would each wait for S3's first byte.
 */
const OPEN_AHEAD = 4;

export const handler = lambda(RESOLVE_SHARD_INPUT, async ({ period, shard, shards, planKey }) => {
  const bucket = config.proposalsBucket;
  const plan = await readJson<ResolutionPlan>(s3, bucket, planKey);
  if (!plan) throw new StagedRowsMissingError(`rencana penetapan ${planKey}`);

  const changeSetKey = KEYS.changeSetShard(period, shard);
  const changeSet = new NdjsonWriter<StipulationChange>(s3, bucket, changeSetKey);
  const resolver = new ConflictResolver();
  const regencies = new Set<string>();
  const counted: Record<string, ResolvedCounts> = {};
  // Opened at the shard's first returned row: most shards of a month return few rows, some none.
  let returns: NdjsonWriter<ResolutionReturn> | undefined;
  let returnedRows = 0;
  for await (const { proposal, body } of acceptedRowsInOrder(plan.proposals)) {
    const { proposalId } = proposal;
    const exclusions = new ExclusionList(proposal.exclusions);
    const source = sourceOf(proposal);
    const counts: ResolvedCounts = { changes: 0, conflicts: 0, excluded: 0 };
    for await (const batch of rowsOfShard(body, shard, shards)) {
      const admitted: StipulationChange[] = [];
      const returned: ResolutionReturn[] = [];
      for (const row of batch) {
        const change = changeFromRow(row, proposalId, period, source);
        const verdict: ChangeVerdict = resolver.admit(change, exclusions.match(row));
        if (verdict.admitted) {
          admitted.push(change);
          regencies.add(change.person.kodeDesa.slice(0, 4));
        } else if (verdict.because === 'CONFLICT') {
          counts.conflicts++;
          returned.push({ proposalId, row, because: 'CONFLICT', winner: verdict.winner, period });
        } else {
          counts.excluded++;
          returned.push({ proposalId, row, because: 'EXCLUDED', exclusion: verdict.exclusion });
        }
      }
      counts.changes += admitted.length;
      await changeSet.write(admitted);
      if (returned.length) {
        returns ??= new NdjsonWriter(s3, bucket, KEYS.resolutionReturns(period, shard));
        await returns.write(returned);
      }
    }
    // Only proposals with a row in the shard: the summary of 64 shards stays small.
    returnedRows += counts.conflicts + counts.excluded;
    if (counts.changes || counts.conflicts || counts.excluded) counted[proposalId] = counts;
  }
  await changeSet.end();
  await returns?.end();
  const summary: ResolveShardSummary = {
    period,
    shard,
    changeSetKey,
    changes: changeSet.records,
    returnedRows,
    ...(returns ? { returnsKey: KEYS.resolutionReturns(period, shard) } : {}),
    proposals: counted,
    regencies: [...regencies].sort(),
  };
  await putText(s3, bucket, KEYS.resolutionShardSummary(period, shard), JSON.stringify(summary), 'application/json');
  logger.info('Shard resolved', { period, shard, changes: changeSet.records, returnedRows });
  return { period, shard, changes: changeSet.records, returnedRows } satisfies ResolveShardOutput;
});

/** Each proposal of the plan with its accepted rows' body, in the plan's order, OPEN_AHEAD opened at a time. */
async function* acceptedRowsInOrder(
  proposals: readonly PlannedProposal[],
): AsyncGenerator<{ proposal: PlannedProposal; body: AsyncIterable<Uint8Array> }> {
  const opening: Promise<AsyncIterable<Uint8Array> | undefined>[] = [];
  let next = 0;
  for (const proposal of proposals) {
    while (opening.length < OPEN_AHEAD && next < proposals.length) {
      const body = openObject(
        s3,
        config.proposalsBucket,
        KEYS.acceptedRows((proposals[next] as PlannedProposal).proposalId),
      );
      // Handled here, awaited in turn below: an error of a proposal not reached yet is not unhandled meanwhile.
      body.catch(() => undefined);
      opening.push(body);
      next++;
    }
    const body = await opening.shift();
    if (!body) throw new StagedRowsMissingError(proposal.proposalId);
    yield { proposal, body };
  }
}
