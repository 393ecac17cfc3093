/**
 * RecordPeriod: the period's record (PERIOD#<YYYY-MM>): what was stipulated, from which proposals, and
 * whether the previous snapshot was carried forward because nothing changed (Permensos 3/2021: a month
 * without change re-stipulates the last DTKS). Written once (a conditional put): a stipulated month is
 * never rewritten, so recording it again is a PeriodAlreadyStipulatedError, unless it is this execution's
 * own retry of the step (the same executionId), which is answered with the record that stands. The record
 * names its proposals by a list kept in S3 (periods-repository.ts): a period may hold any number of them.
 */
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { RECORD_PERIOD_INPUT } from '#shared/contracts.ts';
import { PeriodAlreadyStipulatedError } from '#shared/errors.ts';
import { GuardRepository } from '#shared/guard-repository.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { type NewPeriodRecord, type PeriodGuard, PeriodsRepository } from '#shared/periods-repository.ts';
import { proposalsOf } from '#shared/proposal-list.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket']);
const periods = new PeriodsRepository(documents, config.proposalsTable, { s3, bucket: config.proposalsBucket });
const guard = new GuardRepository(documents, config.proposalsTable);

export const handler = lambda(RECORD_PERIOD_INPUT, async (input) => {
  // The workflow names the period's list in S3 (CollectOutput): a period of any number of proposals.
  const proposals = input.proposalsKey
    ? await proposalsOf(s3, config.proposalsBucket, { proposalsKey: input.proposalsKey })
    : input.proposals;
  const counts: Record<string, number> = { proposals: proposals.length };
  const records = input.records ?? input.export?.records;
  if (records !== undefined) counts.records = records;
  for (const name of ['changes', 'applied', 'returnedRows'] as const) {
    const value = input[name];
    if (value !== undefined) counts[name] = value;
  }
  const manifestKey = input.manifestKey ?? input.export?.manifestKey;
  // The quality control's open findings (QualityControlSummarise), counted on the record of the period;
  // none when the period was not screened (IncludeQualityControl's note): its zero is no finding of none.
  const qualityControl = await periods.getQualityControl(input.period);
  if (qualityControl && qualityControl.screened !== false) counts.qualityControlOpen = qualityControl.counts.openTotal;
  // The guard's sign-off of this run, when it asked (read back as recorded, never from the payload).
  const periodGuard = await guardOf(input.period, input.executionId);
  const record: NewPeriodRecord = {
    period: input.period,
    recordedAt: new Date().toISOString(),
    carriedForward: input.carriedForward ?? (input.changes ?? input.applied ?? 0) === 0,
    proposals,
    counts,
    ...(manifestKey ? { manifestKey } : {}),
    ...(input.export?.manifestSha256 ? { manifestSha256: input.export.manifestSha256 } : {}),
    ...(input.executionId ? { executionId: input.executionId } : {}),
    ...(periodGuard ? { guard: periodGuard } : {}),
    ...(qualityControl ? { qualityControl } : {}),
  };
  const put = await periods.putPeriod(record);
  if (!put.recorded) {
    const { existing } = put;
    if (!input.executionId || existing.executionId !== input.executionId) {
      logger.warn('Period already stipulated: record kept', { period: record.period, recordedAt: existing.recordedAt });
      throw new PeriodAlreadyStipulatedError(record.period, existing.recordedAt);
    }
    return { period: existing.period, carriedForward: existing.carriedForward, counts: existing.counts };
  }
  logger.info('Period recorded', { period: record.period, carriedForward: record.carriedForward, ...counts });
  return { period: record.period, carriedForward: record.carriedForward, counts };
});

/** The guard task of this run, as the period record keeps it: its verdict, the sign-off, the earlier answers. */
async function guardOf(period: string, executionId: string | undefined): Promise<PeriodGuard | undefined> {
  const task = executionId ? await guard.getTask(period) : undefined;
  if (!task?.signOff || task.executionId !== executionId) return undefined;
  const { period: _period, executionId: _execution, ...verdict } = task.verdict;
  return { ...verdict, signOff: task.signOff, ...(task.earlier?.length ? { earlier: task.earlier } : {}) };
}
