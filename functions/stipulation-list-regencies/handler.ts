/**
 * ListRegencies: the regencies whose exports the period needs (the Map over regencies of the
 * stipulation workflow): every regency with active persons in the master, and every regency changed in
 * this period (one whose last persons were all deactivated still gets its, now empty, export).
 *
 * Changed means named by the resolved change set (the regency a change writes to, ChangeSetSummary) or
 * left by a person who moved or was deactivated out of it (Apply's moved-from markers). When the
 * previous period is stipulated, every other regency is carried forward from it (`carryFrom`): its
 * master records are as that period's snapshot has them, so its export copies those files instead of
 * reading the master again (carry-forward.ts). The list is written to S3 (KEYS.exportList), where the
 * export Map reads its items.
 */
import { previousPeriod } from '#core/period.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import {
  type ChangeSetSummary,
  type ExportRegencyInput,
  KEYS,
  LIST_REGENCIES_INPUT,
  type ListRegenciesOutput,
} from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { officialRegencies } from '#shared/regencies.ts';
import { listKeys, putText, readJson } from '#shared/staging.ts';

const config = readConfig(['masterTable', 'proposalsBucket', 'proposalsTable']);
const master = new DynamoDtksMaster(documents, config.masterTable);
const periods = new PeriodsRepository(documents, config.proposalsTable);

const QUERY_CONCURRENCY = 16;

export const handler = lambda(LIST_REGENCIES_INPUT, async (input): Promise<ListRegenciesOutput> => {
  const { period } = input;
  const changed = await changedRegencies(period);
  const regencies = new Set<string>(changed ?? []);
  // One Limit-1 query per official regency (514) on the sparse byRegency index: no scan of the master.
  await forEachConcurrently(officialRegencies(), QUERY_CONCURRENCY, async (regency) => {
    if (!regencies.has(regency) && (await master.hasActivePersons(regency))) regencies.add(regency);
  });
  // Only the month just before: a month in between that is not stipulated may have changed the master.
  const previous = previousPeriod(period);
  // No change set summary (a period never resolved): nothing is known to be unchanged, nothing is carried.
  const carryFrom = changed && (await periods.getPeriod(previous)) ? previous : undefined;
  const items: ExportRegencyInput[] = [...regencies].sort().map((regency) => ({
    period,
    regency,
    province: regency.slice(0, 2),
    ...(carryFrom && !changed?.has(regency) ? { carryFrom } : {}),
  }));
  const regenciesKey = KEYS.exportList(period);
  await putText(s3, config.proposalsBucket, regenciesKey, JSON.stringify(items), 'application/json');
  const counts = {
    regencies: items.length,
    changed: items.length - items.filter((item) => item.carryFrom).length,
    carried: items.filter((item) => item.carryFrom).length,
  };
  logger.info('Regencies to export', { period, ...counts, carryFrom });
  return { period, regenciesKey, counts, regencies: items };
});

/** The regencies the change set writes to, and those its persons moved out of (Apply's markers). */
async function changedRegencies(period: string): Promise<Set<string> | undefined> {
  const summary = await readJson<ChangeSetSummary>(s3, config.proposalsBucket, KEYS.changeSetSummary(period));
  if (!summary) return undefined;
  const changed = new Set(summary.regencies);
  const prefix = KEYS.movedFromMarkers(period);
  for (const key of await listKeys(s3, config.proposalsBucket, prefix)) changed.add(key.slice(prefix.length));
  return changed;
}
