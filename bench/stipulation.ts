/**
 * npx tsx bench/stipulation.ts [--no-export] [records...]      (default 100000; e.g. `100000 1000000`)
 *
 * For each size, on fresh local emulators (dynalite and the local S3 in a child process, so their memory is
 * not counted as the handlers'):
 *  1. apply: a generated change set of `records` TAMBAH changes, split by NIK shard (core shardOf over
 *     STIPULATION_SHARDS, 4 locally) into the shards' change sets and their list as SummariseResolution
 *     writes them, applied to the DTKS master by the stipulation-apply handler under the master write lease:
 *     every shard at once, each slice after slice until done, as the ApplyShards Map's children loop them;
 *  2. compare: the guard by shard over the applied master (COMPARE_SHARD for every shard at once, as the
 *     CompareShards Map runs them, then the COMPARE summary), every changed person's record present;
 *  3. export (unless --no-export): the stipulation-export-regency handler for every regency (one after
 *     another, as one Lambda each would), then stipulation-finalise-export for the manifest.
 * Prints records/s and the peak RSS of this process (sampled every 50 ms) per phase, the CPU time per change
 * of this process (the handlers and the SDK) and of the emulators' process, the load average, and the sizes
 * of the files. The handlers are the production ones, with the SDK clients pointed at the emulators.
 *
 * Persons are spread over regencies of 250,000 at most (a large kabupaten/kota holds 10^4–10^6).
 * Above 200,000 records dynalite keeps its data on disk (LevelDB in a temporary directory) instead of
 * in memory, which would take ~9 GB for a million; apply prints its progress every 100,000 changes.
 *
 * npx tsx bench/stipulation.ts --writers [records]      (default 1000000)
 *
 * The export's own work without DynamoDB: the same exportRegency (mapping, pseudonymisation, Parquet
 * and CSV writers, multipart uploads to the local S3) over generated pages of master records instead of the
 * byRegency query. dynalite writes ~80–400 items/s on these machines, so the full path cannot reach a
 * million records in a working session; this mode shows what the writers cost at that size.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StipulationChange, shardOf } from '#core/stipulation.ts';
import { startEmulators } from '#local/emulators.ts';
import { lambdaContext } from '#local/functions.ts';
import { LOCAL_RESOURCES, localEnvironmentVariables, provisionLocal } from '#local/provision.ts';
import type { ApplyOutput, ChangeSetShard, ExportPartRecord, ExportRegencyOutput } from '#shared/contracts.ts';
import { KEYS } from '#shared/contracts.ts';
import { stipulationChange } from '../test/support/stipulation-fixtures.ts';
import { familyOf, syntheticPerson } from './synthetic-person.ts';

const PERIOD = '2026-11';
const REGENCY_SIZE = 250_000;
/** Regencies of Jawa Tengah, in code order. */
const REGENCIES = ['3301', '3302', '3303', '3304', '3305', '3306', '3307', '3308', '3371', '3372', '3373', '3374'];

