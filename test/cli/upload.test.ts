/**
 * `dtks upload --wait` against a running local environment, through the real CLI. Uploading the same
 * file again to a bucket without versioning gives the same object (key and ETag): S3's event is a
 * duplicate, Ingest creates no new proposal, and the command must say which proposal holds the file
 * instead of waiting for one that never comes.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetBucketVersioningCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterExtract } from '#adapters/extracts/readers.ts';
import { DtksClient } from '#cli/client.ts';
import { type GenerateResult, writeWorld } from '#cli/commands/generate.ts';
import { localTarget } from '#cli/target.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { seedMaster } from '#local/seed.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { parseUploadKey, proposalIdFor } from '#shared/uploads.ts';
import { dtks } from './dtks.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let dataDir = '';
let environment: LocalEnvironment;
let world: GenerateResult;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-cli-upload-'));
  environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'] });
  world = await writeWorld({
    regency: '3371',
    families: 20,
    defectRate: 0.1,
    seed: 11,
    out: join(dataDir, 'world'),
    quiet: true,
  });
  await seedMaster(readMasterExtract(createReadStream(world.files.master.path)), '2026-10');
  await new DtksClient(localTarget(dataDir, environment)).putObject(
    'reference/population/3371.csv',
    world.files.population.path,
  );
  await environment.settled();
}, 300_000);

afterAll(async () => {
  await environment?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('dtks upload --wait (CLI)', () => {
  it('names the proposal that already holds a file uploaded again, instead of waiting for a new one', async () => {
    const upload = ['upload', world.files.proposal.path, '--regency', '3371', '--period', '2026-11', '--wait'];
    const first = await dtks([...upload, '--data-dir', dataDir], { timeoutMs: 120_000 });
    expect(first.code).toBe(0);
    const proposalId = /^proposal: (\S+)$/m.exec(first.stdout)?.[1] ?? '';
    expect(first.stdout).toContain('status: AWAITING_REGENCY');
    // The regency approves: the proposal moves on to the province, a status --wait does not stop at.
    const approve = await dtks(['approve', proposalId, '--as', 'regency-3371', '--note', 'ok', '--data-dir', dataDir]);
    expect(approve.code).toBe(0);

    const again = await dtks([...upload, '--data-dir', dataDir], { timeoutMs: 60_000 });
    await environment.settled();
    const versioning = await new S3Client({ forcePathStyle: true }).send(
      new GetBucketVersioningCommand({ Bucket: environment.names.buckets.proposals }),
    );
    expect(again.code).toBe(0);
    if (versioning.Status === 'Enabled') {
      // A versioned bucket keeps both versions: the second upload is a proposal of its own.
      expect(again.stdout).not.toContain(proposalId);
      expect(again.stdout).toContain('status: AWAITING_REGENCY');
    } else {
      expect(again.stderr).toContain(`sudah diterima sebagai usulan ${proposalId}`);
      expect(again.stderr).toContain('tidak membuat usulan baru');
      expect(again.stdout).toContain(`usulan ${proposalId}`);
      expect(again.stdout).toContain('status: AWAITING_PROVINCE');
    }
  }, 240_000);

  it('finds the holder in a bucket without versioning, where the same bytes keep their ETag', async () => {
    // The AWS target (the standard environment) on the local endpoints, with an unversioned bucket:
    // the object keeps its key and ETag, so the proposal id Ingest derives is the first upload's.
    const s3 = new S3Client({ forcePathStyle: true });
    const bucket = 'dtks-unversioned';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const env = { ...process.env, PROPOSALS_BUCKET: bucket, EXPORTS_BUCKET: environment.names.buckets.exports };
    const upload = ['upload', world.files.proposal.path, '--regency', '3371', '--period', '2026-12', '--aws'];
    const first = await dtks(upload, { env });
    expect(first.code).toBe(0);
    // What Ingest records for that object (this bucket has no intake rule, so the test writes it).
    const key = `proposals/3371/2026-12/${world.files.proposal.path.split('/').pop()}`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.VersionId ?? 'null').toBe('null');
    const etag = head.ETag!.replaceAll('"', '');
    const proposalId = proposalIdFor({ bucket, key, version: etag }, parseUploadKey(key));
    expect(first.stdout).toContain(`proposal: ${proposalId}`);
    const { documents } = await import('#shared/clients.ts');
    const now = new Date().toISOString();
    await new ProposalsRepository(documents, environment.names.tables.proposals).create({
      proposalId,
      regency: '3371',
      province: '33',
      period: '2026-12',
      status: 'AWAITING_PROVINCE',
      bucket,
      key,
      etag,
      executionId: 'exec-first-upload',
      receivedAt: now,
      updatedAt: now,
      statusChangedAt: now,
    });

    const again = await dtks([...upload, '--wait'], { env, timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`sudah diterima sebagai usulan ${proposalId}`);
    expect(again.stdout).toContain('status: AWAITING_PROVINCE');
    const english = await dtks([...upload, '--lang', 'en'], { env, timeoutMs: 60_000 });
    expect(english.stderr).toContain(`was already received as proposal ${proposalId}`);
  }, 120_000);

  it('writes a ministry upload under kemensos/ (--source KEMENSOS), and refuses a source an operator cannot claim', async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    const bucket = 'dtks-ministry-upload';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const env = { ...process.env, PROPOSALS_BUCKET: bucket, EXPORTS_BUCKET: environment.names.buckets.exports };
    const upload = ['upload', world.files.proposal.path, '--regency', '3371', '--period', '2026-12', '--aws'];
    const ministry = await dtks([...upload, '--source', 'KEMENSOS'], { env });
    expect(ministry.code).toBe(0);
    const key = `kemensos/3371/2026-12/${world.files.proposal.path.split('/').pop()}`;
    expect(ministry.stdout).toContain(`uploaded: s3://${bucket}/${key}\n`);
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    // Lower case is the same source; the default stays the regency's deliberation.
    expect((await dtks([...upload, '--source', 'kemensos'], { env })).stdout).toContain(`/${key}\n`);
    expect((await dtks(upload, { env })).stdout).toContain(`s3://${bucket}/proposals/3371/2026-12/`);
    // MANDIRI proposals are the gatherer's alone; an unknown source is named back.
    const mandiri = await dtks([...upload, '--source', 'MANDIRI'], { env });
    expect(mandiri.code).toBe(2);
    expect(mandiri.stderr).toContain('sumber MANDIRI');
    const unknown = await dtks([...upload, '--source', 'DESA'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("sumber 'DESA' tidak dikenal: MUSDES atau KEMENSOS");
  }, 120_000);

  it('says who is not known when the approvals API does not authenticate the user', async () => {
    const run = await dtks(['tasks', '--as', 'orang-asing', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    // The last line: before it, on Node < 22, the SDK's NodeVersionSupportWarning.
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'dtks tasks: 401: pengguna "orang-asing" tidak dikenali oleh API persetujuan (lokal: salah satu pengguna yang dicetak `dtks local up`; di AWS: DTKS_ID_TOKEN yang sah dan belum kedaluwarsa)',
    );
  });

  // Last: it stops the environment.
  it('says the environment stopped when `local up` ends while upload --wait is waiting', async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    // A bucket of its own (this test must not lean on the one an earlier test made), which no intake
    // rule watches: the proposal never comes, and --wait polls the table until the environment stops.
    const bucket = 'dtks-unwatched';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const env = { ...process.env, PROPOSALS_BUCKET: bucket, EXPORTS_BUCKET: environment.names.buckets.exports };
    const waiting = dtks(
      ['upload', world.files.proposal.path, '--regency', '3371', '--period', '2027-01', '--wait', '--aws'],
      { env, timeoutMs: 100_000 },
    );
    const key = `proposals/3371/2027-01/${world.files.proposal.path.split('/').pop()}`;
    // Until the upload is there (a loaded CI machine takes seconds to start the CLI), then stop.
    for (let i = 0; i < 600; i++) {
      const there = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
        () => true,
        () => false,
      );
      if (there) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await environment.stop();
    const run = await waiting;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/lingkungan lokal tidak berjalan atau terhenti \(127\.0\.0\.1:\d+, ECONNREFUSED\)/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }, 180_000);
});
