/**
 * The `dtks` command. Each command lives in cli/commands/<name>.ts and exports
 * `run(argv: string[]): Promise<number>` (the exit code); it is loaded only when called, so that
 * `dtks check` does not pay for the AWS SDK or DuckDB.
 */
import { readFileSync } from 'node:fs';
import { hasFlag, peekOption } from './args.ts';
import { CliError, describeError } from './errors.ts';

// The AWS SDK's warning to users of a Node.js it will stop supporting (NodeVersionSupportWarning) is
// left as it is: it is the SDK telling the user something true (see "Node.js" in README.md).

type CommandModule = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  check: {
    summary: 'check a proposal file offline and write its return report',
    load: () => import('./commands/check.ts'),
  },
  generate: {
    summary: 'write a synthetic world (population, master, proposal, truth)',
    load: () => import('./commands/generate.ts'),
  },
  local: {
    summary: 'local up: run the whole pipeline locally until Ctrl-C',
    load: () => import('./commands/local.ts'),
  },
  upload: { summary: 'upload a proposal file for a regency', load: () => import('./commands/upload.ts') },
  status: { summary: 'where proposals are, or one proposal in detail', load: () => import('./commands/status.ts') },
  tasks: { summary: "an approver's waiting tasks", load: () => import('./commands/tasks.ts') },
  tracking: {
    summary: "the quality control's tracking list of a regency, a moved family's tasks, an answer",
    load: () => import('./commands/tracking.ts'),
  },
  approve: { summary: 'approve a proposal (optionally with exclusions)', load: () => import('./commands/decide.ts') },
  reject: {
    summary: 'reject a proposal',
    load: async () => ({ run: (await import('./commands/decide.ts')).runReject }),
  },
  stipulate: { summary: "run a month's stipulation now", load: () => import('./commands/stipulate.ts') },
  'quality-control': {
    summary: 'quality-control run: screen the DTKS against the registry for the open month now',
    load: () => import('./commands/quality-control.ts'),
  },
  guard: {
    summary: 'the stipulation guard: show, approve or hold a month held for the ministry',
    load: () => import('./commands/guard.ts'),
  },
  mandiri: {
    summary: 'self-registration: register <family.json>, status <receipt> --nik, gather',
    load: () => import('./commands/mandiri.ts'),
  },
  snapshot: {
    summary: 'snapshot query "<SQL>": DuckDB over a period export',
    load: () => import('./commands/snapshot.ts'),
  },
  demo: {
    summary: 'the demo month end to end on a fresh local environment (npm start)',
    load: () => import('./commands/demo.ts'),
  },
};

const USAGE = `dtks <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`)
  .join('\n')}

Every command takes --lang id|en (language of its messages, default id), --debug (the stack of an
unexpected error; also DEBUG=1) and --help. dtks --version prints the version.

Run "dtks <command> --help" for the options of a command.`;

/** The package's version (package.json is the one place it is written). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function debugFromEnvironment(): boolean {
  const value = process.env.DEBUG ?? process.env.DTKS_DEBUG ?? '';
  return value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * Runs one command line and returns its exit code; never throws. Whatever a command ends with is
 * printed by describeError: one line for the user's own problem, one line and a hint otherwise.
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const lang = peekOption(argv, 'lang') === 'en' ? 'en' : 'id';
  const debug = hasFlag(argv, 'debug') || debugFromEnvironment();
  const report = (error: unknown, command = name ?? '') => {
    const dataDir = peekOption(argv, 'data-dir');
    const { lines, exitCode } = describeError(error, { command, lang, debug, ...(dataDir ? { dataDir } : {}) });
    process.stderr.write(lines);
    return exitCode;
  };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`dtks ${version()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    return report(
      new CliError({
        id: `perintah "${name}" tidak dikenal; lihat \`dtks --help\``,
        en: `unknown command "${name}"; see \`dtks --help\``,
      }),
      '',
    );
  }
  try {
    return await (await command.load()).run(rest);
  } catch (error) {
    return report(error);
  }
}

/** The process around main: an error that escapes every await (a stream's 'error') is printed the same way. */
export async function runCli(argv: string[]): Promise<void> {
  const last = (error: unknown) => {
    const lang = peekOption(argv, 'lang') === 'en' ? 'en' : 'id';
    const debug = hasFlag(argv, 'debug') || debugFromEnvironment();
    process.stderr.write(describeError(error, { command: argv[0] ?? '', lang, debug }).lines);
    process.exit(1);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  process.exitCode = await main(argv);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts')) {
  void runCli(process.argv.slice(2));
}
