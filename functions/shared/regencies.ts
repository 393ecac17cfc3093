/** The regencies with active persons in the master: one Limit-1 query per official regency (514), no scan. */
import { loadAreas } from '#core/area.ts';
import { forEachConcurrently } from './concurrency.ts';
import type { DynamoDtksMaster } from './master-repository.ts';

const QUERY_CONCURRENCY = 16;

/** Every current regency/city code of the official lists (idn-area-data), in list order. */
export function officialRegencies(): string[] {
  const areas = loadAreas();
  const regencies: string[] = [];
  for (let province = 11; province <= 99; province++) {
    const code = String(province);
    if (areas.isProvince(code)) regencies.push(...areas.regenciesOf(code));
  }
  return regencies;
}

/** The regencies (sorted) with at least one active person, on the master's sparse byRegency index. */
export async function regenciesWithActivePersons(
  master: Pick<DynamoDtksMaster, 'hasActivePersons'>,
): Promise<string[]> {
  const found: string[] = [];
  await forEachConcurrently(officialRegencies(), QUERY_CONCURRENCY, async (regency) => {
    if (await master.hasActivePersons(regency)) found.push(regency);
  });
  return found.sort();
}
