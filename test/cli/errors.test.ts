/**
 * What a user sees when a command cannot run: one clear line in their language (Bahasa Indonesia, or
 * English with --lang en), exit code 2 for a usage problem, and never a stack trace, whatever the
 * command. Only --debug (or DEBUG) shows the stack of an unexpected error.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtks, STACK_FRAME } from './dtks.ts';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dtks-cli-errors-'));
  await writeFile(join(dir, 'usulan.csv'), 'aksi,nik\r\n');
  await writeFile(join(dir, 'penduduk.csv'), 'nik\r\n');
  await mkdir(join(dir, 'folder.csv'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The one line the CLI printed, checked to be exactly one line without a stack frame. */
function oneLine(stderr: string): string {
  expect(stderr).not.toMatch(STACK_FRAME);
  expect(stderr).not.toMatch(/TypeError|ERR_PARSE_ARGS/);
  return stderr.trim();
}

describe('unknown options and bad numbers', () => {
  const commands: [string, ...string[]][] = [
    ['check', 'x.csv'],
    ['generate'],
    ['local', 'up'],
    ['upload', 'x.csv'],
    ['status'],
    ['tasks'],
    ['approve', 'p'],
    ['reject', 'p'],
    ['stipulate'],
    ['snapshot', 'query', 'SELECT 1'],
    ['snapshot', 'verify'],
    ['guard', 'show', '--period', '2026-11'],
    ['demo'],
  ];

  it.each(commands)('dtks %s refuses an unknown option in one Indonesian line', async (...command) => {
    const run = await dtks([...command, '--tidak-ada', 'x']);
    expect(run.code).toBe(2);
    const line = oneLine(run.stderr);
    expect(line).toContain('opsi --tidak-ada tidak dikenal');
    expect(line).toContain(`dtks ${command[0]} --help`);
  });

  it('says it in English with --lang en', async () => {
    const run = await dtks(['upload', 'x.csv', '--bogus', '--lang', 'en']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toContain('unknown option --bogus');
  });

  it('names a negative, a non-numeric and a too large --families with its bounds', async () => {
    const base = ['generate', '--regency', '3371', '--out', join(dir, 'world')];
    const negative = await dtks([...base, '--families', '-5']);
    expect(negative.code).toBe(2);
    expect(oneLine(negative.stderr)).toContain('--families harus bilangan bulat dari 1 sampai 1.000.000, bukan "-5"');
    const text = await dtks([...base, '--families', 'banyak']);
    expect(text.code).toBe(2);
    expect(oneLine(text.stderr)).toMatch(/--families .*bilangan bulat.*"banyak"/);
    const huge = await dtks([...base, '--families', '50000000', '--lang', 'en']);
    expect(huge.code).toBe(2);
    expect(oneLine(huge.stderr)).toMatch(/--families must be a whole number from 1 to 1,000,000, not "50000000"/);
  });

  it('refuses an option without its value and a port out of range', async () => {
    const missing = await dtks(['upload', 'x.csv', '--regency']);
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toContain('--regency memerlukan nilai');
    const port = await dtks(['local', 'up', '--s3-port', '70000', '--data-dir', join(dir, 'env')]);
    expect(port.code).toBe(2);
    expect(oneLine(port.stderr)).toMatch(/--s3-port .*0 sampai 65\.535.*"70000"/);
  });
});

describe('files', () => {
  const check = (...args: string[]) => dtks(['check', ...args.slice(0, 1), '--submitter', '3371', ...args.slice(1)]);

  it('says a directory given as the proposal is a folder, in the chosen language', async () => {
    const id = await check(join(dir, 'folder.csv'), '--population', join(dir, 'penduduk.csv'));
    expect(id.code).toBe(2);
    expect(oneLine(id.stderr)).toContain(`berkas usulan ${join(dir, 'folder.csv')} adalah folder, bukan berkas`);
    const en = await check(join(dir, 'folder.csv'), '--population', join(dir, 'penduduk.csv'), '--lang', 'en');
    expect(oneLine(en.stderr)).toContain(`proposal file ${join(dir, 'folder.csv')} is a folder, not a file`);
  });

  it('says a directory given as an extract is a folder', async () => {
    const run = await check(join(dir, 'usulan.csv'), '--population', dir);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toContain(`ekstrak penduduk ${dir} adalah folder, bukan berkas`);
  });

  it('names the missing folder of --out before anything is checked', async () => {
    const out = join(dir, 'tidak-ada', 'laporan.csv');
    const run = await check(join(dir, 'usulan.csv'), '--population', join(dir, 'penduduk.csv'), '--out', out);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toContain(`folder ${join(dir, 'tidak-ada')} untuk --out tidak ada`);
  });

  it('refuses generate --out onto an existing file and leaves the file as it was', async () => {
    const file = join(dir, 'usulan.csv');
    const run = await dtks(['generate', '--regency', '3371', '--families', '10', '--out', file]);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toContain(
      `--out ${file} adalah berkas; generate menulis empat berkas ke sebuah folder`,
    );
    expect(await readFile(file, 'utf8')).toBe('aksi,nik\r\n');
  });

  it('refuses a pipe as the proposal instead of waiting on it', async () => {
    const fifo = join(dir, 'pipa.csv');
    await promisify(execFile)('mkfifo', [fifo]);
    const run = await check(fifo, '--population', join(dir, 'penduduk.csv'));
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toContain(`berkas usulan ${fifo} bukan berkas biasa`);
  });

  it('refuses a directory as the file to upload', async () => {
    const run = await dtks(['upload', join(dir, 'folder.csv'), '--regency', '3371', '--data-dir', join(dir, 'env')]);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toContain('adalah folder, bukan berkas');
  });
});

describe('the environment', () => {
  /** A data dir whose local.json names a live process (this one) but endpoints where nothing listens. */
  async function stoppedEnvironment(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const endpoint = `http://127.0.0.1:${port}`;
    const dataDir = join(dir, `stopped-${port}`);
    await mkdir(dataDir, { recursive: true });
    await writeFile(
      join(dataDir, 'local.json'),
      JSON.stringify({
        pid: process.pid,
        region: 'ap-southeast-3',
        ports: { dynamo: port, s3: port, sfn: port, api: port },
        endpoints: { dynamoEndpoint: endpoint, s3Endpoint: endpoint, sfnEndpoint: endpoint, approvalsUrl: endpoint },
        names: {
          tables: { proposals: 'dtks-proposals', master: 'dtks-master', population: 'dtks-population' },
          buckets: { proposals: 'dtks-proposals', exports: 'dtks-exports' },
        },
        stateMachines: { proposal: 'arn:proposal', stipulation: 'arn:stipulation' },
        users: [{ username: 'regency-3371', role: 'regency_approver', area: '3371' }],
      }),
    );
    return dataDir;
  }

  it('says the local environment is not running when its endpoints refuse the connection', async () => {
    const dataDir = await stoppedEnvironment();
    const tasks = await dtks(['tasks', '--as', 'regency-3371', '--data-dir', dataDir]);
    expect(tasks.code).toBe(1);
    expect(oneLine(tasks.stderr)).toMatch(/lingkungan lokal tidak berjalan atau terhenti.*dtks local up/);
    const status = await dtks(['status', '--regency', '3371', '--data-dir', dataDir, '--lang', 'en']);
    expect(status.code).toBe(1);
    expect(oneLine(status.stderr)).toMatch(/the local environment is not running or has stopped.*dtks local up/);
  });

  it('says so when no local environment was ever started', async () => {
    const run = await dtks(['tasks', '--as', 'x', '--data-dir', join(dir, 'never')]);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toContain('tidak ada lingkungan lokal yang berjalan');
  });

  it('prints an unexpected error as one line with a hint, and its stack only with --debug', async () => {
    const dataDir = join(dir, 'broken');
    await mkdir(dataDir, { recursive: true });
    // A description without its endpoints: nothing a user did wrong on the command line.
    await writeFile(join(dataDir, 'local.json'), JSON.stringify({ pid: process.pid }));
    const plain = await dtks(['status', '--regency', '3371', '--data-dir', dataDir]);
    expect(plain.code).toBe(1);
    const lines = plain.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^dtks status: kesalahan tak terduga: /);
    expect(lines[1]).toContain('--debug');
    const debug = await dtks(['status', '--regency', '3371', '--data-dir', dataDir, '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(STACK_FRAME);
  });
});

describe('dtks --version', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const run = await dtks(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`dtks ${version}`);
  });
});
