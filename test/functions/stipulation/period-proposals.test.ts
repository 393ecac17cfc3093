/**
 * A period of any number of proposals: Collect fixes the collection and RecordPeriod the record of a period
 * of 8,200 proposals (past the ~6,000 whose inline list filled DynamoDB's 400 KB item), each item naming its
 * list in S3 by key, count and SHA-256, and the list reads back whole and in order. Items an earlier
 * version wrote with the list inline are still read as they stand (a stipulated month is never rewritten),
 * and a list changed after it was written is refused.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchWrite } from '#shared/batch-writer.ts';
import { type CollectOutput, KEYS } from '#shared/contracts.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import type { ListedProposals, ProposalRef } from '#shared/proposal-list.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { COLLECTION, META, periodPk, proposalPk } from '#shared/proposals-table.ts';
import { listKeys } from '#shared/staging.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { collectedProposals, proposalRecord } from '../../support/proposals.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let periods: PeriodsRepository;
const handlers: Record<string, Handler> = {};

const PERIOD = '2026-11';
const MANY = 8200;
/** Far below DynamoDB's 400 KB: the items keep a key, a count and a SHA-256, not the list. */
const SMALL_ITEM_BYTES = 2_000;

async function invoke<T>(name: string, event: unknown): Promise<T> {
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return (await handler(event, lambdaContext(`dtks-${name}`))) as T;
}

/** `count` proposals of `period` waiting for stipulation, written straight into the queue (no upload, no check). */
async function queueProposals(period: string, count: number, tag: string): Promise<ProposalRef[]> {
  const refs: ProposalRef[] = [];
  const items = [];
  for (let i = 0; i < count; i++) {
    const proposalId = `3371-${period}-${tag}${String(i).padStart(8, '0')}`;
    const approvedAt = new Date(Date.UTC(2026, 10, 20) + i * 1000).toISOString();
    items.push({
      PutRequest: {
        Item: {
          pk: proposalPk(proposalId),
          sk: META,
          ...proposalRecord(proposalId, { period, status: 'AWAITING_STIPULATION' }),
          ...ProposalsRepository.stipulationQueueAttributes(proposalId, approvedAt),
        },
      },
    });
    refs.push({ proposalId, regency: '3371' });
  }
  await batchWrite(aws.clients.documents, aws.names.tables.proposals, items);
  return refs;
}

async function rawItem(period: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await aws.clients.documents.send(
    new GetCommand({ TableName: aws.names.tables.proposals, Key: { pk: periodPk(period), sk }, ConsistentRead: true }),
  );
  return Item;
}

beforeAll(async () => {
  aws = await startTestAws();
  periods = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals, {
    s3: aws.clients.s3,
    bucket: aws.names.buckets.proposals,
  });
  for (const name of ['stipulation-collect', 'stipulation-record-period']) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
}, 120_000);

afterAll(async () => {
  await aws?.stop();
});

