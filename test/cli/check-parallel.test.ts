/**
 * `dtks check` on two threads (adapters/extracts/check-worker.ts) writes the report and the summary the
 * one-thread path writes (DTKS_CHECK_SEQUENTIAL=1), byte for byte, on a generated world with defects of
 * every kind: the worker's port codes are the ones the main thread would have looked up.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWorld } from '#cli/commands/generate.ts';

describe('dtks check, parallel and sequential', () => {
  let dir = '';
  let files: Awaited<ReturnType<typeof writeWorld>>['files'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dtks-check-parallel-'));
    ({ files } = await writeWorld({
      regency: '3371',
      families: 3000,
      defectRate: 0.2,
      seed: 7,
      out: dir,
      quiet: true,
    }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const check = async (report: string, env: NodeJS.ProcessEnv) => {
    const { DTKS_CHECK_SEQUENTIAL: _, ...inherited } = process.env;
    // Node's flags as bin/dtks.js gives them: with --max-semi-space-size in the worker's execArgv the two-thread
    // path could not start, and the CLI quietly checked on one thread.
    const args = ['--max-semi-space-size=64', '--import', 'tsx', 'cli/main.ts', 'check', files.proposal.path];
    args.push('--submitter', '3371', '--population', files.population.path, '--master', files.master.path);
    args.push('--out', report, '--json');
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      env: { ...inherited, ...env },
      maxBuffer: 16 << 20,
    });
    return JSON.parse(stdout) as { rows: number; returned: number; codes: Record<string, number> };
  };

  it('writes the same report and summary, byte for byte', async () => {
    const parallel = join(dir, 'parallel.csv');
    const sequential = join(dir, 'sequential.csv');
    const [two, one] = await Promise.all([check(parallel, {}), check(sequential, { DTKS_CHECK_SEQUENTIAL: '1' })]);
    expect(two.rows).toBe(files.proposal.rows);
    // A world with defects: the registry's and the master's codes are there to be compared.
    expect(two.returned).toBeGreaterThan(0);
    for (const code of ['NIK_NOT_FOUND', 'NAME_MISMATCH', 'ALREADY_IN_DTKS', 'NOT_IN_DTKS']) {
      expect(two.codes[code], code).toBeGreaterThan(0);
    }
    expect(two.codes).toEqual(one.codes);
    expect((await readFile(parallel)).equals(await readFile(sequential))).toBe(true);
    const summaryOf = (report: string) => readFile(report.replace(/\.csv$/, '.ringkasan.csv'));
    expect((await summaryOf(parallel)).equals(await summaryOf(sequential))).toBe(true);
  }, 120_000);
});
