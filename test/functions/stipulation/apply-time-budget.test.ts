/**
 * stipulation-apply bounds a slice by time as well as by count: under sustained throttling the write pace
 * can fall to a sixteenth of a child's share, and a slice of 20,000 changes would then outlast Lambda's 15
 * minutes (Sandbox.Timedout, which no Retry covers: the run fails exactly when the table is hot). A slice
 * starts no chunk once less than two minutes of its invocation are left (context.getRemainingTimeInMillis),
 * returns the offset it reached with done = false, and the next slice goes on from there. Here the slice's
 * time runs short after two chunks of 100: the first slice applies 200 of 450 changes, the next ones the rest,
 * each change once.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApplyOutput, KEYS } from '#shared/contracts.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { scanMaster } from '../../support/master.ts';
import { stipulationChange, syntheticMasterPerson } from '../../support/stipulation-fixtures.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const PERIOD = '2026-11';
const CHANGES = 450;
const EXECUTION = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:time-budget';

let aws: TestAws;
let apply: Handler;
let changeSet = '';
const changeSetKey = KEYS.changeSetShard(PERIOD, 0);

/**
 * A context that answers 10 minutes left for `plenty` chunks, then one minute: under the slice's two-minute
 * margin. The first question is middy's, before the handler runs (its timeout-early check); then the slice
 * asks once per chunk it would start.
 */
function runningShort(plenty: number): Context {
  let asked = 0;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => (asked++ < plenty + 1 ? 10 : 1) * 60 * 1000 };
}

const slice = async (offset: number, context: Context) =>
  (await apply({ period: PERIOD, executionId: EXECUTION, shard: 0, changeSetKey, offset }, context)) as ApplyOutput;

beforeAll(async () => {
  aws = await startTestAws({ env: { MASTER_WRITE_UNITS: '64000' } });
  ({ handler: apply } = (await import('../../../functions/stipulation-apply/handler.ts')) as { handler: Handler });
  await new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals).take(EXECUTION, PERIOD);
  const changes = Array.from({ length: CHANGES }, (_, i) =>
    stipulationChange(i + 1, 'TAMBAH', syntheticMasterPerson(i, { bornIn: 1960 }), {
      period: PERIOD,
      proposalId: 'time-budget',
    }),
  );
  changeSet = changes.map((change) => `${JSON.stringify(change)}\n`).join('');
  await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: changeSetKey, Body: changeSet }),
  );
});

afterAll(async () => {
  await aws?.stop();
});

describe('an apply slice whose invocation runs short of time', () => {
  it('starts no chunk under the margin and writes nothing', async () => {
    const output = await slice(0, runningShort(0));
    expect(output).toMatchObject({ offset: 0, done: false, applied: 0 });
    expect(await scanMaster(aws)).toHaveLength(0);
  });

  it('stops at a chunk boundary with the offset reached, and the next slices apply the rest once', async () => {
    const first = await slice(0, runningShort(2));
    const lines = changeSet.split('\n');
    const after200 = Buffer.byteLength(`${lines.slice(0, 200).join('\n')}\n`);
    expect(first).toMatchObject({ offset: after200, done: false, applied: 200 });
    expect(await scanMaster(aws)).toHaveLength(200);

    let applied = first.applied;
    let next = first;
    let slices = 1;
    while (!next.done) {
      next = await slice(next.offset, runningShort(1));
      applied += next.applied;
      slices++;
    }
    expect({ applied, slices }).toEqual({ applied: CHANGES, slices: 4 });
    expect(next.offset).toBe(Buffer.byteLength(changeSet));
    const master = await scanMaster(aws);
    expect(master).toHaveLength(CHANGES);
    expect(new Set(master.map((record) => record.nik)).size).toBe(CHANGES);
    // A slice with its whole time writes nothing more: every change is applied.
    expect(await slice(0, lambdaContext())).toMatchObject({ done: true, applied: 0 });
  });
});
