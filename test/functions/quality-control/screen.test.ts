/**
 * The quality control's screening (quality-control-screen) against the emulators, on a generated master of
 * Kota Magelang whose registry has moved on (registryDrift: deaths, deactivations, unknown NIKs, renames,
 * new family cards, whole families moved to a neighbouring regency): every injected finding found and
 * nothing on a clean person; the next month carries the open findings (since their first period) and
 * closes the resolved one; the moved family's paired task and notice; a rerun of a month changes nothing.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAreas } from '#core/area.ts';
import type { MasterPerson, PopulationPerson } from '#core/proposal.ts';
import { TRACKING_LIST_COLUMNS } from '#core/quality-control.ts';
import { seedMaster } from '#local/seed.ts';
import { KEYS, type QualityControlScreenOutput } from '#shared/contracts.ts';
import type { DynamoPopulationRegistry } from '#shared/population-repository.ts';
import type { FindingEntry, TaskEntry, TrackingRepository } from '#shared/tracking-repository.ts';
import { type DriftTruth, generateWorld } from '#synthetic/generator.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';

const REGENCY = '3371';
const areas = loadAreas();

let aws: TestAws;
let screen: (input: { period: string; regency: string }) => Promise<QualityControlScreenOutput>;
let tracking: TrackingRepository;
let population: DynamoPopulationRegistry;
const master: MasterPerson[] = [];
const registry = new Map<string, PopulationPerson>();
let truth: readonly DriftTruth[] = [];

beforeAll(async () => {
  aws = await startTestAws();
  const world = generateWorld({ regency: REGENCY, families: 240, defectRate: 0, registryDrift: 0.15, seed: 11, areas });
  for (const batch of world.batches()) {
    master.push(...batch.master);
    for (const person of batch.population) registry.set(person.nik, person);
  }
  truth = world.qualityControlTruth();
  const [{ handler }, { TrackingRepository: Tracking }, { DynamoPopulationRegistry: Population }, { documents }] =
    await Promise.all([
      import('../../../functions/quality-control-screen/handler.ts'),
      import('#shared/tracking-repository.ts'),
      import('#shared/population-repository.ts'),
      import('#shared/clients.ts'),
    ]);
  screen = (input) => handler(input, {} as never) as Promise<QualityControlScreenOutput>;
  tracking = new Tracking(documents, aws.names.tables.proposals);
  population = new Population(documents, aws.names.tables.population);
  await seedMaster([master], '2026-10', aws.names.tables.master);
  await population.put([...registry.values()]);
});
afterAll(() => aws?.stop());

const findingsOf = async (regency: string, includeResolved = false) =>
  (await tracking.list(regency, { includeResolved })).filter((entry): entry is FindingEntry => 'kind' in entry);
const tasksOf = async (regency: string) =>
  (await tracking.list(regency, { includeResolved: true })).filter((entry): entry is TaskEntry => 'role' in entry);

async function text(bucket: string, key: string): Promise<string> {
  const { Body } = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await Body?.transformToString('utf8')) ?? '';
}

describe('the quality control of one regency', () => {
  it('finds every injected finding, of every kind, and nothing on a clean person', async () => {
    const kinds = new Set(truth.map((finding) => finding.kind));
    expect([...kinds].sort()).toEqual([
      'KK_BERUBAH',
      'MENINGGAL',
      'NAMA_BERUBAH',
      'NIK_NONAKTIF',
      'NIK_TIDAK_DIKENAL',
      'PINDAH_DOMISILI',
    ]);
    const output = await screen({ period: '2026-11', regency: REGENCY });
    const found = await findingsOf(REGENCY);
    const key = (finding: { kind: string; nik: string }) => `${finding.kind}#${finding.nik}`;
    expect(found.map(key).sort()).toEqual(truth.map(key).sort());
    expect(output).toEqual({ regency: REGENCY, open: truth.length });
    expect(found.every((finding) => finding.sincePeriod === '2026-11' && finding.status === 'OPEN')).toBe(true);
    const flagged = new Set(truth.map((finding) => finding.nik));
    expect(master.filter((person) => !flagged.has(person.nik)).length).toBeGreaterThan(500);
  });

  it('deactivates nobody: every screened person is still active in the master', async () => {
    const { DynamoDtksMaster } = await import('#shared/master-repository.ts');
    const { documents } = await import('#shared/clients.ts');
    const records = await new DynamoDtksMaster(documents, aws.names.tables.master).getRecords(
      truth.map((finding) => finding.nik),
    );
    expect([...records.values()].every((record) => record.status === 'ACTIVE')).toBe(true);
  });

  it('writes the tracking list for the Dinas Sosial and the full tier, the same lines, with the suggested actions', async () => {
    const csv = await text(aws.names.buckets.exports, KEYS.trackingList('2026-11', REGENCY));
    expect(await text(aws.names.buckets.exports, KEYS.qualityControlFull('2026-11', REGENCY))).toBe(csv);
    const [header, ...lines] = csv
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(header).toBe(TRACKING_LIST_COLUMNS.join(','));
    expect(lines).toHaveLength(truth.length);
    const dead = truth.find((finding) => finding.kind === 'MENINGGAL');
    expect(lines.find((line) => line.startsWith(`${dead?.nik},`))).toContain(',2026-11,HAPUS MENINGGAL,baru,');
  });

  it('pairs a moved family: a task for the origin and a notice for the destination, naming each other', async () => {
    const moved = truth.filter((finding) => finding.kind === 'PINDAH_DOMISILI');
    const destination = moved[0]?.destinationRegency ?? '';
    const [task] = (await tasksOf(REGENCY)).filter((entry) => entry.destinationRegency === destination);
    const [notice] = await tasksOf(destination);
    expect(task).toMatchObject({ role: 'ORIGIN', regency: REGENCY, originRegency: REGENCY, status: 'OPEN' });
    expect(notice).toMatchObject({ role: 'DESTINATION', regency: destination, id: task?.pairedId, pairedId: task?.id });
    expect(notice?.members).toEqual(task?.members);
    const families = new Set(moved.map((finding) => master.find((person) => person.nik === finding.nik)?.noKk));
    expect((await tasksOf(REGENCY)).map((entry) => entry.noKk).sort()).toEqual([...families].sort());
  });

  it('changes nothing on a rerun of the month: the same entries, still new', async () => {
    const before = await tracking.list(REGENCY, { includeResolved: true });
    await screen({ period: '2026-11', regency: REGENCY });
    expect(await tracking.list(REGENCY, { includeResolved: true })).toEqual(before);
  });

  it('carries the open findings into the next month since their first period, and closes the resolved one', async () => {
    const dead = truth.find((finding) => finding.kind === 'MENINGGAL');
    const person = registry.get(dead?.nik ?? '') as PopulationPerson;
    // Dukcapil corrects the record: the person is alive after all.
    await population.put([{ ...person, statusHidup: 'HIDUP' }]);
    const output = await screen({ period: '2026-12', regency: REGENCY });
    expect(output.open).toBe(truth.length - 1);
    const all = await findingsOf(REGENCY, true);
    const closed = all.filter((finding) => finding.status === 'RESOLVED');
    expect(closed.map((finding) => [finding.nik, finding.kind, finding.resolvedPeriod])).toEqual([
      [dead?.nik, 'MENINGGAL', '2026-12'],
    ]);
    expect(
      all.filter((finding) => finding.status === 'OPEN').every((finding) => finding.sincePeriod === '2026-11'),
    ).toBe(true);
    const csv = await text(aws.names.buckets.exports, KEYS.trackingList('2026-12', REGENCY));
    expect(csv).toContain(`${dead?.nik},`);
    expect(csv.split('\r\n').filter((line) => line.includes(',masih terbuka,'))).toHaveLength(truth.length - 1);
    expect(csv.split('\r\n').filter((line) => line.includes(',selesai,'))).toHaveLength(1);
  });

  it('keeps the destination notice open until the family is placed there, then resolves it', async () => {
    const moved = truth.filter((finding) => finding.kind === 'PINDAH_DOMISILI');
    const destination = moved[0]?.destinationRegency ?? '';
    const notices = await tasksOf(destination);
    const [notice] = notices;
    await screen({ period: '2026-12', regency: destination });
    expect((await tracking.getTask(notice?.id ?? ''))?.status).toBe('OPEN');
    const lines = (await text(aws.names.buckets.exports, KEYS.trackingList('2026-12', destination))).split('\r\n');
    const incoming = notices.reduce((sum, each) => sum + each.members.length, 0);
    expect(lines.filter((line) => line.includes(',PINDAH_MASUK,'))).toHaveLength(incoming);
    // The destination proposes the family (TAMBAH) and it is stipulated there.
    const newcomers = master
      .filter((person) => notice?.members.some((member) => member.nik === person.nik))
      .map((person) => ({ ...person, kodeDesa: registry.get(person.nik)?.kodeDesa ?? '' }));
    await seedMaster([newcomers], '2026-12', aws.names.tables.master);
    await screen({ period: '2027-01', regency: destination });
    expect(await tracking.getTask(notice?.id ?? '')).toMatchObject({ status: 'RESOLVED', resolvedPeriod: '2027-01' });
    expect((await tracking.getTask(notices[1]?.id ?? notice?.id ?? ''))?.status).toBe(notices[1] ? 'OPEN' : 'RESOLVED');
    // At the origin the family is no longer found: its task is resolved with the month.
    await screen({ period: '2027-01', regency: REGENCY });
    expect(await tracking.getTask(notice?.pairedId ?? '')).toMatchObject({
      status: 'RESOLVED',
      resolvedPeriod: '2027-01',
    });
  });

  it('adds the regencies up for the period, and refuses a regency screened without its counts', async () => {
    const { handler: summarise } = await import('../../../functions/quality-control-summarise/handler.ts');
    const { PeriodsRepository } = await import('#shared/periods-repository.ts');
    const { documents } = await import('#shared/clients.ts');
    // The regencies come from the Map's item list in S3, as QualityControlRegencies wrote it.
    const regenciesKey = KEYS.qualityControlList('2026-11');
    const run = async (regencies: string[]) => {
      await aws.clients.s3.send(
        new PutObjectCommand({
          Bucket: aws.names.buckets.proposals,
          Key: regenciesKey,
          Body: JSON.stringify(regencies.map((regency) => ({ period: '2026-11', regency }))),
        }),
      );
      return summarise({ period: '2026-11', regenciesKey }, {} as never) as Promise<{ counts: { openTotal: number } }>;
    };
    await expect(run([REGENCY, '3372'])).rejects.toMatchObject({
      name: 'QualityControlIncompleteError',
      message: expect.stringContaining('kabupaten/kota 3372'),
    });
    expect((await run([REGENCY])).counts.openTotal).toBe(truth.length);
    const stored = await new PeriodsRepository(documents, aws.names.tables.proposals).getQualityControl('2026-11');
    expect(stored).toMatchObject({ period: '2026-11', regencies: 1, counts: { openTotal: truth.length } });
    const published = await text(aws.names.buckets.exports, KEYS.qualityControlCounts('2026-11'));
    for (const person of master) expect(published).not.toContain(person.nik);
    // Each file it released, as a manifest lists it: the SHA-256 of the bytes in the bucket.
    const { createHash } = await import('node:crypto');
    const keys = [KEYS.qualityControlFull, KEYS.trackingList].map((key) => key('2026-11', REGENCY));
    expect(stored?.files?.map((file) => [file.key, file.tier])).toEqual(
      [
        [keys[0], 'full'],
        [KEYS.qualityControlCounts('2026-11'), 'pseudonymised'],
        [keys[1], 'csv'],
      ].sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    for (const file of stored?.files ?? []) {
      const bytes = await text(aws.names.buckets.exports, file.key);
      expect(file.sha256).toBe(createHash('sha256').update(bytes, 'utf8').digest('hex'));
    }
  });
});
