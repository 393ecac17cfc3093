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
 *
 * The items are export units: a regency whose previous export held more than EXPORT_UNIT_MAX_PERSONS
 * persons is listed as several NIK ranges (contracts' EXPORT_UNIT), cut at the NIK runs that export
 * recorded (core/snapshot.ts planExportUnits), so no invocation nears Lambda's 15 minutes. A carried
 * regency is listed as its previous units, same ranges, each copying its own files. A regency without a
 * previous export (the first month) is one unit.
 */
import { previousPeriod } from '#core/period.ts';
import { planExportUnits } from '#core/snapshot.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import {
  type ChangeSetSummary,
  type ExportPartRecord,
  type ExportRegencyInput,
  KEYS,
  LIST_REGENCIES_INPUT,
  type ListRegenciesOutput,
} from '#shared/contracts.ts';
import { readPartRecord } from '#shared/exports/part-records.ts';
import { logger } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { officialRegencies } from '#shared/regencies.ts';
import { listKeys, putText, readJson } from '#shared/staging.ts';

const config = readConfig([
  'masterTable',
  'proposalsBucket',
  'proposalsTable',
  'exportsBucket',
  'exportUnitMaxPersons',
]);
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
  const previousParts = await listKeys(s3, config.exportsBucket, KEYS.exportPartRecords(previous));
  const sorted = [...regencies].sort();
  const unitsOf = new Array<ExportRegencyInput[]>(sorted.length);
  await forEachConcurrently(sorted, QUERY_CONCURRENCY, async (regency, index) => {
    const item = { period, regency, province: regency.slice(0, 2) };
    const carried = carryFrom !== undefined && !changed?.has(regency);
    // A regency exported whole the month before is carried whole: no part record to read.
    if (carried && previousParts.has(KEYS.exportPartRecord(previous, regency))) {
      unitsOf[index] = [{ ...item, carryFrom }];
      return;
    }
    const parts = await previousUnits(previous, regency, previousParts);
    if (carried) {
      const units = parts.flatMap((part) => (part.unit ? [part.unit] : []));
      unitsOf[index] = units.length ? units.map((unit) => ({ ...item, carryFrom, unit })) : [{ ...item, carryFrom }];
      return;
    }
    const ranges = planExportUnits(
      parts.flatMap((part) => part.runs ?? []),
      config.exportUnitMaxPersons,
    );
    unitsOf[index] =
      ranges.length === 1
        ? [item]
        : ranges.map((range, unit) => ({ ...item, unit: { part: unit + 1, parts: ranges.length, ...range } }));
  });
  const items = unitsOf.flat();
  const regenciesKey = KEYS.exportList(period);
  await putText(s3, config.proposalsBucket, regenciesKey, JSON.stringify(items), 'application/json');
  const carried = new Set(items.filter((item) => item.carryFrom).map((item) => item.regency));
  const counts = {
    regencies: regencies.size,
    changed: regencies.size - carried.size,
    carried: carried.size,
    units: items.length,
  };
  logger.info('Regencies to export', { period, ...counts, carryFrom });
  return { period, regenciesKey, counts, regencies: items };
});

/**
 * The part records of a regency's export in `period`, in unit order: one for a regency exported whole, one
 * per unit for one exported in units, none when there is no export (or not a whole one) of it.
 */
async function previousUnits(period: string, regency: string, stored: Set<string>): Promise<ExportPartRecord[]> {
  if (stored.has(KEYS.exportPartRecord(period, regency))) {
    const whole = await readPartRecord(s3, config.exportsBucket, period, regency);
    return whole ? [whole] : [];
  }
  if (!stored.has(KEYS.exportPartRecord(period, regency, { part: 1 }))) return [];
  const first = await readPartRecord(s3, config.exportsBucket, period, regency, { part: 1 });
  const parts: ExportPartRecord[] = first ? [first] : [];
  for (let part = 2; part <= (first?.unit?.parts ?? 0); part++) {
    const next = await readPartRecord(s3, config.exportsBucket, period, regency, { part });
    if (!next) {
      logger.warn('Previous export of the regency is not whole: exported as one unit', { regency, from: period });
      return [];
    }
    parts.push(next);
  }
  return parts;
}

/** The regencies the change set writes to, and those its persons moved out of (Apply's markers). */
async function changedRegencies(period: string): Promise<Set<string> | undefined> {
  const summary = await readJson<ChangeSetSummary>(s3, config.proposalsBucket, KEYS.changeSetSummary(period));
  if (!summary) return undefined;
  const changed = new Set(summary.regencies);
  const prefix = KEYS.movedFromMarkers(period);
  for (const key of await listKeys(s3, config.proposalsBucket, prefix)) changed.add(key.slice(prefix.length));
  return changed;
}
