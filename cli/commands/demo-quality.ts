/**
 * The demo's quality control (pengendalian kualitas). During the month Dukcapil's delta feed brings what
 * the registry learnt about people already in the DTKS of Kota Magelang — a death, a deactivated NIK, a
 * new name, a new family card, a whole family moved to Kabupaten Magelang — and one NIK it no longer
 * knows; the quality control workflow screens the master against it before the month's stipulation, off
 * its critical path (the loader starts a run after each load; the demo runs it once more on demand, as
 * `dtks quality-control run` does, and the stipulation includes its results). Then: one finding of each
 * kind, the city's tracking list (daftar pelacakan) as its Dinas Sosial downloads it, and the moved
 * family's paired tasks, seen and answered by the origin and the destination (and refused to others).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { formatCsvRow } from '#core/csv.ts';
import { FINDING_KINDS } from '#core/quality-control.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import type { LocalEnvironment } from '#local/environment.ts';
import { KEYS } from '#shared/contracts.ts';
import { CliError } from '../errors.ts';
import { formatTable } from '../table.ts';
import { formatQualityControl } from './quality-control.ts';
import { formatTasks, formatTracking } from './tracking.ts';

type Client = import('../client.ts').DtksClient;
type Out = (text?: string) => void;

const ORIGIN = '3371';
const DESTINATION = '3308';

interface DemoWorld {
  regency: string;
  files: { population: { path: string }; master: { path: string }; proposal: { path: string } };
}

/** What the demo changed in the registry, to find again in the tracking list. */
export interface RegistryChanges {
  movedFamily: string | undefined;
}

type Row = Record<string, string>;

function rows(path: string): Row[] {
  const [header = '', ...lines] = readFileSync(path, 'utf8').split(/\r?\n/);
  const columns = header.replace(/^\uFEFF/, '').split(',');
  // Quoted cells (a comma in an address) are skipped: the demo needs a few plain families, not every one.
  return lines
    .filter((line) => line && !line.includes('"'))
    .map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i] ?? '', cell])));
}

/**
 * Dukcapil's changes of the month to persons of the city's DTKS whose families the month's proposal does not
 * touch, applied through the delta feed (load-population-delta); one registry record removed outright stands
 * for a NIK the registry no longer knows. Before the stipulation, after the checks: the checks are the same.
 */
export async function changeRegistry(
  client: Client,
  environment: LocalEnvironment,
  world: DemoWorld,
  dir: string,
  out: Out,
): Promise<RegistryChanges> {
  const proposed = new Set(rows(world.files.proposal.path).flatMap((row) => [row.nik, row.no_kk]));
  const registry = new Map(rows(world.files.population.path).map((row) => [row.nik ?? '', row]));
  const families = new Map<string, Row[]>();
  for (const person of rows(world.files.master.path)) {
    const family = families.get(person.no_kk ?? '') ?? [];
    family.push(person);
    families.set(person.no_kk ?? '', family);
  }
  // Families the registry knows exactly as the DTKS does, untouched by the month's proposal.
  const clean = [...families.values()].filter((members) =>
    members.every((person) => {
      const known = registry.get(person.nik ?? '');
      return (
        !proposed.has(person.nik ?? '') &&
        !proposed.has(person.no_kk ?? '') &&
        known?.status_hidup === 'HIDUP' &&
        (known.status_nik || 'AKTIF') === 'AKTIF' &&
        known.nama === person.nama &&
        known.no_kk === person.no_kk &&
        known.kode_desa === person.kode_desa
      );
    }),
  );
  const moved = clean.find((members) => members.length >= 2);
  const singles = clean.filter((members) => members !== moved).slice(0, 5);
  if (!moved || singles.length < 5) {
    out(`${world.regency}: dunia terlalu kecil untuk pengendalian kualitas; dilewati`);
    return { movedFamily: undefined };
  }
  const changes: [string, Row][] = [];
  const village = `${DESTINATION}011001`;
  for (const person of moved) {
    changes.push([
      'PINDAH',
      { ...(registry.get(person.nik ?? '') as Row), kode_desa: village, alamat: 'JL. PEMUDA NO. 7' },
    ]);
  }
  const [dead, inactive, renamed, newCard, unknown] = singles.map(
    (members) => registry.get(members[0]?.nik ?? '') as Row,
  );
  changes.push(['MENINGGAL', dead as Row]);
  changes.push(['NONAKTIF', inactive as Row]);
  changes.push(['UBAH', { ...(renamed as Row), nama: `${renamed?.nama} WIJAYA` }]);
  changes.push(['UBAH', { ...(newCard as Row), no_kk: `${(newCard?.no_kk ?? '').slice(0, 6)}0101269999` }]);
  const columns = [...Object.keys(dead as Row), 'perubahan'];
  const date = new Date().toISOString().slice(0, 10);
  const path = join(dir, `${date}-1.csv`);
  writeFileSync(
    path,
    formatCsvRow(columns) +
      changes
        .map(([perubahan, row]) => formatCsvRow(columns.map((c) => (c === 'perubahan' ? perubahan : (row[c] ?? '')))))
        .join(''),
  );
  await client.putObject(`${KEYS.populationDeltaPrefix}${date}-1.csv`, path);
  await environment.settled();
  // A NIK the registry no longer knows (a duplicate it retired): the extract's row removed outright.
  const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: environment.endpoints.dynamoEndpoint });
  await dynamo.send(
    new DeleteItemCommand({ TableName: environment.names.tables.population, Key: { nik: { S: unknown?.nik ?? '' } } }),
  );
  dynamo.destroy();
  out(
    `Dukcapil: ${changes.length} perubahan lewat umpan delta (${moved.length} anggota satu keluarga PINDAH ke ${DESTINATION}, ` +
      'MENINGGAL, NONAKTIF, dua UBAH) dan satu NIK tidak lagi terdaftar — belum ada usulan yang menyebut mereka',
  );
  return { movedFamily: moved[0]?.no_kk };
}