describe(`a period of ${MANY} proposals`, () => {
  let queued: ProposalRef[];

  it('would not fit an item with its list inline (what the collection and the record held before)', async () => {
    queued = await queueProposals(PERIOD, MANY, 'many');
    await expect(
      aws.clients.documents.send(
        new PutCommand({
          TableName: aws.names.tables.proposals,
          Item: { pk: periodPk('1999-01'), sk: COLLECTION, period: '1999-01', collectedAt: 'x', proposals: queued },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  }, 120_000);

  it('is collected: the collection names its list in S3, which reads back whole and in approval order', async () => {
    const collected = await invoke<CollectOutput>('stipulation-collect', { period: PERIOD });
    expect(collected.proposalCount).toBe(MANY);
    expect(await collectedProposals(aws, collected)).toEqual(queued);

    const item = await rawItem(PERIOD, COLLECTION);
    expect(item).not.toHaveProperty('proposals');
    expect(item?.proposalList).toEqual({
      key: expect.stringMatching(/^periods\/2026-11\/proposals-[0-9a-f]{64}\.json$/),
      count: MANY,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(item).length).toBeLessThan(SMALL_ITEM_BYTES);
    expect(await periods.listedProposals(item as ListedProposals)).toEqual(queued);
  }, 120_000);

  it('is collected again by a rerun from the collection its first run fixed', async () => {
    // One more approval since: it waits for the next period, the rerun stipulates the first run's proposals.
    const [late] = await queueProposals(PERIOD, 1, 'late');
    const again = await invoke<CollectOutput>('stipulation-collect', { period: PERIOD });
    const list = await collectedProposals(aws, again);
    expect(list).toEqual(queued);
    expect(list).not.toContainEqual(late);
    // The rerun wrote no list of its own: the period's folder holds the one its collection names.
    const { proposalList } = (await rawItem(PERIOD, COLLECTION)) as ListedProposals;
    const kept = await listKeys(aws.clients.s3, aws.names.buckets.proposals, `periods/${PERIOD}/`);
    expect([...kept]).toEqual([proposalList?.key]);
  }, 180_000);

  it('is recorded: the record names its list in S3 with its count, and a retry of the step keeps it', async () => {
    const input = {
      period: PERIOD,
      executionId: 'arn:aws:states:local:000000000000:execution:stipulation:many',
      // The workflow's list as the rerun above left it.
      proposalsKey: KEYS.proposalList(PERIOD),
      changes: MANY,
      applied: MANY,
    };
    const recorded = await invoke<{ counts: Record<string, number> }>('stipulation-record-period', input);
    expect(recorded.counts).toMatchObject({ proposals: MANY, changes: MANY });
    expect(JSON.stringify(recorded).length).toBeLessThan(SMALL_ITEM_BYTES);

    const item = await rawItem(PERIOD, META);
    expect(item).not.toHaveProperty('proposals');
    expect(JSON.stringify(item).length).toBeLessThan(SMALL_ITEM_BYTES);
    const record = await periods.getPeriod(PERIOD);
    expect(record?.proposalList?.count).toBe(MANY);
    expect(await periods.listedProposals(record ?? {})).toEqual(queued);
    // The same proposals as the collection: the same bytes, so the same object (its key is their SHA-256).
    expect(record?.proposalList).toEqual((await rawItem(PERIOD, COLLECTION))?.proposalList);

    // The same execution's retry of the step (a lost answer): the record that stands, nothing rewritten.
    expect(await invoke('stipulation-record-period', input)).toEqual(recorded);
    expect(await periods.getPeriod(PERIOD)).toEqual(record);
    // Another run: refused, the record kept.
    await expect(
      invoke('stipulation-record-period', {
        ...input,
        executionId: 'arn:aws:states:local:0:execution:stipulation:other',
      }),
    ).rejects.toMatchObject({ name: 'PeriodAlreadyStipulatedError' });
    expect(await periods.getPeriod(PERIOD)).toEqual(record);
  }, 180_000);
});

describe('items written with the list inline, by the version before', () => {
  it('reads a stipulated record as it stands and refuses to record the period again', async () => {
    const inline = [{ proposalId: '3371-2026-08-000000000001', regency: '3371' }];
    await aws.clients.documents.send(
      new PutCommand({
        TableName: aws.names.tables.proposals,
        Item: {
          pk: periodPk('2026-08'),
          sk: META,
          period: '2026-08',
          recordedAt: '2026-09-01T00:00:00.000Z',
          carriedForward: false,
          proposals: inline,
          counts: { proposals: 1 },
        },
      }),
    );
    const record = await periods.getPeriod('2026-08');
    expect(await periods.listedProposals(record ?? {})).toEqual(inline);
    // Without the list store too: an inline list needs no S3.
    const tableOnly = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals);
    expect(await tableOnly.listedProposals(record ?? {})).toEqual(inline);
    await expect(invoke('stipulation-record-period', { period: '2026-08', proposals: [] })).rejects.toMatchObject({
      name: 'PeriodAlreadyStipulatedError',
    });
    expect(await periods.getPeriod('2026-08')).toEqual(record);
  });

  it('reruns a collection fixed inline with its own proposals, not the queue of today', async () => {
    const [fixed, later] = await queueProposals('2026-09', 2, 'old');
    await aws.clients.documents.send(
      new PutCommand({
        TableName: aws.names.tables.proposals,
        Item: {
          pk: periodPk('2026-09'),
          sk: COLLECTION,
          period: '2026-09',
          collectedAt: '2026-10-01T00:00:00.000Z',
          proposals: [fixed],
        },
      }),
    );
    const collected = await invoke<CollectOutput>('stipulation-collect', { period: '2026-09' });
    expect(await collectedProposals(aws, collected)).toEqual([fixed]);
    expect(await collectedProposals(aws, collected)).not.toContainEqual(later);
    expect(await rawItem('2026-09', COLLECTION)).toMatchObject({ proposals: [fixed] });
  });
});

describe('a kept list changed after it was written', () => {
  it('is refused (ProposalListChangedError), not read', async () => {
    const record = await periods.getPeriod(PERIOD);
    const key = record?.proposalList?.key ?? '';
    await aws.clients.s3.send(
      new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key, Body: JSON.stringify([]) }),
    );
    await expect(periods.listedProposals(record ?? {})).rejects.toMatchObject({ name: 'ProposalListChangedError' });
  });
});
