/**
 * GET /proposals: the proposals a principal may see, newest first, by regency, period and status. Which
 * index is read follows from who asks: a regency's own list (byRegency) for its operator and approver; a
 * province approver's or the ministry's by regency or by period (byPeriod, narrowed to the province).
 */
import { PROPOSALS_QUERY, type Principal } from '#shared/contracts.ts';
import { decodeCursor, encodeCursor } from '#shared/cursor.ts';
import { ForbiddenError, ValidationError } from '#shared/errors.ts';
import type { ProposalPageQuery } from '#shared/proposals-repository.ts';
import { type Event, parseQuery, type Response, respond } from './http.ts';
import { publicView } from './proposals.ts';
import { proposals } from './stores.ts';

const isKey = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && Object.values(value).every((part) => typeof part === 'string');

export async function listProposals(principal: Principal, event: Event): Promise<Response> {
  const query = parseQuery(PROPOSALS_QUERY, event);
  const { regency, period, status, limit } = query;
  const after = query.next === undefined ? undefined : decodeCursor(query.next, isKey);
  const page: ProposalPageQuery = { ...listOf(principal, regency, period), period, status, limit, after };
  const { proposals: found, last } = await proposals.listPage(page);
  return respond(200, {
    code: 'OK',
    message: `${found.length} usulan`,
    proposals: found.map(publicView),
    ...(last ? { next: encodeCursor(last) } : {}),
  });
}

/** The index partition (and province filter) the principal's list reads; ForbiddenError outside their area. */
function listOf(
  principal: Principal,
  regency: string | undefined,
  period: string | undefined,
): Pick<ProposalPageQuery, 'by' | 'province'> {
  switch (principal.role) {
    case 'region_operator':
    case 'regency_approver':
      if (regency !== undefined && regency !== principal.area) throw otherArea(regency);
      return { by: { regency: principal.area } };
    case 'province_approver':
      if (regency !== undefined) {
        if (!regency.startsWith(principal.area)) throw otherArea(regency);
        return { by: { regency } };
      }
      return { by: { period: requirePeriod(period) }, province: principal.area };
    case 'ministry_operator':
      return regency !== undefined ? { by: { regency } } : { by: { period: requirePeriod(period) } };
    default:
      throw new ForbiddenError('Peran Anda tidak berwenang melihat usulan');
  }
}

function otherArea(regency: string): ForbiddenError {
  return new ForbiddenError(`Anda tidak berwenang melihat usulan kabupaten/kota ${regency}`);
}

/** Without a regency the list is a period's: a province's or the country's proposals of every month would be unbounded. */
function requirePeriod(period: string | undefined): string {
  if (period === undefined) {
    throw new ValidationError('Sebutkan periode (period=YYYY-MM) atau kabupaten/kota (regency=) daftar usulan', [
      'period: wajib diisi bila regency tidak disebut',
    ]);
  }
  return period;
}
