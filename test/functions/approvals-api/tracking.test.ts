/**
 * The tracking routes of the approvals API against the emulators, as each role: a regency's list is its own
 * Dinas Sosial's and the ministry's; a moved family's pair (the origin's task, the destination's notice) is
 * seen by the origin, the destination and the ministry only, and not found for anyone else; each side's
 * approver answers its own side only, with its side's answers, until the task is resolved.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '#shared/contracts.ts';
import type { FindingEntry, TaskEntry, TrackingRepository } from '#shared/tracking-repository.ts';
import type { Handler } from '../../support/approvals.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { apiEvent, lambdaContext } from '../../support/lambda.ts';

const ORIGIN = '3371';
const DESTINATION = '3308';
const as = (username: string, role: Principal['role'], area: string): Principal => ({ username, role, area });
const PRINCIPALS = {
  originOperator: as('operator-3371', 'region_operator', ORIGIN),
  originApprover: as('regency-3371', 'regency_approver', ORIGIN),
  destinationOperator: as('operator-3308', 'region_operator', DESTINATION),
  destinationApprover: as('regency-3308', 'regency_approver', DESTINATION),
  otherApprover: as('regency-3301', 'regency_approver', '3301'),
  province: as('province-33', 'province_approver', '33'),
  ministry: as('ministry', 'ministry_operator', ''),
  analyst: as('analyst', 'analyst', ''),
};
type Who = keyof typeof PRINCIPALS;
const EVERYONE = Object.keys(PRINCIPALS) as Who[];

let aws: TestAws;
let api: Handler;
let tracking: TrackingRepository;
let task: TaskEntry;
let notice: TaskEntry;

beforeAll(async () => {
  aws = await startTestAws();
  ({ handler: api } = (await import('../../../functions/approvals-api/handler.ts')) as { handler: Handler });
  const { TrackingRepository: Tracking, newTaskIds } = await import('#shared/tracking-repository.ts');
  tracking = new Tracking(aws.clients.documents, aws.names.tables.proposals);
  const ids = newTaskIds(ORIGIN, DESTINATION);
  const members = [{ nik: '3371014501900001', nama: 'SITI AMINAH', kodeDesa: '3308011001' }];
  task = {
    id: ids.task,
    role: 'ORIGIN',
    regency: ORIGIN,
    originRegency: ORIGIN,
    destinationRegency: DESTINATION,
    pairedId: ids.notice,
    key: `PINDAH#3371010101150001#${DESTINATION}`,
    noKk: '3371010101150001',
    members,
    detail: '3371014501900001@3308011001',
    status: 'OPEN',
    sincePeriod: '2026-11',
  };
  notice = { ...task, id: ids.notice, role: 'DESTINATION', regency: DESTINATION, pairedId: ids.task };
  await tracking.createTask(task);
  await tracking.createTask(notice);
  const finding: FindingEntry = {
    key: 'MENINGGAL#3371010101800002',
    kind: 'MENINGGAL',
    nik: '3371010101800002',
    noKk: '3371010101150001',
    nama: 'BUDI',
    regency: ORIGIN,
    status: 'OPEN',
    sincePeriod: '2026-11',
    detail: '',
  };
  await tracking.putFinding(finding);
});
afterAll(() => aws?.stop());

async function call(
  who: Who,
  routeKey: string,
  options: { taskId?: string; query?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const event = apiEvent(routeKey, PRINCIPALS[who], {
    pathParameters: options.taskId ? { taskId: options.taskId } : undefined,
    body: options.body,
  });
  if (options.query) event.queryStringParameters = options.query;
  const result = (await api(event, lambdaContext('dtks-approvals-api'))) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? '{}') };
}

async function statuses(request: (who: Who) => Promise<{ status: number }>): Promise<Record<Who, number>> {
  const out = {} as Record<Who, number>;
  for (const who of EVERYONE) out[who] = (await request(who)).status;
  return out;
}

describe('GET /tracking', () => {
  it("shows a regency's list to its own Dinas Sosial and the ministry only", async () => {
    expect(await statuses((who) => call(who, 'GET /tracking', { query: { regency: ORIGIN } }))).toEqual({
      originOperator: 200,
      originApprover: 200,
      destinationOperator: 403,
      destinationApprover: 403,
      otherApprover: 403,
      province: 403,
      ministry: 200,
      analyst: 403,
    });
  });

  it('lists the open findings and the moved families, each side in its own list', async () => {
    const origin = await call('originApprover', 'GET /tracking', { query: { regency: ORIGIN } });
    expect(origin.body.findings).toEqual([expect.objectContaining({ kind: 'MENINGGAL', nik: '3371010101800002' })]);
    expect(origin.body.tasks).toEqual([expect.objectContaining({ id: task.id, role: 'ORIGIN' })]);
    const destination = await call('destinationApprover', 'GET /tracking', { query: { regency: DESTINATION } });
    expect(destination.body.tasks).toEqual([expect.objectContaining({ id: notice.id, role: 'DESTINATION' })]);
  });

  it('refuses a malformed regency with a specific message', async () => {
    const answer = await call('ministry', 'GET /tracking', { query: { regency: '33.71' } });
    expect(answer).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    expect(String(answer.body.message)).toContain('regency');
  });
});

describe('GET /tracking/{taskId}', () => {
  it('shows the pair to the origin, the destination and the ministry, and is not found for anyone else', async () => {
    const expected = {
      originOperator: 200,
      originApprover: 200,
      destinationOperator: 200,
      destinationApprover: 200,
      otherApprover: 404,
      province: 404,
      ministry: 200,
      analyst: 404,
    };
    expect(await statuses((who) => call(who, 'GET /tracking/{taskId}', { taskId: task.id }))).toEqual(expected);
    expect(await statuses((who) => call(who, 'GET /tracking/{taskId}', { taskId: notice.id }))).toEqual(expected);
    const pair = await call('destinationApprover', 'GET /tracking/{taskId}', { taskId: notice.id });
    expect(pair.body).toMatchObject({ task: { id: notice.id }, paired: { id: task.id, role: 'ORIGIN' } });
  });

  it('answers an id that is no task as not found', async () => {
    expect((await call('ministry', 'GET /tracking/{taskId}', { taskId: 'PLK-3371-AAAAAAAAAAAA' })).status).toBe(404);
    expect((await call('ministry', 'GET /tracking/{taskId}', { taskId: 'bukan-tugas' })).status).toBe(404);
  });
});

describe('POST /tracking/{taskId}/answer', () => {
  const confirm = { answer: 'KONFIRMASI_HAPUS', note: 'HAPUS PINDAH diusulkan bulan ini' };

  it("lets only the origin's approver answer the origin's task", async () => {
    const others = EVERYONE.filter((who) => who !== 'originApprover');
    const refused = {} as Record<string, number>;
    for (const who of others) {
      refused[who] = (await call(who, 'POST /tracking/{taskId}/answer', { taskId: task.id, body: confirm })).status;
    }
    expect(refused).toEqual({
      originOperator: 403,
      destinationOperator: 403,
      destinationApprover: 403,
      otherApprover: 404,
      province: 404,
      ministry: 403,
      analyst: 404,
    });
    expect((await tracking.getTask(task.id))?.answer).toBeUndefined();
    const answered = await call('originApprover', 'POST /tracking/{taskId}/answer', { taskId: task.id, body: confirm });
    expect(answered).toMatchObject({ status: 200, body: { code: 'ANSWERED' } });
    expect((await tracking.getTask(task.id))?.answer).toMatchObject({
      answer: 'KONFIRMASI_HAPUS',
      answeredBy: 'regency-3371',
      note: confirm.note,
    });
  });

  it("takes only the side's own answers, and a why for a dispute", async () => {
    const wrongSide = await call('destinationApprover', 'POST /tracking/{taskId}/answer', {
      taskId: notice.id,
      body: confirm,
    });
    expect(wrongSide).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    const noWhy = await call('destinationApprover', 'POST /tracking/{taskId}/answer', {
      taskId: notice.id,
      body: { answer: 'TIDAK_DITEMUKAN' },
    });
    expect(noWhy).toMatchObject({ status: 400, body: { issues: ['note: keterangan wajib diisi untuk jawaban ini'] } });
    const proposed = await call('destinationApprover', 'POST /tracking/{taskId}/answer', {
      taskId: notice.id,
      body: { answer: 'AKAN_DIUSULKAN' },
    });
    expect(proposed.status).toBe(200);
    // Each side sees the other's answer in the pair.
    const pair = await call('originOperator', 'GET /tracking/{taskId}', { taskId: task.id });
    expect(pair.body).toMatchObject({
      task: { answer: { answer: 'KONFIRMASI_HAPUS' } },
      paired: { answer: { answer: 'AKAN_DIUSULKAN', answeredBy: 'regency-3308' } },
    });
  });

  it('refuses an answer once the task is resolved', async () => {
    await tracking.updateTask({ ...task, status: 'RESOLVED', resolvedPeriod: '2026-12' });
    const late = await call('originApprover', 'POST /tracking/{taskId}/answer', { taskId: task.id, body: confirm });
    expect(late).toMatchObject({ status: 409, body: { code: 'ALREADY_RESOLVED' } });
  });
});
