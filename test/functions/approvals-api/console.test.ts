/**
 * The console's routes of the approvals API, what each answers: a proposal's rows paged and filtered on the
 * server from what the check stored, the report link (audited), the lists and their pages, the tasks'
 * expiry, the stipulated periods by tier (links audited), the ministry's board and starting a stipulation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextPeriod, periodAt } from '#core/period.ts';
import { AuditTrail } from '#shared/audit-trail.ts';
import { PERIOD } from '#shared/contracts.ts';
import { approvalHandlers, callApi, type Handler } from '../../support/approvals.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { checkedProposal, checkedRow, PRINCIPALS, periodFiles, stipulatedPeriod } from '../../support/console.ts';
import { lambdaContext } from '../../support/lambda.ts';

let aws: TestAws;
let api: Handler;
let requestApproval: Handler;
let audit: AuditTrail;
const bodies: string[] = [];

// biome-ignore lint/suspicious/noExplicitAny: a JSON answer, read field by field by the assertions.
type Body = Record<string, any>;
async function call(
  route: string,
  role: keyof typeof PRINCIPALS,
  request: { pathParameters?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: Body }> {
  const answer = await callApi<Body>(api, route, PRINCIPALS[role], request);
  bodies.push(answer.text);
  return answer;
}

// 2,500 rows: every 10th returned (NIK_NOT_FOUND), every 7th with the MOVED_DOMICILE warning; row 1234 is Siti Aminah.
const BIG = '3371-2026-11-0000000000big';
const rowCodes = (i: number) => [
  ...(i % 7 === 0 ? ['MOVED_DOMICILE' as const] : []),
  ...(i % 10 === 0 ? ['NIK_NOT_FOUND' as const] : []),
];
const bigRows = Array.from({ length: 2500 }, (_, k) =>
  checkedRow(k + 1, rowCodes(k + 1), k + 1 === 1234 ? 'SITI Aminah' : undefined),
);
const rows = (query: Record<string, string>) =>
  call('GET /proposals/{proposalId}/rows', 'regency', { pathParameters: { proposalId: BIG }, query });

beforeAll(async () => {
  aws = await startTestAws();
  audit = new AuditTrail(aws.clients.documents, aws.names.tables.proposals);
  ({ api, requestApproval } = await approvalHandlers());
  await checkedProposal(aws, { proposalId: BIG, receivedAt: '2026-11-03T00:00:00.000Z' }, bigRows);
  await checkedProposal(aws, {
    proposalId: '3371-2026-11-00000000older',
    status: 'REJECTED',
    receivedAt: '2026-11-01T00:00:00.000Z',
  });
  await checkedProposal(aws, {
    proposalId: '3371-2026-11-0000000middle',
    status: 'AWAITING_PROVINCE',
    receivedAt: '2026-11-02T00:00:00.000Z',
  });
  await checkedProposal(aws, {
    proposalId: '3371-2026-10-0000000before',
    period: '2026-10',
    receivedAt: '2026-10-02T00:00:00.000Z',
  });
  await checkedProposal(aws, { proposalId: '3372-2026-11-00000000same', regency: '3372' });
  await checkedProposal(aws, { proposalId: '3171-2026-11-0000000other', regency: '3171' });
  await checkedProposal(aws, { proposalId: '3371-2026-11-0000000uncheck', status: 'CHECKING' });
  await stipulatedPeriod(aws, '2026-10');
});

afterAll(async () => {
  // The console's answers carry NIKs only where rows are asked for: never in a list, a link or an error.
  for (const body of bodies.filter((text) => !text.includes('"rows":['))) expect(body).not.toMatch(/33710\d{11}/);
  await aws?.stop();
});

describe('GET /proposals/{proposalId}/rows', () => {
  it('answers the first page in input order with the filter’s total and a cursor', async () => {
    const { status, body } = await rows({});
    expect(status).toBe(200);
    expect(body.total).toBe(2500);
    expect(body.rows).toHaveLength(50);
    expect(body.rows.map((row: Body) => row.line)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(body.rows[9]).toEqual({
      line: 10,
      nik: bigRows[9]!.row.nik,
      noKk: bigRows[9]!.row.noKk,
      name: 'Warga Ke 10',
      verdict: 'DIKEMBALIKAN',
      codes: [{ code: 'NIK_NOT_FOUND', message: expect.stringMatching(/NIK/) }],
    });
    expect(body.next).toEqual(expect.any(String));
  });

  it('pages a code through every block with the cursor, each row once, and ends without one', async () => {
    const lines: number[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const { body } = await rows({ code: 'NIK_NOT_FOUND', limit: '60', ...(next ? { next } : {}) });
      expect(body.total).toBe(250);
      lines.push(...body.rows.map((row: Body) => row.line));
      next = body.next;
      pages++;
    } while (next);
    expect(pages).toBe(5);
    expect(lines).toEqual(Array.from({ length: 250 }, (_, i) => (i + 1) * 10));
  });

  it('filters by verdict, and by verdict and code together', async () => {
    expect((await rows({ verdict: 'DITERIMA' })).body.total).toBe(2250);
    const moved = await rows({ verdict: 'DIKEMBALIKAN', code: 'MOVED_DOMICILE', limit: '200' });
    expect(moved.body.total).toBe(35);
    expect(moved.body.rows.map((row: Body) => row.line)).toEqual(Array.from({ length: 35 }, (_, i) => (i + 1) * 70));
    expect(moved.body.next).toBeUndefined();
  });

  it('searches by NIK prefix, No. KK prefix and part of a name, case-insensitive', async () => {
    const person = bigRows[1233]!.row;
    expect((await rows({ q: person.nik })).body.rows.map((row: Body) => row.line)).toEqual([1234]);
    expect((await rows({ q: 'siti ami' })).body.rows.map((row: Body) => row.name)).toEqual(['SITI Aminah']);
    const family = await rows({ q: person.noKk });
    expect(family.body.rows.map((row: Body) => row.line)).toEqual([1232, 1233, 1234, 1235]);
    expect(family.body.total).toBe(4);
  });

  it('refuses a cursor it did not issue and a filter it does not know with 400', async () => {
    const refused: Record<string, string>[] = [
      { next: 'bm90LWEtY3Vyc29y' },
      { verdict: 'MAYBE' },
      { limit: '500' },
      { code: 'nik not found' },
    ];
    for (const query of refused) {
      const { status, body } = await rows(query);
      expect([status, body.code]).toEqual([400, 'INVALID_REQUEST']);
    }
  });

  it('records who opened the rows and with what filter, a search without what was searched', async () => {
    const opened = (await audit.listEvents(BIG)).filter(({ kind }) => kind === 'DOWNLOAD');
    // The first page, the code's walk (its first page only), the two verdict filters, the three searches;
    // the refused requests (400) none.
    expect(opened.map(({ actor, detail }) => `${actor} ${detail}`)).toEqual([
      'regency-3371 regency_approver 3371: baris usulan',
      'regency-3371 regency_approver 3371: baris usulan (NIK_NOT_FOUND)',
      'regency-3371 regency_approver 3371: baris usulan (DITERIMA)',
      'regency-3371 regency_approver 3371: baris usulan (MOVED_DOMICILE, DIKEMBALIKAN)',
      'regency-3371 regency_approver 3371: baris usulan (pencarian)',
      'regency-3371 regency_approver 3371: baris usulan (pencarian)',
      'regency-3371 regency_approver 3371: baris usulan (pencarian)',
    ]);
    expect(JSON.stringify(opened)).not.toMatch(/\d{16}|siti/i);
  });

  it('reads past the first page only with the cursor of a recorded opening by the same reader and filter', async () => {
    const page = (role: 'regency' | 'operator', query: Record<string, string>) =>
      call('GET /proposals/{proposalId}/rows', role, { pathParameters: { proposalId: BIG }, query });
    const events = async () => (await audit.listEvents(BIG)).length;
    const before = await events();
    // Made up to start at row 60 without opening the table: it would read rows and leave no record.
    const made = Buffer.from(JSON.stringify({ p: 60 })).toString('base64url');
    expect([(await page('regency', { next: made })).status]).toEqual([400]);
    const opened = await page('regency', { code: 'NIK_NOT_FOUND', limit: '60' });
    const second = await page('regency', { code: 'NIK_NOT_FOUND', limit: '60', next: opened.body.next });
    expect([second.status, second.body.rows[0].line]).toEqual([200, 610]);
    expect(await events()).toBe(before + 1);
    // Another reader of the regency with that cursor, or the cursor under another filter (a search): refused.
    const other = await page('operator', { code: 'NIK_NOT_FOUND', limit: '60', next: opened.body.next });
    const search = await page('regency', { q: '3371', limit: '60', next: opened.body.next });
    expect([other.status, other.body.code, search.status]).toEqual([400, 'INVALID_REQUEST', 400]);
    expect(await events()).toBe(before + 1);
  });

  it('answers 404 ROWS_NOT_AVAILABLE while the proposal is being checked', async () => {
    const { status, body } = await call('GET /proposals/{proposalId}/rows', 'regency', {
      pathParameters: { proposalId: '3371-2026-11-0000000uncheck' },
    });
    expect([status, body.code]).toEqual([404, 'ROWS_NOT_AVAILABLE']);
  });
});

describe('GET /proposals/{proposalId}/report', () => {
  it('answers a short-lived link that downloads the report, and records who took it', async () => {
    const { status, body } = await call('GET /proposals/{proposalId}/report', 'operator', {
      pathParameters: { proposalId: BIG },
    });
    expect(status).toBe(200);
    expect(body.fileName).toBe('laporan-pengembalian.csv');
    const download = await fetch(body.url);
    expect(await download.text()).toBe(`laporan ${BIG}\n`);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="laporan-pengembalian.csv"');
    const events = await audit.listEvents(BIG);
    expect(events.filter(({ detail }) => detail?.includes('laporan'))).toEqual([
      expect.objectContaining({
        kind: 'DOWNLOAD',
        actor: 'operator-3371',
        detail: 'region_operator 3371: laporan pengembalian laporan-pengembalian.csv',
      }),
    ]);
    const xlsx = await call('GET /proposals/{proposalId}/report', 'operator', {
      pathParameters: { proposalId: BIG },
      query: { format: 'xlsx' },
    });
    expect(xlsx.body.fileName).toBe('laporan-pengembalian.xlsx');
  });
});

describe('GET /proposals', () => {
  it('lists the regency’s proposals newest first, in pages', async () => {
    const first = await call('GET /proposals', 'operator', { query: { limit: '2' } });
    expect(first.body.proposals.map((p: Body) => p.proposalId)).toEqual(['3371-2026-11-0000000uncheck', BIG]);
    const second = await call('GET /proposals', 'operator', { query: { limit: '2', next: first.body.next } });
    expect(second.body.proposals.map((p: Body) => p.proposalId)).toEqual([
      '3371-2026-11-0000000middle',
      '3371-2026-11-00000000older',
    ]);
    // A view carries no workflow bookkeeping.
    expect(first.body.proposals[0]).not.toHaveProperty('executionId');
  });

  it('refuses a forged cursor with 400: another regency’s key, a key of another shape, a huge or broken one', async () => {
    const first = await call('GET /proposals', 'operator', { query: { limit: '1' } });
    const key = JSON.parse(Buffer.from(first.body.next, 'base64url').toString('utf8'));
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = [
      forge(JSON.parse(JSON.stringify(key).replaceAll('3371', '3372'))),
      forge({ pk: key.pk }),
      forge({ ...key, extra: 'x' }),
      forge({}),
      forge([]),
      'bm90IGpzb24',
      '!!!',
    ];
    for (const next of forged) {
      const answer = await call('GET /proposals', 'operator', { query: { limit: '1', next } });
      expect([next, answer.status, answer.body.code]).toEqual([next, 400, 'INVALID_REQUEST']);
    }
    // A key of the caller's own list, however made up, only moves where the page starts within it.
    const within = await call('GET /proposals', 'operator', { query: { next: forge({ ...key, pk: 'PERIOD#x' }) } });
    expect(within.status).toBe(200);
    expect(within.body.proposals.every((p: Body) => p.regency === '3371')).toBe(true);
  });

  it('narrows by period and status', async () => {
    const rejected = await call('GET /proposals', 'regency', { query: { period: '2026-11', status: 'REJECTED' } });
    expect(rejected.body.proposals.map((p: Body) => p.proposalId)).toEqual(['3371-2026-11-00000000older']);
    const october = await call('GET /proposals', 'regency', { query: { period: '2026-10' } });
    expect(october.body.proposals.map((p: Body) => p.proposalId)).toEqual(['3371-2026-10-0000000before']);
  });

  it('lists a period across the province for its approver, and across the country for the ministry', async () => {
    const province = await call('GET /proposals', 'province', { query: { period: '2026-11', limit: '200' } });
    const regencies = (body: Body) => [...new Set(body.proposals.map((p: Body) => p.regency))].sort();
    expect(regencies(province.body)).toEqual(['3371', '3372']);
    const ministry = await call('GET /proposals', 'ministry', { query: { period: '2026-11', limit: '200' } });
    expect(regencies(ministry.body)).toEqual(['3171', '3371', '3372']);
    const unbounded = await call('GET /proposals', 'ministry');
    expect([unbounded.status, unbounded.body.code]).toEqual([400, 'INVALID_REQUEST']);
  });
});

describe('GET /tasks and GET /me', () => {
  it('gives each open task the time it expires: the approval timeout after it opened', async () => {
    await checkedProposal(aws, { proposalId: '3371-2026-12-00000000task', period: '2026-12', status: 'CHECKING' });
    await requestApproval(
      { proposalId: '3371-2026-12-00000000task', level: 'REGENCY', taskToken: 'token-task' },
      lambdaContext('dtks-request-approval'),
    );
    const { body } = await call('GET /tasks', 'regency');
    const [task] = body.tasks;
    expect(Date.parse(task.expiresAt) - Date.parse(task.createdAt)).toBe(14 * 24 * 60 * 60 * 1000);
  });

  it('names the caller’s role and area', async () => {
    const regency = await call('GET /me', 'regency');
    expect(regency.body.user).toEqual({
      username: 'regency-3371',
      role: 'regency_approver',
      area: '3371',
      areaName: expect.stringMatching(/MAGELANG/),
    });
    expect((await call('GET /me', 'province')).body.user.areaName).toMatch(/JAWA TENGAH/);
  });
});

describe('the stipulated periods by access tier', () => {
  const files = periodFiles('2026-10');

  it('lists the stipulated periods, not an export folder without a record', async () => {
    await stipulatedPeriod(aws, '2026-09');
    const { body } = await call('GET /periods', 'analyst');
    expect(body.periods.map((p: Body) => p.period)).toEqual(['2026-10', '2026-09']);
    expect(body.periods[0]).toEqual({
      period: '2026-10',
      stipulatedAt: '2026-10-28T01:00:00.000Z',
      carriedForward: false,
      persons: 3,
    });
    for (const { period } of body.periods) expect(PERIOD.safeParse(period).success).toBe(true);
  });

  it('shows an analyst the pseudonymised tier only, the ministry every tier', async () => {
    const analyst = await call('GET /periods/{period}', 'analyst', { pathParameters: { period: '2026-10' } });
    expect(analyst.body.files).toEqual([
      {
        key: files.pseudonymised,
        tier: 'pseudonymised',
        rows: 3,
        bytes: files.pseudonymised.length,
        sha256: '1'.repeat(64),
      },
    ]);
    expect(analyst.body.manifest.files.map((file: Body) => file.key)).toEqual([files.pseudonymised]);
    expect(JSON.stringify(analyst.body)).not.toContain(files.full);
    const ministry = await call('GET /periods/{period}', 'ministry', { pathParameters: { period: '2026-10' } });
    expect(ministry.body.files.map((file: Body) => file.tier).sort()).toEqual(['full', 'pseudonymised', 'regency']);
    const missing = await call('GET /periods/{period}', 'ministry', { pathParameters: { period: '2026-12' } });
    expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('downloads a file of the manifest through its link, recorded in the period’s trail; a key not in it is 404', async () => {
    const { body } = await call('POST /periods/{period}/downloads', 'analyst', {
      pathParameters: { period: '2026-10' },
      body: { key: files.pseudonymised },
    });
    expect(await (await fetch(body.url)).text()).toBe(files.pseudonymised);
    expect(await audit.listPeriodEvents('2026-10')).toEqual([
      expect.objectContaining({
        kind: 'DOWNLOAD',
        actor: 'analyst',
        detail: `analyst: pseudonymised ${files.pseudonymised}`,
      }),
    ]);
    const unknown = await call('POST /periods/{period}/downloads', 'ministry', {
      pathParameters: { period: '2026-10' },
      body: { key: 'exports/period=2026-10/manifest.json' },
    });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('the ministry’s board and POST /stipulations', () => {
  it('starts a period’s stipulation, refuses a second while it runs, and shows the run on the board', async () => {
    const started = await call('POST /stipulations', 'ministry', { body: { period: '2026-11' } });
    expect([started.status, started.body.code, started.body.period]).toEqual([202, 'STIPULATION_STARTED', '2026-11']);
    expect(started.body.name).toBe('console-2026-11-1');
    expect(JSON.parse(aws.sfn?.executions[0]?.input ?? '{}')).toMatchObject({ period: '2026-11' });
    const again = await call('POST /stipulations', 'ministry', { body: { period: '2026-11' } });
    expect([again.status, again.body.code]).toEqual([409, 'STIPULATION_RUNNING']);
    expect(await audit.listPeriodEvents('2026-11')).toEqual([
      expect.objectContaining({
        kind: 'DECISION',
        actor: 'ministry',
        detail: `penetapan dimulai: ${started.body.name}`,
      }),
    ]);

    const { body } = await call('GET /board', 'ministry', { query: { period: '2026-11' } });
    expect(body.regencies).toEqual([
      {
        province: '31',
        provinceName: expect.any(String),
        regency: '3171',
        regencyName: expect.any(String),
        counts: { AWAITING_REGENCY: 1 },
      },
      {
        province: '33',
        provinceName: expect.stringMatching(/JAWA TENGAH/),
        regency: '3371',
        regencyName: expect.stringMatching(/MAGELANG/),
        counts: { AWAITING_REGENCY: 1, AWAITING_PROVINCE: 1, REJECTED: 1, CHECKING: 1 },
      },
      expect.objectContaining({ regency: '3372', counts: { AWAITING_REGENCY: 1 } }),
    ]);
    expect(body.runs).toEqual([
      expect.objectContaining({
        name: started.body.name,
        executionArn: started.body.executionArn,
        status: 'RUNNING',
        period: '2026-11',
      }),
    ]);
  });

  it('refuses a period still to come with 400, before any run starts', async () => {
    const before = aws.sfn?.executions.length;
    const future = nextPeriod(periodAt(new Date()));
    const answer = await call('POST /stipulations', 'ministry', { body: { period: future } });
    expect([answer.status, answer.body.code]).toEqual([400, 'INVALID_REQUEST']);
    expect(answer.body.message).toContain(`Periode ${future} belum dimulai`);
    expect(aws.sfn?.executions.length).toBe(before);
  });

  it('lets only one of two simultaneous starts through: the other is 409', async () => {
    // The run above failed; two ministry operators re-run the period at the same moment, and both list the
    // runs before either has started (AWS's ListExecutions is eventually consistent).
    for (const execution of aws.sfn?.executions ?? []) execution.status = 'FAILED';
    const sfn = aws.sfn as NonNullable<typeof aws.sfn>;
    const before = sfn.executions.length;
    sfn.listedAsOf = Date.now() / 1000;
    try {
      const first = await call('POST /stipulations', 'ministry', { body: { period: '2026-11' } });
      const second = await call('POST /stipulations', 'ministry', { body: { period: '2026-11' } });
      expect([first.status, first.body.code, first.body.name]).toEqual([
        202,
        'STIPULATION_STARTED',
        'console-2026-11-2',
      ]);
      expect([second.status, second.body.code]).toEqual([409, 'STIPULATION_RUNNING']);
      expect(second.body.message).toContain('console-2026-11-2');
    } finally {
      sfn.listedAsOf = undefined;
    }
    expect(sfn.executions.length).toBe(before + 1);
    // The machine reads only the period of its input: the request id makes each request's start its own.
    expect(JSON.parse(sfn.executions[0]?.input ?? '{}')).toEqual({ period: '2026-11', requestId: expect.any(String) });
  });
});
