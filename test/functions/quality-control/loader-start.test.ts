/**
 * The population loaders start the quality control workflow once the registry is loaded: a full extract
 * (load-population) and a delta (load-population-delta) each start one run of the open period, named after
 * the period and the load, so that a second delivery of the same load starts nothing more; the run itself
 * (here over a master with nobody active yet) completes and leaves the period's summary.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodAt } from '#core/period.ts';
import { LocalFunctions } from '#local/functions.ts';
import { ENV, KEYS } from '#shared/contracts.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import type { QualityControlStart } from '#shared/quality-control-run.ts';
import { deltaCsv } from '../../support/population-delta.ts';
import { type StipulationRuntime, startStipulationRuntime } from '../../support/workflows.ts';
import { populationCsv, registered, World } from '../../support/world.ts';

const functions = new LocalFunctions();
const world = new World();
const person = registered(world.row());
let workflows: StipulationRuntime;

beforeAll(async () => {
  workflows = await startStipulationRuntime({ functions, settleTimeoutMs: 120_000 });
  // As the stack (allowStartFrom) and the local environment set it.
  process.env[ENV.qualityControlStateMachineArn] = workflows.runtime.stateMachineArn('quality-control');
});
afterAll(async () => {
  await workflows?.stop();
});

async function place(key: string, body: string): Promise<void> {
  await workflows.aws.clients.s3.send(
    new PutObjectCommand({ Bucket: workflows.aws.names.buckets.proposals, Key: key, Body: body }),
  );
}

const runs = () =>
  workflows.runtime.listExecutions({ stateMachineArn: workflows.runtime.stateMachineArn('quality-control') })
    .executions;

describe('the population loaders start the quality control', () => {
  it('starts one run of the open period after a full extract, and none more when the same load is delivered again', async () => {
    const key = `${KEYS.populationPrefix}3371.csv`;
    await place(key, populationCsv([person]));
    const load = { bucket: workflows.aws.names.buckets.proposals, key };
    const first = (await functions.invoke('load-population', load)) as { qualityControl?: QualityControlStart };
    const period = periodAt(new Date());
    expect(first.qualityControl).toMatchObject({ period, started: true });
    expect(first.qualityControl?.executionName).toMatch(new RegExp(`^registry-${period}-full-[0-9a-f]{16}$`));
    // Delivered again while the run goes on: Step Functions answers the same start (same name and input).
    const again = (await functions.invoke('load-population', load)) as { qualityControl?: QualityControlStart };
    expect(again.qualityControl?.executionName).toBe(first.qualityControl?.executionName);
    expect(runs().map((run) => run.name)).toEqual([first.qualityControl?.executionName]);
    const [run] = runs();
    const ended = await workflows.settled(run?.executionArn ?? '');
    expect(ended.status, ended.cause).toBe('SUCCEEDED');
    expect(JSON.parse(ended.input)).toEqual({ period });
    // And once it has ended: ExecutionAlreadyExists, which the loader takes as done.
    const late = (await functions.invoke('load-population', load)) as { qualityControl?: QualityControlStart };
    expect(late.qualityControl).toEqual({ ...first.qualityControl, started: false });
    expect(runs()).toHaveLength(1);
    const periods = new PeriodsRepository(workflows.aws.clients.documents, workflows.aws.names.tables.proposals);
    expect(await periods.getQualityControl(period)).toMatchObject({ period, regencies: 0 });
  });

  it('starts a run of its own after a delta, also when a second delivery finds the file applied', async () => {
    const key = `${KEYS.populationDeltaPrefix}2026-12-01-1.csv`;
    await place(key, deltaCsv([['UBAH', { ...person, nama: `${person.nama} WIJAYA` }]]));
    const event = {
      'detail-type': 'Object Created',
      detail: { bucket: { name: workflows.aws.names.buckets.proposals }, object: { key } },
    };
    const before = new Set(runs().map((run) => run.name));
    const first = (await functions.invoke('load-population-delta', event)) as {
      duplicate: boolean;
      qualityControl?: QualityControlStart;
    };
    expect(first.duplicate).toBe(false);
    const again = (await functions.invoke('load-population-delta', event)) as { duplicate: boolean };
    expect(again.duplicate).toBe(true);
    const started = runs().filter((run) => !before.has(run.name));
    expect(started).toHaveLength(1);
    expect(started[0]?.name).toMatch(new RegExp(`^registry-${periodAt(new Date())}-delta-[0-9a-f]{16}$`));
    expect((await workflows.settled(started[0]?.executionArn ?? '')).status).toBe('SUCCEEDED');
  });
});
