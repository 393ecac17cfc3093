/**
 * ListRegencies: the regencies whose exports the period needs (the Map over regencies of the
 * stipulation workflow): every regency with active persons in the master, and every regency changed in
 * this period (one whose last persons were all deactivated still gets its, now empty, export).
 */
import { loadAreas } from '#core/area.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import { type ChangeSetSummary, KEYS, LIST_REGENCIES_INPUT, type ListRegenciesOutput } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { openObject } from '#shared/staging.ts';

const config = readConfig(['masterTable', 'proposalsBucket']);
const master = new DynamoDtksMaster(documents, config.masterTable);

const QUERY_CONCURRENCY = 16;

export const handler = lambda(LIST_REGENCIES_INPUT, async (input): Promise<ListRegenciesOutput> => {
  const { period } = input;
  const regencies = new Set<string>(await changedRegencies(period));
  // One Limit-1 query per official regency (514) on the sparse byRegency index: no scan of the master.
  await forEachConcurrently(allRegencies(), QUERY_CONCURRENCY, async (regency) => {
    if (await master.hasActivePersons(regency)) regencies.add(regency);
  });
  const list = [...regencies].sort().map((regency) => ({ regency, province: regency.slice(0, 2) }));
  logger.info('Regencies to export', { period, regencies: list.length });
  return { period, regencies: list };
});

function allRegencies(): string[] {
  const areas = loadAreas();
  const regencies: string[] = [];
  for (let province = 11; province <= 99; province++) {
    const code = String(province);
    if (areas.isProvince(code)) regencies.push(...areas.regenciesOf(code));
  }
  return regencies;
}

async function changedRegencies(period: string): Promise<string[]> {
  const body = await openObject(s3, config.proposalsBucket, KEYS.changeSetSummary(period));
  if (!body) return [];
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChangeSetSummary).regencies;
}
