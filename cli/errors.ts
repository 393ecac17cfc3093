/**
 * What the CLI prints when a command cannot do its job. A user's problem (a wrong option, a missing
 * file, an environment that is not running) is one line in the user's language, without a stack
 * trace; anything else is an unexpected error: one line and a hint, its stack only under --debug.
 */
import type { Lang } from '#core/messages.ts';

/** A message in both languages of the CLI (Bahasa Indonesia is the default, PROPOSAL_FORMAT.md). */
export interface Text {
  id: string;
  en: string;
}

/** A usage or input problem the user can fix; printed as one line without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly text: Text;
  constructor(
    message: string | Text,
    readonly exitCode = 2,
    options?: ErrorOptions,
  ) {
    // A plain string is already in the user's language (e.g. a core error's messageIn(lang)).
    const text = typeof message === 'string' ? { id: message, en: message } : message;
    super(text.id, options);
    this.text = text;
  }

  messageIn(lang: Lang): string {
    return this.text[lang];
  }
}

/** Network failures that mean nothing answers at the endpoint (or it went away mid-request). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT']);

interface ConnectionFailure {
  code: string;
  address?: string;
  port?: number;
}

/**
 * The connection failure inside an error, if any: the SDK throws Node's socket error itself, fetch
 * wraps it as `cause`, and a connection to a name with several addresses fails as an AggregateError.
 */
export function connectionFailure(error: unknown, depth = 0): ConnectionFailure | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { code?: unknown; address?: unknown; port?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) {
    const inner = Array.isArray(e.errors) ? connectionFailure(e.errors[0], depth + 1) : undefined;
    return {
      code: e.code,
      ...(typeof e.address === 'string' ? { address: e.address } : inner?.address ? { address: inner.address } : {}),
      ...(typeof e.port === 'number' ? { port: e.port } : inner?.port ? { port: inner.port } : {}),
    };
  }
  return (
    connectionFailure(e.cause, depth + 1) ??
    (Array.isArray(e.errors) ? connectionFailure(e.errors[0], depth + 1) : undefined)
  );
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.|localhost$)/;

/** A lost connection said for what it most likely is: locally, an environment that is not (or no longer) up. */
export function connectionError(failure: ConnectionFailure, dataDir: string | undefined): CliError {
  const where = failure.address ? `${failure.address}${failure.port ? `:${failure.port}` : ''}` : '';
  const local = !failure.address || LOOPBACK.test(failure.address);
  const at = where ? ` (${where}, ${failure.code})` : ` (${failure.code})`;
  const dir = dataDir ? ` --data-dir ${dataDir}` : '';
  if (local) {
    return new CliError(
      {
        id: `lingkungan lokal tidak berjalan atau terhenti${at}; jalankan \`dtks local up${dir}\` lalu ulangi perintah ini`,
        en: `the local environment is not running or has stopped${at}; run \`dtks local up${dir}\` and repeat this command`,
      },
      1,
    );
  }
  return new CliError(
    {
      id: `tidak dapat terhubung ke layanan${at}; periksa jaringan dan variabel lingkungan AWS, lalu ulangi`,
      en: `cannot reach the service${at}; check the network and the AWS environment variables, then repeat`,
    },
    1,
  );
}

/**
 * The lines printed for an error a command ended with. `debug` adds the stack of an unexpected
 * error (and of a CliError's cause) for whoever has to find the bug.
 */
export function describeError(
  error: unknown,
  context: { command: string; lang: Lang; debug: boolean; dataDir?: string },
): { lines: string; exitCode: number } {
  const prefix = context.command ? `dtks ${context.command}` : 'dtks';
  const failure = error instanceof CliError ? undefined : connectionFailure(error);
  const known = error instanceof CliError ? error : failure ? connectionError(failure, context.dataDir) : undefined;
  if (known) {
    const cause = known.cause ?? (failure ? error : undefined);
    const stack = context.debug && cause instanceof Error && cause.stack ? `\n${cause.stack}` : '';
    return { lines: `${prefix}: ${known.messageIn(context.lang)}${stack}\n`, exitCode: known.exitCode };
  }
  const summary = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
  const hint =
    context.lang === 'en'
      ? 'this is a bug in dtks, not in your input; run it again with --debug (or DEBUG=1) for the details and report them'
      : 'ini kesalahan pada dtks, bukan pada masukan Anda; ulangi dengan --debug (atau DEBUG=1) untuk rinciannya dan laporkan';
  const detail = context.debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  const label = context.lang === 'en' ? 'unexpected error' : 'kesalahan tak terduga';
  return { lines: `${prefix}: ${label}: ${summary}\n${hint}${detail}\n`, exitCode: 1 };
}
