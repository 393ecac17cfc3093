import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPOSAL_COLUMNS, type ProposalRow } from '#core/proposal.ts';
import { MAX_COLUMN_NAME_CHARS, MAX_STORED_UNKNOWN_COLUMNS } from '#core/proposal-reader.ts';
import { AuditTrail } from '#shared/audit-trail.ts';
import { type IngestOutput, KEYS } from '#shared/contracts.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { proposalCsv, World } from '../../support/world.ts';
import { byColumn, readZip, sheetCells, sheetsOf } from '../../support/xlsx-reader.ts';
import { storedZip } from '../../support/zip.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let ingest: Handler;
let proposals: ProposalsRepository;
let audit: AuditTrail;
const world = new World();

async function upload(key: string, body: string | Uint8Array): Promise<{ key: string; etag: string; size: number }> {
  const put = await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key, Body: body }),
  );
  return { key, etag: put.ETag ?? '', size: Buffer.byteLength(body) };
}

async function run(object: { key: string; etag: string; size: number }, executionId: string): Promise<IngestOutput> {
  return (await ingest(
    { bucket: aws.names.buckets.proposals, ...object, executionId },
    lambdaContext('dtks-ingest'),
  )) as IngestOutput;
}

async function text(key: string): Promise<string> {
  const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

beforeAll(async () => {
  aws = await startTestAws();
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  audit = new AuditTrail(aws.clients.documents, aws.names.tables.proposals);
  ({ handler: ingest } = (await import('../../../functions/ingest/handler.ts')) as { handler: Handler });
});

afterAll(async () => {
  await aws?.stop();
});

describe('ingest', () => {
  const rows: ProposalRow[] = [world.row(), world.row(), world.row()];
  let first: IngestOutput;

  it('records a new upload as RECEIVED and stages its rows as NDJSON', async () => {
    const object = await upload('proposals/3371/2026-11/usulan-desa.csv', proposalCsv(rows));
    first = await run(object, 'exec-1');
    expect(first).toMatchObject({ outcome: 'INGESTED', regency: '3371', province: '33', period: '2026-11', rows: 3 });
    expect(first.proposalId).toMatch(/^3371-2026-11-[0-9a-f]{12}$/);
    const staged = (await text(KEYS.stagedRows(first.proposalId)))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(staged.map((row: ProposalRow) => row.nik)).toEqual(rows.map((row) => row.nik));
    expect(staged[0]).toMatchObject({ line: 1, aksi: 'TAMBAH', kodeDesa: rows[0]?.kodeDesa });
    const proposal = await proposals.require(first.proposalId);
    expect(proposal).toMatchObject({
      status: 'RECEIVED',
      rows: 3,
      regency: '3371',
      source: 'MUSDES',
      executionId: 'exec-1',
      file: { delimiter: ',', encoding: 'utf-8', unknownColumns: [] },
    });
    expect(await audit.listEvents(first.proposalId)).toEqual([
      expect.objectContaining({ kind: 'STATUS', to: 'RECEIVED' }),
    ]);
  });

  it('records the source the upload prefix names: kemensos/ is KEMENSOS, mandiri/ is MANDIRI', async () => {
    for (const [source, executionId] of [
      ['KEMENSOS', 'exec-kemensos'],
      ['MANDIRI', 'exec-mandiri'],
    ] as const) {
      const object = await upload(KEYS.upload(source, '3371', '2026-11', 'usulan.csv'), proposalCsv([world.row()]));
      const output = await run(object, executionId);
      expect(output).toMatchObject({ outcome: 'INGESTED', regency: '3371', period: '2026-11', rows: 1 });
      expect(await proposals.require(output.proposalId)).toMatchObject({ source, status: 'RECEIVED' });
    }
  });

  it('answers DUPLICATE to a repeated event for the same object version', async () => {
    const again = await run(
      {
        key: 'proposals/3371/2026-11/usulan-desa.csv',
        etag: (await proposals.require(first.proposalId)).etag ?? '',
        size: 1,
      },
      'exec-2',
    );
    expect(again).toEqual({ outcome: 'DUPLICATE', proposalId: first.proposalId });
    expect((await proposals.require(first.proposalId)).executionId).toBe('exec-1');
  });

  it('carries on when its own execution retries', async () => {
    const proposal = await proposals.require(first.proposalId);
    const retried = await run({ key: proposal.key, etag: proposal.etag ?? '', size: 1 }, 'exec-1');
    expect(retried).toMatchObject({ outcome: 'INGESTED', proposalId: first.proposalId, rows: 3 });
  });

  it('returns a file uploaded outside proposals/<regency>/<YYYY-MM>/ with a reason saying where it belongs', async () => {
    const object = await upload('proposals/magelang/usulan.csv', proposalCsv(rows));
    const returned = await run(object, 'exec-3');
    expect(returned).toMatchObject({
      outcome: 'RETURNED',
      reason: expect.stringContaining('proposals/<kode kabupaten'),
    });
    const proposal = await proposals.require(returned.proposalId);
    expect(proposal).toMatchObject({
      status: 'RETURNED',
      reason: expect.stringContaining('proposals/magelang/usulan.csv'),
    });
  });

  it('returns a file with an unknown regency code', async () => {
    const object = await upload('proposals/3399/2026-11/usulan.csv', proposalCsv(rows));
    const returned = await run(object, 'exec-4');
    expect(returned).toMatchObject({ outcome: 'RETURNED', reason: expect.stringContaining('3399') });
  });

  it('returns a file missing a required column with the column named in the reason and the report', async () => {
    const object = await upload('proposals/3371/2026-11/tanpa-nik.csv', proposalCsv(rows, ['nik']));
    const returned = await run(object, 'exec-5');
    expect(returned.outcome).toBe('RETURNED');
    if (returned.outcome !== 'RETURNED') return;
    expect(returned.reason).toContain('nik');
    const proposal = await proposals.require(returned.proposalId);
    expect(proposal).toMatchObject({
      status: 'RETURNED',
      reason: returned.reason,
      reportKey: KEYS.returnReport('3371', returned.proposalId),
    });
    const report = await text(KEYS.returnReport('3371', returned.proposalId));
    expect(report.startsWith('\uFEFFbaris,nik,no_kk,nama,hasil,kode,keterangan')).toBe(true);
    expect(report).toContain('DIKEMBALIKAN');
    expect(report).toContain(returned.reason);
    await expect(text(KEYS.stagedRows(returned.proposalId))).rejects.toMatchObject({ name: 'NoSuchKey' });
    // The .xlsx form states the same reason.
    expect(proposal.reportXlsxKey).toBe(`reports/3371/${returned.proposalId}/laporan-pengembalian.xlsx`);
    const xlsx = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: proposal.reportXlsxKey }),
    );
    const entries = readZip((await xlsx.Body?.transformToByteArray()) ?? new Uint8Array());
    const lines = sheetCells(entries.get(sheetsOf(entries)[0]?.part ?? '') ?? '').map(byColumn);
    expect(lines[1]?.E?.value).toBe('DIKEMBALIKAN');
    expect(lines[1]?.G?.value).toBe(returned.reason);
  });

  it('returns a workbook uploaded instead of its CSV, saying what it is', async () => {
    const workbook = storedZip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' });
    // A workbook renamed to .csv, or saved with the wrong type: the location is right, the content is not.
    const object = await upload('proposals/3371/2026-11/usulan-excel.csv', workbook);
    const returned = await run(object, 'exec-xlsx');
    expect(returned).toMatchObject({
      outcome: 'RETURNED',
      reason:
        'Berkas ini adalah arsip ZIP/berkas Excel (.xlsx), bukan CSV; buka di Excel/LibreOffice lalu simpan sebagai CSV UTF-8',
    });
    const report = await text(KEYS.returnReport('3371', returned.proposalId));
    expect(report).toContain('arsip ZIP/berkas Excel (.xlsx)');
  });

  it('returns a header with 100,000 columns (too many to be a proposal) instead of failing, with a reason', async () => {
    const header = [...Object.keys(PROPOSAL_COLUMNS), ...Array.from({ length: 100_000 }, (_, i) => `kolom_${i}`)];
    const object = await upload('proposals/3371/2026-11/lebar.csv', `${header.join(',')}\n`);
    const returned = await run(object, 'exec-wide');
    expect(returned).toMatchObject({
      outcome: 'RETURNED',
      reason: expect.stringContaining('100.018 kolom'),
    });
    expect((await proposals.require(returned.proposalId)).status).toBe('RETURNED');
  });

  it('stores at most the first unknown column names and their count', async () => {
    const unknown = Array.from({ length: 500 }, (_, i) => `tambahan_${i}_${'x'.repeat(200)}`);
    const csv = proposalCsv(rows).replace(/^([^\r\n]*)/, (line) => `${line},${unknown.join(',')}`);
    const object = await upload('proposals/3371/2026-11/banyak-kolom.csv', csv);
    const ingested = await run(object, 'exec-unknown');
    expect(ingested).toMatchObject({ outcome: 'INGESTED', rows: 3 });
    const { file } = await proposals.require(ingested.proposalId);
    expect(file?.unknownColumnCount).toBe(500);
    expect(file?.unknownColumns).toHaveLength(MAX_STORED_UNKNOWN_COLUMNS);
    expect(file?.unknownColumns[0]).toBe(`tambahan_0_${'x'.repeat(200)}`.slice(0, MAX_COLUMN_NAME_CHARS));
  });

  it('lets a re-upload retry an ingest that failed, instead of taking it for a duplicate', async () => {
    // The first attempt fails after the proposal is recorded: here its bucket does not exist yet.
    const event = { bucket: 'dtks-late-uploads', key: 'proposals/3371/2026-11/ulang.csv', etag: '"ulang-1"' };
    await expect(ingest({ ...event, executionId: 'exec-first' }, lambdaContext('dtks-ingest'))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    const [failed] = (await proposals.listByRegency('3371')).filter((p) => p.key === event.key);
    expect(failed).toMatchObject({
      status: 'FAILED',
      executionId: 'exec-first',
      ingestFailure: { error: 'NoSuchBucket' },
      reason: expect.stringContaining('unggah ulang'),
    });

    await aws.clients.s3.send(new CreateBucketCommand({ Bucket: event.bucket }));
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: event.bucket, Key: event.key, Body: proposalCsv(rows) }));
    const retried = (await ingest(
      { ...event, executionId: 'exec-reupload' },
      lambdaContext('dtks-ingest'),
    )) as IngestOutput;
    expect(retried).toMatchObject({ outcome: 'INGESTED', proposalId: failed?.proposalId, rows: 3 });
    const proposal = await proposals.require(retried.proposalId);
    expect(proposal).toMatchObject({ status: 'RECEIVED', executionId: 'exec-reupload', rows: 3 });
    expect(proposal.ingestFailure).toBeUndefined();
    expect(proposal.reason).toBeUndefined();

    // Once it is carried again, a repeated event is a duplicate as before.
    const repeated = (await ingest(
      { ...event, executionId: 'exec-again' },
      lambdaContext('dtks-ingest'),
    )) as IngestOutput;
    expect(repeated).toEqual({ outcome: 'DUPLICATE', proposalId: retried.proposalId });
  });

  it('lets a re-upload take over a proposal whose ingest was abandoned (RECEIVED for over an hour)', async () => {
    const object = await upload('proposals/3371/2026-11/terputus.csv', proposalCsv(rows));
    const first = await run(object, 'exec-killed');
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString();
    await aws.clients.documents.send(
      new UpdateCommand({
        TableName: aws.names.tables.proposals,
        Key: { pk: `PROPOSAL#${first.proposalId}`, sk: 'META' },
        UpdateExpression: 'SET updatedAt = :old REMOVE #rows, stagedKey, #file',
        ExpressionAttributeNames: { '#rows': 'rows', '#file': 'file' },
        ExpressionAttributeValues: { ':old': hoursAgo },
      }),
    );
    const again = await run(object, 'exec-reupload-2');
    expect(again).toMatchObject({ outcome: 'INGESTED', proposalId: first.proposalId, rows: 3 });
    expect((await proposals.require(first.proposalId)).executionId).toBe('exec-reupload-2');
  });

  it('records a Windows-1252 file and its unknown columns as warnings on the proposal, once each', async () => {
    const csv = proposalCsv(rows)
      .replace(/^([^\r\n]*)/, (line) => `${line},catatan`)
      .replace(rows[1]?.nama ?? '', 'ANDR\u00c9');
    const object = await upload('proposals/3371/2026-11/cp1252.csv', Buffer.from(csv, 'latin1'));
    const ingested = await run(object, 'exec-cp1252');
    const proposal = await proposals.require(ingested.proposalId);
    expect(proposal.warnings).toEqual([
      { code: 'WINDOWS_1252', message: expect.stringContaining('Windows-1252 mulai baris 3') },
      { code: 'UNKNOWN_COLUMNS', count: 1, message: "1 kolom tidak dikenal diabaikan: 'catatan'" },
    ]);
  });
});
