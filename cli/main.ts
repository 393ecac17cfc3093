/**
 * The `dtks` command. Each command lives in cli/commands/<name>.ts and exports
 * `run(argv: string[]): Promise<number>` (the exit code); it is loaded only when called, so that
 * `dtks check` does not pay for the AWS SDK or DuckDB.
 */
import { CliError } from './errors.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
  approve: { summary: 'approve a proposal (optionally with exclusions)', load: () => import('./commands/decide.ts') },
  reject: {
    summary: 'reject a proposal',
    load: async () => ({ run: (await import('./commands/decide.ts')).runReject }),
  },
  stipulate: { summary: "run a month's stipulation now", load: () => import('./commands/stipulate.ts') },
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

Run "dtks <command> --help" for the options of a command.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`dtks: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`dtks ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `dtks: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
