/**
 * The stipulation guard by NIK shard, as CompareShards and CompareChangesWithMaster run it: each shard's
 * tally written by COMPARE_SHARD, merged by COMPARE into the same report a single pass would give, with
 * each touched regency's active persons taken from the previous stipulated period's manifest and a COUNT
 * query of byRegency only for a regency that manifest does not name. A shard the Map did not compare
 * fails the summary instead of passing as a shard without effect.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegencyDiff } from '#core/guard.ts';
import type { MasterPerson } from '#core/proposal.ts';
import type { StipulationChange } from '#core/stipulation.ts';
import { type ChangeSetShard, type GuardVerdictSummary, KEYS } from '#shared/contracts.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import {
  type ChangeAction,
  seedMaster,
  stipulationChange,
  syntheticMasterPerson,
  writeChangeSetShards,
} from '../../support/stipulation-fixtures.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const PERIOD = '2026-11';
const SHARDS = 4;
const EXECUTION = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:guard-shards';

let aws: TestAws;
let guard: Handler;
const shards: ChangeSetShard[] = [];
/** The regencies the handler asked the byRegency index to count. */
const counted: string[] = [];

const person = (i: number, regency: string): MasterPerson =>
  syntheticMasterPerson(i, { regency, kkSeries: '3', street: 'Melati', desil: '3' });

const change = (line: number, kind: ChangeAction, changed: MasterPerson): StipulationChange =>
  stipulationChange(line, kind, changed, { period: PERIOD, proposalId: 'guard-shards' });

const compareShard = ({ shard, changeSetKey }: ChangeSetShard) =>
  guard({ action: 'COMPARE_SHARD', period: PERIOD, executionId: EXECUTION, shard, changeSetKey }, lambdaContext());

beforeAll(async () => {
  aws = await startTestAws();
  ({ handler: guard } = (await import('../../../functions/stipulation-guard/handler.ts')) as { handler: Handler });
  const { documents } = await import('#shared/clients.ts');
  documents.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> };
      if (input.IndexName === 'byRegency') counted.push(String(input.ExpressionAttributeValues?.[':regency']));
      return next(args);
    },
    { step: 'initialize', name: 'recordRegencyCounts' },
  );
  // The master as 2026-10 left it: 10 active persons in 3371, 6 in 3372.
  const persons = [
    ...Array.from({ length: 10 }, (_, i) => person(i, '3371')),
    ...Array.from({ length: 6 }, (_, i) => person(i + 10, '3372')),
  ];
  await seedMaster(aws, persons, '2026-10');
  // 2026-10 is stipulated and its manifest names 3371 only. Its 40 persons are not the master's 10: the
  // report shows which of the two the guard took.
  await aws.clients.documents.send(
    new PutCommand({
      TableName: aws.names.tables.proposals,
      Item: {
        pk: 'PERIOD#2026-10',
        sk: 'META',
        period: '2026-10',
        recordedAt: '2026-11-01T01:00:00.000Z',
        carriedForward: false,
        counts: {},
        proposals: [],
        manifestKey: KEYS.manifest('2026-10'),
      },
    }),
  );
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.exports,
      Key: KEYS.manifest('2026-10'),
      Body: JSON.stringify({
        period: '2026-10',
        totals: { records: 40, byProvince: { 33: 40 }, byRegency: { 3371: 40 } },
      }),
    }),
  );
  // November: two deaths in 3371, one in 3372, one person moved from 3371 to 3372 with a new decile, one
  // new person in 3373 (no manifest names it, and no one is active there).
  const changes = [
    change(1, 'HAPUS', persons[0] as MasterPerson),
    change(2, 'HAPUS', persons[1] as MasterPerson),
    change(3, 'HAPUS', persons[10] as MasterPerson),
    change(4, 'UBAH', { ...(persons[2] as MasterPerson), kodeDesa: '3372011001', desil: '5' }),
    change(5, 'TAMBAH', person(30, '3373')),
  ];
  shards.push(...(await writeChangeSetShards(aws, PERIOD, changes, SHARDS, { skipEmpty: true })));
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: KEYS.shardList(PERIOD),
      Body: JSON.stringify(shards),
    }),
  );
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

