/**
 * Tamper-evident periods (issue 11): two periods stipulated by the real stipulation workflow on the local
 * runtime chain their manifests (the second names the first by the SHA-256 of its bytes, the first names
 * none, each period record keeps its manifest's SHA-256); `dtks snapshot verify` (cli/snapshot-verify.ts)
 * passes them untouched and names a changed file, a missing file, a changed manifest and the broken chain
 * it leaves; and FinaliseExport refuses to chain a new period onto a manifest changed after its stipulation.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '#core/chain.ts';
import type { SnapshotManifest } from '#core/snapshot.ts';
import { LocalFunctions } from '#local/functions.ts';
import type { ExecutionDescription } from '#local/sfn/runtime.ts';
import { KEYS } from '#shared/contracts.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { formatVerification } from '../../cli/commands/snapshot.ts';
import { verifySnapshots } from '../../cli/snapshot-verify.ts';
import type { TestAws } from '../support/aws.ts';
import { provinceApprovedProposal } from '../support/proposals.ts';
import { type StipulationRuntime, startStipulationRuntime } from '../support/workflows.ts';
import { World } from '../support/world.ts';

let aws: TestAws;
let stipulation: StipulationRuntime;
let periods: PeriodsRepository;
const functions = new LocalFunctions();
const world = new World();

beforeAll(async () => {
  stipulation = await startStipulationRuntime({ functions });
  ({ aws } = stipulation);
  periods = new PeriodsRepository(aws.clients.documents, aws.names.tables.proposals);
});

afterAll(async () => {
  await stipulation?.stop();
});

async function stipulate(period: string): Promise<ExecutionDescription> {
  const proposalId = `3371-${period}-${'a'.repeat(12)}`;
  const rows = [world.row({ line: 2 }), world.row({ line: 3 })];
  await provinceApprovedProposal(aws, { proposalId, period, approvedAt: `${period}-20T01:00:00.000Z`, rows });
  await functions.invoke('await-stipulation', { proposalId, taskToken: `token-${proposalId}` });
  // The month's quality control, which the stipulation includes (its files are in the manifest).
  const screened = await stipulation.screen(period);
  if (screened.status !== 'SUCCEEDED') throw new Error(`quality control ${period}: ${screened.cause}`);
  return stipulation.stipulate(period);
}

const bucket = () => aws.names.buckets.exports;

async function read(key: string): Promise<Uint8Array> {
  const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
  return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
}

async function put(key: string, body: Uint8Array | string): Promise<void> {
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));
}

const verify = (period?: string) =>
  verifySnapshots({ s3: aws.clients.s3, bucket: bucket(), periodRecord: (each) => periods.getPeriod(each) }, period);

describe('the hash chain of stipulated periods', () => {
  let first: SnapshotManifest;
  let firstBytes: Uint8Array;

  it('chains each manifest to the one before by its SHA-256, the first naming none', async () => {
    for (const period of ['2026-11', '2026-12']) {
      const run = await stipulate(period);
      expect(run.status, run.cause).toBe('SUCCEEDED');
    }
    firstBytes = await read(KEYS.manifest('2026-11'));
    first = JSON.parse(Buffer.from(firstBytes).toString('utf8'));
    const second = JSON.parse(Buffer.from(await read(KEYS.manifest('2026-12'))).toString('utf8')) as SnapshotManifest;
    expect(first.chain).toEqual({ previous: null, revision: 0, supersedes: null });
    expect(second.chain).toEqual({
      previous: { period: '2026-11', key: KEYS.manifest('2026-11'), sha256: sha256Hex(firstBytes) },
      revision: 0,
      supersedes: null,
    });
    expect((await periods.getPeriod('2026-11'))?.manifestSha256).toBe(sha256Hex(firstBytes));
    expect(first.files.length).toBeGreaterThan(0);
  }, 300_000);

  it('verifies untouched periods as intact, in Bahasa Indonesia and in English', async () => {
    const result = await verify();
    expect(result).toMatchObject({ intact: true });
    expect(result.periods.map(({ period, problems, previous }) => ({ period, problems, previous }))).toEqual([
      { period: '2026-11', problems: [], previous: null },
      { period: '2026-12', problems: [], previous: '2026-11' },
    ]);
    expect(formatVerification(result)).toContain('periode 2026-12: utuh');
    expect(formatVerification(result)).toContain('tidak ada yang diubah sesudah penetapan');
    expect(formatVerification(result, 'en')).toContain('nothing was changed after the stipulation');
  });

  it('covers the quality control’s files: the manifest names them with their tier, a changed tracking list is reported', async () => {
    const manifest = JSON.parse(Buffer.from(await read(KEYS.manifest('2026-12'))).toString('utf8')) as SnapshotManifest;
    const tracking = KEYS.trackingList('2026-12', '3371');
    expect(
      manifest.files.filter((file) => !file.key.endsWith('.parquet')).map(({ key, tier }) => ({ key, tier })),
    ).toEqual(
      expect.arrayContaining([
        { key: tracking, tier: 'csv' },
        { key: KEYS.qualityControlFull('2026-12', '3371'), tier: 'full' },
        { key: KEYS.qualityControlCounts('2026-12'), tier: 'pseudonymised' },
      ]),
    );
    const original = await read(tracking);
    await put(tracking, Buffer.concat([Buffer.from(original), Buffer.from('3371,tambahan\r\n')]));
    const result = await verify('2026-12');
    expect(result.intact).toBe(false);
    expect(result.periods[0]?.problems).toEqual([{ kind: 'FILE_CHANGED', period: '2026-12', key: tracking }]);
    expect(formatVerification(result)).toContain(`berkas ${tracking} diubah`);
    await put(tracking, original);
    expect((await verify('2026-12')).intact).toBe(true);
  });

  it('names a changed file and a missing file of the period', async () => {
    const [changed, removed] = first.files.map((file) => file.key);
    if (!changed || !removed) throw new Error('the manifest lists too few files');
    const original = await read(changed);
    const removedBytes = await read(removed);
    await put(changed, Buffer.concat([Buffer.from(original), Buffer.from('x')]));
    await aws.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket(), Key: removed }));
    const result = await verify('2026-12');
    expect(result.intact).toBe(false);
    // The chain is walked from 2026-12 back to the first period.
    expect(result.periods.map((each) => each.period)).toEqual(['2026-12', '2026-11']);
    expect(result.periods[1]?.problems).toEqual([
      { kind: 'FILE_CHANGED', period: '2026-11', key: changed },
      { kind: 'FILE_MISSING', period: '2026-11', key: removed },
    ]);
    const text = formatVerification(result);
    expect(text).toContain('periode 2026-11: DIUBAH sesudah penetapan');
    expect(text).toContain(`berkas ${changed} diubah`);
    expect(text).toContain(`berkas ${removed} hilang`);
    expect(formatVerification(result, 'en')).toContain(`file ${removed} is missing`);
    // Put back as they were: the same bytes verify intact again.
    await put(changed, original);
    await put(removed, removedBytes);
    expect((await verify('2026-11')).intact).toBe(true);
  });

  it('names a changed manifest and the broken chain it leaves, and no new period chains onto it', async () => {
    // Hiding a change in the manifest itself: its bytes no longer match its period record nor the next link.
    const edited = { ...first, totals: { ...first.totals, records: first.totals.records + 1 } };
    await put(KEYS.manifest('2026-11'), `${JSON.stringify(edited, null, 2)}\n`);
    const result = await verify();
    expect(result.intact).toBe(false);
    const problems = result.periods.flatMap((each) => each.problems.map((problem) => problem.kind));
    expect(problems).toContain('MANIFEST_CHANGED');
    expect(result.periods.find((each) => each.period === '2026-12')?.problems).toEqual([
      {
        kind: 'CHAIN_BROKEN',
        period: '2026-12',
        previous: { period: '2026-11', key: KEYS.manifest('2026-11'), sha256: sha256Hex(firstBytes) },
        missing: false,
      },
    ]);
    expect(formatVerification(result)).toContain('rantai terputus');

    // FinaliseExport reads the manifest it chains to against its period record: a changed one is refused.
    const latest = await read(KEYS.manifest('2026-12'));
    await put(KEYS.manifest('2026-12'), Buffer.concat([Buffer.from(latest), Buffer.from(' ')]));
    const next = await stipulate('2027-01');
    expect({ status: next.status, error: next.error }).toEqual({ status: 'FAILED', error: 'ManifestChainError' });
    expect(next.cause).toContain('Manifes periode 2026-12');
    expect(await periods.getPeriod('2027-01')).toBeUndefined();
  }, 300_000);
});
