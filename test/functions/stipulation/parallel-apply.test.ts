/**
 * stipulation-apply per NIK shard: a change set of 1,500 changes (TAMBAH of new persons, UBAH and HAPUS of
 * seeded ones, across two regencies) split by core's shardOf into the shards' change sets as
 * ResolveShards writes them (KEYS.changeSetShard), each applied in slices of 200 under the execution's
 * master write lease while DynamoDB throttles a share of the BatchWriteItems (some refused outright, some
 * answered with half their items unprocessed), then applied again: the second run writes nothing and the
 * master is as the first run left it. A slice of an execution that does not hold the lease writes nothing.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNik } from '#core/nik.ts';
import type { MasterPerson } from '#core/proposal.ts';
import { applyChange, type MasterRecord, type StipulationChange, shardOf } from '#core/stipulation.ts';
import { batchWrite } from '#shared/batch-writer.ts';
import { type ApplyOutput, KEYS } from '#shared/contracts.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { scanMaster } from '../../support/master.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const PERIOD = '2026-11';
const NEW = 1000;
const SEEDED = 500;
const SHARDS = 4;
const EXECUTION = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:parallel-apply';

let aws: TestAws;
let apply: Handler;
let lease: MasterLeaseRepository;
let refused = 0;
let handedBack = 0;
const shards: { shard: number; changeSetKey: string; changes: number }[] = [];

function person(i: number): MasterPerson {
  const regency = i % 2 ? '3372' : '3371';
  const birthDate = new Date(Date.UTC(1960, 0, 1) + (i % 3000) * 86_400_000).toISOString().slice(0, 10);
  return {
    nik: encodeNik({ district: `${regency}01`, birthDate, sex: 'L', serial: Math.floor(i / 3000) + 1 }),
    noKk: `${regency}0101012${String(i).padStart(5, '0')}`,
    nama: `Warga ${i}`,
    jenisKelamin: 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: birthDate,
    namaIbuKandung: `Ibu ${i}`,
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'KAWIN',
    alamat: `Jl. Pahlawan ${i}`,
    rt: '001',
    rw: '002',
    kodeDesa: `${regency}011001`,
    pekerjaan: '',
    penghasilanBulanan: '',
    desil: '',
  } as MasterPerson;
}

function change(line: number, kind: 'TAMBAH' | 'UBAH' | 'HAPUS', changed: MasterPerson): StipulationChange {
  return {
    nik: changed.nik,
    kind: kind === 'HAPUS' ? 'DEACTIVATE' : 'UPSERT',
    action: kind,
    reason: kind === 'HAPUS' ? 'MENINGGAL' : '',
    person: changed,
    proposalId: 'parallel',
    source: 'MUSDES',
    line,
    period: PERIOD,
  };
}

/** Every shard applied slice by slice as an ApplyShards child loops: the records written and the slices. */
async function applyAll(executionId = EXECUTION): Promise<{ applied: number; slices: number }> {
  let applied = 0;
  let slices = 0;
  for (const { shard, changeSetKey } of shards) {
    let slice: Pick<ApplyOutput, 'offset' | 'done'> = { offset: 0, done: false };
    while (!slice.done) {
      const input = { period: PERIOD, executionId, shard, changeSetKey, offset: slice.offset };
      const output = (await apply(input, lambdaContext())) as ApplyOutput;
      expect(output).toMatchObject({ period: PERIOD, executionId, shard, changeSetKey });
      slice = output;
      applied += output.applied;
      slices++;
    }
  }
  return { applied, slices };
}

