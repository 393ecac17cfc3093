/**
 * stipulation-apply's write pace is each ApplyShards child's own share of the master's write units, also
 * when the children run in one process as the local runtime runs them. A master of 200 write units/s over
 * 4 shards gives each child 50 units/s (a burst of 5): four shards of 60 new persons (one unit each)
 * applied at once take at least (60 − 5) / 50 = 1.1 s, each at its own pace; with one pace for the whole
 * module (as it was) the four shared 50 units/s and needed at least (240 − 5) / 50 = 4.7 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StipulationChange, shardOf } from '#core/stipulation.ts';
import type { ApplyOutput, ChangeSetShard } from '#shared/contracts.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { scanMaster } from '../../support/master.ts';
import { stipulationChange, syntheticMasterPerson, writeChangeSetShards } from '../../support/stipulation-fixtures.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const PERIOD = '2026-11';
const SHARDS = 4;
const PER_SHARD = 60;
const EXECUTION = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:apply-pace';

let aws: TestAws;
let apply: Handler;
const shards: ChangeSetShard[] = [];

const change = (i: number): StipulationChange =>
  stipulationChange(i + 1, 'TAMBAH', syntheticMasterPerson(i, { birthplace: 'Semarang', street: 'Pemuda' }), {
    period: PERIOD,
    proposalId: 'pace',
  });

beforeAll(async () => {
  aws = await startTestAws({ env: { MASTER_WRITE_UNITS: '200', STIPULATION_SHARDS: String(SHARDS) } });
  ({ handler: apply } = (await import('../../../functions/stipulation-apply/handler.ts')) as { handler: Handler });
  // PER_SHARD new persons in each shard (core shardOf), as ResolveShards writes the shards' change sets.
  const byShard: StipulationChange[][] = Array.from({ length: SHARDS }, () => []);
  for (let i = 0; byShard.some((own) => own.length < PER_SHARD); i++) {
    const each = change(i);
    const own = byShard[shardOf(each.nik, SHARDS)] as StipulationChange[];
    if (own.length < PER_SHARD) own.push(each);
  }
  shards.push(...(await writeChangeSetShards(aws, PERIOD, byShard.flat(), SHARDS)));
  await new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals).take(EXECUTION, PERIOD);
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

describe('stipulation-apply write pace', () => {
  it("paces each shard's child at its own share when the children share a process", async () => {
    const started = performance.now();
    const outputs = (await Promise.all(
      shards.map(({ shard, changeSetKey }) =>
        apply({ period: PERIOD, executionId: EXECUTION, shard, changeSetKey, offset: 0 }, lambdaContext()),
      ),
    )) as ApplyOutput[];
    const seconds = (performance.now() - started) / 1000;
    expect(outputs.map(({ applied, done }) => ({ applied, done }))).toEqual(
      shards.map(() => ({ applied: PER_SHARD, done: true })),
    );
    expect(await scanMaster(aws)).toHaveLength(SHARDS * PER_SHARD);
    // Still paced: no child writes faster than its share.
    expect(seconds).toBeGreaterThan(1.0);
    // But each at its own share, not a quarter of it (≥ 4.7 s), with room for a loaded machine.
    expect(seconds).toBeLessThan(3.5);
  }, 60_000);
});
