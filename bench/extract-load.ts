/**
 * node --max-semi-space-size=64 --import tsx bench/extract-load.ts [--world <dir>] [--rounds <n>] [--kind master,population]
 *                                                                   [--root <checkout>]
 *
 * CPU and wall time of loading the reference extracts (adapters/extracts/loader.ts) as `dtks check`'s worker does
 * ({ shared: true }, the master then the registry), several rounds in one process, with MB/s and the load average
 * (1 min) each round started at. `--root` loads the loader of another checkout (for example HEAD, from
 * `git archive HEAD | tar -x -C /tmp/loader-head` with node_modules linked), so that two versions can be run
 * alternately on the same files: on a shared machine, only figures taken side by side compare.
 */
import { statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    world: { type: 'string', default: join(tmpdir(), 'dtks-bench-world-3374-f250000-s1-d0.05') },
    rounds: { type: 'string', default: '3' },
    kind: { type: 'string', default: 'master,population' },
    root: { type: 'string', default: resolve(import.meta.dirname, '..') },
  },
});

type Loader = typeof import('#adapters/extracts/loader.ts');
const loader: Loader = await import(pathToFileURL(join(resolve(values.root), 'adapters/extracts/loader.ts')).href);
const kinds = values.kind.split(',') as ('master' | 'population')[];
const rounds = Number(values.rounds);

function load(kind: 'master' | 'population', path: string): Promise<{ size: number }> {
  return kind === 'master'
    ? loader.loadMasterExtract({ path }, { shared: true })
    : loader.loadPopulationExtract({ path }, { shared: true });
}

const totals = new Map<string, number[]>();
for (let round = 1; round <= rounds; round++) {
  const load1 = loadavg()[0]!.toFixed(2);
  let roundCpu = 0;
  for (const kind of kinds) {
    const path = join(values.world, `${kind}.csv`);
    const mb = statSync(path).size / 1e6;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const loaded = await load(kind, path);
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    roundCpu += cpuMs;
    totals.set(kind, [...(totals.get(kind) ?? []), cpuMs]);
    console.log(
      `round ${round} ${kind.padEnd(10)} ${loaded.size} rows  wall ${wall.toFixed(0)} ms  cpu ${cpuMs.toFixed(0)} ms  ` +
        `${(mb / (wall / 1000)).toFixed(0)} MB/s  load ${load1}`,
    );
  }
  totals.set('both', [...(totals.get('both') ?? []), roundCpu]);
}
for (const [kind, cpus] of totals) {
  const sorted = [...cpus].sort((a, b) => a - b);
  console.log(
    `${values.root}  ${kind.padEnd(10)} cpu ms median ${sorted[sorted.length >> 1]!.toFixed(0)}  ` +
      `range ${sorted[0]!.toFixed(0)}–${sorted[sorted.length - 1]!.toFixed(0)}  (min: the least disturbed)`,
  );
}