beforeAll(async () => {
  // A master of 64,000 write units/s: the pace halved by the throttling below still leaves a quick test.
  aws = await startTestAws({ env: { APPLY_SLICE_CHANGES: '200', MASTER_WRITE_UNITS: '64000' } });
  ({ handler: apply } = (await import('../../../functions/stipulation-apply/handler.ts')) as { handler: Handler });
  lease = new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals);
  // The handler's own DynamoDB client, before the SDK's retries see it, as a throttled table answers: every
  // seventh BatchWriteItem is refused as over the table's throughput, every fifth takes only half its items
  // and hands the rest back unprocessed.
  const { documents } = await import('#shared/clients.ts');
  let batches = 0;
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      if (!/^BatchWrite(Item)?Command$/.test(context.commandName ?? '')) return next(args);
      batches++;
      if (batches % 7 === 0) {
        refused++;
        throw Object.assign(new Error('Throughput exceeds the current capacity of your table'), {
          name: 'ProvisionedThroughputExceededException',
        });
      }
      const input = args.input as { RequestItems: Record<string, unknown[]> };
      const [table, requests] = Object.entries(input.RequestItems)[0] ?? ['', []];
      if (batches % 5 !== 0 || requests.length < 2) return next(args);
      const kept = requests.slice(0, Math.ceil(requests.length / 2));
      const result = await next({ ...args, input: { ...input, RequestItems: { [table]: kept } } });
      handedBack += requests.length - kept.length;
      (result.output as { UnprocessedItems?: unknown }).UnprocessedItems = { [table]: requests.slice(kept.length) };
      return result;
    },
    { step: 'initialize', name: 'throttleBatchWrites' },
  );
  // Persons NEW.. are in the master from 2026-10; the change set adds NEW persons and changes the seeded.
  const seeded: MasterRecord[] = [];
  for (let i = NEW; i < NEW + SEEDED; i++) {
    const record = applyChange(undefined, { ...change(i, 'TAMBAH', person(i)), period: '2026-10', proposalId: 'seed' });
    if (record !== 'UNCHANGED') seeded.push(record);
  }
  await batchWrite(
    aws.clients.documents,
    aws.names.tables.master,
    seeded.map((Item) => ({ PutRequest: { Item: { ...Item } } })),
  );
  const changes: StipulationChange[] = [];
  for (let i = 0; i < NEW; i++) changes.push(change(changes.length + 1, 'TAMBAH', person(i)));
  for (let i = NEW; i < NEW + SEEDED; i++) {
    changes.push(
      i % 5 === 0
        ? change(changes.length + 1, 'HAPUS', person(i))
        : change(changes.length + 1, 'UBAH', { ...person(i), alamat: `Jl. Baru ${i}` }),
    );
  }
  for (let shard = 0; shard < SHARDS; shard++) {
    const own = changes.filter((each) => shardOf(each.nik, SHARDS) === shard);
    const changeSetKey = KEYS.changeSetShard(PERIOD, shard);
    await aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: aws.names.buckets.proposals,
        Key: changeSetKey,
        Body: own.map((line) => `${JSON.stringify(line)}\n`).join(''),
      }),
    );
    shards.push({ shard, changeSetKey, changes: own.length });
  }
  await lease.take(EXECUTION, PERIOD);
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

describe('stipulation-apply per NIK shard', () => {
  let firstRun: MasterRecord[];

  it('applies every shard in slices with BatchWriteItem, waiting out refused and unprocessed writes', async () => {
    // Each shard holds about a quarter of the changes: more than one slice each.
    for (const { changes } of shards) expect(changes).toBeGreaterThan(200);
    const { applied, slices } = await applyAll();
    expect(applied).toBe(NEW + SEEDED);
    expect(slices).toBe(shards.reduce((sum, { changes }) => sum + Math.ceil(changes / 200), 0));
    expect(refused).toBeGreaterThan(3);
    expect(handedBack).toBeGreaterThan(50);
    firstRun = await scanMaster(aws);
    expect(firstRun).toHaveLength(NEW + SEEDED);
    const byNik = new Map(firstRun.map((record) => [record.nik, record]));
    for (let i = 0; i < NEW + SEEDED; i++) {
      const record = byNik.get(person(i).nik);
      if (i < NEW) expect(record).toMatchObject({ status: 'ACTIVE', firstPeriod: PERIOD, updatedPeriod: PERIOD });
      else if (i % 5 === 0) expect(record).toMatchObject({ status: 'INACTIVE', deactivatedPeriod: PERIOD });
      else expect(record).toMatchObject({ status: 'ACTIVE', alamat: `Jl. Baru ${i}`, firstPeriod: '2026-10' });
    }
  }, 120_000);

  it('changes nothing when the shards are applied again', async () => {
    const { applied } = await applyAll();
    expect(applied).toBe(0);
    expect(await scanMaster(aws)).toEqual(firstRun);
  }, 120_000);

  it('writes nothing for an execution that does not hold the master write lease', async () => {
    const other = `${EXECUTION}-other`;
    const [first] = shards;
    if (!first) throw new Error('no shard');
    const slice = apply(
      { period: '2026-12', executionId: other, shard: first.shard, changeSetKey: first.changeSetKey, offset: 0 },
      lambdaContext(),
    );
    await expect(slice).rejects.toMatchObject({ name: 'MasterWriteLeaseHeldError' });
    await expect(slice).rejects.toThrow(/penetapan periode 2026-11/);
    // The holder's execution is never named: only its period.
    await expect(slice).rejects.not.toThrow(/parallel-apply/);
    expect(await lease.get()).toMatchObject({ executionId: EXECUTION, period: PERIOD });
  });
});
