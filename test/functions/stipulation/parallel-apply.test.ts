/**
 * stipulation-apply with its concurrent workers: a change set of 1,500 changes (TAMBAH of new persons,
 * UBAH and HAPUS of seeded ones, across two regencies) written straight to KEYS.changeSet as Resolve
 * writes it, applied in slices of 500 while DynamoDB throttles a share of the writes, then applied again:
 * the second run writes nothing and the master is as the first run left it.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNik } from '#core/nik.ts';
import type { MasterPerson } from '#core/proposal.ts';
import { applyChange, type MasterRecord, type StipulationChange } from '#core/stipulation.ts';
import { batchWrite } from '#shared/batch-writer.ts';
import { type ApplyOutput, KEYS } from '#shared/contracts.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { scanMaster } from '../../support/master.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const PERIOD = '2026-11';
const NEW = 1000;
const SEEDED = 500;

let aws: TestAws;
let apply: Handler;
let throttled = 0;

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

async function applyAll(): Promise<{ applied: number; slices: number }> {
  const changeSetKey = KEYS.changeSet(PERIOD);
  let slice: ApplyOutput = { period: PERIOD, changeSetKey, offset: 0, done: false, applied: 0 };
  let applied = 0;
  let slices = 0;
  while (!slice.done) {
    slice = (await apply({ period: PERIOD, changeSetKey, offset: slice.offset }, lambdaContext())) as ApplyOutput;
    applied += slice.applied;
    slices++;
  }
  return { applied, slices };
}

beforeAll(async () => {
  aws = await startTestAws({ env: { APPLY_SLICE_CHANGES: '500' } });
  ({ handler: apply } = (await import('../../../functions/stipulation-apply/handler.ts')) as { handler: Handler });
  // The handler's own DynamoDB client: every seventh PutItem is refused as over the table's throughput,
  // before the SDK's retries see it, as a throttled table answers.
  const { documents } = await import('#shared/clients.ts');
  let puts = 0;
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      if (/^Put(Item)?Command$/.test(context.commandName ?? '') && ++puts % 7 === 0) {
        throttled++;
        throw Object.assign(new Error('Throughput exceeds the current capacity of your table'), {
          name: 'ProvisionedThroughputExceededException',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'throttleEverySeventhPut' },
  );
  // Persons SEEDED.. are in the master from 2026-10; the change set adds NEW persons and changes the seeded.
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
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: KEYS.changeSet(PERIOD),
      Body: changes.map((line) => `${JSON.stringify(line)}\n`).join(''),
    }),
  );
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

describe('stipulation-apply with concurrent workers', () => {
  let firstRun: MasterRecord[];

  it('applies every change of the set in slices, waiting out the throttled writes', async () => {
    const { applied, slices } = await applyAll();
    expect({ applied, slices }).toEqual({ applied: NEW + SEEDED, slices: 3 });
    expect(throttled).toBeGreaterThan(100);
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

  it('changes nothing when the change set is applied again', async () => {
    const { applied } = await applyAll();
    expect(applied).toBe(0);
    expect(await scanMaster(aws)).toEqual(firstRun);
  }, 120_000);
});
