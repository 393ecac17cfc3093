/**
 * QualityControlRegencies: the regencies the quality control screens (the Map over regencies of the
 * stipulation workflow): every regency with active persons in the master, before anything is applied.
 */
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { QUALITY_CONTROL_REGENCIES_INPUT, type QualityControlRegenciesOutput } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { regenciesWithActivePersons } from '#shared/regencies.ts';

const config = readConfig(['masterTable']);
const master = new DynamoDtksMaster(documents, config.masterTable);

export const handler = lambda(
  QUALITY_CONTROL_REGENCIES_INPUT,
  async ({ period }): Promise<QualityControlRegenciesOutput> => {
    const regencies = (await regenciesWithActivePersons(master)).map((regency) => ({ regency }));
    logger.info('Regencies to screen', { period, regencies: regencies.length });
    return { period, regencies };
  },
);
