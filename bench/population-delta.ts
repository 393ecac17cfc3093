/**
 * Throughput of a Dukcapil delta load (load-population-delta) on the local environment.
 *
 *   npx tsx bench/population-delta.ts [changes]        (default: 100000)
 *
 * A fresh local environment; a population of `changes` people loaded through load-population (not
 * timed); then one delta file of `changes` lines, every perubahan in turn (LAHIR a new NIK, the others
 * over existing people, one in fifty of an unknown NIK), placed in S3 and applied by the function
 * (timed: both passes, every conditional write, the ledger and the summary). Prints lines, seconds,
 * lines/s, the counts and the process's peak RSS. dynalite and the local S3 are single-threaded emulators
 * in this same process: the figures are the local environment's, not AWS's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { encodeKk } from '#core/kk.ts';
import { encodeNik } from '#core/nik.ts';
import { PERUBAHAN, type Perubahan } from '#core/population-delta.ts';
import { startLocalEnvironment } from '#local/environment.ts';
import { KEYS, type LoadPopulationDeltaOutput } from '#shared/contracts.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const changes = Number(process.argv[2] ?? 100_000);
const DISTRICT = '337101';
const VILLAGE = '3371011001';

/** The n-th person's NIK: a birth day per 9,999 serials, so any n below 3.6 million is unique. */
function nikOf(n: number): string {
  const day = new Date(Date.UTC(1950, 0, 1) + Math.floor(n / 9999) * 86_400_000).toISOString().slice(0, 10);
  return encodeNik({ district: DISTRICT, birthDate: day, sex: 'L', serial: (n % 9999) + 1 });
}
const birthOf = (nik: string) => {
  const yy = Number(nik.slice(10, 12));
  return `${yy > 26 ? 19 : 20}${nik.slice(10, 12)}-${nik.slice(8, 10)}-${nik.slice(6, 8)}`;
};

function line(n: number, overrides: { statusHidup?: string; kodeDesa?: string; nama?: string } = {}): string {
  const nik = nikOf(n);
  const kk = encodeKk({ district: DISTRICT, issueDate: '2015-03-01', serial: (n % 9999) + 1 });
  return [
    nik,
    kk,
    overrides.nama ?? `WARGA ${n}`,
    'L',
    'MAGELANG',
    birthOf(nik),
    overrides.kodeDesa ?? VILLAGE,
    `JL. MAWAR ${n}`,
    overrides.statusHidup ?? 'HIDUP',
  ].join(',');
}

const header = 'nik,no_kk,nama,jenis_kelamin,tempat_lahir,tanggal_lahir,kode_desa,alamat,status_hidup';
const population = [header];
for (let n = 0; n < changes; n++) population.push(line(n));
const delta = [`${header},perubahan`];
for (let i = 0; i < changes; i++) {
  const perubahan = PERUBAHAN[i % PERUBAHAN.length] as Perubahan;
  // LAHIR: a NIK past the population; one line in fifty of an unknown NIK.
  const n = perubahan === 'LAHIR' || i % 50 === 49 ? changes + i : i;
  const overrides =
    perubahan === 'MENINGGAL'
      ? { statusHidup: 'MENINGGAL' }
      : perubahan === 'PINDAH'
        ? { kodeDesa: '3371011002' }
        : perubahan === 'UBAH'
          ? { nama: `WARGA ${n} B` }
          : {};
  delta.push(`${line(n, overrides)},${perubahan}`);
}

const dataDir = await mkdtemp(join(tmpdir(), 'dtks-delta-bench-'));
const environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'] });
try {
  const s3 = new S3Client({
    region: environment.region,
    endpoint: environment.endpoints.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const Bucket = environment.names.buckets.proposals;
  let t = performance.now();
  await s3.send(
    new PutObjectCommand({ Bucket, Key: `${KEYS.populationPrefix}3371.csv`, Body: `${population.join('\n')}\n` }),
  );
  await environment.settled();
  process.stderr.write(`population ${changes} loaded in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

  // Timed from the PUT until the rule's delivery has run: both passes, every conditional write, the
  // ledger and the summary.
  const key = `${KEYS.populationDeltaPrefix}2026-12-01-1.csv`;
  t = performance.now();
  await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: `${delta.join('\n')}\n` }));
  await environment.settled();
  const seconds = (performance.now() - t) / 1000;
  const summary = await s3.send(new GetObjectCommand({ Bucket, Key: KEYS.populationDeltaSummary('2026-12-01-1.csv') }));
  const result = JSON.parse((await summary.Body?.transformToString()) ?? '{}') as LoadPopulationDeltaOutput;
  s3.destroy();
  if (result.lines !== changes) throw new Error(`the delta load did not finish: ${JSON.stringify(result)}`);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${changes} changes in ${seconds.toFixed(1)} s: ${Math.round(changes / seconds)} persons/s, peak RSS ${peakRssMiB.toFixed(0)} MiB`,
  );
  console.log(JSON.stringify(result.counts));
} finally {
  await environment.stop();
  await rm(dataDir, { recursive: true, force: true });
}
