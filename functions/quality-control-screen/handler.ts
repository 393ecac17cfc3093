/**
 * QualityControlScreen (one iteration of the stipulation workflow's Map over regencies): screens the
 * regency's active master persons against the current registry (screen-regency.ts), then writes its
 * tracking list for the Dinas Sosial (KEYS.trackingList), the same per person in the full tier of the
 * analyst export (KEYS.qualityControlFull) and its counts for the summary (KEYS.qualityControlRegency).
 * Nothing is deactivated: the findings are for the regency to decide. A rerun of the period writes the
 * same entries and files again (rerun-safe: an entry first seen in this period stays new). Once the period's
 * stipulation has started, its files are the manifest's: a screening that ends after that writes none of
 * them (QualityControlClosedError).
 */
import { createHash } from 'node:crypto';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import {
  type ExportFile,
  KEYS,
  QUALITY_CONTROL_SCREEN_INPUT,
  type QualityControlScreenOutput,
} from '#shared/contracts.ts';
import { QualityControlClosedError } from '#shared/errors.ts';
import { logger, metrics } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { DynamoPopulationRegistry } from '#shared/population-repository.ts';
import { QualityControlRuns } from '#shared/quality-control-runs.ts';
import { putText } from '#shared/staging.ts';
import { TrackingRepository } from '#shared/tracking-repository.ts';
import { screenRegency } from './screen-regency.ts';

const config = readConfig(['masterTable', 'populationTable', 'proposalsTable', 'proposalsBucket', 'exportsBucket']);
const master = new DynamoDtksMaster(documents, config.masterTable);
const population = new DynamoPopulationRegistry(documents, config.populationTable);
const tracking = new TrackingRepository(documents, config.proposalsTable);
const runs = new QualityControlRuns(documents, config.proposalsTable);

export const handler = lambda(QUALITY_CONTROL_SCREEN_INPUT, async (input): Promise<QualityControlScreenOutput> => {
  const { period, regency } = input;
  logger.appendKeys({ period, regency });
  const result = await screenRegency(
    {
      persons: (code) => master.activeInRegency(code),
      registry: (niks) => population.findForScreening(niks),
      masterRecords: (niks) => master.getRecords(niks),
      tracking,
    },
    period,
    regency,
  );
  if (await runs.stipulationStarted(period)) throw new QualityControlClosedError(period);
  const csv = 'text/csv; charset=utf-8';
  const lists = [
    { key: KEYS.trackingList(period, regency), tier: 'csv' },
    { key: KEYS.qualityControlFull(period, regency), tier: 'full' },
  ] as const;
  for (const { key } of lists) await putText(s3, config.exportsBucket, key, result.csv, csv);
  // What a manifest lists of each file (ExportFile): the same bytes in both, with their SHA-256.
  const bytes = Buffer.byteLength(result.csv, 'utf8');
  const sha256 = createHash('sha256').update(result.csv, 'utf8').digest('hex');
  const files: ExportFile[] = lists.map(({ key, tier }) => ({ key, tier, sha256, bytes, records: result.lines }));
  // Last: the summary reads only regencies whose files are complete.
  await putText(
    s3,
    config.proposalsBucket,
    KEYS.qualityControlRegency(period, regency),
    JSON.stringify({ period, regency, counts: result.counts, files }),
    'application/json',
  );
  metrics.addMetric('ScreenedPersons', 'Count', result.counts.screened);
  metrics.addMetric('OpenFindings', 'Count', result.counts.openTotal);
  // Counts only: the findings name persons.
  logger.info('Regency screened', { ...result.counts });
  return { regency, open: result.counts.openTotal };
});
