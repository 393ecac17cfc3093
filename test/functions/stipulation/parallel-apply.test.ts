/**
 * stipulation-apply per NIK shard: a change set of 1,500 changes (TAMBAH of new persons, UBAH and HAPUS of
 * seeded ones, across two regencies) split by core's shardOf into the shards' change sets as
 * ResolveShards writes them (KEYS.changeSetShard), each applied in slices of 200 under the execution's
 * master write lease while DynamoDB throttles a share of the BatchWriteItems (some refused outright, some
 * answered with half their items unprocessed), then applied again: the second run writes nothing and the
 * master is as the first run left it. A slice of an execution that does not hold the lease writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MasterPerson } from '#core/proposal.ts';
import type { MasterRecord, StipulationChange } from '#core/stipulation.ts';
import type { ApplyOutput, ChangeSetShard } from '#shared/contracts.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { scanMaster } from '../../support/master.ts';
import {
  type ChangeAction,
  seedMaster,
  stipulationChange,
  syntheticMasterPerson,
  writeChangeSetShards,
} from '../../support/stipulation-fixtures.ts';

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
const shards: ChangeSetShard[] = [];

const person = (i: number): MasterPerson =>
  syntheticMasterPerson(i, { regency: i % 2 ? '3372' : '3371', bornIn: 1960, sex: 'L' });

const change = (line: number, kind: ChangeAction, changed: MasterPerson): StipulationChange =>
  stipulationChange(line, kind, changed, { period: PERIOD, proposalId: 'parallel' });

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
  await seedMaster(
    aws,
    Array.from({ length: SEEDED }, (_, i) => person(NEW + i)),
    '2026-10',
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
  shards.push(...(await writeChangeSetShards(aws, PERIOD, changes, SHARDS)));
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
