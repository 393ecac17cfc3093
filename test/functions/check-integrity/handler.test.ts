import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import type { ProposalSource } from '#core/source.ts';
import { applyChange, changeFromRow } from '#core/stipulation.ts';
import { type CheckIntegrityOutput, type IngestOutput, KEYS } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { populationCsv, proposalCsv, registered, World } from '../../support/world.ts';
import { byColumn, numberFormats, readZip, sheetCells, sheetsOf } from '../../support/xlsx-reader.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let proposals: ProposalsRepository;
const handlers: Record<string, Handler> = {};
const world = new World();

// The world: a clean newcomer, a person unknown to Dukcapil, a master head of family proposed into a new
// family, and one person proposed into two different families by two proposals at once.
const clean = world.row();
const unknown = world.row();
const masterHead = world.row();
const movedHead = { ...masterHead, noKk: world.kk() };
const contested = world.row();
const contestedElsewhere = { ...contested, noKk: world.kk() };
// A person Dukcapil knows but whose NIK it has deactivated (status_nik NONAKTIF), with the family's child.
const inactiveHead = world.row();
const activeChild = world.row({
  noKk: inactiveHead.noKk,
  hubunganKeluarga: 'ANAK',
  tanggalLahir: '2012-03-04',
  statusPerkawinan: 'BELUM_KAWIN',
});

async function invoke<T>(name: string, event: unknown): Promise<T> {
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return (await handler(event, lambdaContext(`dtks-${name}`))) as T;
}

async function text(key: string): Promise<string> {
  const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key }));
  // Decoded by hand: TextDecoder would drop the BOM the report must start with.
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []).toString('utf8');
}

async function submit(
  file: string,
  rows: ProposalRow[],
  body: string | Uint8Array = proposalCsv(rows),
  source: ProposalSource = 'MUSDES',
): Promise<string> {
  const key = KEYS.upload(source, '3371', '2026-11', file);
  const put = await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key, Body: body }),
  );
  const ingested = await invoke<IngestOutput>('ingest', {
    bucket: aws.names.buckets.proposals,
    key,
    etag: put.ETag,
    executionId: `exec-${file}`,
  });
  if (ingested.outcome !== 'INGESTED') throw new Error(`not ingested: ${JSON.stringify(ingested)}`);
  return ingested.proposalId;
}

async function claimOf(nik: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await aws.clients.documents.send(
    new GetCommand({ TableName: aws.names.tables.claims, Key: { nik } }),
  );
  return Item;
}

beforeAll(async () => {
  aws = await startTestAws();
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  for (const name of ['ingest', 'check-integrity', 'load-population', 'record-outcome']) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
  // The population registry, loaded as production loads it: an extract under reference/population/.
  const extractKey = 'reference/population/3371.csv';
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: extractKey,
      Body: populationCsv([
        ...[clean, masterHead, contested, activeChild].map((row) => registered(row)),
        registered(inactiveHead, { statusNik: 'NONAKTIF' }),
      ]),
    }),
  );
  const loaded = await invoke<{ loaded: number }>('load-population', {
    'detail-type': 'Object Created',
    detail: { bucket: { name: aws.names.buckets.proposals }, object: { key: extractKey } },
  });
  expect(loaded.loaded).toBe(5);
  const record = applyChange(undefined, changeFromRow({ ...masterHead, line: 1 }, 'seed', '2026-10'));
  if (record === 'UNCHANGED') throw new Error('seed');
  await new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master).putRecord(record, undefined);
});

afterAll(async () => {
  await aws?.stop();
});

