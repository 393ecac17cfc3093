/**
 * IncludeQualityControl (the stipulation workflow): the period's quality control, as the quality control
 * workflow (state-machines/quality-control.asl.json) left it earlier in the month — screened off the
 * stipulation's critical path, after the registry was loaded or on demand. Nothing is screened here.
 *
 * - Screened: the summary stands (PERIOD#<period>, QUALITY_CONTROL); FinaliseExport lists its files in the
 *   manifest and RecordPeriod copies it onto the period record. This step says so, in numbers.
 * - Not screened (no run of the period completed): the period is stipulated all the same — the quality
 *   control deactivates nobody, so it never holds a month — and that it was not screened is recorded plainly
 *   on the period's QUALITY_CONTROL item (`screened: false`), which RecordPeriod copies onto the record,
 *   with a warning in the log (the period only: no person).
 *
 * A rerun of the stipulation finds its own note (or a summary that a run completed since) and does the same.
 */
import { emptyCounts } from '#core/quality-control.ts';
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { QUALITY_CONTROL_INCLUDE_INPUT, type QualityControlIncluded } from '#shared/contracts.ts';
import { logger, metrics } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';

const config = readConfig(['proposalsTable']);
const periods = new PeriodsRepository(documents, config.proposalsTable);

export const handler = lambda(QUALITY_CONTROL_INCLUDE_INPUT, async ({ period }): Promise<QualityControlIncluded> => {
  const summary = await periods.getQualityControl(period);
  if (summary && summary.screened !== false) {
    const included: QualityControlIncluded = {
      period,
      screened: true,
      ...(summary.screenedAt ? { screenedAt: summary.screenedAt } : {}),
      regencies: summary.regencies,
      open: summary.counts.openTotal,
      files: summary.files?.length ?? 0,
    };
    logger.info('Quality control included', { ...included });
    return included;
  }
  await periods.putQualityControl({
    period,
    screened: false,
    notedAt: new Date().toISOString(),
    regencies: 0,
    counts: emptyCounts(),
    files: [],
  });
  metrics.addMetric('PeriodsNotScreened', 'Count', 1);
  logger.warn('Period not screened by the quality control: stipulated without its findings', { period });
  return { period, screened: false, regencies: 0, open: 0, files: 0 };
});
