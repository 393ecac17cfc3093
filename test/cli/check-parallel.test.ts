/**
 * `dtks check` on two threads (adapters/extracts/check-worker.ts) writes the report and the summary the
 * one-thread path writes (DTKS_CHECK_SEQUENTIAL=1), byte for byte, on a generated world with defects of
 * every kind: the worker's port codes are the ones the main thread would have looked up.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

  const check = async (report: string, env: NodeJS.ProcessEnv, proposal = files.proposal.path) => {
    const { DTKS_CHECK_SEQUENTIAL: _, ...inherited } = process.env;
    // Node's flags as bin/dtks.js gives them: with --max-semi-space-size in the worker's execArgv the two-thread
    // path could not start, and the CLI quietly checked on one thread.
    const args = ['--max-semi-space-size=32', '--import', 'tsx', 'cli/main.ts', 'check', proposal];
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

  it('keeps every text of the file exactly for the second pass, in any script and encoding', async () => {
    // The second pass reads the rows pass 1 kept (adapters/extracts/check-batches.ts), not the file: names
    // in a script beyond Latin-1, an emoji, quotes and line breaks in a cell, a formula and a cell of
    // 70,000 characters come back as written, in a UTF-8 file and in one read as Windows-1252.
    const lines = (await readFile(files.proposal.path, 'utf8')).split('\n');
    const hostile = [
      'ꦱꦶꦠꦶ ꦲꦩꦶꦤꦃ',
      'Sri 🌾 Wahyuni',
      'Ni Luh "Putu", Ayu\r\nbaris dua',
      '=HYPERLINK("x")',
      'A'.repeat(70_000),
    ];
    const named = (cells: string[], nama: string) => {
      cells[4] = `"${nama.replaceAll('"', '""')}"`;
      return cells.join(',');
    };
    const utf8 = lines.map((line, i) =>
      i > 0 && i <= 4000 && line ? named(line.split(','), hostile[i % hostile.length]!) : line,
    );
    const utf8Path = join(dir, 'hostile-utf8.csv');
    await writeFile(utf8Path, utf8.join('\n'));
    // Bytes that are not UTF-8 from row 2000 on: read as Windows-1252, where 0x80 is the euro sign (above U+00FF).
    const cp1252Path = join(dir, 'hostile-1252.csv');
    const head = Buffer.from(`${lines.slice(0, 2000).join('\n')}\n`);
    const tail = lines
      .slice(2000)
      .map((line, i) => (i < 3000 && line ? named(line.split(','), 'JOS\u00c9 \u20ac') : line));
    const latinTail = Buffer.from(tail.join('\n').replaceAll('\u20ac', '\u0080'), 'latin1');
    await writeFile(cp1252Path, Buffer.concat([head, latinTail]));

    for (const proposal of [utf8Path, cp1252Path]) {
      const parallel = `${proposal}.parallel.csv`;
      const sequential = `${proposal}.sequential.csv`;
      const [two, one] = await Promise.all([
        check(parallel, {}, proposal),
        check(sequential, { DTKS_CHECK_SEQUENTIAL: '1' }, proposal),
      ]);
      expect(two.codes).toEqual(one.codes);
      const report = await readFile(parallel);
      expect(report.equals(await readFile(sequential))).toBe(true);
      expect(report.toString('utf8')).toContain(proposal === utf8Path ? 'ꦱꦶꦠꦶ ꦲꦩꦶꦤꦃ' : 'JOSÉ €');
    }
  }, 120_000);
});
