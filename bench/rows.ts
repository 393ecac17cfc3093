/**
 * Time to a page of a proposal's rows in the console (GET /proposals/{id}/rows) on the local environment:
 *
 *   npx tsx bench/rows.ts [rows]        (default: 100000)
 *
 * dynalite and the local S3 on loopback, a checked proposal of `rows` rows written as CheckIntegrity keeps
 * them for the console (review-rows.ts; every 10th row returned with NIK_NOT_FOUND, every 7th with the
 * MOVED_DOMICILE warning) and its record (not timed). Then the approvals-api handler itself answers, as
 * the regency approver, each query 7 times: the first page, a page filtered by a code, by verdict and
 * code, the last page of a code (its cursor), and a search by name (which reads the whole file). Prints
 * min / median / max milliseconds per query and the sizes of the rows file and its index. The first call
 * of all is a cold start (module load, first connections) and is printed apart. The emulators are
 * single-threaded local stand-ins and the machine may be shared: compare figures of one run.
 */

import { loadavg } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { CheckedRow } from '#core/integrity.ts';
import type { ProposalRow } from '#core/proposal.ts';
import { LOCAL_AWS, startEmulators } from '#local/emulators.ts';
import { LOCAL_RESOURCES, localEnvironmentVariables, provisionLocal } from '#local/provision.ts';
import { CLAIM_NAMES, KEYS } from '#shared/contracts.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { ReviewRowsWriter } from '#shared/review-rows.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const size = Number(process.argv[2] ?? 100_000);
const REPEATS = 7;
const proposalId = `3371-2026-11-bench${String(size).padStart(7, '0')}`;

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
process.stdout.write(`load average at start: ${load()}\n`);
const emulators = await startEmulators();
try {
  const endpoints = { dynamoEndpoint: emulators.dynamoEndpoint, s3Endpoint: emulators.s3Endpoint };
  await provisionLocal(endpoints, LOCAL_RESOURCES);
  Object.assign(process.env, localEnvironmentVariables(endpoints, LOCAL_RESOURCES));
  const s3 = new S3Client({ ...LOCAL_AWS, endpoint: endpoints.s3Endpoint, forcePathStyle: true });
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamoEndpoint }),
  );
  const bucket = LOCAL_RESOURCES.buckets.proposals;
  const keys = { rows: KEYS.reviewRows('3371', proposalId), index: KEYS.reviewIndex('3371', proposalId) };

  const started = Date.now();
  const writer = new ReviewRowsWriter(s3, bucket, keys);
  for (let from = 1; from <= size; from += 1000) {
    const batch: CheckedRow[] = [];
    for (let i = from; i < Math.min(from + 1000, size + 1); i++) {
      const codes = [
        ...(i % 7 === 0 ? ['MOVED_DOMICILE' as const] : []),
        ...(i % 10 === 0 ? ['NIK_NOT_FOUND' as const] : []),
      ];
      const row = {
        line: i,
        nik: `33710${String(i).padStart(11, '0')}`,
        noKk: `33719${String(i >> 2).padStart(11, '0')}`,
        nama: `WARGA NOMOR ${i}`,
      };
      batch.push({ row: row as ProposalRow, codes, accepted: i % 10 !== 0 });
    }
    await writer.write(batch);
  }
  const index = await writer.end();
  const now = new Date().toISOString();
  await new ProposalsRepository(documents, LOCAL_RESOURCES.tables.proposals).create({
    proposalId,
    regency: '3371',
    province: '33',
    period: '2026-11',
    status: 'AWAITING_REGENCY',
    bucket,
    key: KEYS.upload('MUSDES', '3371', '2026-11', 'bench.csv'),
    executionId: 'bench',
    receivedAt: now,
    updatedAt: now,
    statusChangedAt: now,
  });
  const bytes = async (key: string) =>
    (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
  process.stdout.write(
    `${size} rows written for the console in ${((Date.now() - started) / 1000).toFixed(1)} s (not part of a request): ` +
      `rows file ${((await bytes(keys.rows)) / 1e6).toFixed(1)} MB, index ${((await bytes(keys.index)) / 1e3).toFixed(0)} kB, ${index.blocks.length} blocks\n`,
  );

  const { handler } = (await import('../functions/approvals-api/handler.ts')) as {
    handler: (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  };
  const call = async (query: Record<string, string>) => {
    const event = {
      version: '2.0',
      routeKey: 'GET /proposals/{proposalId}/rows',
      rawPath: `/proposals/${proposalId}/rows`,
      rawQueryString: new URLSearchParams(query).toString(),
      headers: {},
      queryStringParameters: query,
      pathParameters: { proposalId },
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'GET', path: `/proposals/${proposalId}/rows` },
        authorizer: {
          jwt: {
            claims: {
              [CLAIM_NAMES.username]: 'regency-3371',
              [CLAIM_NAMES.role]: 'regency_approver',
              [CLAIM_NAMES.area]: '3371',
            },
            scopes: [],
          },
        },
      },
    };
    const t = performance.now();
    const result = await handler(event, { functionName: 'bench', awsRequestId: 'bench' } as Context);
    const ms = performance.now() - t;
    const body = JSON.parse(result.body ?? '{}') as { rows?: unknown[]; total?: number; next?: string };
    if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}: ${result.body}`);
    return { ms, body };
  };

  const cold = await call({});
  process.stdout.write(
    `cold start, first page: ${cold.ms.toFixed(0)} ms (${cold.body.rows?.length} of ${cold.body.total} rows)\n`,
  );
  // The cursor of the last page of NIK_NOT_FOUND (size / 10 matches, 50 per page): the first page's cursor
  // (it names the audit record of that opening, which the API checks) moved to the last page's position.
  const opened = (await call({ code: 'NIK_NOT_FOUND' })).body.next ?? '';
  const cursor = JSON.parse(Buffer.from(opened, 'base64url').toString('utf8')) as { n: string; a: string };
  const position = Buffer.from(JSON.stringify({ p: Math.floor((size / 10 - 1) / 50) * 50 })).toString('base64url');
  const lastPage = Buffer.from(JSON.stringify({ ...cursor, n: position })).toString('base64url');
  const queries: [string, Record<string, string>][] = [
    ['first page (no filter)', {}],
    ['code=NIK_NOT_FOUND, first page', { code: 'NIK_NOT_FOUND' }],
    ['verdict=DITERIMA&code=MOVED_DOMICILE', { verdict: 'DITERIMA', code: 'MOVED_DOMICILE' }],
    ['code=NIK_NOT_FOUND, last page (cursor)', { code: 'NIK_NOT_FOUND', next: lastPage }],
    ['q=<name> (reads the whole file)', { q: `nomor ${size - 1}` }],
  ];
  process.stdout.write(`\nquery (${REPEATS} runs each)                    min / median / max ms   rows / total\n`);
  for (const [label, query] of queries) {
    const runs: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < REPEATS; i++) {
      last = await call(query);
      runs.push(last.ms);
    }
    runs.sort((a, b) => a - b);
    const [min, median, max] = [runs[0], runs[Math.floor(REPEATS / 2)], runs[REPEATS - 1]].map((ms) =>
      (ms ?? 0).toFixed(0),
    );
    process.stdout.write(
      `${label.padEnd(44)} ${`${min} / ${median} / ${max}`.padStart(16)}   ${last?.body.rows?.length} / ${last?.body.total}\n`,
    );
  }
  process.stdout.write(`load average at end: ${load()}\n`);
  s3.destroy();
} finally {
  await emulators.stop();
}
