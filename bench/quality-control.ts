/**
 * Throughput of the quality control's screening of one regency (functions/quality-control-screen).
 *
 *   npx tsx bench/quality-control.ts [persons] [--local]        (default: 1000000, in memory)
 *
 * A generated master of Kota Magelang (synthetic/generator.ts, registryDrift 0.05: about 5% of families with
 * a finding) of about `persons` people.
 * - Default (in memory): screen-regency.ts itself — the rules, the reconciliation with the tracking list,
 *   the moved families and the list's CSV — fed page by page as the world is generated (pages of 1,000, the
 *   registry of each page answered from the same batch), the tracking writes counted, not stored. What the
 *   handler costs in CPU and memory per person, without DynamoDB.
 * - --local: the handler on the local environment (dynalite and the local S3), the master seeded and the
 *   registry loaded first (not timed), then one screening (timed: every page's Query and BatchGetItem, every
 *   entry written, both files and the counts). dynalite is a single-threaded emulator: the local
 *   environment's figure, far below DynamoDB's.
 * Prints persons, seconds, persons/s, findings and the process's peak RSS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAreas } from '#core/area.ts';
import type { MasterPerson, PopulationPerson } from '#core/proposal.ts';
import type { RegistryRecord } from '#core/quality-control.ts';
import type { MasterRecord } from '#core/stipulation.ts';
import { generateWorld } from '#synthetic/generator.ts';
import { screenRegency } from '../functions/quality-control-screen/screen-regency.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const args = process.argv.slice(2);
const local = args.includes('--local');
const persons = Number(args.find((arg) => !arg.startsWith('--')) ?? 1_000_000);
const REGENCY = '3371';
const PERIOD = '2026-11';
// About four persons per family (the generator's size weights).
const families = Math.max(1, Math.round(persons / 4));
const world = () =>
  generateWorld({ regency: REGENCY, families, defectRate: 0, registryDrift: 0.05, seed: 7, areas: loadAreas() });

function report(label: string, screened: number, seconds: number, open: number): void {
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${label}: ${screened} persons in ${seconds.toFixed(1)} s: ${Math.round(screened / seconds)} persons/s, ` +
      `${open} open findings, peak RSS ${peakRssMiB.toFixed(0)} MiB`,
  );
}

if (!local) {
  // The generator's own time, measured around each batch it makes, is told apart from the screening's.
  let generating = 0;
  let writes = 0;
  // The registry of the batches generated so far that the screening may still ask about: it reads a page's
  // registry while the next page is generated (its prefetch), so the last two batches are kept.
  const recent: Map<string, PopulationPerson>[] = [];
  const t = performance.now();
  const result = await screenRegency(
    {
      async *persons() {
        const batches = world().batches(250);
        for (;;) {
          const started = performance.now();
          const { value: batch, done } = batches.next();
          generating += performance.now() - started;
          if (done) return;
          recent.push(new Map(batch.population.map((person) => [person.nik, person])));
          if (recent.length > 2) recent.shift();
          yield batch.master.map((person) => person as unknown as MasterRecord);
        }
      },
      async registry(niks) {
        const found = new Map<string, RegistryRecord>();
        for (const nik of niks) {
          const person = recent[0]?.get(nik) ?? recent[1]?.get(nik);
          if (person) found.set(nik, person);
        }
        return found;
      },
      masterRecords: async () => new Map(),
      tracking: {
        loadForScreening: async () => ({ findings: new Map(), tasks: new Map(), notices: new Map() }),
        putFinding: async () => void writes++,
        updateFinding: async () => void writes++,
        createTask: async () => void writes++,
        updateTask: async () => void writes++,
      },
    },
    PERIOD,
    REGENCY,
  );
  const seconds = (performance.now() - t) / 1000;
  const { screened, openTotal } = result.counts;
  console.log(
    `generator and screening ${seconds.toFixed(1)} s, of which the generator ${(generating / 1000).toFixed(1)} s`,
  );
  report('in memory (screening alone)', screened, seconds - generating / 1000, openTotal);
  console.log(`${writes} tracking writes, list ${(result.csv.length / 1024 / 1024).toFixed(1)} MiB`);
} else {
  const { startLocalEnvironment } = await import('#local/environment.ts');
  const { seedMaster } = await import('#local/seed.ts');
  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-qc-bench-'));
  const environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: [REGENCY] });
  try {
    const { DynamoPopulationRegistry } = await import('#shared/population-repository.ts');
    const { documents } = await import('#shared/clients.ts');
    const population = new DynamoPopulationRegistry(documents, environment.names.tables.population);
    let t = performance.now();
    let seeded = 0;
    async function* master(): AsyncGenerator<MasterPerson[]> {
      for (const batch of world().batches(250)) {
        await population.put(batch.population, 8);
        seeded += batch.master.length;
        yield batch.master;
      }
    }
    await seedMaster(master(), '2026-10', environment.names.tables.master);
    process.stderr.write(
      `${seeded} master persons and their registry loaded in ${((performance.now() - t) / 1000).toFixed(0)} s\n`,
    );
    t = performance.now();
    const output = (await environment.functions.invoke('quality-control-screen', {
      period: PERIOD,
      regency: REGENCY,
    })) as {
      open: number;
    };
    report('local environment (dynalite)', seeded, (performance.now() - t) / 1000, output.open);
  } finally {
    await environment.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
