/**
 * npx tsx bench/export-unit.ts [persons] [--writers persons]      (defaults 30000, and 200000 with --writers)
 *
 * What one export unit costs (the ExportRegencies Map's child, a NIK range of a large regency: contracts'
 * EXPORT_UNIT), in persons exported per CPU-second of the handler's process, the rate the national
 * projection divides a unit's persons by. The emulators (dynalite, the local S3) run in a child process
 * (local/emulator-host.ts), so their CPU is not counted as the handler's.
 *  1. `persons` persons of one regency are seeded into the master (dynalite); the stipulation-export-regency
 *     handler exports the middle third as a unit (fromNik <= nik < toNik on byRegency), then the whole
 *     regency as one unit: the same code path as on AWS, from the Query pages to the four files and the
 *     part record in S3.
 *  2. --writers: the same exportRegency over generated pages of `persons` records instead of the Query
 *     (dynalite writes too slowly to seed a million), for the writers' cost and memory at a unit's real
 *     size (the generation of each record, a few microseconds, is counted in its CPU).
 * Prints persons, wall time, CPU seconds of this process (user + system), persons per CPU-second and the
 * peak RSS. CPU-seconds, not wall time, because the machine is shared: the rate is what one Lambda vCPU
 * would do, one unit per invocation.
 */
import type { ProposalRow } from '#core/proposal.ts';
import { applyChange, changeFromRow, type MasterRecord } from '#core/stipulation.ts';
import { startEmulatorProcess } from '#local/emulator-host.ts';
import { lambdaContext } from '#local/functions.ts';
import { LOCAL_RESOURCES, localEnvironmentVariables, provisionLocal } from '#local/provision.ts';
import type { ExportRegencyInput, ExportRegencyOutput } from '#shared/contracts.ts';
import { syntheticPerson } from './synthetic-person.ts';

const PERIOD = '2026-11';
const REGENCY = '3201';
const DISTRICT = '320101';

interface Measured {
  persons: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRss: number;
}

async function measure(run: () => Promise<number>): Promise<Measured> {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    const persons = await run();
    const used = process.cpuUsage(cpu);
    return {
      persons,
      wallSeconds: (performance.now() - started) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      peakRss: Math.max(peakRss, process.memoryUsage().rss),
    };
  } finally {
    clearInterval(timer);
  }
}

function print(label: string, { persons, wallSeconds, cpuSeconds, peakRss }: Measured): void {
  console.log(
    `${label.padEnd(34)} ${persons.toLocaleString('en').padStart(9)} persons  ${wallSeconds.toFixed(1).padStart(6)} s wall  ` +
      `${cpuSeconds.toFixed(1).padStart(6)} CPU-s  ${Math.round(persons / cpuSeconds)
        .toLocaleString('en')
        .padStart(7)} persons/CPU-s  ` +
      `peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`,
  );
}

/** Person i of the regency as the master holds it once stipulated. */
function masterRecord(i: number): MasterRecord {
  const person = syntheticPerson(i, DISTRICT);
  const row: ProposalRow = {
    line: i + 1,
    aksi: 'TAMBAH',
    alasan: '',
    ...person,
    rt: String((i % 20) + 1).padStart(3, '0'),
    rw: String((i % 9) + 1).padStart(3, '0'),
    pekerjaan: i % 3 ? 'PETANI' : 'PEDAGANG',
    penghasilanBulanan: String((i % 40) * 100_000),
    desil: String((i % 10) + 1),
  };
  const record = applyChange(undefined, changeFromRow(row, 'bench', PERIOD));
  if (record === 'UNCHANGED') throw new Error('seed');
  return record;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const writers = args.includes('--writers');
  const persons = Number(args.find((arg) => /^\d+$/.test(arg)) ?? (writers ? 200_000 : 30_000));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  console.log(`node ${process.version}, ${new Date().toISOString()}, ${persons.toLocaleString('en')} persons`);
  const emulators = await startEmulatorProcess();
  try {
    const endpoints = { dynamoEndpoint: emulators.dynamoEndpoint, s3Endpoint: emulators.s3Endpoint };
    await provisionLocal(endpoints, LOCAL_RESOURCES);
    Object.assign(process.env, localEnvironmentVariables(endpoints, LOCAL_RESOURCES));
    if (writers) await benchWriters(persons);
    else await benchHandler(persons);
  } finally {
    await emulators.stop();
  }
}

async function benchHandler(persons: number): Promise<void> {
  const { documents } = await import('#shared/clients.ts');
  const { batchWrite } = await import('#shared/batch-writer.ts');
  const records = Array.from({ length: persons }, (_, i) => masterRecord(i));
  const seeding = await measure(async () => {
    for (let from = 0; from < records.length; from += 5_000) {
      await batchWrite(
        documents,
        LOCAL_RESOURCES.tables.master,
        records.slice(from, from + 5_000).map((Item) => ({ PutRequest: { Item: { ...Item } } })),
      );
    }
    return persons;
  });
  print('seeded the master (dynalite)', seeding);
  const niks = records.map((record) => record.nik).sort();
  const [fromNik, toNik] = [niks[Math.floor(persons / 3)], niks[Math.floor((2 * persons) / 3)]];
  const { handler } = await import('../functions/stipulation-export-regency/handler.ts');
  const invoke = (event: ExportRegencyInput) =>
    handler(
      event,
      lambdaContext('dtks-bench', { memoryLimitInMB: 2048, logStreamName: 'bench' }),
    ) as Promise<ExportRegencyOutput>;
  const item = { period: PERIOD, regency: REGENCY, province: REGENCY.slice(0, 2) };
  // Warm-up of the modules and the pseudonym key, as a warm Lambda has them: the first unit of one person.
  await invoke({ ...item, unit: { part: 1, parts: 3, toNik: niks[1] } });
  print(
    'unit 2/3 (NIK range, byRegency)',
    await measure(async () => (await invoke({ ...item, unit: { part: 2, parts: 3, fromNik, toNik } })).records),
  );
  print('whole regency (one unit)', await measure(async () => (await invoke(item)).records));
}

async function benchWriters(persons: number): Promise<void> {
  const { exportRegency } = await import('#shared/exports/regency-export.ts');
  const { S3ObjectSink } = await import('#shared/exports/object-sink.ts');
  const { s3 } = await import('#shared/clients.ts');
  // Generated page by page as the Query would return them (in person order, not NIK order: the runs are then
  // not recorded, which changes nothing else), so that the peak RSS is the export's, not a held population's.
  async function* pages() {
    for (let from = 0; from < persons; from += 2000) {
      yield Array.from({ length: Math.min(2000, persons - from) }, (_, i) => ({
        ...masterRecord(from + i),
        status: 'ACTIVE',
      }));
    }
  }
  print(
    'writers over generated pages',
    await measure(async () => {
      const part = await exportRegency({
        period: PERIOD,
        regency: REGENCY,
        province: REGENCY.slice(0, 2),
        persons: pages,
        pseudonymKey: 'bench-pseudonym-key',
        k: 5,
        openFile: (key, contentType) => new S3ObjectSink(s3, LOCAL_RESOURCES.buckets.exports, key, contentType),
      });
      return part.records;
    }),
  );
}

await main();
