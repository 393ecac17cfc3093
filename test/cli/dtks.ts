/**
 * Runs the real `dtks` (bin/dtks.js, what `npx dtks` runs) as a subprocess, so the tests see what a user
 * sees: the exit code and both streams, including anything Node itself prints (warnings, stack traces).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'dtks.js');

export function dtks(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        env: options.env ?? withoutDebug(process.env),
        maxBuffer: 16 << 20,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The environment of the test run without the switches that change what the CLI prints. */
export function withoutDebug(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DEBUG: _debug, DTKS_DEBUG: _dtksDebug, ...rest } = env;
  return rest;
}

/** A Node or tsx stack frame: what a user must never see for an error they can fix. */
export const STACK_FRAME = /^\s+at .+[(:]/m;
