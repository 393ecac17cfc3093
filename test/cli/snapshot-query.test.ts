/**
 * `dtks snapshot query` reads one tier of one period: the exports of two periods are written to the S3
 * emulator by the export code, and every request the CLI's S3 client sends is recorded (an SDK
 * middleware on a real client against the real emulator), so the test sees what an analyst fetched.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '#core/chain.ts';
import { buildSnapshotManifest, type SnapshotFile } from '#core/snapshot.ts';
import { localUsers } from '#local/approvals-server.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import { KEYS } from '#shared/contracts.ts';
import { S3ObjectSink } from '#shared/exports/object-sink.ts';
import { exportRegency } from '#shared/exports/regency-export.ts';
import type { DtksClient } from '../../cli/client.ts';
import type { Target } from '../../cli/target.ts';
import { downloadObject } from '../functions/exports/objects.ts';
import { startTestAws, type TestAws } from '../support/aws.ts';
import { snapshotPerson } from '../support/snapshot-persons.ts';

let aws: TestAws;
let recording: S3Client;
const requests: { command: string; key?: string; prefix?: string }[] = [];

/** Persons of the two periods: October has 6 persons of 3371, November 8 (two were added). */
const SIZES = { '2026-10': 6, '2026-11': 8 } as const;
type Period = keyof typeof SIZES;

async function exportPeriod(period: Period): Promise<void> {
  const bucket = aws.names.buckets.exports;
  const part = await exportRegency({
    period,
    regency: '3371',
    province: '33',
    persons: async function* () {
      yield Array.from({ length: SIZES[period] }, (_, i) => snapshotPerson(i));
    },
    pseudonymKey: 'test-pseudonym-key',
    k: 5,
    openFile: (key, contentType) => new S3ObjectSink(aws.clients.s3, bucket, key, contentType),
  });
  // The quality control's files sit in both tiers beside the Parquet files, listed by the manifest too.
  const otherFiles: SnapshotFile[] = [];
  for (const [key, tier] of [
    [KEYS.qualityControlFull(period, '3371'), 'full'],
    [KEYS.qualityControlCounts(period), 'pseudonymised'],
  ] as const) {
    const body = `${key}\n`;
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    otherFiles.push({ key, tier, records: 1, bytes: body.length, sha256: sha256Hex(body) });
  }
  const manifest = buildSnapshotManifest({
    period,
    generatedAt: new Date().toISOString(),
    carriedForward: false,
    sourceProposals: [],
    parts: [part],
    otherFiles,
  });
  await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: KEYS.manifest(period), Body: JSON.stringify(manifest) }),
  );
}

function target(): Target {
  return {
    kind: 'local',
    proposalsBucket: aws.names.buckets.proposals,
    exportsBucket: aws.names.buckets.exports,
    proposalStateMachineArn: '',
    stipulationStateMachineArn: '',
    qualityControlStateMachineArn: '',
    approvalsUrl: '',
    users: localUsers(['3371']),
    bearerFor: (user) => user ?? '',
  };
}

async function client(): Promise<DtksClient> {
  const { DtksClient } = await import('../../cli/client.ts');
  return new DtksClient(target(), { s3: recording });
}

beforeAll(async () => {
  aws = await startTestAws();
  await exportPeriod('2026-10');
  await exportPeriod('2026-11');
  recording = new S3Client({
    ...LOCAL_AWS,
    endpoint: aws.endpoints.s3Endpoint,
    forcePathStyle: true,
  });
  recording.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; Prefix?: string };
      requests.push({ command: context.commandName ?? '', key: input.Key, prefix: input.Prefix });
      return next(args);
    },
    { step: 'initialize', name: 'recordRequests' },
  );
}, 60_000);

afterAll(async () => {
  recording?.destroy();
  await aws?.stop();
});

/** The requests a call made. */
async function recorded<T>(call: () => Promise<T>): Promise<{ result: T; made: typeof requests }> {
  requests.length = 0;
  const result = await call();
  return { result, made: [...requests] };
}

