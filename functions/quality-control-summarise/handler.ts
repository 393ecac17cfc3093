/**
 * QualityControlSummarise: after the quality control workflow's Map over regencies, the period's quality
 * control in numbers: the counts (KEYS.qualityControlRegency) of every regency of the Map's item list
 * (KEYS.qualityControlList) added up, stored for the period's stipulation (IncludeQualityControl says it
 * was screened, FinaliseExport lists its files, RecordPeriod copies it onto PERIOD#<period>) and published
 * in the pseudonymised tier (KEYS.qualityControlCounts) as counts by regency and kind only. A regency of
 * the list without its counts fails the step. Last, the run's lease of the period is given back
 * (functions/shared/quality-control-runs.ts); after a failed run the workflow calls it with `release` alone.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { addCounts, emptyCounts, type QualityControlCounts } from '#core/quality-control.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import {
  type ExportFile,
  KEYS,
  QUALITY_CONTROL_RELEASE_INPUT,
  QUALITY_CONTROL_SUMMARISE_INPUT,
  type QualityControlScreenInput,
} from '#shared/contracts.ts';
import { QualityControlClosedError, QualityControlIncompleteError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository, type QualityControlSummary } from '#shared/periods-repository.ts';
import { QualityControlRuns } from '#shared/quality-control-runs.ts';
import { putText, readJson } from '#shared/staging.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket', 'exportsBucket']);
const periods = new PeriodsRepository(documents, config.proposalsTable);
const runs = new QualityControlRuns(documents, config.proposalsTable);

const INPUT = z.union([QUALITY_CONTROL_RELEASE_INPUT, QUALITY_CONTROL_SUMMARISE_INPUT]);

export const handler = lambda(INPUT, async (input): Promise<QualityControlSummary | { released: true }> => {
  if ('release' in input) {
    await runs.release(input);
    logger.warn('Quality control run failed: its lease of the period given back', { period: input.period });
    return { released: true };
  }
  const { period, regenciesKey, executionId } = input;
  const regencies = await readJson<QualityControlScreenInput[]>(s3, config.proposalsBucket, regenciesKey);
  if (!regencies) throw new QualityControlIncompleteError(period, []);
  const byRegency = new Map<string, QualityControlCounts>();
  const files: ExportFile[] = [];
  const missing: string[] = [];
  await forEachConcurrently(regencies, 16, async ({ regency }) => {
    const screened = await readJson<{ counts: QualityControlCounts; files?: ExportFile[] }>(
      s3,
      config.proposalsBucket,
      KEYS.qualityControlRegency(period, regency),
    );
    if (!screened) {
      missing.push(regency);
      return;
    }
    byRegency.set(regency, screened.counts);
    files.push(...(screened.files ?? []));
  });
  if (missing.length) throw new QualityControlIncompleteError(period, missing.sort());
  // The stipulation started meanwhile: its manifest lists the summary that stands, not this one.
  if (await runs.stipulationStarted(period)) throw new QualityControlClosedError(period);
  const counts = emptyCounts();
  for (const regencyCounts of byRegency.values()) addCounts(counts, regencyCounts);
  const published = {
    period,
    national: counts,
    regencies: Object.fromEntries([...byRegency].sort(([a], [b]) => a.localeCompare(b))),
  };
  const text = `${JSON.stringify(published, null, 2)}\n`;
  const countsKey = KEYS.qualityControlCounts(period);
  await putText(s3, config.exportsBucket, countsKey, text, 'application/json');
  files.push({
    key: countsKey,
    tier: 'pseudonymised',
    sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    bytes: Buffer.byteLength(text, 'utf8'),
    records: byRegency.size,
  });
  const summary: QualityControlSummary = {
    period,
    screenedAt: new Date().toISOString(),
    regencies: byRegency.size,
    counts,
    files: files.sort((a, b) => a.key.localeCompare(b.key)),
  };
  await periods.putQualityControl(summary);
  if (executionId) await runs.release({ period, executionId });
  logger.info('Quality control summarised', { period, regencies: summary.regencies, open: counts.openTotal });
  return summary;
});
