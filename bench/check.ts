/**
 * npx tsx bench/check.ts [--rows 100000,1000000] [--families <n>] [--seed <s>] [--regency <code>]
 *
 * End-to-end speed of `dtks check` on generated worlds. For each size it generates the world into os.tmpdir()
 * (cached by regency, size, seed and defect rate), runs `dtks check` in a child process measuring wall time and
 * peak RSS (through `/usr/bin/time -v` when present, else the child's own process.resourceUsage().maxRSS), then
 * times csv-parse (columns: true) over the same proposal file as the baseline. `--families 250000` runs the
 * issue's target world (~900k proposal rows, 1.9M registry people, 1M master rows): ≥ 60,000 rows/s, < 1 GiB.
 * The table also gives the check's CPU seconds, the figure that holds on a machine shared with other work.
 * DTKS_BENCH_NO_TIME=1 measures through the child's process.resourceUsage() even where /usr/bin/time exists.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { writeWorld } from '#cli/commands/generate.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000,1000000' },
    families: { type: 'string' },
    seed: { type: 'string', default: '1' },
    regency: { type: 'string', default: '3374' },
    'defect-rate': { type: 'string', default: '0.05' },
  },
});

/** A generated world yields about 3.6 proposal rows per family. */
const ROWS_PER_FAMILY = 3.6;
const TARGET_ROWS_PER_SECOND = 60_000;
const TARGET_RSS_MIB = 1024;

const seed = Number(values.seed);
const defectRate = Number(values['defect-rate']);
const regency = values.regency.replaceAll('.', '');
const familySizes = values.families
  ? [Number(values.families)]
  : values.rows.split(',').map((rows) => Math.round(Number(rows) / ROWS_PER_FAMILY));