describe('the stipulation guard by NIK shard', () => {
  it('merges the shards into one report, the active persons from the previous manifest where it names the regency', async () => {
    expect(shards.length).toBeGreaterThan(1);
    for (const shard of shards) {
      expect(await compareShard(shard)).toEqual({
        shard: shard.shard,
        compared: shard.changes,
        regencies: expect.any(Number),
      });
    }
    const verdict = (await guard(
      { action: 'COMPARE', period: PERIOD, executionId: EXECUTION, shardsKey: KEYS.shardList(PERIOD) },
      lambdaContext(),
    )) as GuardVerdictSummary;
    // 3371 loses 2 of 40 (5%, not above), 3372 1 of 6: the regency over its share.
    expect(verdict).toMatchObject({
      signOffRequired: true,
      breaches: ['kabupaten/kota 3372: 1 penonaktifan dari 6 orang aktif (16,67%, batas 5%)'],
      totals: { adds: 1, moves: 1, deactivations: 3, decileChanges: 1 },
    });
    const report = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: verdict.reportKey }),
    );
    const { regencies, shardsKey } = JSON.parse((await report.Body?.transformToString()) ?? '{}') as {
      regencies: RegencyDiff[];
      shardsKey: string;
    };
    expect(shardsKey).toBe(KEYS.shardList(PERIOD));
    expect(regencies).toEqual([
      expect.objectContaining({ regency: '3371', active: 40, deactivations: 2, movedOut: 1, deactivationShare: 0.05 }),
      expect.objectContaining({
        regency: '3372',
        active: 6,
        deactivations: 1,
        movedIn: 1,
        decileChanges: { UP: 1, DOWN: 0, SET: 0, CLEARED: 0 },
      }),
      expect.objectContaining({ regency: '3373', active: 0, adds: 1 }),
    ]);
    // Only the regencies the manifest does not name were counted in the index.
    expect(counted.sort()).toEqual(['3372', '3373']);
  });

  it('fails the summary when a shard of the list left no tally in this run', async () => {
    const summary = guard(
      { action: 'COMPARE', period: PERIOD, executionId: `${EXECUTION}-rerun`, shardsKey: KEYS.shardList(PERIOD) },
      lambdaContext(),
    );
    await expect(summary).rejects.toMatchObject({ name: 'StagedRowsMissingError' });
  });

  it('refuses a previous manifest changed after its stipulation instead of believing its counts', async () => {
    const manifest = await aws.clients.s3.send(
      new GetObjectCommand({ Bucket: aws.names.buckets.exports, Key: KEYS.manifest('2026-10') }),
    );
    const stipulated = (await manifest.Body?.transformToString()) ?? '';
    // The record keeps the SHA-256 of the manifest as stipulated; the manifest is then rewritten to make
    // 3372's one death a tiny share of a made-up 6,000 active persons.
    await aws.clients.documents.send(
      new UpdateCommand({
        TableName: aws.names.tables.proposals,
        Key: { pk: 'PERIOD#2026-10', sk: 'META' },
        UpdateExpression: 'SET manifestSha256 = :sha',
        ExpressionAttributeValues: { ':sha': createHash('sha256').update(stipulated, 'utf8').digest('hex') },
      }),
    );
    await aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: aws.names.buckets.exports,
        Key: KEYS.manifest('2026-10'),
        Body: stipulated.replace('"byRegency":{"3371":40}', '"byRegency":{"3371":40,"3372":6000}'),
      }),
    );
    const verdict = guard(
      { action: 'COMPARE', period: PERIOD, executionId: EXECUTION, shardsKey: KEYS.shardList(PERIOD) },
      lambdaContext(),
    );
    await expect(verdict).rejects.toMatchObject({
      name: 'ManifestChainError',
      message: expect.stringContaining('diubah sesudah penetapannya'),
    });
  });
});
