/**
 * The emulators in a process of their own: dynalite and the local S3 (local/emulators.ts) forked into
 * a child (local/emulator-host-main.ts), so their request handling, LevelDB and garbage collection run
 * on the second core instead of the handlers' event loop. Persisted as in one process (the same data
 * dir, the same ports), and the object-created reports come back over the IPC channel.
 *
 * The child's life follows the parent's: stop() ends it cleanly (the data dir is closed before it
 * exits), a parent gone without stopping it makes it stop itself, and an exit nobody asked for is
 * reported (the log, onExit) instead of leaving requests to hang: DynamoDB and S3 refuse connections
 * from then on, and the SDK's retries end in an error.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostReport, HostRequest } from './emulator-host-main.ts';
import type { EmulatorOptions, Emulators } from './emulators.ts';
import type { ObjectCreated } from './s3/server.ts';

const CHILD = fileURLToPath(new URL('./emulator-host-main.ts', import.meta.url));
/** How long a stopping child may take to close its data before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

/** How the emulators' process ended when nobody stopped it. */
export interface EmulatorExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** One sentence for the log: what ended, and what that means for the environment. */
  message: string;
}

export interface EmulatorProcess extends Emulators {
  /** Called once if the child ends without stop() (a crash, a kill). */
  onExit(listener: (exit: EmulatorExit) => void): void;
}

/** Starts the emulators in a child process; resolves when both listen. */
export async function startEmulatorProcess(options: EmulatorOptions = {}): Promise<EmulatorProcess> {
  const { log, ...childOptions } = options;
  const child: ChildProcess = fork(CHILD, [], {
    // The child runs TypeScript through tsx's loader, found from here whatever the working directory;
    // a profiled parent (node --cpu-prof, --heap-prof) has its emulators profiled too.
    execArgv: [
      '--import',
      pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
      ...process.execArgv.filter((arg) => /^--(cpu|heap)-prof/.test(arg)),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const send = (request: HostRequest) => {
    if (child.connected) child.send(request);
  };
  const createdListeners: ((event: ObjectCreated) => void)[] = [];
  const exitListeners: ((exit: EmulatorExit) => void)[] = [];
  const flushes = new Map<number, () => void>();
  let flushId = 0;
  let stopping = false;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const ready = new Promise<{ dynamoEndpoint: string; s3Endpoint: string }>((resolve, reject) => {
    child.on('message', (report: HostReport) => {
      switch (report.type) {
        case 'ready':
          return resolve(report);
        case 'failed':
          return reject(Object.assign(new Error(report.error.message), report.error));
        case 'log':
          return log?.(report.message);
        case 'created':
          for (const listener of createdListeners) listener(report.event);
          return;
        case 'flushed':
          flushes.get(report.id)?.();
          flushes.delete(report.id);
          return;
      }
    });
    child.on('error', (error) => {
      reject(error);
      log?.(`the emulators' process: ${error.message}`);
    });
    void exited.then(([code, signal]) =>
      reject(new Error(`the emulators' process ended before it was ready (${describe(code, signal)})`)),
    );
  });

  void exited.then(([code, signal]) => {
    // Nobody waits for a round trip that will not come back.
    for (const resolve of flushes.values()) resolve();
    flushes.clear();
    if (stopping) return;
    const exit: EmulatorExit = {
      code,
      signal,
      message: `the emulators' process (pid ${child.pid}) ended unexpectedly (${describe(code, signal)}): DynamoDB and S3 are unavailable until the environment is started again (the data dir keeps what was written)`,
    };
    log?.(exit.message);
    for (const listener of exitListeners) listener(exit);
  });

  const stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  send({ type: 'start', options: childOptions });
  let endpoints: { dynamoEndpoint: string; s3Endpoint: string };
  try {
    endpoints = await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dynamoEndpoint: endpoints.dynamoEndpoint,
    s3Endpoint: endpoints.s3Endpoint,
    pid: child.pid as number,
    onObjectCreated: (listener) => void createdListeners.push(listener),
    onExit: (listener) => void exitListeners.push(listener),
    flush() {
      if (!child.connected) return Promise.resolve();
      const id = ++flushId;
      return new Promise<void>((resolve) => {
        flushes.set(id, resolve);
        send({ type: 'flush', id });
      });
    },
    stop,
  };
}

function describe(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}
