import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PopulationPerson } from '#core/proposal.ts';
import {
  type CheckIntegrityOutput,
  type IngestOutput,
  KEYS,
  type LoadPopulationDeltaOutput,
  type PopulationDeltaCounts,
} from '#shared/contracts.ts';
import { DynamoPopulationDeltas } from '#shared/population-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { deltaCsv } from '../../support/population-delta.ts';
import { populationCsv, proposalCsv, registered, World } from '../../support/world.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
const handlers: Record<string, Handler> = {};
const world = new World();

// Registered by the full extract: one who dies, one who moves, one deactivated, one whose name is corrected.
const dies = world.row();
const moves = world.row();
const deactivated = world.row();
const renamed = world.row();
const population = [dies, moves, deactivated, renamed].map((row) => registered(row));
const [diesP, movesP, deactivatedP, renamedP] = population as [
  PopulationPerson,
  PopulationPerson,
  PopulationPerson,
  PopulationPerson,
];
const born = registered(world.row({ tanggalLahir: '2026-11-30' }));
const stranger = registered(world.row());

async function invoke<T>(name: string, event: unknown): Promise<T> {
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return (await handler(event, lambdaContext(`dtks-${name}`))) as T;
}

async function place(key: string, body: string): Promise<string | undefined> {
  const put = await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key, Body: body }),
  );
  return put.ETag;
}

/** Delivered as the EventBridge rule delivers it. */
function delta(key: string): Promise<LoadPopulationDeltaOutput> {
  return invoke<LoadPopulationDeltaOutput>('load-population-delta', {
    'detail-type': 'Object Created',
    detail: { bucket: { name: aws.names.buckets.proposals }, object: { key } },
  });
}

async function stored(niks: string[]): Promise<Map<string, PopulationPerson>> {
  return new DynamoPopulationDeltas(aws.clients.documents, aws.names.tables.population).findStored(niks);
}

const none: PopulationDeltaCounts = { applied: 0, unchanged: 0, superseded: 0, skipped: 0 };
const counts = (overrides: Partial<LoadPopulationDeltaOutput['counts']>): LoadPopulationDeltaOutput['counts'] => ({
  LAHIR: none,
  MENINGGAL: none,
  PINDAH: none,
  NONAKTIF: none,
  AKTIF: none,
  UBAH: none,
  ...overrides,
});

beforeAll(async () => {
  aws = await startTestAws();
  for (const name of ['load-population', 'load-population-delta', 'ingest', 'check-integrity']) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
  await place('reference/population/3371.csv', populationCsv(population));
  await invoke('load-population', { bucket: aws.names.buckets.proposals, key: 'reference/population/3371.csv' });
});

afterAll(async () => {
  await aws?.stop();
});

