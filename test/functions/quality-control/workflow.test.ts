/**
 * The quality control workflow (state-machines/quality-control.asl.json) and the stipulation workflow that
 * includes its results (state-machines/stipulation.asl.json) on the local runtime, the real handlers against
 * the emulators: the quality control alone screens the master, deactivates nobody and leaves the tracking
 * list, the full tier per person and the pseudonymised counts; the month's stipulation, run after it, counts
 * the open findings on the period record and lists the files in its manifest; the next month carries the
 * open findings and counts the resolved one; a month nobody screened is stipulated all the same and says
 * plainly that it was not screened; a stipulated month is not screened again.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAreas } from '#core/area.ts';
import type { MasterPerson, PopulationPerson } from '#core/proposal.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { LocalFunctions } from '#local/functions.ts';
import { seedMaster } from '#local/seed.ts';
import type { ExecutionDescription } from '#local/sfn/runtime.ts';
import { KEYS } from '#shared/contracts.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { type DriftTruth, generateWorld } from '#synthetic/generator.ts';
import { approvalHandlers, callApi } from '../../support/approvals.ts';
import type { TestAws } from '../../support/aws.ts';
import { PRINCIPALS } from '../../support/console.ts';
import { type StipulationRuntime, startStipulationRuntime } from '../../support/workflows.ts';

const REGENCY = '3371';
/** A whole run (the passes over the 514 regencies' index, the screening or the exports) on a busy machine. */
const RUN_TIMEOUT_MS = 170_000;

let aws: TestAws;
let stipulation: StipulationRuntime;
let periods: PeriodsRepository;
const functions = new LocalFunctions();
const master: MasterPerson[] = [];
const registry: PopulationPerson[] = [];
let truth: readonly DriftTruth[] = [];

beforeAll(async () => {
  stipulation = await startStipulationRuntime({ functions, settleTimeoutMs: RUN_TIMEOUT_MS });
  ({ aws } = stipulation);
  periods = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals);
  const world = generateWorld({
    regency: REGENCY,
    families: 80,
    defectRate: 0,
    registryDrift: 0.25,
    seed: 5,
    areas: loadAreas(),
  });
  for (const batch of world.batches()) {
    master.push(...batch.master);
    registry.push(...batch.population);
  }
  truth = world.qualityControlTruth();
  await seedMaster([master], '2026-09', aws.names.tables.master);
  const { DynamoPopulationRegistry } = await import('#shared/population-repository.ts');
  await new DynamoPopulationRegistry(aws.clients.documents, aws.names.tables.population).put(registry);
});

afterAll(async () => {
  await stipulation?.stop();
});

const stipulate = (period: string): Promise<ExecutionDescription> => stipulation.stipulate(period);
const screen = (period: string): Promise<ExecutionDescription> => stipulation.screen(period);

async function text(bucket: string, key: string): Promise<string> {
  const { Body } = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await Body?.transformToString('utf8')) ?? '';
}

