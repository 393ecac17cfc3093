/**
 * Upload → AWAITING_REGENCY latency on the local environment: the proposal workflow's ingest and
 * integrity check (DynamoDB-backed ports, claims, return report) for proposals of the given sizes.
 *
 *   npx tsx bench/latency.ts [rows ...]        (default: 10000 100000)
 *
 * For each size: a fresh local environment, a generated world (families ≈ rows / 3.6), the Dukcapil
 * extract loaded through the load-population function and the master seeded (not timed), then the
 * upload through the S3 API and the wait until the proposal awaits its regency approval (timed).
 * Prints rows, seconds, rows/s and the process's peak RSS. dynalite and the local S3 are single-threaded
 * emulators in this same process: the figures are the local environment's, not AWS's.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
const results: string[] = [];

for (const rows of sizes.length ? sizes : [10_000, 100_000]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-latency-'));
  const environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'] });
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
    const { proposalId } = await client.upload(world.files.proposal.path, '3371', '2026-11');
    const proposal = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 3 * 60 * 60_000);
    const seconds = (performance.now() - t) / 1000;
    if (proposal.status !== 'AWAITING_REGENCY') throw new Error(`proposal ended ${proposal.status}`);
    results.push(
      `${String(world.files.proposal.rows).padStart(8)}  ${seconds.toFixed(1).padStart(8)}  ${Math.round(
        world.files.proposal.rows / seconds,
      )
        .toString()
        .padStart(8)}  ${Math.round(process.resourceUsage().maxRSS / 1024)
        .toString()
        .padStart(8)}`,
    );
  } finally {
    await environment.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

process.stdout.write(
  `upload → AWAITING_REGENCY on the local environment\n    rows   seconds    rows/s  peak RSS MiB\n${results.join('\n')}\n`,
);