describe('load-population-delta', () => {
  const firstKey = `${KEYS.populationDeltaPrefix}2026-12-01-1.csv`;
  let first: LoadPopulationDeltaOutput;

  it('applies each perubahan in place, creates a LAHIR, skips a change of an unknown NIK by line', async () => {
    await place(
      firstKey,
      deltaCsv([
        ['LAHIR', born],
        ['MENINGGAL', diesP],
        ['PINDAH', { ...movesP, kodeDesa: '3372011002', alamat: 'JL. BARU 2' }],
        ['NONAKTIF', deactivatedP],
        ['UBAH', { ...renamedP, nama: 'NAMA BENAR' }],
        ['AKTIF', renamedP],
        ['MENINGGAL', stranger],
      ]),
    );
    first = await delta(firstKey);
    expect(first).toEqual<LoadPopulationDeltaOutput>({
      bucket: aws.names.buckets.proposals,
      key: firstKey,
      order: '2026-12-01#000001',
      lines: 7,
      counts: counts({
        LAHIR: { ...none, applied: 1 },
        MENINGGAL: { ...none, applied: 1, skipped: 1 },
        PINDAH: { ...none, applied: 1 },
        NONAKTIF: { ...none, applied: 1 },
        UBAH: { ...none, applied: 1 },
        AKTIF: { ...none, unchanged: 1 },
      }),
      skippedLines: [{ line: 7, code: 'NIK_NOT_FOUND' }],
      summaryKey: KEYS.populationDeltaSummary('2026-12-01-1.csv'),
      duplicate: false,
    });
    const people = await stored([born.nik, diesP.nik, movesP.nik, deactivatedP.nik, renamedP.nik, stranger.nik]);
    expect(people.get(born.nik)).toMatchObject(born);
    expect(people.get(diesP.nik)).toMatchObject({ ...diesP, statusHidup: 'MENINGGAL' });
    expect(people.get(movesP.nik)).toMatchObject({ ...movesP, kodeDesa: '3372011002', alamat: 'JL. BARU 2' });
    expect(people.get(deactivatedP.nik)).toMatchObject({ statusNik: 'NONAKTIF' });
    expect(people.get(renamedP.nik)).toMatchObject({ nama: 'NAMA BENAR', statusNik: 'AKTIF' });
    expect(people.has(stranger.nik)).toBe(false);

    // The summary beside the file holds the counts and lines, never a NIK.
    const object = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: first.summaryKey }),
    );
    const summary = (await object.Body?.transformToString()) ?? '';
    expect(JSON.parse(summary)).toMatchObject({ key: firstKey, lines: 7, counts: first.counts });
    for (const person of [...population, born, stranger]) expect(summary).not.toContain(person.nik);
  });

  it('a repeated delivery of the file changes nothing and reports the same counts as a duplicate', async () => {
    const before = await aws.clients.documents.send(new ScanCommand({ TableName: aws.names.tables.population }));
    expect(await delta(firstKey)).toEqual({ ...first, duplicate: true });
    const after = await aws.clients.documents.send(new ScanCommand({ TableName: aws.names.tables.population }));
    expect(after.Items).toEqual(before.Items);
  });

  it('a retry of a load that wrote its people but not its ledger finds every line applied: all unchanged', async () => {
    // As if the invocation had died after its last write: the ledger item is gone.
    const scan = await aws.clients.documents.send(new ScanCommand({ TableName: aws.names.tables.population }));
    const ledger = (scan.Items ?? []).filter((item) => String(item.nik).startsWith('DELTA_FILE#'));
    expect(ledger).toHaveLength(1);
    await aws.clients.documents.send(
      new DeleteCommand({ TableName: aws.names.tables.population, Key: { nik: ledger[0]?.nik } }),
    );
    const retried = await delta(firstKey);
    expect(retried.duplicate).toBe(false);
    expect(retried.counts).toEqual(
      counts({
        LAHIR: { ...none, unchanged: 1 },
        MENINGGAL: { ...none, unchanged: 1, skipped: 1 },
        PINDAH: { ...none, unchanged: 1 },
        NONAKTIF: { ...none, unchanged: 1 },
        UBAH: { ...none, unchanged: 1 },
        AKTIF: { ...none, unchanged: 1 },
      }),
    );
    const after = await aws.clients.documents.send(new ScanCommand({ TableName: aws.names.tables.population }));
    const people = (items: typeof after.Items) =>
      (items ?? []).filter((item) => !String(item.nik).startsWith('DELTA_FILE#'));
    expect(people(after.Items)).toEqual(people(scan.Items));
  });

  it('an older file after a newer one: the newer change stands, what it did not touch is applied', async () => {
    await place(`${KEYS.populationDeltaPrefix}2026-12-03-1.csv`, deltaCsv([['AKTIF', deactivatedP]]));
    expect((await delta(`${KEYS.populationDeltaPrefix}2026-12-03-1.csv`)).counts.AKTIF).toEqual({
      ...none,
      applied: 1,
    });
    await place(
      `${KEYS.populationDeltaPrefix}2026-12-02-7.csv`,
      deltaCsv([
        ['NONAKTIF', deactivatedP],
        ['PINDAH', { ...born, kodeDesa: '3371011002' }],
      ]),
    );
    const older = await delta(`${KEYS.populationDeltaPrefix}2026-12-02-7.csv`);
    expect(older.counts).toEqual(counts({ NONAKTIF: { ...none, superseded: 1 }, PINDAH: { ...none, applied: 1 } }));
    const people = await stored([deactivatedP.nik, born.nik]);
    expect(people.get(deactivatedP.nik)).toMatchObject({ statusNik: 'AKTIF' });
    expect(people.get(born.nik)).toMatchObject({ kodeDesa: '3371011002' });
  });

  it('refuses a malformed delta with nothing applied: an unknown perubahan, a missing column, a bad name', async () => {
    const key = `${KEYS.populationDeltaPrefix}2026-12-04-1.csv`;
    await place(
      key,
      deltaCsv([
        ['MENINGGAL', movesP],
        ['HILANG', renamedP],
      ]),
    );
    await expect(delta(key)).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'Ekstrak perubahan data kependudukan (Dukcapil): nilai "HILANG" pada kolom \'perubahan\' pada baris data ke-2 (baris judul tidak dihitung) tidak dikenal',
    });
    expect((await stored([movesP.nik])).get(movesP.nik)).toMatchObject({ statusHidup: 'HIDUP' });

    const noColumn = `${KEYS.populationDeltaPrefix}2026-12-04-2.csv`;
    await place(noColumn, populationCsv([{ ...movesP, statusHidup: 'MENINGGAL' }]));
    await expect(delta(noColumn)).rejects.toMatchObject({
      name: 'ValidationError',
      message: "Ekstrak perubahan data kependudukan (Dukcapil): kolom wajib 'perubahan' tidak ada di baris judul",
    });
    expect((await stored([movesP.nik])).get(movesP.nik)).toMatchObject({ statusHidup: 'HIDUP' });

    const unnamed = `${KEYS.populationDeltaPrefix}perubahan-desember.csv`;
    await place(unnamed, deltaCsv([['MENINGGAL', movesP]]));
    await expect(delta(unnamed)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('<YYYY-MM-DD>-<urutan>.csv'),
    });
    await expect(delta(`${KEYS.populationDeltaPrefix}2026-12-09-1.csv`)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('tidak ditemukan'),
    });
  });

  it('skips a line whose NIK is not 16 digits by its line, and names no NIK in the summary', async () => {
    const key = `${KEYS.populationDeltaPrefix}2026-12-05-1.csv`;
    const short = { ...renamedP, nik: renamedP.nik.slice(0, 15) };
    await place(
      key,
      deltaCsv([
        ['UBAH', short],
        ['UBAH', { ...renamedP, nama: 'NAMA BENAR LAGI' }],
      ]),
    );
    const result = await delta(key);
    expect(result.counts.UBAH).toEqual({ ...none, applied: 1, skipped: 1 });
    expect(result.skippedLines).toEqual([{ line: 1, code: 'NIK_FORMAT' }]);
    expect(JSON.stringify(result)).not.toContain(short.nik);
  });

  it('check-integrity sees the change: a person made MENINGGAL by a delta is DECEASED in a later proposal', async () => {
    const key = 'proposals/3371/2026-12/usulan.csv';
    const put = await place(key, proposalCsv([{ ...dies, line: 1 }]));
    const ingested = await invoke<IngestOutput>('ingest', {
      bucket: aws.names.buckets.proposals,
      key,
      etag: put,
      executionId: 'exec-delta',
    });
    if (ingested.outcome !== 'INGESTED') throw new Error(`not ingested: ${JSON.stringify(ingested)}`);
    const checked = await invoke<CheckIntegrityOutput>('check-integrity', { proposalId: ingested.proposalId });
    expect(checked).toMatchObject({ rows: 1, accepted: 0, returned: 1, codes: { DECEASED: 1 } });
  });
});