// ---------------------------------------------------------------------------------------------
// Child mode: the emulators, in their own process.
// ---------------------------------------------------------------------------------------------
if (process.argv[2] === '--emulators') {
  const dataDir = process.argv[3];
  const emulators = await startEmulators(dataDir ? { dataDir } : {});
  process.send?.({ dynamoEndpoint: emulators.dynamoEndpoint, s3Endpoint: emulators.s3Endpoint });
  process.on('message', (message) => {
    if (message === 'rss') process.send?.({ rss: process.memoryUsage().rss });
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'stop') void emulators.stop().then(() => process.exit(0));
  });
  // The benchmark ended without stopping us (it failed): do not outlive it.
  process.on('disconnect', () => void emulators.stop().then(() => process.exit(0)));
} else if (process.argv[2] === '--writers') {
  await writersBenchmark(Number(process.argv[3] ?? 1_000_000));
} else {
  await main();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const exporting = !args.includes('--no-export');
  const numbers = args.filter((arg) => arg !== '--no-export');
  const sizes = (numbers.length ? numbers : ['100000']).map(Number);
  for (const size of sizes) {
    if (!Number.isInteger(size) || size <= 0) throw new Error(`records must be positive integers: ${sizes.join(' ')}`);
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // As the local environment runs the handlers (local/environment.ts): the X-Ray SDK the Tracer loads would
  // otherwise track every promise through an async hook, several times the cost of the promise itself.
  process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  // Each size needs fresh emulators and cold handlers: one child tsx process per size.
  if (sizes.length > 1) {
    for (const size of sizes) {
      const child = fork(fileURLToPath(import.meta.url), [...(exporting ? [] : ['--no-export']), String(size)], {
        stdio: 'inherit',
      });
      const [code] = (await once(child, 'exit')) as [number];
      if (code !== 0) process.exitCode = code;
    }
    return;
  }
  await benchmark(sizes[0] as number, exporting);
}

async function benchmark(records: number, exporting: boolean): Promise<void> {
  const dataDir = records > 200_000 ? await mkdtemp(join(tmpdir(), 'dtks-bench-')) : undefined;
  const emulators = await startEmulatorProcess(dataDir);
  try {
    const endpoints = { dynamoEndpoint: emulators.dynamoEndpoint, s3Endpoint: emulators.s3Endpoint };
    await provisionLocal(endpoints, LOCAL_RESOURCES);
    Object.assign(process.env, localEnvironmentVariables(endpoints, LOCAL_RESOURCES));
    const { handler: apply } = await import('../functions/stipulation-apply/handler.ts');
    const { handler: guard } = await import('../functions/stipulation-guard/handler.ts');
    const { handler: masterLease } = await import('../functions/stipulation-master-lease/handler.ts');
    const { readConfig } = await import('#shared/config.ts');
    const { stipulationShards: shardCount } = readConfig(['stipulationShards']);
    const { handler: exportRegency } = await import('../functions/stipulation-export-regency/handler.ts');
    const { handler: finaliseExport } = await import('../functions/stipulation-finalise-export/handler.ts');
    const { S3ObjectSink } = await import('#shared/exports/object-sink.ts');
    const { s3 } = await import('#shared/clients.ts');
    const { putText } = await import('#shared/staging.ts');

    const regencies = REGENCIES.slice(0, Math.ceil(records / REGENCY_SIZE));
    if (regencies.length < Math.ceil(records / REGENCY_SIZE)) throw new Error('too many records for the regency list');
    console.log(
      `\n== ${records.toLocaleString('en')} master records, ${regencies.length} regencies, ` +
        `dynalite ${dataDir ? `on disk in ${dataDir}` : 'in memory'} ==`,
    );

    // The shards' change sets and their list, as ResolveShards and SummariseResolution write them (not measured).
    const started = Date.now();
    const sinks = Array.from(
      { length: shardCount },
      (_, shard) =>
        new S3ObjectSink(
          s3,
          LOCAL_RESOURCES.buckets.proposals,
          KEYS.changeSetShard(PERIOD, shard),
          'application/x-ndjson',
        ),
    );
    const counts = new Array<number>(shardCount).fill(0);
    const encoder = new TextEncoder();
    for (let from = 0; from < records; from += 10_000) {
      const texts = new Array<string>(shardCount).fill('');
      for (let i = from; i < Math.min(records, from + 10_000); i++) {
        const each = change(i, regencies[Math.floor(i / REGENCY_SIZE)] as string);
        const shard = shardOf(each.nik, shardCount);
        texts[shard] += `${JSON.stringify(each)}\n`;
        counts[shard] = (counts[shard] ?? 0) + 1;
      }
      for (const [shard, text] of texts.entries()) if (text) await sinks[shard]?.write(encoder.encode(text));
    }
    let bytes = 0;
    for (const sink of sinks) bytes += (await sink.close()).bytes;
    const shards: ChangeSetShard[] = counts.flatMap((changes, shard) =>
      changes ? [{ shard, changeSetKey: KEYS.changeSetShard(PERIOD, shard), changes }] : [],
    );
    const shardsKey = KEYS.shardList(PERIOD);
    await putText(s3, LOCAL_RESOURCES.buckets.proposals, shardsKey, JSON.stringify(shards), 'application/json');
    console.log(
      `change set: ${mb(bytes)} in ${shards.length} shards written in ${seconds(Date.now() - started)}; ` +
        `load average ${loadavg()
          .map((load) => load.toFixed(1))
          .join(' ')}`,
    );

    // Phase 1: apply, every shard at once (the ApplyShards Map's children), under the master write lease.
    // A fresh context per call: each invocation (each apply slice) starts with 15 minutes, as on Lambda.
    const context = () => lambdaContext('dtks-bench', { logStreamName: 'bench' });
    const executionId = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:bench';
    await masterLease({ action: 'TAKE', period: PERIOD, executionId }, context());
    let applied = 0;
    let slices = 0;
    const applyStarted = performance.now();
    const applyPhase = await measure(emulators, async () => {
      await Promise.all(
        shards.map(async ({ shard, changeSetKey }) => {
          let slice: Pick<ApplyOutput, 'offset' | 'done'> = { offset: 0, done: false };
          while (!slice.done) {
            const output = await apply(
              { period: PERIOD, executionId, shard, changeSetKey, offset: slice.offset },
              context(),
            );
            slice = output;
            applied += output.applied;
            slices++;
            if (applied % 100_000 < output.applied && applied < records) {
              const elapsed = performance.now() - applyStarted;
              console.log(
                `  … ${applied.toLocaleString('en')} applied, ${Math.round(applied / (elapsed / 1000))} records/s so far`,
              );
            }
          }
        }),
      );
    });
    await masterLease({ action: 'RELEASE', period: PERIOD, executionId }, context());
    report('apply', applied, applyPhase, `${shards.length} shards at once, ${slices} slices`);
    if (applied !== records) throw new Error(`applied ${applied} of ${records}`);

    // Phase 2: the guard by shard over the applied master (every changed person has a record to read).
    const comparePhase = await measure(emulators, async () => {
      await Promise.all(
        shards.map(({ shard, changeSetKey }) =>
          guard({ action: 'COMPARE_SHARD', period: PERIOD, executionId, shard, changeSetKey }, context()),
        ),
      );
      await guard({ action: 'COMPARE', period: PERIOD, executionId, shardsKey }, context());
    });
    report('compare', records, comparePhase, `${shards.length} shards at once, then the summary`);
    if (!exporting) {
      console.log(`emulators' process RSS at the end: ${mb(await emulators.rss())}`);
      return;
    }

    // Phase 2: export.
    const exportedRegencies: ExportRegencyOutput[] = [];
    const exportPhase = await measure(emulators, async () => {
      for (const regency of regencies) {
        exportedRegencies.push(
          await exportRegency({ period: PERIOD, regency, province: regency.slice(0, 2) }, context()),
        );
      }
      await finaliseExport(
        { period: PERIOD, carriedForward: false, proposals: [], regencies: exportedRegencies },
        context(),
      );
    });
    const exported = exportedRegencies.reduce((sum, part) => sum + part.records, 0);
    report('export', exported, exportPhase, `${exportedRegencies.length} regencies`);
    if (exported !== records) throw new Error(`exported ${exported} of ${records}`);
    const { readPartRecords } = await import('#shared/exports/part-records.ts');
    printSizes(await readPartRecords(s3, LOCAL_RESOURCES.buckets.exports, PERIOD, exportedRegencies));
    console.log(`emulators' process RSS at the end: ${mb(await emulators.rss())}`);
  } finally {
    await emulators.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

async function writersBenchmark(records: number): Promise<void> {
  if (!Number.isInteger(records) || records <= 0) throw new Error(`records must be a positive integer: ${records}`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  const emulators = await startEmulatorProcess();
  try {
    const endpoints = { dynamoEndpoint: emulators.dynamoEndpoint, s3Endpoint: emulators.s3Endpoint };
    await provisionLocal(endpoints, LOCAL_RESOURCES);
    Object.assign(process.env, localEnvironmentVariables(endpoints, LOCAL_RESOURCES));
    const { exportRegency } = await import('#shared/exports/regency-export.ts');
    const { S3ObjectSink } = await import('#shared/exports/object-sink.ts');
    const { s3 } = await import('#shared/clients.ts');
    const regencies = REGENCIES.slice(0, Math.ceil(records / REGENCY_SIZE));
    console.log(
      `\n== export writers: ${records.toLocaleString('en')} generated master records, ${regencies.length} regencies ==`,
    );
    const parts: ExportPartRecord[] = [];
    const phase = await measure(emulators, async () => {
      for (const [index, regency] of regencies.entries()) {
        const first = index * REGENCY_SIZE;
        const last = Math.min(records, first + REGENCY_SIZE);
        parts.push(
          await exportRegency({
            period: PERIOD,
            regency,
            province: regency.slice(0, 2),
            persons: () => generatedPages(first, last, regency),
            pseudonymKey: 'bench-pseudonym-key',
            k: 5,
            openFile: (key, contentType) => new S3ObjectSink(s3, LOCAL_RESOURCES.buckets.exports, key, contentType),
          }),
        );
      }
    });
    const exported = parts.reduce((sum, part) => sum + part.records, 0);
    report('writers', exported, phase, `${parts.length} regencies`);
    printSizes(parts);
  } finally {
    await emulators.stop();
  }
}

/** Master records i in [first, last) in pages of 2,000 (about one 1 MB DynamoDB Query page). */
async function* generatedPages(first: number, last: number, regency: string) {
  for (let from = first; from < last; from += 2000) {
    const page = [];
    for (let i = from; i < Math.min(last, from + 2000); i++)
      page.push({ ...change(i, regency).person, status: 'ACTIVE' });
    yield page;
  }
}

function printSizes(parts: readonly ExportPartRecord[]): void {
  for (const tier of ['full', 'pseudonymised', 'csv'] as const) {
    const files = parts.flatMap((part) => part.files).filter((file) => file.tier === tier);
    console.log(
      `  ${tier.padEnd(13)} ${mb(files.reduce((sum, file) => sum + file.bytes, 0))} in ${files.length} files`,
    );
  }
}

/** Person i as a TAMBAH change: NIKs unique over (birth date, serial), four persons per family. */
function change(i: number, regency: string): StipulationChange {
  const family = familyOf(i);
  const person = {
    ...syntheticPerson(i, `${regency}01`),
    rt: String((family % 20) + 1).padStart(3, '0'),
    rw: String((family % 9) + 1).padStart(3, '0'),
    pekerjaan: i % 3 ? 'PETANI' : '',
    penghasilanBulanan: i % 5 ? String(250_000 + (i % 40) * 50_000) : '',
    desil: i % 7 ? String((i % 10) + 1) : '',
  };
  return stipulationChange(i + 1, 'TAMBAH', person, { period: PERIOD, proposalId: 'bench' });
}

interface Phase {
  ms: number;
  peakRss: number;
  startRss: number;
  /** CPU time (user + system) of this process and of the emulators' process during the phase. */
  cpuMs: number;
  emulatorCpuMs: number;
  load: number;
}

async function measure(emulators: EmulatorProcess, run: () => Promise<void>): Promise<Phase> {
  const startRss = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const emulatorCpu = await emulators.cpu();
  let peakRss = startRss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const emulatorNow = await emulators.cpu();
  const emulatorCpuMs = (emulatorNow.user - emulatorCpu.user + emulatorNow.system - emulatorCpu.system) / 1000;
  return { ms, peakRss, startRss, cpuMs: (user + system) / 1000, emulatorCpuMs, load: loadavg()[0] ?? 0 };
}

function report(name: string, records: number, phase: Phase, detail: string): void {
  const rate = Math.round(records / (phase.ms / 1000));
  console.log(
    `${name.padEnd(7)} ${records.toLocaleString('en')} records in ${seconds(phase.ms)}: ` +
      `${rate.toLocaleString('en')} records/s, peak RSS ${mb(phase.peakRss)} (at start ${mb(phase.startRss)}; ${detail})`,
  );
  // Per change: the handlers' CPU (what a Lambda child pays) and the emulators' (what DynamoDB and S3 do).
  console.log(
    `        CPU ${(phase.cpuMs / records).toFixed(3)} ms/record in the handlers' process ` +
      `(${Math.round(records / (phase.cpuMs / 1000)).toLocaleString('en')} records per CPU-second), ` +
      `${(phase.emulatorCpuMs / records).toFixed(3)} ms/record in the emulators'; load average ${phase.load.toFixed(1)}`,
  );
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

interface EmulatorProcess {
  dynamoEndpoint: string;
  s3Endpoint: string;
  rss(): Promise<number>;
  cpu(): Promise<NodeJS.CpuUsage>;
  stop(): Promise<void>;
}

async function startEmulatorProcess(dataDir?: string): Promise<EmulatorProcess> {
  const args = dataDir ? ['--emulators', dataDir] : ['--emulators'];
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), args, { stdio: 'inherit' });
  const [endpoints] = (await once(child, 'message')) as [{ dynamoEndpoint: string; s3Endpoint: string }];
  return {
    ...endpoints,
    async rss() {
      child.send('rss');
      const [reply] = (await once(child, 'message')) as [{ rss: number }];
      return reply.rss;
    },
    async cpu() {
      child.send('cpu');
      const [reply] = (await once(child, 'message')) as [{ cpu: NodeJS.CpuUsage }];
      return reply.cpu;
    },
    async stop() {
      child.send('stop');
      await once(child, 'exit');
    },
  };
}
