/**
 * The master write lease (functions/shared/master-lease.ts) through its function, stipulation-master-lease
 * (TakeMasterWriteLease / ReleaseMasterWriteLease): two stipulations of different periods cannot both hold
 * it, the second is refused naming the holder's period and nothing else of it; the holder's own retry
 * takes it again; a lease nobody renewed for LEASE_SECONDS is taken over; a release gives back only the
 * releaser's own lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunctions } from '#local/functions.ts';
import { LEASE_SECONDS, MasterLeaseRepository } from '#shared/master-lease.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';

const EXECUTION = (name: string) => `arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:${name}`;
const NOVEMBER = EXECUTION('november-run');
const DECEMBER = EXECUTION('december-run');

let aws: TestAws;
const functions = new LocalFunctions();
const lease = (action: 'TAKE' | 'RELEASE', period: string, executionId: string) =>
  functions.invoke('stipulation-master-lease', { action, period, executionId });

beforeAll(async () => {
  aws = await startTestAws();
});

afterAll(async () => {
  await aws?.stop();
});

describe('the master write lease', () => {
  it('lets one execution hold it: another period is refused with the holder period, its own retry passes', async () => {
    await expect(lease('TAKE', '2026-11', NOVEMBER)).resolves.toMatchObject({ period: '2026-11', held: true });
    const refused = lease('TAKE', '2026-12', DECEMBER);
    await expect(refused).rejects.toMatchObject({ name: 'MasterWriteLeaseHeldError' });
    await expect(refused).rejects.toThrow(
      /^Master DTKS sedang ditulis oleh penetapan periode 2026-11 .*penetapan periode 2026-12 tidak menulis apa pun/,
    );
    await expect(refused).rejects.not.toThrow(/november-run/);
    // A retried step of the holder (or a redrive) takes its own lease again.
    await expect(lease('TAKE', '2026-11', NOVEMBER)).resolves.toMatchObject({ held: true });
    // December's failure path releases nothing of November's.
    await expect(lease('RELEASE', '2026-12', DECEMBER)).resolves.toMatchObject({ released: false });
    const repository = new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals);
    expect(await repository.get()).toMatchObject({ executionId: NOVEMBER, period: '2026-11' });
  });

  it('is taken by the next execution once released, and a second release is a no-op', async () => {
    await expect(lease('RELEASE', '2026-11', NOVEMBER)).resolves.toMatchObject({ released: true });
    await expect(lease('RELEASE', '2026-11', NOVEMBER)).resolves.toMatchObject({ released: false });
    await expect(lease('TAKE', '2026-12', DECEMBER)).resolves.toMatchObject({ period: '2026-12', held: true });
    await expect(lease('RELEASE', '2026-12', DECEMBER)).resolves.toMatchObject({ released: true });
  });

  it('may be taken over once nobody renewed it for LEASE_SECONDS, and the old holder then writes nothing', async () => {
    let now = new Date('2026-12-01T01:00:00.000Z');
    const repository = new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals, () => now);
    await repository.take(NOVEMBER, '2026-11');
    now = new Date(now.getTime() + (LEASE_SECONDS - 60) * 1000);
    // Renewed within its term: still November's, for another term from now.
    await repository.renew(NOVEMBER, '2026-11');
    now = new Date(now.getTime() + (LEASE_SECONDS - 60) * 1000);
    await expect(repository.take(DECEMBER, '2026-12')).rejects.toMatchObject({ name: 'MasterWriteLeaseHeldError' });
    now = new Date(now.getTime() + 120 * 1000);
    // The run that held it died: its lease ran out, December takes it.
    await expect(repository.take(DECEMBER, '2026-12')).resolves.toMatchObject({ executionId: DECEMBER });
    // November's next slice finds the lease another's and stops before it writes.
    await expect(repository.renew(NOVEMBER, '2026-11')).rejects.toThrow(/penetapan periode 2026-12/);
    await repository.release(DECEMBER);
  });
});
