/**
 * `dtks local up` as a developer runs it in a terminal: Ctrl-C (SIGINT to the whole process group,
 * the emulators' process included) stops everything cleanly, the data kept for the next start; and
 * when the emulators' process dies on its own, the command says so and ends instead of serving dead
 * endpoints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/emulators.ts';
import { DESCRIPTION_FILE, type LocalEnvironmentDescription } from '#local/environment.ts';
import { isAlive } from '../support/processes.ts';
import { withoutDebug } from './dtks.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'dtks.js');

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-local-up-'));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  description: LocalEnvironmentDescription;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Starts `dtks local up` in a process group of its own, as a terminal would; resolves once it is up. */
async function localUp(): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'local', 'up', '--data-dir', dataDir], {
    env: { ...withoutDebug(process.env), POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const path = join(dataDir, DESCRIPTION_FILE);
  while (!stdout.includes('Ctrl-C stops it')) {
    if (child.exitCode !== null) throw new Error(`dtks local up ended: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(existsSync(path)).toBe(true);
  const description = JSON.parse(readFileSync(path, 'utf8')) as LocalEnvironmentDescription;
  return { child, description, stderr: () => stderr, exit };
}

describe('dtks local up', () => {
  it('stops both its processes on Ctrl-C, and the next start serves the same data', async () => {
    const first = await localUp();
    expect(first.description.emulatorsPid).not.toBe(first.description.pid);
    expect(isAlive(first.description.emulatorsPid)).toBe(true);
    process.kill(-(first.child.pid as number), 'SIGINT');
    expect(await first.exit, first.stderr()).toBe(0);
    expect(isAlive(first.description.emulatorsPid)).toBe(false);
    expect(existsSync(join(dataDir, DESCRIPTION_FILE))).toBe(false);

    const second = await localUp();
    try {
      expect(second.description.ports).toEqual(first.description.ports);
      const s3 = new S3Client({
        ...LOCAL_AWS,
        endpoint: second.description.endpoints.s3Endpoint,
        forcePathStyle: true,
      });
      const buckets = await s3.send(new ListBucketsCommand({}));
      s3.destroy();
      expect(buckets.Buckets?.map((bucket) => bucket.Name)).toEqual(
        expect.arrayContaining(Object.values(second.description.names.buckets)),
      );
    } finally {
      process.kill(-(second.child.pid as number), 'SIGINT');
      await second.exit;
    }
  }, 120_000);

  it('ends with exit code 1, saying why, when the emulators die on their own', async () => {
    const running = await localUp();
    process.kill(running.description.emulatorsPid, 'SIGKILL');
    expect(await running.exit).toBe(1);
    expect(running.stderr()).toContain(
      `the emulators' process (pid ${running.description.emulatorsPid}) ended unexpectedly`,
    );
    expect(running.stderr()).toContain('proses emulator (DynamoDB dan S3) berhenti sendiri');
    expect(existsSync(join(dataDir, DESCRIPTION_FILE))).toBe(false);
  }, 120_000);
});
