/**
 * Seeding the local DTKS master: a seeded person is the record a stipulated TAMBAH of the same row
 * makes, so the regency export and the snapshot cannot tell them apart. That includes RT and RW with
 * three digits, as the pipeline stores them: a master extract writes '5' where a stipulated row has '005'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { storeRtRw } from '#shared/staging.ts';
import { startTestAws, type TestAws } from '../support/aws.ts';
import { World } from '../support/world.ts';

let aws: TestAws;
let seedMaster: typeof import('#local/seed.ts').seedMaster;

beforeAll(async () => {
  aws = await startTestAws();
  ({ seedMaster } = await import('#local/seed.ts'));
}, 60_000);
afterAll(() => aws?.stop());

describe('seedMaster', () => {
  it('stores RT and RW with three digits, as a stipulated row has them', async () => {
    const world = new World();
    const { line: _line, aksi: _aksi, alasan: _alasan, ...short } = world.row({ rt: '5', rw: '12' });
    const { line: _l, aksi: _a, alasan: _r, ...full } = world.row({ rt: '007', rw: '010' });

    expect(await seedMaster([[short, full]], '2026-10', aws.names.tables.master)).toBe(2);

    const master = new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master);
    const records = await master.getRecords([short.nik, full.nik]);
    expect(records.get(short.nik)).toMatchObject({ rt: '005', rw: '012' });
    expect(records.get(full.nik)).toMatchObject({ rt: '007', rw: '010' });
    // The master as it stood came from the regencies' deliberations (sumber).
    expect(records.get(full.nik)).toMatchObject({ source: 'MUSDES' });
    // The same rule as the staged rows of a proposal, not a second one.
    const [staged] = storeRtRw([{ ...short, line: 1, aksi: 'TAMBAH', alasan: '' }]);
    expect(records.get(short.nik)).toMatchObject({ rt: staged?.rt, rw: staged?.rw });
  });
});
