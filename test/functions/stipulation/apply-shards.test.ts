/**
 * The apply of the stipulation workflow at the Map level: TakeMasterWriteLease → ApplyShards (a distributed
 * Map over the list of shards, each child looping ApplySlice → IsTheSliceDone) → ReleaseMasterWriteLease (in
 * the workflow after the exports, here straight after the Map),
 * the states exactly as state-machines/stipulation.asl.json defines them, run by the local runtime with the
 * real handlers. A second run of the same shards writes nothing and leaves the master as it was; a run while
 * another stipulation holds the master write lease fails before it writes; a Map that fails keeps the
 * lease until its slices still running have ended (the apply function's timeout), on its way to StipulationFailed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MasterPerson } from '#core/proposal.ts';
import type { MasterRecord } from '#core/stipulation.ts';
import { LocalFunctions, localSubstitutions } from '#local/functions.ts';
import { parseDefinition } from '#local/sfn/definition.ts';
import { type ExecutionDescription, StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import { s3ObjectStorage } from '#local/sfn/s3-objects.ts';
import { APPLY_TIMEOUT_SECONDS, type ChangeSetShard, KEYS } from '#shared/contracts.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { scanMaster } from '../../support/master.ts';
import { stipulationChange, syntheticMasterPerson, writeChangeSetShards } from '../../support/stipulation-fixtures.ts';

const PERIOD = '2026-11';
const SHARDS = 4;
const CHANGES = 240;
const STIPULATION = new URL('../../../state-machines/stipulation.asl.json', import.meta.url);
/** The states of the workflow's apply, taken from the definition as they stand. */
const APPLY_STATES = [
  'TakeMasterWriteLease',
  'IsThereAnythingToApply',
  'ApplyShards',
  'ReleaseMasterWriteLease',
  'ReleaseMasterWriteLeaseAfterFailure',
  'StipulationFailed',
];

let aws: TestAws;
let runtime: StepFunctionsRuntime;
let dataDir: string;
let lease: MasterLeaseRepository;
let definition: { States: Record<string, Record<string, unknown>> };
const functions = new LocalFunctions();

const person = (i: number): MasterPerson =>
  syntheticMasterPerson(i, {
    regency: i % 2 ? '3372' : '3371',
    bornIn: 1980,
    sex: 'L',
    kkSeries: '4',
    street: 'Kenanga',
  });

/** The shards' change sets and their list, as SummariseResolution leaves them; the list's key. */
async function writeShards(listKey: string, extra: ChangeSetShard[] = []): Promise<string> {
  const changes = Array.from({ length: CHANGES }, (_, i) =>
    stipulationChange(i + 2, 'TAMBAH', person(i), { period: PERIOD, proposalId: 'apply-shards' }),
  );
  const shards = await writeChangeSetShards(aws, PERIOD, changes, SHARDS);
  await put(listKey, JSON.stringify([...shards, ...extra]));
  return listKey;
}

async function put(key: string, body: string): Promise<void> {
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key, Body: body }));
}