describe('check-integrity', () => {
  let proposalId: string;
  let checked: CheckIntegrityOutput;

  it('checks the staged rows against the registry, the master and the claims, and stores the summary', async () => {
    proposalId = await submit('usulan.csv', [clean, unknown, movedHead]);
    checked = await invoke<CheckIntegrityOutput>('check-integrity', { proposalId });
    expect(checked).toEqual({
      proposalId,
      rows: 3,
      accepted: 1,
      returned: 2,
      withWarnings: 1,
      codes: { NIK_NOT_FOUND: 1, FAMILY_OVERLAP: 1, ALREADY_IN_DTKS: 1 },
      reportKey: KEYS.returnReport('3371', proposalId),
    });
    const proposal = await proposals.require(proposalId);
    expect(proposal).toMatchObject({ status: 'CHECKING', summary: { rows: 3, accepted: 1, returned: 2 } });
  });

  it('writes the return report, one line per row in input order', async () => {
    // Not trim(): it would take the BOM too.
    const lines = (await text(checked.reportKey)).replace(/\r\n$/, '').split(/\r?\n/);
    expect(lines[0]).toBe('\uFEFFbaris,nik,no_kk,nama,hasil,kode,keterangan');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 2).join(','))).toEqual([
      `1,${clean.nik}`,
      `2,${unknown.nik}`,
      `3,${movedHead.nik}`,
    ]);
    expect(lines[1]).toContain('DITERIMA');
    expect(lines[2]).toContain('DIKEMBALIKAN');
    expect(lines[2]).toContain('NIK_NOT_FOUND');
    expect(lines[3]).toContain('ALREADY_IN_DTKS|FAMILY_OVERLAP');
  });

  it('keeps the rows for the console beside the report: one compact line per row and an index of counts per verdict and code', async () => {
    const index = JSON.parse(await text(KEYS.reviewIndex('3371', proposalId)));
    expect(index).toMatchObject({ version: 1, rows: 3 });
    expect(index.blocks).toEqual([
      expect.objectContaining({
        offset: 0,
        rows: 3,
        counts: {
          DITERIMA: 1,
          DIKEMBALIKAN: 2,
          'DIKEMBALIKAN|NIK_NOT_FOUND': 1,
          'DIKEMBALIKAN|ALREADY_IN_DTKS': 1,
          'DIKEMBALIKAN|FAMILY_OVERLAP': 1,
        },
      }),
    ]);
    const rows = (await text(KEYS.reviewRows('3371', proposalId)))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows).toEqual([
      [1, clean.nik, clean.noKk, clean.nama, 1, []],
      [2, unknown.nik, unknown.noKk, unknown.nama, 0, ['NIK_NOT_FOUND']],
      [3, movedHead.nik, movedHead.noKk, movedHead.nama, 0, ['ALREADY_IN_DTKS', 'FAMILY_OVERLAP']],
    ]);
    expect(index.blocks[0].bytes).toBe(Buffer.byteLength(rows.map((row) => `${JSON.stringify(row)}\n`).join('')));
  });

  it('returns NIK_INACTIVE, not NIK_NOT_FOUND, for a NIK the population table holds as NONAKTIF, and accepts its active child', async () => {
    const id = await submit('nonaktif.csv', [inactiveHead, activeChild]);
    const result = await invoke<CheckIntegrityOutput>('check-integrity', { proposalId: id });
    expect(result).toMatchObject({ rows: 2, accepted: 1, returned: 1, codes: { NIK_INACTIVE: 1 } });
    const lines = (await text(result.reportKey)).replace(/\r\n$/, '').split(/\r?\n/);
    expect(lines[1]).toMatch(
      new RegExp(`^1,${inactiveHead.nik},.*,DIKEMBALIKAN,NIK_INACTIVE,"?NIK dinonaktifkan oleh Dukcapil`),
    );
    expect(lines[2]).toMatch(new RegExp(`^2,${activeChild.nik},.*,DITERIMA,,$`));
    expect(await claimOf(inactiveHead.nik)).toBeUndefined();
  });

  it('keeps the accepted rows for stipulation and claims their NIKs for this proposal', async () => {
    const accepted = (await text(KEYS.acceptedRows(proposalId)))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(accepted.map((row: ProposalRow) => row.nik)).toEqual([clean.nik]);
    expect(await claimOf(clean.nik)).toMatchObject({ nik: clean.nik, noKk: clean.noKk, proposalId });
    expect(await claimOf(unknown.nik)).toBeUndefined();
  });

  it('returns the person with FAMILY_OVERLAP in one of two proposals checked at once for different families', async () => {
    const [first, second] = await Promise.all([
      submit('keluarga-a.csv', [contested]),
      submit('keluarga-b.csv', [contestedElsewhere]),
    ]);
    const results = await Promise.all([
      invoke<CheckIntegrityOutput>('check-integrity', { proposalId: first }),
      invoke<CheckIntegrityOutput>('check-integrity', { proposalId: second }),
    ]);
    expect(results.map((result) => result.accepted).sort()).toEqual([0, 1]);
    const loser = results.find((result) => result.accepted === 0);
    const winner = results.find((result) => result.accepted === 1);
    expect(loser?.codes).toEqual({ FAMILY_OVERLAP: 1 });
    expect(await claimOf(contested.nik)).toMatchObject({ proposalId: winner?.proposalId });
  });

  it('releases the claims when the proposal ends', async () => {
    const holder = String((await claimOf(contested.nik))?.proposalId);
    await invoke('record-outcome', { proposalId: holder, status: 'FAILED', error: { Error: 'TestError', Cause: 'x' } });
    expect(await claimOf(contested.nik)).toBeUndefined();
    expect(await proposals.require(holder)).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('TestError'),
      error: { Error: 'TestError', Cause: 'x' },
    });
  });

  it('writes the summary beside the report: the file-level warnings once each, the rows per code and the totals', async () => {
    const row = world.row();
    const csv = proposalCsv([row])
      .replace(/^([^\r\n]*)/, (line) => `${line},catatan`)
      .replace(row.nama, 'ANDR\u00c9');
    const id = await submit('ringkasan.csv', [row], Buffer.from(csv, 'latin1'));
    const result = await invoke<CheckIntegrityOutput>('check-integrity', { proposalId: id });
    const proposal = await proposals.require(id);
    expect(proposal.summaryKey).toBe(`reports/3371/${id}/laporan-pengembalian.ringkasan.csv`);
    const summary = await text(proposal.summaryKey ?? '');
    expect(summary.startsWith('\uFEFFbagian,kode,tingkat,jumlah,keterangan\r\n')).toBe(true);
    expect(summary.split('BERKAS,WINDOWS_1252,peringatan,,')).toHaveLength(2);
    expect(
      summary.split(`BERKAS,UNKNOWN_COLUMNS,peringatan,1,1 kolom tidak dikenal diabaikan: 'catatan'`),
    ).toHaveLength(2);
    expect(summary).toContain(`TOTAL,BARIS,,1,`);
    expect(summary).toContain(`TOTAL,DIKEMBALIKAN,,${result.returned},`);
    // An upload under proposals/ is the regency's deliberation.
    expect(summary).toContain('SUMBER,MUSDES,,,Musyawarah desa/kelurahan\r\n');
  });

  it("names the proposal's source in the summary CSV and the summary sheet: an upload under kemensos/ is KEMENSOS", async () => {
    const id = await submit('kemensos.csv', [world.row()], undefined, 'KEMENSOS');
    await invoke<CheckIntegrityOutput>('check-integrity', { proposalId: id });
    const proposal = await proposals.require(id);
    expect(proposal.source).toBe('KEMENSOS');
    const summary = await text(proposal.summaryKey ?? '');
    expect(summary.split('\r\n')[1]).toBe('SUMBER,KEMENSOS,,,Kementerian Sosial');
    const object = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: proposal.reportXlsxKey }),
    );
    const entries = readZip((await object.Body?.transformToByteArray()) ?? new Uint8Array());
    const sheet = sheetsOf(entries).find((each) => each.name === 'Ringkasan');
    const rows = sheetCells(entries.get(sheet?.part ?? '') ?? '').map(byColumn);
    expect(rows.find((row) => row.A?.value === 'SUMBER')).toMatchObject({
      B: { value: 'KEMENSOS' },
      E: { value: 'Kementerian Sosial' },
    });
  });

  it('stores the report as .xlsx beside the CSV: NIK and No. KK as text cells, the summary as a second sheet', async () => {
    const proposal = await proposals.require(proposalId);
    expect(proposal.reportXlsxKey).toBe(`reports/3371/${proposalId}/laporan-pengembalian.xlsx`);
    const object = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: proposal.reportXlsxKey }),
    );
    expect(object.ContentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const entries = readZip((await object.Body?.transformToByteArray()) ?? new Uint8Array());
    const sheets = sheetsOf(entries);
    expect(sheets.map((sheet) => sheet.name)).toEqual(['Laporan', 'Ringkasan']);
    const formats = numberFormats(entries.get('xl/styles.xml') ?? '');
    const rows = sheetCells(entries.get(sheets[0]?.part ?? '') ?? '').map(byColumn);
    expect(rows.slice(1).map((row) => row.B?.value)).toEqual([clean.nik, unknown.nik, movedHead.nik]);
    expect(rows[1]?.B).toMatchObject({ type: 'inlineStr' });
    expect(formats[rows[1]?.C?.style ?? -1]).toBe('@');
    expect(rows[2]?.F?.value).toBe('NIK_NOT_FOUND');
    const summary = sheetCells(entries.get(sheets[1]?.part ?? '') ?? '').map(byColumn);
    expect(summary.find((row) => row.B?.value === 'BARIS')?.D?.value).toBe('3');
  });

  it('stores RT and RW with three digits without changing what the check finds', async () => {
    const short = world.row();
    const wrong = world.row();
    const id = await submit('rt-pendek.csv', [
      { ...short, rt: '5', rw: '12' },
      { ...wrong, rt: '5a', rw: '1234' },
    ]);
    const staged = (await text(KEYS.stagedRows(id)))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ProposalRow);
    expect(staged.map((row) => [row.rt, row.rw])).toEqual([
      ['005', '012'],
      ['5a', '1234'],
    ]);
    const result = await invoke<CheckIntegrityOutput>('check-integrity', { proposalId: id });
    // The same codes as the same rows written with three digits; the malformed values are still malformed.
    const padded = await submit('rt-tiga.csv', [
      { ...short, rt: '005', rw: '012' },
      { ...wrong, rt: '5a', rw: '1234' },
    ]);
    const again = await invoke<CheckIntegrityOutput>('check-integrity', { proposalId: padded });
    const codes = async (key: string) =>
      (await text(key))
        .split('\r\n')
        .slice(1, 3)
        .map((line) => line.split(',')[5]);
    expect(await codes(result.reportKey)).toEqual(await codes(again.reportKey));
    expect((await codes(result.reportKey))[1]).toContain('INVALID_ATTRIBUTE');
    expect((await codes(result.reportKey))[0]).not.toContain('INVALID_ATTRIBUTE');
  });
});
