/**
 * GET /board?period=: the ministry's month. The period's proposals counted per regency and status (the
 * byPeriod index, read whole: a month has at most a few proposals per regency of 514), with the names of
 * the regencies and provinces, and the period's stipulation runs.
 */
import { loadAreas } from '#core/area.ts';
import { BOARD_QUERY, type Principal } from '#shared/contracts.ts';
import { ForbiddenError } from '#shared/errors.ts';
import type { ProposalRecord } from '#shared/proposals-repository.ts';
import { type Event, parseQuery, type Response, respond } from './http.ts';
import { listRuns, runsOf } from './runs.ts';
import { periods, proposals } from './stores.ts';

export async function board(principal: Principal, event: Event): Promise<Response> {
  if (principal.role !== 'ministry_operator') {
    throw new ForbiddenError('Hanya operator Kementerian Sosial yang dapat melihat papan penetapan');
  }
  const { period } = parseQuery(BOARD_QUERY, event);
  const [all, record, runs] = await Promise.all([proposalsOf(period), periods.getPeriod(period), listRuns()]);
  const areas = loadAreas();
  const byRegency = new Map<string, { province: string; counts: Record<string, number> }>();
  for (const { regency, province, status } of all) {
    const entry = byRegency.get(regency) ?? { province, counts: {} };
    entry.counts[status] = (entry.counts[status] ?? 0) + 1;
    byRegency.set(regency, entry);
  }
  const regencies = [...byRegency]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([regency, { province, counts }]) => ({
      province,
      provinceName: areas.provinceName(province) ?? '',
      regency,
      regencyName: areas.regencyName(regency) ?? '',
      counts,
    }));
  return respond(200, {
    code: 'OK',
    message: `Periode ${period}: ${all.length} usulan dari ${regencies.length} kabupaten/kota`,
    period,
    ...(record ? { stipulatedAt: record.recordedAt } : {}),
    regencies,
    runs: runsOf(period, runs, record),
  });
}

async function proposalsOf(period: string): Promise<ProposalRecord[]> {
  const all: ProposalRecord[] = [];
  let after: Record<string, unknown> | undefined;
  do {
    const page = await proposals.listPage({ by: { period }, limit: 200, after });
    all.push(...page.proposals);
    after = page.last;
  } while (after);
  return all;
}
