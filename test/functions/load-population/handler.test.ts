import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPopulationRegistry } from '#shared/population-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { populationCsv, registered, World } from '../../support/world.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let load: Handler;
const world = new World();

async function place(key: string, body: string): Promise<void> {
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key, Body: body }));
}

beforeAll(async () => {
  aws = await startTestAws();
  ({ handler: load } = (await import('../../../functions/load-population/handler.ts')) as { handler: Handler });
});

afterAll(async () => {
  await aws?.stop();
});

describe('load-population', () => {
  it('loads an extract of more people than one batch write takes, and a newer extract overwrites a person', async () => {
    const people = Array.from({ length: 60 }, () => registered(world.row()));
    await place('reference/population/3371-a.csv', populationCsv(people));
    expect(
      await load({ bucket: aws.names.buckets.proposals, key: 'reference/population/3371-a.csv' }, lambdaContext()),
    ).toMatchObject({
      loaded: 60,
    });
    const first = people[0];
    if (!first) throw new Error('no people');
    await place('reference/population/3371-b.csv', populationCsv([{ ...first, statusHidup: 'MENINGGAL' }]));
    await load(
      {
        'detail-type': 'Object Created',
        detail: { bucket: { name: aws.names.buckets.proposals }, object: { key: 'reference/population/3371-b.csv' } },
      },
      lambdaContext(),
    );
    const registry = new DynamoPopulationRegistry(aws.clients.documents, aws.names.tables.population);
    const found = await registry.findByNik(people.map((person) => person.nik));
    expect(found.size).toBe(60);
    expect(found.get(first.nik)).toMatchObject({ nik: first.nik, nama: first.nama, statusHidup: 'MENINGGAL' });
  });

  it('stores the registry status of each NIK, and reads a person stored without one as AKTIF', async () => {
    const [active, inactive, before] = [world.row(), world.row(), world.row()].map((row) => registered(row));
    await place(
      'reference/population/3371-status.csv',
      populationCsv([active!, { ...inactive!, statusNik: 'NONAKTIF' }]).replace(',NONAKTIF\n', ',nonaktif\n'),
    );
    await load({ bucket: aws.names.buckets.proposals, key: 'reference/population/3371-status.csv' }, lambdaContext());
    // An item a load wrote before the column existed has no statusNik attribute.
    const { statusNik: _, ...old } = before!;
    await aws.clients.documents.send(new PutCommand({ TableName: aws.names.tables.population, Item: old }));
    const registry = new DynamoPopulationRegistry(aws.clients.documents, aws.names.tables.population);
    const found = await registry.findByNik([active!.nik, inactive!.nik, before!.nik]);
    expect([active!, inactive!, before!].map((p) => found.get(p.nik)?.statusNik)).toEqual([
      'AKTIF',
      'NONAKTIF',
      'AKTIF',
    ]);
  });

  it('fails with ValidationError on an extract that is not one, or an event of another shape', async () => {
    await place('reference/population/salah.csv', 'nomor,nama\n1,x\n');
    await expect(
      load({ bucket: aws.names.buckets.proposals, key: 'reference/population/salah.csv' }, lambdaContext()),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(load({ hello: 'world' }, lambdaContext())).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
