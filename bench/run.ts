/**
 * npm run bench [-- <options of bench/check.ts>]
 *
 * Runs the benchmarks one after the other, each in its own process so that one's heap does not weigh on the
 * next: bench/parse.ts (the proposal and extract readers, when present) and bench/check.ts (`dtks check` end to
 * end). Options are passed to bench/check.ts, e.g. `npm run bench -- --families 250000`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const checkArgs = process.argv.slice(2);
const benches: { file: string; args: string[] }[] = [
  { file: 'bench/parse.ts', args: [] },
  { file: 'bench/check.ts', args: checkArgs },
];

let failed = 0;
for (const { file, args } of benches) {
  if (!existsSync(file)) {
    process.stdout.write(`(${file} not present, skipped)\n`);
    continue;
  }
  process.stdout.write(`\n== ${file} ${args.join(' ')}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    process.stderr.write(`${file} failed with exit code ${code}\n`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