describe('the quality control workflow, and the stipulation that includes it', () => {
  it('screens the master on its own, deactivating nobody, and leaves the tracking list and the summary for the period', async () => {
    const run = await screen('2026-10');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    // Nothing is stipulated by it: the period is not recorded, its summary waits for the stipulation.
    expect(await periods.getPeriod('2026-10')).toBeUndefined();
    expect(await periods.getQualityControl('2026-10')).toMatchObject({
      period: '2026-10',
      regencies: 1,
      counts: { screened: master.length, openTotal: truth.length },
    });
    const list = await text(aws.names.buckets.exports, KEYS.trackingList('2026-10', REGENCY));
    for (const finding of truth) expect(list).toContain(finding.nik);
    const records = await new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master).getRecords(
      master.map((person) => person.nik),
    );
    expect([...records.values()].filter((person) => person.status !== 'ACTIVE')).toEqual([]);
  }, 180_000);

  it("is included by the month's stipulation, which counts the open findings on the period record", async () => {
    const run = await stipulate('2026-10');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const record = await periods.getPeriod('2026-10');
    expect(record?.carriedForward).toBe(true);
    expect(record?.counts.qualityControlOpen).toBe(truth.length);
    expect(record?.qualityControl).toMatchObject({
      period: '2026-10',
      regencies: 1,
      counts: { screened: master.length, openTotal: truth.length, new: truth.length, resolved: 0 },
    });
    const byKind: Record<string, number> = {};
    for (const finding of truth) byKind[finding.kind] = (byKind[finding.kind] ?? 0) + 1;
    expect(record?.qualityControl?.counts.open).toEqual(byKind);
    const records = await new DynamoDtksMaster(aws.clients.documents, aws.names.tables.master).getRecords(
      master.map((person) => person.nik),
    );
    expect([...records.values()].filter((person) => person.status !== 'ACTIVE')).toEqual([]);
  }, 180_000);

  it('publishes the list per person in the full tier and only counts in the pseudonymised tier', async () => {
    const full = await text(aws.names.buckets.exports, KEYS.qualityControlFull('2026-10', REGENCY));
    for (const finding of truth) expect(full).toContain(finding.nik);
    expect(await text(aws.names.buckets.exports, KEYS.trackingList('2026-10', REGENCY))).toBe(full);
    const counts = await text(aws.names.buckets.exports, KEYS.qualityControlCounts('2026-10'));
    expect(JSON.parse(counts)).toMatchObject({ national: { openTotal: truth.length }, regencies: { [REGENCY]: {} } });
    const identifying = [...master.flatMap((person) => [person.nik, person.noKk, person.nama])];
    for (const value of identifying) expect(counts).not.toContain(value);
  });

  it('lists its files in the period manifest with their tier and SHA-256, and shows an analyst only the counts of them', async () => {
    const qualityControl = (await periods.getPeriod('2026-10'))?.qualityControl;
    const manifest = JSON.parse(await text(aws.names.buckets.exports, KEYS.manifest('2026-10'))) as SnapshotManifest;
    const expected = [
      { key: KEYS.trackingList('2026-10', REGENCY), tier: 'csv' },
      { key: KEYS.qualityControlFull('2026-10', REGENCY), tier: 'full' },
      { key: KEYS.qualityControlCounts('2026-10'), tier: 'pseudonymised' },
    ];
    for (const { key, tier } of expected) {
      const kept = qualityControl?.files?.find((file) => file.key === key);
      const listed = manifest.files.find((file) => file.key === key);
      expect(listed, key).toEqual({ key, tier, records: kept?.records, bytes: kept?.bytes, sha256: kept?.sha256 });
      const bytes = Buffer.from(await text(aws.names.buckets.exports, key), 'utf8');
      expect(listed?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    const { api } = await approvalHandlers();
    const view = (role: 'analyst' | 'ministry') =>
      callApi<{ files: { key: string; tier: string }[] }>(api, 'GET /periods/{period}', PRINCIPALS[role], {
        pathParameters: { period: '2026-10' },
      });
    const analyst = await view('analyst');
    expect(analyst.status).toBe(200);
    expect(analyst.body.files.map((file) => file.tier)).toEqual(analyst.body.files.map(() => 'pseudonymised'));
    expect(analyst.body.files.map((file) => file.key)).toContain(KEYS.qualityControlCounts('2026-10'));
    expect(analyst.text).not.toContain(KEYS.trackingList('2026-10', REGENCY));
    expect(analyst.text).not.toContain(KEYS.qualityControlFull('2026-10', REGENCY));
    const ministry = (await view('ministry')).body.files.map((file) => file.key);
    for (const { key } of expected) expect(ministry).toContain(key);
  });

  it('carries the open findings into the next month and counts the one resolved', async () => {
    const dead = truth.find((finding) => finding.kind === 'MENINGGAL');
    const person = registry.find((each) => each.nik === dead?.nik) as PopulationPerson;
    const { DynamoPopulationRegistry } = await import('#shared/population-repository.ts');
    await new DynamoPopulationRegistry(aws.clients.documents, aws.names.tables.population).put([
      { ...person, statusHidup: 'HIDUP' },
    ]);
    const screened = await screen('2026-11');
    expect(screened.status, screened.cause).toBe('SUCCEEDED');
    const run = await stipulate('2026-11');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect((await periods.getPeriod('2026-11'))?.qualityControl?.counts).toMatchObject({
      openTotal: truth.length - 1,
      new: 0,
      resolved: 1,
    });
  }, 180_000);

  it('stipulates a month nobody screened all the same, and records plainly that it was not screened', async () => {
    const run = await stipulate('2026-12');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const record = await periods.getPeriod('2026-12');
    expect(record?.carriedForward).toBe(true);
    expect(record?.qualityControl).toMatchObject({ period: '2026-12', screened: false, notedAt: expect.any(String) });
    // No tracking file of the month is listed: none was written.
    const manifest = JSON.parse(await text(aws.names.buckets.exports, KEYS.manifest('2026-12'))) as SnapshotManifest;
    expect(manifest.files.map((file) => file.key)).not.toContain(KEYS.trackingList('2026-12', REGENCY));
    expect(manifest.files.map((file) => file.key)).not.toContain(KEYS.qualityControlCounts('2026-12'));
  }, 180_000);

  it('refuses to screen a month that is stipulated: its record and manifest are final', async () => {
    const run = await screen('2026-10');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PeriodAlreadyStipulatedError');
    expect((await periods.getPeriod('2026-10'))?.qualityControl?.counts.openTotal).toBe(truth.length);
  }, 180_000);
});
