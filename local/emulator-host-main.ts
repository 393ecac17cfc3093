/**
 * The emulators' own process (forked by local/emulator-host.ts): dynalite and the local S3, as
 * startEmulators() runs them, talking to the parent over the IPC channel. Messages in: `start`
 * (the options), `flush` (answered once every report sent before it is on its way), `stop`.
 * Messages out: `ready` (the endpoints), `failed` (the start failed), `created` (an object the local
 * S3 created), `flushed`.
 *
 * Ctrl-C in a terminal reaches the whole process group: the child ignores SIGINT and waits for the
 * parent's `stop`, so the parent stops the workflows first and the emulators last, as in one process.
 * SIGTERM sent to the child, or a parent gone without stopping it, closes the emulators cleanly.
 */
import { type EmulatorOptions, type Emulators, startEmulators } from './emulators.ts';

export type HostRequest =
  | { type: 'start'; options: Omit<EmulatorOptions, 'log'> }
  | { type: 'flush'; id: number }
  | { type: 'stop' };

export type HostReport =
  | { type: 'ready'; dynamoEndpoint: string; s3Endpoint: string }
  | { type: 'failed'; error: { name: string; message: string; code?: string } }
  | { type: 'log'; message: string }
  | { type: 'created'; event: import('./s3/server.ts').ObjectCreated }
  | { type: 'flushed'; id: number };

const send = (report: HostReport) => process.send?.(report);

let emulators: Emulators | undefined;
let closing: Promise<void> | undefined;

/** How long closing may take before the process ends anyway (LevelDB's log keeps what was written). */
const CLOSE_TIMEOUT_MS = 10_000;

function close(code: number): Promise<void> {
  closing ??= (async () => {
    setTimeout(() => process.exit(code), CLOSE_TIMEOUT_MS).unref();
    await emulators?.stop().catch((error: unknown) => process.stderr.write(`emulators: stop: ${String(error)}\n`));
    process.exit(code);
  })();
  return closing;
}

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void close(0));
process.on('disconnect', () => void close(0));
process.on('message', (request: HostRequest) => {
  if (request.type === 'start') {
    startEmulators({ ...request.options, log: (message) => send({ type: 'log', message }) }).then(
      (started) => {
        emulators = started;
        started.onObjectCreated((event) => send({ type: 'created', event }));
        send({ type: 'ready', dynamoEndpoint: started.dynamoEndpoint, s3Endpoint: started.s3Endpoint });
      },
      (error: Error & { code?: string }) => {
        send({ type: 'failed', error: { name: error.name, message: error.message, code: error.code } });
        void close(1);
      },
    );
  } else if (request.type === 'flush') {
    // IPC messages arrive in the order sent: `flushed` follows every report the server made before.
    send({ type: 'flushed', id: request.id });
  } else if (request.type === 'stop') {
    void close(0);
  }
});