/**
 * The quality control of the open month, on demand, once the runs the loaders started have ended (a run of
 * the period started after them is the one whose summary stands): its progress and outcome as the
 * operator's `dtks quality-control run` prints them.
 */
export async function screenRegistry(
  client: Client,
  environment: LocalEnvironment,
  period: string,
  out: Out,
): Promise<void> {
  const stateMachineArn = environment.stateMachines.qualityControl;
  const started = environment.runtime.listExecutions({ stateMachineArn }).executions;
  out(`${started.length} run pengendalian kualitas dimulai oleh pemuat data Dukcapil (satu per ekstrak dan delta)`);
  while (environment.runtime.listExecutions({ stateMachineArn, statusFilter: 'RUNNING' }).executions.length) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  let shown = -1;
  const run = await client.runQualityControl(period, (screened, total) => {
    if (screened !== shown) out(`  ${screened} dari ${total} kabupaten/kota disaring`);
    shown = screened;
  });
  if (run.status !== 'SUCCEEDED' || !run.summary) {
    throw new CliError(`quality control ${run.status}: ${run.error} ${run.cause}`, 1);
  }
  out(formatQualityControl(run.summary));
}

/** After the stipulation: a finding of each kind, the city's tracking list, the moved family's paired tasks. */
export async function showQualityControl(
  client: Client,
  environment: LocalEnvironment,
  changes: RegistryChanges,
  period: string,
  out: Out,
): Promise<void> {
  const list = await client.api<{
    findings: Parameters<typeof formatTracking>[1];
    tasks: Parameters<typeof formatTracking>[2];
  }>('GET', `/tracking?regency=${ORIGIN}`, `regency-${ORIGIN}`);
  const { findings = [], tasks = [] } = list.body;
  const counts = FINDING_KINDS.map((kind) => [kind, findings.filter((finding) => finding.kind === kind).length]);
  out(formatTable(['temuan', 'terbuka'], counts));
  out('Satu temuan tiap jenis (tidak ada yang dinonaktifkan: kabupaten/kota yang memutuskan lewat usulan):');
  const oneOfEach = FINDING_KINDS.flatMap((kind) => findings.filter((finding) => finding.kind === kind).slice(0, 1));
  // The table only: its heading would count these six, not the list.
  out(formatTracking(ORIGIN, oneOfEach, [], 'id').split('\n').slice(1).join('\n'));

  const s3 = new S3Client({ ...LOCAL_AWS, endpoint: environment.endpoints.s3Endpoint, forcePathStyle: true });
  const key = KEYS.trackingList(period, ORIGIN);
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: environment.names.buckets.exports, Key: key }));
  const csv = ((await Body?.transformToString('utf8')) ?? '').replace(/^\uFEFF/, '').split('\r\n');
  s3.destroy();
  out(
    `Daftar pelacakan Kota Magelang untuk Dinas Sosial: s3://${environment.names.buckets.exports}/${key} (${csv.length - 2} baris), awalnya:`,
  );
  for (const line of csv.slice(0, 8)) out(`  ${line}`);

  const task = tasks.find((each) => each.role === 'ORIGIN' && each.noKk === changes.movedFamily);
  if (!task) return;
  out(`Keluarga pindah (KPM) ${task.noKk}: tugas untuk asal ${ORIGIN}, pemberitahuan untuk tujuan ${DESTINATION}`);
  const forOthers = await client.api('GET', `/tracking/${task.id}`, 'province-33');
  out(`province-33 membuka tugas ${task.id} → ${forOthers.status} (hanya asal, tujuan dan Kementerian)`);
  const answers = [
    [`regency-${ORIGIN}`, task.id, 'KONFIRMASI_HAPUS', 'Keluarga sudah pindah; HAPUS PINDAH diusulkan bulan depan'],
    [`regency-${DESTINATION}`, task.pairedId, 'AKAN_DIUSULKAN', 'Keluarga ditemukan; diusulkan lewat musyawarah desa'],
  ] as const;
  for (const [user, id, answer, note] of answers) {
    const answered = await client.api('POST', `/tracking/${id}/answer`, user, { answer, note });
    out(`${user}: ${answer} untuk ${id} → ${answered.status} ${String(answered.body.message ?? '')}`);
  }
  const pair = await client.api<{
    task: Parameters<typeof formatTasks>[0][number];
    paired?: Parameters<typeof formatTasks>[0][number];
  }>('GET', `/tracking/${task.pairedId}`, `regency-${DESTINATION}`);
  out(
    formatTasks(
      [pair.body.paired, pair.body.task].filter((each) => each !== undefined),
      'id',
    ),
  );
}