/** Runs the apply states for the shards at `shardsKey` to their end. */
async function runApply(name: string, shardsKey: string): Promise<ExecutionDescription> {
  const { executionArn } = await runtime.startExecution({
    stateMachineArn: runtime.stateMachineArn('apply'),
    name,
    input: JSON.stringify({ period: PERIOD, bucket: aws.names.buckets.proposals, shardsKey }),
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const description = runtime.describeExecution({ executionArn });
    if (description.status !== 'RUNNING') return description;
    if (Date.now() > deadline) throw new Error(`still running: ${executionArn}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  // Slices of 25: each child loops ApplySlice → IsTheSliceDone a few times.
  aws = await startTestAws({ env: { APPLY_SLICE_CHANGES: '25' } });
  lease = new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals);
  definition = JSON.parse(await readFile(STIPULATION, 'utf8'));
  const states = Object.fromEntries(APPLY_STATES.map((name) => [name, definition.States[name]]));
  // What the workflow's earlier states assign, then the apply as defined; its end instead of the exports.
  const machine = {
    QueryLanguage: 'JSONata',
    StartAt: 'AsSummariseResolutionLeftIt',
    States: {
      AsSummariseResolutionLeftIt: {
        Type: 'Pass',
        Assign: {
          period: '{% $states.input.period %}',
          proposalsBucket: '{% $states.input.bucket %}',
          shardsKey: '{% $states.input.shardsKey %}',
          carriedForward: false,
          applied: 0,
        },
        Next: 'TakeMasterWriteLease',
      },
      ...states,
      // A month with changes: the carried-forward branch (to the exports) ends the test machine instead.
      IsThereAnythingToApply: {
        ...states.IsThereAnythingToApply,
        Choices: [{ Condition: '{% $carriedForward %}', Next: 'Applied' }],
      },
      ApplyShards: { ...states.ApplyShards, Next: 'ReleaseMasterWriteLease' },
      ReleaseMasterWriteLease: { ...states.ReleaseMasterWriteLease, Next: 'Applied' },
      Applied: { Type: 'Pass', Output: { applied: '{% $applied %}' }, End: true },
    },
  };
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-apply-shards-'));
  runtime = await StepFunctionsRuntime.start({
    dataDir,
    machines: [{ name: 'apply', definition: parseDefinition(JSON.stringify(machine), localSubstitutions()) }],
    invoker: { invoke: (functionArn, payload) => functions.invoke(functionArn, payload) },
    objects: s3ObjectStorage(aws.clients.s3),
  });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await aws?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('ApplyShards under the master write lease', () => {
  let firstRun: MasterRecord[];

  it('sizes each child from the Map it runs in', async () => {
    // Imported once the test AWS set the handler's environment.
    const { APPLY_SHARDS_IN_PARALLEL } = await import('../../../functions/stipulation-apply/handler.ts');
    expect(definition.States.ApplyShards?.MaxConcurrency).toBe(APPLY_SHARDS_IN_PARALLEL);
  });

  it('applies every shard in slices, then gives the lease back', async () => {
    const run = await runApply('first', await writeShards(KEYS.shardList(PERIOD)));
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(JSON.parse(run.output ?? '{}')).toEqual({ applied: CHANGES });
    firstRun = await scanMaster(aws);
    expect(firstRun).toHaveLength(CHANGES);
    expect(firstRun.every((record) => record.status === 'ACTIVE' && record.firstPeriod === PERIOD)).toBe(true);
    expect(await lease.get()).toBeUndefined();
  }, 120_000);

  it('changes nothing when the Map runs again', async () => {
    const run = await runApply('again', KEYS.shardList(PERIOD));
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(JSON.parse(run.output ?? '{}')).toEqual({ applied: 0 });
    expect(await scanMaster(aws)).toEqual(firstRun);
  }, 120_000);

  it('fails before writing while another stipulation holds the lease, and leaves that lease alone', async () => {
    const other = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:december';
    await lease.take(other, '2026-12');
    const run = await runApply('while-december-applies', KEYS.shardList(PERIOD));
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'MasterWriteLeaseHeldError' });
    expect(run.cause).toContain('penetapan periode 2026-12');
    expect(await lease.get()).toMatchObject({ executionId: other, period: '2026-12' });
    expect(await scanMaster(aws)).toEqual(firstRun);
    await lease.release(other);
  }, 120_000);

  it('keeps the lease for the apply timeout when a shard fails, on its way to StipulationFailed', async () => {
    const missing = { shard: 9, changeSetKey: 'stipulation/2026-11/changes/shard-09.ndjson', changes: 1 };
    const run = await runApply('lost-shard', await writeShards('stipulation/2026-11/shards-lost.json', [missing]));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.ExceedToleratedFailureThreshold');
    const kept = await lease.get();
    expect(kept?.releasedAt).toBeDefined();
    expect(Date.parse(kept?.expiresAt ?? '') - Date.parse(kept?.releasedAt ?? '')).toBe(APPLY_TIMEOUT_SECONDS * 1000);
  }, 120_000);
});
