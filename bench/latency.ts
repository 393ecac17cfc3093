/**
 * Upload → AWAITING_REGENCY latency on the local environment: the proposal workflow's ingest and
 * integrity check (DynamoDB-backed ports, claims, return report) for proposals of the given sizes.
 *
 *   npx tsx bench/latency.ts [rows ...]        (default: 10000 100000)
 *
 * For each size, in a process of its own: a fresh local environment, a generated world (families ≈
 * rows / 3.6), the Dukcapil extract loaded through the load-population function and the master seeded
 * (not timed), then the upload through the S3 API and the wait until the proposal awaits its regency approval (timed).
 * Prints rows, seconds, rows/s and the peak RSS of the WHOLE local environment: this process (handlers,
 * Step Functions runtime, API) plus the emulators' own process (dynalite and the local S3,
 * local/emulator-host.ts), their RSS summed every 100 ms over the whole run, set-up included; and each
 * process's own peak. dynalite and the local S3 are single-threaded emulators: the figures are the
 * local environment's, not AWS's. The load average is printed too: the machine may be shared, and then
 * the CPU seconds and the DynamoDB requests the handlers sent per row (by operation, counted on the
 * functions' shared client) say more than the wall time.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMasterExtract } from '#adapters/extracts/readers.ts';
import { DtksClient } from '#cli/client.ts';
import { writeWorld } from '#cli/commands/generate.ts';
import { localTarget } from '#cli/target.ts';
import { startLocalEnvironment } from '#local/environment.ts';
import { seedMaster } from '#local/seed.ts';
import { KEYS } from '#shared/contracts.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const sizes = process.argv.slice(2).map(Number);
if (sizes.length !== 1) {
  // Each size in a process of its own: the functions' SDK clients are created once per process, for the
  // endpoints of the first environment, and a second environment listens on other ports.
  for (const rows of sizes.length ? sizes : [10_000, 100_000]) {
    const script = fileURLToPath(import.meta.url);
    const { status } = spawnSync(process.execPath, [...process.execArgv, script, String(rows)], { stdio: 'inherit' });
    if (status !== 0) process.exit(status ?? 1);
  }
  process.exit(0);
}
const results: string[] = [];
const requestLines: string[] = [];
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
process.stderr.write(`load average at start: ${load()}\n`);

/** A process's resident set and its peak so far (VmRSS, VmHWM of /proc/<pid>/status), in bytes; 0 when gone. */
function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** CPU seconds (user + system) a process has used so far: this one, or another by /proc/<pid>/stat. */
function cpuSecondsOf(pid: number): number {
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    // utime and stime, in clock ticks (100 per second on Linux), after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Counts the DynamoDB requests of the functions' shared client (functions/shared/clients.ts), by operation. */
async function countDynamoRequests(): Promise<Map<string, number>> {
  // Imported once the environment has set the endpoints: the handlers import the same module.
  const { dynamo } = await import('#shared/clients.ts');
  const counts = new Map<string, number>();
  dynamo.middlewareStack.add(
    (next, context) => (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestCount' },
  );
  return counts;
}

/** Samples the summed RSS of this process and the emulators' process until stopped. */
function sampleEnvironment(emulatorsPid: number) {
  let peak = 0;
  let emulatorsPeak = 0;
  const sample = () => {
    const emulators = emulatorsPid === process.pid ? { rss: 0, peak: 0 } : memoryOf(emulatorsPid);
    emulatorsPeak = Math.max(emulatorsPeak, emulators.peak);
    peak = Math.max(peak, process.memoryUsage().rss + emulators.rss);
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return { peak, emulatorsPeak, ownPeak: process.resourceUsage().maxRSS * 1024 };
    },
  };
}

for (const rows of sizes) {
  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-latency-'));
  const environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'] });
  const memory = sampleEnvironment(environment.emulators.pid);
  const requests = await countDynamoRequests();
  try {
    const client = new DtksClient(localTarget(dataDir, environment));
    const world = await writeWorld({
      regency: '3371',
      families: Math.max(10, Math.round(rows / 3.6)),
      defectRate: 0.05,
      seed: 1,
      out: join(dataDir, 'world'),
      quiet: true,
    });
    let t = performance.now();
    await client.putObject(`${KEYS.populationPrefix}3371.csv`, world.files.population.path);
    await environment.settled();
    const loadSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await seedMaster(readMasterExtract(createReadStream(world.files.master.path)), '2026-10');
    const seedSeconds = (performance.now() - t) / 1000;
    process.stderr.write(
      `${world.files.proposal.rows} rows: population ${world.files.population.rows} loaded in ${loadSeconds.toFixed(1)} s, master ${world.files.master.rows} seeded in ${seedSeconds.toFixed(1)} s\n`,
    );

    t = performance.now();
    const cpuBefore = { own: cpuSecondsOf(process.pid), emulators: cpuSecondsOf(environment.emulators.pid) };
    requests.clear();
    const { proposalId } = await client.upload(world.files.proposal.path, '3371', '2026-11');
    const proposal = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 3 * 60 * 60_000);
    const seconds = (performance.now() - t) / 1000;
    // CPU seconds of the timed part, per process: on a shared machine the wall time grows with the
    // load, the CPU time much less; on an idle 2-core machine the wall time is about the larger one.
    const ownCpu = cpuSecondsOf(process.pid) - cpuBefore.own;
    const emulatorsCpu =
      environment.emulators.pid === process.pid ? 0 : cpuSecondsOf(environment.emulators.pid) - cpuBefore.emulators;
    if (proposal.status !== 'AWAITING_REGENCY') throw new Error(`proposal ended ${proposal.status}`);
    const { peak, emulatorsPeak, ownPeak } = memory.stop();
    const sent = [...requests].sort(([a], [b]) => a.localeCompare(b));
    const perRow = (count: number) => (count / world.files.proposal.rows).toFixed(3);
    requestLines.push(
      `${String(world.files.proposal.rows).padStart(8)}  ${perRow(sent.reduce((sum, [, count]) => sum + count, 0))} per row: ${sent
        .map(([operation, count]) => `${operation} ${count} (${perRow(count)})`)
        .join(', ')}`,
    );
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20).toString();
    results.push(
      [
        String(world.files.proposal.rows).padStart(8),
        seconds.toFixed(1).padStart(8),
        Math.round(world.files.proposal.rows / seconds)
          .toString()
          .padStart(8),
        mib(peak).padStart(12),
        mib(ownPeak).padStart(14),
        mib(emulatorsPeak).padStart(14),
        ownCpu.toFixed(1).padStart(10),
        emulatorsCpu.toFixed(1).padStart(10),
        `  ${load()}`,
      ].join('  '),
    );
  } finally {
    memory.stop();
    await environment.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

process.stdout.write(
  `upload → AWAITING_REGENCY on the local environment (peak RSS in MiB: the whole environment, summed; each process's own)\n` +
    `    rows   seconds    rows/s  environment  handlers' proc  emulators' proc  CPU s (handlers, emulators)  load average (1, 5, 15 min)\n` +
    `${results.join('\n')}\n` +
    `DynamoDB requests the handlers sent in the timed part (per row)\n${requestLines.join('\n')}\n`,
);
