/**
 * `dtks mandiri` on the local environment: a family registered at the public endpoint (through the local
 * server, no sign-in), gathered by hand, and its MANDIRI file taken in by the environment's own intake
 * (the S3 event of the mandiri/ prefix starts the proposal workflow); the receipt lookup follows it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtksClient } from '#cli/client.ts';
import { localTarget } from '#cli/target.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { LocalFunctions } from '#local/functions.ts';
import { family } from '../support/registrations.ts';
import { populationCsv } from '../support/world.ts';
import { dtks } from './dtks.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let dataDir: string;
let environment: LocalEnvironment;
let client: DtksClient;
const members = family({ serial: 31 });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-mandiri-'));
  environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'], log: () => {} });
  client = new DtksClient(localTarget(dataDir, environment));
  const s3 = new S3Client({ ...LOCAL_AWS, endpoint: environment.endpoints.s3Endpoint, forcePathStyle: true });
  const key = 'reference/population/3371.csv';
  const people = members.map((m) => ({
    nik: m.nik,
    noKk: m.no_kk,
    nama: m.nama,
    jenisKelamin: m.jenis_kelamin,
    tempatLahir: m.tempat_lahir,
    tanggalLahir: m.tanggal_lahir,
    kodeDesa: m.kode_desa,
    alamat: m.alamat,
    statusHidup: 'HIDUP' as const,
    statusNik: 'AKTIF' as const,
  }));
  await s3.send(
    new PutObjectCommand({ Bucket: environment.names.buckets.proposals, Key: key, Body: populationCsv(people) }),
  );
  await new LocalFunctions().invoke('load-population', { bucket: environment.names.buckets.proposals, key });
  s3.destroy();
}, 120_000);

afterAll(async () => {
  await environment?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('dtks mandiri', () => {
  let receipt: string;
  let period: string;

  it('register prints the receipt and the period; a wrong form is refused field by field', async () => {
    const file = join(dataDir, 'keluarga.json');
    await writeFile(file, JSON.stringify({ members }));
    const registered = await dtks(['mandiri', 'register', file, '--data-dir', dataDir]);
    expect(registered.code, registered.stderr).toBe(0);
    receipt = /tanda terima: (MDR-[A-Z2-7]{16})/.exec(registered.stdout)?.[1] ?? '';
    period = /periode: (\d{4}-\d{2})/.exec(registered.stdout)?.[1] ?? '';
    expect(receipt).not.toBe('');

    const wrong = join(dataDir, 'salah.json');
    await writeFile(wrong, JSON.stringify({ members: [{ ...members[0], rt: 'satu' }] }));
    const refused = await dtks(['mandiri', 'register', wrong, '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('members.0.rt: RT harus 1–3 angka');
  });

  it('status answers RECEIVED for a member NIK, and the same refusal for another NIK', async () => {
    const status = await dtks(['mandiri', 'status', receipt, '--nik', members[1]!.nik, '--data-dir', dataDir]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('status: RECEIVED');
    const other = await dtks([
      'mandiri',
      'status',
      receipt,
      '--nik',
      family({ serial: 32 })[0]!.nik,
      '--data-dir',
      dataDir,
    ]);
    const unknown = await dtks([
      'mandiri',
      'status',
      'MDR-AAAAAAAAAAAAAAAA',
      '--nik',
      members[0]!.nik,
      '--data-dir',
      dataDir,
    ]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(unknown.stderr);
    expect(other.stderr).not.toContain(members[0]!.nama);
  });

  it('gather writes the MANDIRI proposal, which the intake takes to the regency approval; a rerun writes nothing', async () => {
    const output = await client.gatherMandiri(period);
    expect(output.gathered).toHaveLength(1);
    const proposalId = output.gathered[0]!.proposalId;
    const proposal = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 60_000);
    expect(proposal).toMatchObject({ status: 'AWAITING_REGENCY', summary: { rows: 3, accepted: 3 } });
    expect((await client.registrationStatus(receipt, members[0]!.nik)).body.status).toBe('AWAITING_REGENCY');

    const rerun = await dtks(['mandiri', 'gather', '--period', period, '--data-dir', dataDir]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`3371: 1 pendaftaran, 3 orang → usulan ${proposalId} (sudah dihimpun sebelumnya)`);
  });
});
