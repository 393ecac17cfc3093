/**
 * The approvals API against what an attacker or a broken client sends: traversal and encoded slashes in
 * path parameters, other regencies' keys, malformed periods, pages and cursors, bodies that are not the
 * schema's. Every answer is a client error with a stable code and a message, never a 500 or a file outside
 * the caller's area, and no answer echoes a NIK the caller did not send.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEYS } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { approvalHandlers, callApi, type Handler } from '../../support/approvals.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { checkedProposal, checkedRow, PRINCIPALS, type RoleName, stipulatedPeriod } from '../../support/console.ts';

let aws: TestAws;
let api: Handler;
const OWN = '3371-2026-11-00000000hostl';

beforeAll(async () => {
  aws = await startTestAws();
  ({ api } = await approvalHandlers());
  await checkedProposal(aws, { proposalId: OWN }, [checkedRow(1), checkedRow(2, ['NIK_NOT_FOUND'])]);
  await stipulatedPeriod(aws, '2026-10');
});

afterAll(async () => {
  await aws?.stop();
});

interface Probe {
  name: string;
  route: string;
  role: RoleName;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

const rowsOf = (query: Record<string, string>, proposalId = OWN): Omit<Probe, 'name'> => ({
  route: 'GET /proposals/{proposalId}/rows',
  role: 'regency',
  pathParameters: { proposalId },
  query,
});
const upload = (body: unknown): Omit<Probe, 'name'> => ({ route: 'POST /uploads', role: 'operator', body });
const download = (key: string, period = '2026-10', role: RoleName = 'analyst'): Omit<Probe, 'name'> => ({
  route: 'POST /periods/{period}/downloads',
  role,
  pathParameters: { period },
  body: { key },
});

const PROBES: Probe[] = [
  { name: 'proposal id with ../', ...rowsOf({}, `../${OWN}`) },
  { name: 'proposal id with an encoded slash', ...rowsOf({}, `3372%2F..%2F${OWN}`) },
  { name: 'proposal id with NUL', ...rowsOf({}, `${OWN}\u0000`) },
  { name: 'proposal id 2,000 characters', ...rowsOf({}, 'x'.repeat(2000)) },
  { name: 'limit=0', ...rowsOf({ limit: '0' }) },
  { name: 'limit=-1', ...rowsOf({ limit: '-1' }) },
  { name: 'limit=10^9', ...rowsOf({ limit: '1000000000' }) },
  { name: 'limit=abc', ...rowsOf({ limit: 'abc' }) },
  { name: 'limit=1.5', ...rowsOf({ limit: '1.5' }) },
  { name: 'cursor not base64', ...rowsOf({ next: '%%%' }) },
  { name: 'cursor negative', ...rowsOf({ next: Buffer.from('{"p":-5}').toString('base64url') }) },
  { name: 'cursor fractional', ...rowsOf({ next: Buffer.from('{"p":0.5}').toString('base64url') }) },
  { name: 'cursor over 2 KiB', ...rowsOf({ next: 'A'.repeat(5000) }) },
  { name: 'q over 100 characters', ...rowsOf({ q: 'a'.repeat(10_000) }) },
  { name: 'verdict unknown', ...rowsOf({ verdict: 'ACCEPTED' }) },
  { name: 'code with regex metacharacters', ...rowsOf({ code: '.*' }) },
  {
    name: 'report format unknown',
    route: 'GET /proposals/{proposalId}/report',
    role: 'regency',
    pathParameters: { proposalId: OWN },
    query: { format: '../x' },
  },
  { name: 'list regency of another province', route: 'GET /proposals', role: 'operator', query: { regency: '3171' } },
  { name: 'list period malformed', route: 'GET /proposals', role: 'ministry', query: { period: '2026-13' } },
  { name: 'list status unknown', route: 'GET /proposals', role: 'operator', query: { status: 'ANY' } },
  { name: 'upload name with /', ...upload({ period: '2026-11', fileName: '../3372/2026-11/x.csv', size: 10 }) },
  { name: 'upload name with ..', ...upload({ period: '2026-11', fileName: '..csv', size: 10 }) },
  { name: 'upload name with NUL', ...upload({ period: '2026-11', fileName: 'a\u0000.csv', size: 10 }) },
  { name: 'upload name with unicode', ...upload({ period: '2026-11', fileName: 'usulan\u202Evsc.csv', size: 10 }) },
  {
    name: 'upload name 300 characters',
    ...upload({ period: '2026-11', fileName: `${'a'.repeat(296)}.csv`, size: 10 }),
  },
  { name: 'upload name not .csv', ...upload({ period: '2026-11', fileName: 'x.csv.exe', size: 10 }) },
  { name: 'upload period not YYYY-MM', ...upload({ period: '2026-11/../../3372', fileName: 'x.csv', size: 10 }) },
  { name: 'upload size 0', ...upload({ period: '2026-11', fileName: 'x.csv', size: 0 }) },
  { name: 'upload size as text', ...upload({ period: '2026-11', fileName: 'x.csv', size: '10' }) },
  { name: 'upload body an array', ...upload([]) },
  { name: 'upload body not JSON', ...upload(undefined), body: '{' },
  {
    name: 'upload parts of a small file',
    ...upload({ period: '2026-11', fileName: 'x.csv', size: 10, uploadId: 'u' }),
  },
  {
    name: 'complete another regency’s key',
    route: 'POST /uploads/complete',
    role: 'operator',
    body: { key: 'proposals/3372/2026-11/x.csv', uploadId: 'u', parts: [{ partNumber: 1, etag: '"e"' }] },
  },
  {
    name: 'complete a traversing key',
    route: 'POST /uploads/complete',
    role: 'operator',
    body: { key: 'proposals/3371/../3372/2026-11/x.csv', uploadId: 'u', parts: [{ partNumber: 1, etag: '"e"' }] },
  },
  {
    name: 'complete an upload id that is not one',
    route: 'POST /uploads/complete',
    role: 'operator',
    body: { key: 'proposals/3371/2026-11/x.csv', uploadId: 'not-an-upload', parts: [{ partNumber: 1, etag: '"e"' }] },
  },
  { name: 'download a key not in the manifest', ...download('exports/period=2026-10/../secret') },
  { name: 'download the manifest itself', ...download('exports/period=2026-10/manifest.json') },
  { name: 'download in a period path with ../', ...download('x', '2026-10/../2026-09') },
  { name: 'download in a period not stipulated', ...download('x', '2026-09') },
  { name: 'board of a malformed period', route: 'GET /board', role: 'ministry', query: { period: '26-11' } },
  {
    name: 'stipulation of a malformed period',
    route: 'POST /stipulations',
    role: 'ministry',
    body: { period: '2026-1' },
  },
  {
    name: 'period view with traversal',
    route: 'GET /periods/{period}',
    role: 'analyst',
    pathParameters: { period: '..' },
  },
  {
    name: 'guard of a malformed period',
    route: 'POST /periods/{period}/guard',
    role: 'ministry',
    pathParameters: { period: 'x' },
    body: { decision: 'APPROVE', note: 'x' },
  },
  { name: 'tracking of another regency', route: 'GET /tracking', role: 'operator', query: { regency: '3372' } },
  {
    name: 'tracking task that is not one',
    route: 'GET /tracking/{taskId}',
    role: 'regency',
    pathParameters: { taskId: '../x' },
  },
  {
    name: 'decision body an array',
    route: 'POST /proposals/{proposalId}/decision',
    role: 'regency',
    pathParameters: { proposalId: OWN },
    body: [],
  },
];

describe('hostile input to the approvals API', () => {
  it.each(PROBES)('$name: a client error with a code and a message', async ({ route, role, ...request }) => {
    const answer = await callApi(api, route, PRINCIPALS[role], request);
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
    expect(answer.status, answer.text).toBeLessThan(500);
    expect(answer.body).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    expect(answer.text).not.toMatch(/33710\d{11}/);
  });
});

describe('an unexpected failure', () => {
  it('is an opaque 500 whose log line quotes none of the stored text (a JSON.parse error would)', async () => {
    // A rows file damaged in storage: JSON.parse's message quotes the start of what it failed on.
    const broken = '3371-2026-11-0000000broken';
    await checkedProposal(aws, { proposalId: broken }, [checkedRow(1)]);
    const line = 'SITI AMINAH 3371010101800001\n';
    await aws.clients.s3.send(
      new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: KEYS.reviewRows('3371', broken), Body: line }),
    );
    const logged = vi.spyOn(logger, 'error');
    try {
      const answer = await callApi(api, 'GET /proposals/{proposalId}/rows', PRINCIPALS.regency, {
        pathParameters: { proposalId: broken },
        query: { q: 'siti' },
      });
      expect([answer.status, answer.body.code]).toEqual([500, 'INTERNAL']);
      expect(answer.text).not.toMatch(/SITI|3371010/);
      expect(logged).toHaveBeenCalledWith(
        'Approvals API failure',
        expect.objectContaining({ errorName: 'SyntaxError' }),
      );
      expect(JSON.stringify(logged.mock.calls)).not.toMatch(/SITI|3371010/);
    } finally {
      logged.mockRestore();
    }
  });
});
