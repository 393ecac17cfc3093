/**
 * The master write lease after a failed run (found by the hostile review of helper "periods"): a failed
 * distributed Map stops its child executions, not the Lambda invocations they started, so a slice that
 * renewed the lease before the failure goes on writing (BatchWriteItem, no condition) for up to the apply
 * function's timeout. ReleaseMasterWriteLeaseAfterFailure deleted the lease at once, so another execution
 * could take it and apply a later change to a person that the straggler then overwrote with the record it
 * computed before: a lost update. Now the failure path keeps the lease until APPLY_TIMEOUT_SECONDS from
 * then (RELEASE_AFTER_FAILURE), and another execution, this period's rerun included, is told when to retry.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNik } from '#core/nik.ts';
import type { MasterPerson } from '#core/proposal.ts';
import type { StipulationChange } from '#core/stipulation.ts';
import { APPLY_TIMEOUT_SECONDS, KEYS } from '#shared/contracts.ts';
import { MasterWriteLeaseHeldError } from '#shared/errors.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const NOVEMBER = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:november-failed';
const DECEMBER = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:december';
const NIK = encodeNik({ district: '337101', birthDate: '1980-01-01', sex: 'L', serial: 1 });

let aws: TestAws;
let apply: Handler;
let leaseStep: Handler;
let lease: MasterLeaseRepository;
/** Holds the next BatchWriteItem of the handlers' client until released: a slice caught mid-write. */
let hold: { reached: () => void; release: Promise<void> } | undefined;

function person(alamat: string): MasterPerson {
  return {
    nik: NIK,
    noKk: '3371010101200001',
    nama: 'Warga Satu',
    jenisKelamin: 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: '1980-01-01',
    namaIbuKandung: 'Ibu',
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'KAWIN',
    alamat,
    rt: '001',
    rw: '002',
    kodeDesa: '3371011001',
    pekerjaan: '',
    penghasilanBulanan: '',
    desil: '',
  } as MasterPerson;
}

/** One change of the person in `period`'s shard 0 change set; returns the ApplySlice input. */
async function changeSet(period: string, executionId: string, alamat: string, line: number) {
  const change: StipulationChange = {
    nik: NIK,
    kind: 'UPSERT',
    action: line === 1 ? 'TAMBAH' : 'UBAH',
    reason: '',
    person: person(alamat),
    proposalId: `3371-${period}-straggler000`,
    source: 'MUSDES',
    line,
    period,
  };
  const changeSetKey = KEYS.changeSetShard(period, 0);
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: changeSetKey,
      Body: `${JSON.stringify(change)}\n`,
    }),
  );
  return { period, executionId, shard: 0, changeSetKey, offset: 0 };
}

beforeAll(async () => {
  aws = await startTestAws();
  ({ handler: apply } = (await import('../../../functions/stipulation-apply/handler.ts')) as { handler: Handler });
  ({ handler: leaseStep } = (await import('../../../functions/stipulation-master-lease/handler.ts')) as {
    handler: Handler;
  });
  lease = new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals);
  const { documents } = await import('#shared/clients.ts');
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      const held = hold;
      if (held && /^BatchWrite(Item)?Command$/.test(context.commandName ?? '')) {
        hold = undefined;
        held.reached();
        await held.release;
      }
      return next(args);
    },
    { step: 'initialize', name: 'holdOneBatchWrite' },
  );
});

afterAll(async () => {
  await aws?.stop();
});

describe('the master write lease after a failed ApplyShards', () => {
  it('is not taken by another execution while a slice of the failed run may still write', async () => {
    const master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
    // November's run: its lease, one slice that renews it, reads the person and is caught before its write.
    await leaseStep({ action: 'TAKE', period: '2026-11', executionId: NOVEMBER }, lambdaContext());
    let reached = () => {};
    const atWrite = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let letGo = () => {};
    hold = {
      reached,
      release: new Promise<void>((resolve) => {
        letGo = resolve;
      }),
    };
    const straggler = apply(await changeSet('2026-11', NOVEMBER, 'Jl. November', 1), lambdaContext());
    await atWrite;
    // Another shard of November's Map failed: the Map fails, its Catch goes to
    // ReleaseMasterWriteLeaseAfterFailure; the slice above keeps running, as a started Lambda does.
    await leaseStep({ action: 'RELEASE_AFTER_FAILURE', period: '2026-11', executionId: NOVEMBER }, lambdaContext());

    // December's run must not get the lease while November's slice can still write.
    const december = leaseStep({ action: 'TAKE', period: '2026-12', executionId: DECEMBER }, lambdaContext());
    const taken = await december.then(
      () => true,
      () => false,
    );
    if (taken) {
      // What follows today: December applies its change, then November's straggler writes over it.
      await apply(await changeSet('2026-12', DECEMBER, 'Jl. Desember', 2), lambdaContext());
      letGo();
      await straggler;
      const [record] = (await master.getRecords([NIK])).values();
      expect.soft(record?.alamat, 'December applied its change, then lost it to the straggler').toBe('Jl. Desember');
    } else {
      letGo();
      await straggler;
    }
    expect(taken, 'December took the lease while November still wrote').toBe(false);
    const [record] = (await master.getRecords([NIK])).values();
    expect(record?.alamat).toBe('Jl. November');
  });

  it("refuses this period's rerun until the failed run's slices have ended, naming when, and lets it in after", async () => {
    const before = Date.now();
    const cooling = await lease.get();
    expect(cooling).toMatchObject({ executionId: NOVEMBER, period: '2026-11' });
    expect(cooling?.releasedAt).toBeDefined();
    // Kept for the apply function's timeout from the failure, not the 30 minutes of a renewal.
    const ends = Date.parse(cooling?.expiresAt ?? '');
    expect(ends - Date.parse(cooling?.releasedAt ?? '')).toBe(APPLY_TIMEOUT_SECONDS * 1000);
    expect(ends).toBeGreaterThan(before);

    // A new execution of the same period (an operator's rerun) fails at once, told when it may run.
    const rerun = `${NOVEMBER}-rerun`;
    const refused = await leaseStep({ action: 'TAKE', period: '2026-11', executionId: rerun }, lambdaContext()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(MasterWriteLeaseHeldError);
    const message = (refused as Error).message;
    expect(message).toContain('gagal');
    expect(message).toContain(`jalankan ulang setelah ${cooling?.expiresAt}`);
    expect(message).not.toContain(NOVEMBER);

    // A straggler's renewal (a slice, an export unit of the failed run) does not extend the wait.
    await expect(lease.renew(NOVEMBER, '2026-11')).rejects.toBeInstanceOf(MasterWriteLeaseHeldError);
    expect((await lease.get())?.expiresAt).toBe(cooling?.expiresAt);

    // Once the apply function's timeout has passed, the rerun takes the lease.
    const later = new MasterLeaseRepository(
      aws.clients.documents,
      aws.names.tables.proposals,
      () => new Date(ends + 1000),
    );
    await expect(later.take(rerun, '2026-11')).resolves.toMatchObject({ executionId: rerun });
    await later.renew(rerun, '2026-11');
    expect(await later.release(rerun)).toBe(true);
  });
});
