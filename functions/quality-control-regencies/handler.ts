/**
 * QualityControlRegencies, the first step of the quality control workflow (state-machines/
 * quality-control.asl.json): the regencies it screens, every regency with active persons in the master as
 * the last stipulation left it, written to S3 (KEYS.qualityControlList) as the items of the screening's
 * distributed Map, so that only the list's key travels. A period that is stipulated already is refused: its
 * record, its manifest and its tracking lists are final (a stipulated month is never rewritten); so is one
 * whose stipulation has started (QualityControlClosedError: its manifest takes the summary that stands).
 *
 * Runs of a period one at a time, the newest the one that screens (functions/shared/quality-control-runs.ts):
 * a run older than the period's latest ends here (superseded); the latest waits while another holds the
 * period's run lease (QualityControlRunningError, retried by the workflow), then holds it until
 * SummariseQualityControl (or, after a failure, ReleaseQualityControlRun) gives it back.
 */
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import {
  KEYS,
  QUALITY_CONTROL_REGENCIES_INPUT,
  type QualityControlRegenciesOutput,
  type QualityControlScreenInput,
} from '#shared/contracts.ts';
import { PeriodAlreadyStipulatedError, QualityControlClosedError, QualityControlRunningError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { QualityControlRuns } from '#shared/quality-control-runs.ts';
import { regenciesWithActivePersons } from '#shared/regencies.ts';
import { putText } from '#shared/staging.ts';

const config = readConfig(['masterTable', 'proposalsTable', 'proposalsBucket']);
const master = new DynamoDtksMaster(documents, config.masterTable);
const periods = new PeriodsRepository(documents, config.proposalsTable);
const runs = new QualityControlRuns(documents, config.proposalsTable);

export const handler = lambda(
  QUALITY_CONTROL_REGENCIES_INPUT,
  async ({ period, executionId, startedAt }): Promise<QualityControlRegenciesOutput> => {
    const stipulated = await periods.getPeriod(period);
    if (stipulated) throw new PeriodAlreadyStipulatedError(period, stipulated.recordedAt);
    if (await runs.stipulationStarted(period)) throw new QualityControlClosedError(period);
    const regenciesKey = KEYS.qualityControlList(period);
    if (executionId && startedAt) {
      const claim = await runs.claim({ period, executionId, startedAt });
      if (claim === 'BUSY') throw new QualityControlRunningError(period);
      if (claim === 'SUPERSEDED') {
        logger.info('A newer quality control run of the period screens it: this one ends', { period });
        return { period, superseded: true, regenciesBucket: config.proposalsBucket, regenciesKey, regencies: 0 };
      }
    }
    const items: QualityControlScreenInput[] = (await regenciesWithActivePersons(master)).map((regency) => ({
      period,
      regency,
    }));
    await putText(s3, config.proposalsBucket, regenciesKey, JSON.stringify(items), 'application/json');
    logger.info('Regencies to screen', { period, regencies: items.length });
    return {
      period,
      superseded: false,
      regenciesBucket: config.proposalsBucket,
      regenciesKey,
      regencies: items.length,
    };
  },
);