describe('dtks snapshot query', () => {
  it("reads an analyst's period from the pseudonymised tier only, never an object of the full tier", async () => {
    const dtks = await client();
    const { result, made } = await recorded(() =>
      dtks.querySnapshot('SELECT count(*) AS n, min(periode) AS p FROM dtks_pseudonim', {
        period: '2026-10',
        tier: 'pseudonymised',
        user: 'analyst',
      }),
    );
    expect(result.rows).toEqual([['6', '2026-10']]);
    const gets = made.filter((r) => r.command === 'GetObjectCommand').map((r) => r.key ?? '');
    // The manifest (counts and checksums, no persons) is the only object read outside the tier.
    expect(gets.filter((key) => !key.startsWith('pseudonymised/'))).toEqual([KEYS.manifest('2026-10')]);
    expect(gets.filter((key) => key.startsWith('pseudonymised/'))).toEqual([
      KEYS.pseudonymisedPart('2026-10', '33', '3371'),
    ]);
    const listed = made.filter((r) => r.command === 'ListObjectsV2Command').map((r) => r.prefix ?? '');
    expect(listed.every((prefix) => prefix.startsWith('pseudonymised/'))).toBe(true);
    expect(made.some((r) => (r.key ?? r.prefix ?? '').includes('2026-11'))).toBe(false);
  });

  it('reads the latest stipulated period when none is asked, and lists only the tier it reads', async () => {
    const dtks = await client();
    const { result, made } = await recorded(() => dtks.querySnapshot('SELECT count(*) AS n FROM dtks_pseudonim'));
    expect(result).toMatchObject({ period: '2026-11', tier: 'pseudonymised', rows: [['8']] });
    const keys = made.map((r) => r.key ?? r.prefix ?? '');
    expect(keys.filter((key) => key.startsWith('exports/') && !key.endsWith('/manifest.json'))).toEqual([]);
    expect(keys.some((key) => key.includes('period=2026-10/province'))).toBe(false);
  });

  it('gives the ministry the full tier of a period, and only it', async () => {
    const dtks = await client();
    const { result, made } = await recorded(() =>
      dtks.querySnapshot('SELECT count(DISTINCT nik) AS n, min(nama) AS nama FROM dtks', {
        period: '2026-10',
        tier: 'full',
        user: 'ministry',
      }),
    );
    expect(result.rows).toEqual([['6', 'Warga 0']]);
    const gets = made.filter((r) => r.command === 'GetObjectCommand').map((r) => r.key);
    expect(gets).toEqual([KEYS.manifest('2026-10'), KEYS.exportPart('2026-10', '33', '3371')]);
  });

  it('refuses the full tier to an analyst (and to any non-ministry user) before fetching anything', async () => {
    const dtks = await client();
    for (const user of ['analyst', undefined, 'operator-3371', 'regency-3371']) {
      requests.length = 0;
      await expect(dtks.querySnapshot('SELECT * FROM dtks', { period: '2026-10', tier: 'full', user })).rejects.toThrow(
        expect.objectContaining({ name: 'CliError', message: expect.stringContaining('tier lengkap') }),
      );
      expect(requests).toEqual([]);
    }
    await expect(dtks.querySnapshot('SELECT 1', { user: 'nobody' })).rejects.toThrow(
      /pengguna lokal "nobody" tidak dikenal/,
    );
  });

  it('says in Bahasa Indonesia that a period was not stipulated, naming those that are', async () => {
    const dtks = await client();
    const missing = dtks.querySnapshot('SELECT count(*) FROM dtks_pseudonim', { period: '2027-01' });
    await expect(missing).rejects.toThrow(expect.objectContaining({ name: 'CliError' }));
    await expect(missing).rejects.toThrow(
      'periode 2027-01 belum ditetapkan atau belum diekspor (tidak ada manifes exports/period=2027-01/manifest.json); periode yang tersedia: 2026-11, 2026-10',
    );
    await expect(dtks.querySnapshot('SELECT 1', { period: '2026-13' })).rejects.toThrow(
      /--period harus berupa bulan YYYY-MM/,
    );
  });

  it("names the analyst's table when a query asks for the full tier's", async () => {
    const dtks = await client();
    await expect(dtks.querySnapshot('SELECT count(*) FROM dtks', { period: '2026-10' })).rejects.toThrow(
      /tabel dtks adalah tier full; kueri ini membaca tier pseudonymised: gunakan tabel dtks_pseudonim/,
    );
  });

  it('refuses a file that differs from the checksum its manifest records', async () => {
    const bucket = aws.names.buckets.exports;
    const key = KEYS.pseudonymisedPart('2026-10', '33', '3371');
    const original = await (
      await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body?.transformToByteArray();
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('PAR1 tampered') }));
    await downloadObject(aws.clients.s3, bucket, key); // s3rver answers the PUT before its file is written
    try {
      const dtks = await client();
      await expect(dtks.querySnapshot('SELECT 1', { period: '2026-10' })).rejects.toThrow(/SHA-256 berbeda/);
    } finally {
      await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: original }));
      await downloadObject(aws.clients.s3, bucket, key);
    }
  });
});