if (familySizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('sizes must be positive whole numbers');

interface Measure {
  rows: number;
  population: number;
  master: number;
  checkSeconds: number;
  /** User + system CPU seconds of the check: the figure that holds on a machine shared with other work. */
  checkCpuSeconds: number;
  parseSeconds: number;
  peakRssMiB: number;
  rssSource: string;
}

async function worldFor(families: number): Promise<{ dir: string; rows: number; population: number; master: number }> {
  const dir = join(tmpdir(), `dtks-bench-world-${regency}-f${families}-s${seed}-d${defectRate}`);
  const marker = join(dir, 'complete.json');
  if (existsSync(marker)) {
    const { rows, population, master } = JSON.parse(await readFile(marker, 'utf8')) as {
      rows: number;
      population: number;
      master: number;
    };
    process.stderr.write(`world cached: ${dir}\n`);
    return { dir, rows, population, master };
  }
  await rm(dir, { recursive: true, force: true });
  const started = performance.now();
  const { files } = await writeWorld({ regency, families, defectRate, seed, out: dir });
  const counts = { rows: files.proposal.rows, population: files.population.rows, master: files.master.rows };
  writeFileSync(marker, JSON.stringify(counts));
  process.stderr.write(
    `world generated in ${((performance.now() - started) / 1000).toFixed(1)} s: ${counts.rows.toLocaleString('en')} proposal rows, ${counts.population.toLocaleString('en')} registry, ${counts.master.toLocaleString('en')} master\n`,
  );
  return { dir, ...counts };
}

/** Runs `dtks check` in a child process: wall seconds and peak RSS in MiB. */
async function runCheck(
  dir: string,
): Promise<{ seconds: number; cpuSeconds: number; peakRssMiB: number; source: string }> {
  const timeTool =
    existsSync('/usr/bin/time') && process.env.DTKS_BENCH_NO_TIME === undefined ? '/usr/bin/time' : undefined;
  // Without /usr/bin/time the child reports its own peak RSS when it exits.
  const reportRss = `data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('DTKS_MAXRSS_KB='+u.maxRSS+' DTKS_CPU_US='+(u.userCPUTime+u.systemCPUTime)+'\\n')})`;
  const nodeArgs = [
    ...(timeTool ? [] : ['--import', reportRss]),
    // As bin/dtks.js and `npm run dtks` run it.
    '--max-semi-space-size=64',
    '--import',
    'tsx',
    'cli/main.ts',
    'check',
    join(dir, 'proposal.csv'),
    '--submitter',
    regency,
    '--population',
    join(dir, 'population.csv'),
    '--master',
    join(dir, 'master.csv'),
    '--out',
    join(dir, 'report.csv'),
    '--json',
  ];
  const [command, args] = timeTool ? [timeTool, ['-v', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const started = performance.now();
  const child = spawn(command, args, { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`dtks check failed (exit ${code}):\n${stderr.slice(-2000)}`);
  const kb = timeTool
    ? /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]
    : /DTKS_MAXRSS_KB=(\d+)/.exec(stderr)?.[1];
  const cpuSeconds = timeTool
    ? Number(/User time \(seconds\): ([\d.]+)/.exec(stderr)?.[1] ?? Number.NaN) +
      Number(/System time \(seconds\): ([\d.]+)/.exec(stderr)?.[1] ?? Number.NaN)
    : Number(/DTKS_CPU_US=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1e6;
  return {
    seconds,
    cpuSeconds,
    peakRssMiB: kb ? Number(kb) / 1024 : Number.NaN,
    source: timeTool ? '/usr/bin/time -v' : 'process.resourceUsage',
  };
}

/** The baseline: csv-parse with columns over the proposal alone. */
async function timeParse(path: string): Promise<{ seconds: number; rows: number }> {
  const started = performance.now();
  let rows = 0;
  const parser = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(parse({ columns: true }));
  for await (const _record of parser) rows++;
  return { seconds: (performance.now() - started) / 1000, rows };
}

const results: Measure[] = [];
for (const families of familySizes) {
  const world = await worldFor(families);
  const check = await runCheck(world.dir);
  const parsed = await timeParse(join(world.dir, 'proposal.csv'));
  if (parsed.rows !== world.rows) throw new Error(`csv-parse read ${parsed.rows} rows, expected ${world.rows}`);
  results.push({
    rows: world.rows,
    population: world.population,
    master: world.master,
    checkSeconds: check.seconds,
    checkCpuSeconds: check.cpuSeconds,
    parseSeconds: parsed.seconds,
    peakRssMiB: check.peakRssMiB,
    rssSource: check.source,
  });
}

const header = ['rows', 'registry', 'master', 'check rows/s', 'check CPU s', 'parse rows/s', 'ratio', 'peak RSS MiB'];
const table = results.map((m) => {
  const checkRate = m.rows / m.checkSeconds;
  const parseRate = m.rows / m.parseSeconds;
  return [
    m.rows.toLocaleString('en'),
    m.population.toLocaleString('en'),
    m.master.toLocaleString('en'),
    Math.round(checkRate).toLocaleString('en'),
    m.checkCpuSeconds.toFixed(1),
    Math.round(parseRate).toLocaleString('en'),
    (checkRate / parseRate).toFixed(2),
    m.peakRssMiB.toFixed(0),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
process.stdout.write(`\ndtks check end to end (child process, peak RSS via ${results[0]?.rssSource ?? '-'})\n`);
process.stdout.write(`${line(header)}\n${table.map(line).join('\n')}\n`);
process.stdout.write(
  `(wall-clock rates; on a machine shared with other work, compare rows / check CPU s: ${results
    .map((m) => Math.round(m.rows / m.checkCpuSeconds).toLocaleString('en'))
    .join(', ')} rows per CPU second)\n`,
);
process.stdout.write(
  `target for the 250,000-family world: >= ${TARGET_ROWS_PER_SECOND.toLocaleString('en')} rows/s and < ${TARGET_RSS_MIB} MiB peak RSS\n`,
);
for (const m of results) {
  const ok = m.rows / m.checkSeconds >= TARGET_ROWS_PER_SECOND && m.peakRssMiB < TARGET_RSS_MIB;
  process.stdout.write(`  ${m.rows.toLocaleString('en')} rows: ${ok ? 'meets the target' : 'misses the target'}\n`);
}
