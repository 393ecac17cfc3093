/**
 * The approvals API's authorisation matrix: every route of the console, for each role, against a proposal
 * (or key) of the caller's own regency, of another regency of the same province and of another province,
 * and for the period routes against each access tier. The exact status and code of each answer: the
 * server decides, whatever a page shows or hides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalRoute, KEYS, routeKeyOf } from '#shared/contracts.ts';
import { approvalHandlers, callApi, type Handler } from '../../support/approvals.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { checkedProposal, PRINCIPALS, periodFiles, type RoleName, stipulatedPeriod } from '../../support/console.ts';

let aws: TestAws;
let api: Handler;

/** The three places a proposal can be, seen from regency 3371 (province 33). */
const TARGETS = {
  own: { regency: '3371', proposalId: '3371-2026-11-000000000own' },
  otherRegency: { regency: '3372', proposalId: '3372-2026-11-00000000same' },
  otherProvince: { regency: '3171', proposalId: '3171-2026-11-0000000other' },
} as const;
type Target = keyof typeof TARGETS;
const STIPULATED = '2026-10';
const FILES = periodFiles(STIPULATED);
type Tier = keyof typeof FILES;

type Answer = [status: number, code: string];
const OK: Answer = [200, 'OK'];
const FORBIDDEN: Answer = [403, 'FORBIDDEN'];
const ROLES = Object.keys(PRINCIPALS) as RoleName[];

/** The answers of a regional route per role, against [own, other regency, other province]. */
type Regional = Record<RoleName, [Answer, Answer, Answer]>;
const VIEWERS: Regional = {
  operator: [OK, FORBIDDEN, FORBIDDEN],
  regency: [OK, FORBIDDEN, FORBIDDEN],
  province: [OK, OK, FORBIDDEN],
  ministry: [OK, OK, OK],
  analyst: [FORBIDDEN, FORBIDDEN, FORBIDDEN],
};

interface Case {
  role: RoleName;
  route: string;
  where: string;
  request: { pathParameters?: Record<string, string>; query?: Record<string, string>; body?: unknown };
  answer: Answer;
}

const regional = (route: string, answers: Regional, request: (target: Target) => Case['request']): Case[] =>
  ROLES.flatMap((role) =>
    (Object.keys(TARGETS) as Target[]).map((where, i) => ({
      role,
      route,
      where,
      request: request(where),
      answer: answers[role][i]!,
    })),
  );
const everyRole = (route: string, answers: Record<RoleName, Answer>, request: Case['request'] = {}, where = '-') =>
  ROLES.map((role) => ({ role, route, where, request, answer: answers[role] }));
const only = (allowed: Partial<Record<RoleName, Answer>>): Record<RoleName, Answer> =>
  Object.fromEntries(ROLES.map((role) => [role, allowed[role] ?? FORBIDDEN])) as Record<RoleName, Answer>;
const proposal = (where: Target) => ({ pathParameters: { proposalId: TARGETS[where].proposalId } });

const CASES: Case[] = [
  ...everyRole('GET /me', only({ operator: OK, regency: OK, province: OK, ministry: OK, analyst: OK })),
  ...everyRole('GET /tasks', only({ regency: OK, province: OK })),
  ...regional('GET /proposals/{proposalId}', VIEWERS, proposal),
  ...regional('GET /proposals/{proposalId}/rows', VIEWERS, proposal),
  ...regional('GET /proposals/{proposalId}/report', VIEWERS, proposal),
  ...regional('GET /proposals', VIEWERS, (where) => ({ query: { regency: TARGETS[where].regency } })),
  ...everyRole('GET /proposals', only({ operator: OK, regency: OK, province: OK, ministry: OK }), {
    query: { period: '2026-11' },
  }),
  ...everyRole(
    'POST /uploads',
    only({ operator: [200, 'UPLOAD_READY'] }),
    { body: { period: '2026-11', fileName: 'usulan.csv', size: 1024 } },
    'own',
  ),
  // The key names the regency: only the operator's own gets as far as S3 (which knows no such upload).
  ...regional(
    'POST /uploads/complete',
    Object.fromEntries(
      ROLES.map((role) => [role, [role === 'operator' ? [404, 'NOT_FOUND'] : FORBIDDEN, FORBIDDEN, FORBIDDEN]]),
    ) as Regional,
    (where) => ({
      body: {
        key: KEYS.upload('MUSDES', TARGETS[where].regency, '2026-11', 'usulan.csv'),
        uploadId: 'no-such-upload',
        parts: [{ partNumber: 1, etag: '"x"' }],
      },
    }),
  ),
  ...everyRole('GET /board', only({ ministry: OK }), { query: { period: '2026-11' } }),
  ...everyRole('GET /periods', only({ ministry: OK, analyst: OK })),
  ...everyRole('GET /periods/{period}', only({ ministry: OK, analyst: OK }), {
    pathParameters: { period: STIPULATED },
  }),
  ...(['full', 'pseudonymised', 'regency'] as Tier[]).flatMap((tier) =>
    everyRole(
      'POST /periods/{period}/downloads',
      only({ ministry: OK, ...(tier === 'pseudonymised' ? { analyst: OK } : {}) }),
      { pathParameters: { period: STIPULATED }, body: { key: FILES[tier] } },
      `${tier} tier`,
    ),
  ),
  ...everyRole('POST /stipulations', only({ ministry: [409, 'PERIOD_STIPULATED'] }), { body: { period: STIPULATED } }),
];

beforeAll(async () => {
  aws = await startTestAws();
  ({ api } = await approvalHandlers());
  for (const { regency, proposalId } of Object.values(TARGETS)) await checkedProposal(aws, { proposalId, regency });
  await stipulatedPeriod(aws, STIPULATED);
});

afterAll(async () => {
  await aws?.stop();
});

describe('the approvals API authorises every console route on the server', () => {
  it('covers every route of the console, for every role', () => {
    const routes = new Set(CASES.map(({ route }) => route));
    const consoleRoutes: ApprovalRoute[] = [
      'me',
      'listTasks',
      'viewProposal',
      'proposalRows',
      'proposalReport',
      'listProposals',
      'createUpload',
      'completeUpload',
      'board',
      'listPeriods',
      'viewPeriod',
      'periodDownload',
      'startStipulation',
    ];
    expect([...routes].sort()).toEqual(consoleRoutes.map(routeKeyOf).sort());
    for (const route of routes) expect(new Set(CASES.filter((c) => c.route === route).map((c) => c.role)).size).toBe(5);
  });

  it.each(CASES.map((c) => [c.role, c.route, c.where, c.answer.join(' '), c] as const))(
    '%s %s (%s): %s',
    async (_role, _route, _where, _answer, { role, route, request, answer }) => {
      const { status, body } = await callApi(api, route, PRINCIPALS[role], request);
      expect([status, body.code]).toEqual(answer);
      // Every refusal says why in Bahasa Indonesia.
      expect(typeof body.message).toBe('string');
    },
  );
});
