/**
 * A proposal's checked rows and its return report, for those who may view the proposal (its region's
 * operator and approvers, the ministry): GET /proposals/{id}/rows pages what the check stored for the
 * console (review-rows.ts) with the filter applied on the server; GET /proposals/{id}/report answers a
 * short-lived link to the report file. Both are recorded in the proposal's audit trail (kind DOWNLOAD).
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { ProposalStatus } from '#core/lifecycle.ts';
import { KEYS, type Principal, REPORT_QUERY, ROWS_QUERY } from '#shared/contracts.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '#shared/cursor.ts';
import { NotFoundError, RowsNotAvailableError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { presignedUrl } from '#shared/presign.ts';
import { readReviewIndex, readReviewPage } from '#shared/review-rows.ts';
import { type Event, parseQuery, type Response, respond } from './http.ts';
import { viewableProposal } from './proposals.ts';
import { audit, config, s3 } from './stores.ts';

/** Before the check has written its rows (and while a retried check writes them again). */
const UNCHECKED: readonly ProposalStatus[] = ['RECEIVED', 'CHECKING'];

export async function proposalRows(principal: Principal, event: Event): Promise<Response> {
  const proposal = await viewableProposal(principal, event);
  const query = parseQuery(ROWS_QUERY, event);
  if (UNCHECKED.includes(proposal.status)) {
    throw new RowsNotAvailableError(`Usulan ${proposal.proposalId} belum selesai diperiksa; baris belum tersedia`);
  }
  const bucket = config.proposalsBucket;
  const rowsKey = KEYS.reviewRows(proposal.regency, proposal.proposalId);
  const index = await readReviewIndex(s3, bucket, KEYS.reviewIndex(proposal.regency, proposal.proposalId));
  if (!index) {
    throw new RowsNotAvailableError(
      `Baris usulan ${proposal.proposalId} tidak tersimpan untuk konsol (diperiksa sebelum fitur ini ada); ` +
        'unduh laporan pengembaliannya',
    );
  }
  // The rows name persons: who opened them and with what filter is recorded when a table is opened (a
  // search as one, never with what was searched: it may be a NIK). The pages after it are the same reading,
  // so their cursor names that record, and a cursor whose record is not this reader's with this filter is
  // refused: a cursor made up to start past the first page (or another reader's) would read unrecorded.
  const detail = `${principal.role} ${principal.area || '-'}: baris usulan${filterLabel(query)}`;
  const cursor = query.next === undefined ? undefined : decodeCursor(query.next, isRowsCursor);
  if (cursor) {
    const opened = await audit.getEvent(proposal.proposalId, cursor.a);
    if (opened?.kind !== 'DOWNLOAD' || opened.actor !== principal.username || opened.detail !== detail) {
      throw invalidCursor();
    }
  }
  const page = await readReviewPage(s3, bucket, rowsKey, index, { ...query, next: cursor?.n });
  const openedKey =
    cursor?.a ??
    (await audit.addEvent(proposal.proposalId, {
      at: new Date().toISOString(),
      kind: 'DOWNLOAD',
      actor: principal.username,
      detail,
    }));
  const next = page.next === undefined ? {} : { next: encodeCursor({ n: page.next, a: openedKey }) };
  return respond(200, { code: 'OK', message: `${page.total} baris`, ...page, ...next });
}

function filterLabel(query: { code?: string; verdict?: string; q?: string }): string {
  const filter = [query.code, query.verdict, query.q === undefined ? undefined : 'pencarian'].filter(Boolean);
  return filter.length ? ` (${filter.join(', ')})` : '';
}

/** The rows' cursor: the position review-rows.ts answered (`n`) and the audit record of the opened table (`a`). */
const isRowsCursor = (value: unknown): value is { n: string; a: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { n?: unknown }).n === 'string' &&
  typeof (value as { a?: unknown }).a === 'string';

export async function proposalReport(principal: Principal, event: Event): Promise<Response> {
  const proposal = await viewableProposal(principal, event);
  const { format } = parseQuery(REPORT_QUERY, event);
  const key = format === 'xlsx' ? proposal.reportXlsxKey : proposal.reportKey;
  if (!key) throw new NotFoundError(`Laporan pengembalian usulan ${proposal.proposalId} belum tersedia`);
  const fileName = key.slice(key.lastIndexOf('/') + 1);
  const { url, expiresAt } = await presignedUrl(
    new GetObjectCommand({
      Bucket: config.proposalsBucket,
      Key: key,
      ResponseContentDisposition: `attachment; filename="${fileName}"`,
    }),
  );
  // The report names every row's NIK, No. KK and name: who took it, and when.
  await audit.addEvent(proposal.proposalId, {
    at: new Date().toISOString(),
    kind: 'DOWNLOAD',
    actor: principal.username,
    detail: `${principal.role} ${principal.area || '-'}: laporan pengembalian ${fileName}`,
  });
  logger.info('Report link issued', { proposalId: proposal.proposalId, format });
  return respond(200, { code: 'OK', message: `Tautan unduhan ${fileName}`, url, expiresAt, fileName });
}
