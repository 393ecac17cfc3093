/**
 * LoadPopulation: a Dukcapil extract placed under reference/population/ (EventBridge S3 "Object
 * Created", or a direct {bucket, key} invocation) streamed into the population registry table in
 * BatchWriteItem batches. A re-load overwrites each NIK with the newer extract's values. A large
 * national extract belongs in several files (per province or regency): each load must fit one
 * invocation's 15 minutes. Once loaded, the quality control workflow is started for the open period
 * (functions/shared/quality-control-run.ts: one run per period and load).
 */

import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ExtractFormatError, readPopulationExtract } from '#adapters/extracts/readers.ts';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { LOAD_POPULATION_INPUT } from '#shared/contracts.ts';
import { ValidationError } from '#shared/errors.ts';
import { logger, metrics } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { DynamoPopulationRegistry } from '#shared/population-repository.ts';
import { startQualityControl } from '#shared/quality-control-run.ts';
import { openObject } from '#shared/staging.ts';

const config = readConfig(['populationTable']);
const registry = new DynamoPopulationRegistry(documents, config.populationTable);

/** Log progress every this many people. */
const PROGRESS_EVERY = 50_000;

export const handler = lambda(LOAD_POPULATION_INPUT, async ({ bucket, key }) => {
  logger.appendKeys({ bucket, key });
  const version = await versionOf(bucket, key);
  const body = await openObject(s3, bucket, key);
  if (!body) throw new ValidationError(`Berkas ekstrak Dukcapil '${key}' tidak ditemukan`);
  const started = Date.now();
  let loaded = 0;
  let nextProgress = PROGRESS_EVERY;
  try {
    for await (const batch of readPopulationExtract(body)) {
      await registry.put(batch);
      loaded += batch.length;
      if (loaded >= nextProgress) {
        logger.info('Loading population extract', {
          loaded,
          perSecond: Math.round(loaded / ((Date.now() - started) / 1000)),
        });
        nextProgress += PROGRESS_EVERY;
      }
    }
  } catch (error) {
    if (error instanceof ExtractFormatError) throw new ValidationError(error.message, [key]);
    throw error;
  }
  metrics.addMetric('populationLoaded', 'Count', loaded);
  logger.info('Population extract loaded', { loaded, ms: Date.now() - started });
  const qualityControl = await startQualityControl({ kind: 'full', bucket, key, version });
  return { bucket, key, loaded, ...(qualityControl ? { qualityControl } : {}) };
});

/**
 * The object's VersionId on a versioned bucket, else its ETag (HeadObject): the quality control run of this
 * load is named after it. A missing object is told by the read that follows.
 */
async function versionOf(bucket: string, key: string): Promise<string> {
  try {
    const { ETag, VersionId } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return VersionId ?? ETag ?? '';
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NotFound' || name === 'NoSuchKey') return '';
    throw error;
  }
}
