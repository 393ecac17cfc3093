/**
 * Resolve: the period's proposals, re-checked against each other, become one change set. In approval
 * order, the first proposal to change a person keeps the change; a later proposal's row for the same
 * person is returned to its region (one person, one record, one family across proposals), and rows an
 * approver excluded (a NIK, or a whole family by No. KK) are removed. Writes the change set (NDJSON of
 * StipulationChange, KEYS.changeSet), per-proposal counts on each proposal, and a report of the
 * returned rows for each region concerned.
 */
import { createReportWriter } from '#core/report.ts';
import { sourceOf } from '#core/source.ts';
import {
  type ChangeVerdict,
  ConflictResolver,
  changeFromRow,
  ExclusionList,
  type StipulationChange,
} from '#core/stipulation.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import { type ChangeSetSummary, KEYS, RESOLVE_INPUT, type ResolveOutput } from '#shared/contracts.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { StagedRowsMissingError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { proposalsOf } from '#shared/proposal-list.ts';
import { type ProposalRecord, ProposalsRepository } from '#shared/proposals-repository.ts';
import { type StipulationReturn, stipulationReturnLines } from '#shared/return-report.ts';
import { NdjsonWriter, openRows, putText, S3ObjectWriter } from '#shared/staging.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket', 'reportLanguage']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const decisions = new DecisionsRepository(documents, config.proposalsTable);
/** Proposal records read at once: a period of thousands of proposals is read in seconds, not all at once. */
const READ_CONCURRENCY = 16;

export const handler = lambda(RESOLVE_INPUT, async (input): Promise<ResolveOutput> => {
  const { period } = input;
  const bucket = config.proposalsBucket;
  const refs = await proposalsOf(s3, bucket, input);
  const records = new Array<ProposalRecord>(refs.length);
  await forEachConcurrently(refs, READ_CONCURRENCY, async ({ proposalId }, index) => {
    records[index] = await proposals.require(proposalId);
  });
  // Approval order decides conflicts, whatever order the caller listed the proposals in.
  records.sort((a, b) => approvalOrder(a).localeCompare(approvalOrder(b)));

  const changeSetKey = KEYS.changeSet(period);
  const changeSet = new NdjsonWriter<StipulationChange>(s3, bucket, changeSetKey);
  const resolver = new ConflictResolver();
  const regencies = new Set<string>();
  let returnedRows = 0;
  for (const proposal of records) {
    const { proposalId } = proposal;
    const exclusions = new ExclusionList(await decisions.exclusionsOf(proposalId));
    const rows = await openRows(s3, bucket, KEYS.acceptedRows(proposalId));
    if (!rows) throw new StagedRowsMissingError(proposalId);
    const returns = new ReturnReport(proposal, period);
    let changes = 0;
    let conflicts = 0;
    let excluded = 0;
    for await (const batch of rows) {
      const admitted: StipulationChange[] = [];
      const returned: StipulationReturn[] = [];
      for (const row of batch) {
        const change = changeFromRow(row, proposalId, period, sourceOf(proposal));
        const verdict: ChangeVerdict = resolver.admit(change, exclusions.match(row));
        if (verdict.admitted) {
          admitted.push(change);
          regencies.add(change.person.kodeDesa.slice(0, 4));
        } else if (verdict.because === 'CONFLICT') {
          conflicts++;
          returned.push({ row, because: 'CONFLICT', winner: verdict.winner, period });
        } else {
          excluded++;
          returned.push({ row, because: 'EXCLUDED', exclusion: verdict.exclusion });
        }
      }
      changes += admitted.length;
      await changeSet.write(admitted);
      await returns.add(returned);
    }
    const reportKey = await returns.end();
    returnedRows += conflicts + excluded;
    await proposals.update(proposalId, {
      stipulation: { period, changes, conflicts, excluded, ...(reportKey ? { reportKey } : {}) },
    });
    logger.info('Proposal resolved', { proposalId, changes, conflicts, excluded });
  }
  await changeSet.end();
  const summary: ChangeSetSummary = {
    period,
    proposals: records.map(({ proposalId, regency }) => ({ proposalId, regency })),
    changes: changeSet.records,
    returnedRows,
    regencies: [...regencies].sort(),
  };
  await putText(s3, bucket, KEYS.changeSetSummary(period), JSON.stringify(summary), 'application/json');
  logger.info('Change set written', { period, changes: changeSet.records, returnedRows });
  return { period, changeSetKey, changes: changeSet.records, returnedRows };
});

function approvalOrder(proposal: ProposalRecord): string {
  return `${proposal.approvedAt ?? ''}#${proposal.proposalId}`;
}

/** The stipulation return report of one proposal, opened only if a row is returned. */
class ReturnReport {
  private writer: S3ObjectWriter | undefined;
  private readonly key: string;

  constructor(proposal: ProposalRecord, period: string) {
    this.key = KEYS.stipulationReturn(proposal.regency, proposal.proposalId, period);
  }

  async add(returns: readonly StipulationReturn[]): Promise<void> {
    if (!returns.length) return;
    if (!this.writer) {
      this.writer = new S3ObjectWriter(s3, config.proposalsBucket, this.key, 'text/csv; charset=utf-8');
      await this.writer.write(createReportWriter(config.reportLanguage).header());
    }
    await this.writer.write(stipulationReturnLines(returns, config.reportLanguage));
  }

  /** The report's key, or undefined when nothing was returned. */
  async end(): Promise<string | undefined> {
    if (!this.writer) return undefined;
    await this.writer.end();
    return this.key;
  }
}
