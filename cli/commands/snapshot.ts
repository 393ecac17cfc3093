/** dtks snapshot query "<SQL>" [--period YYYY-MM] — an analyst's SQL over a period's snapshot export. */
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { formatTable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks snapshot query "<SQL>" [--period YYYY-MM] [--json]

Runs SQL with DuckDB over the Parquet snapshot of a period (default: the latest exported):
  dtks            the full tier (nik, no_kk, nama, ..., kode_kabupaten, kode_provinsi, periode)
  dtks_pseudonim  the pseudonymised tier for general analysts (nik_hash, no_kk_hash, no names)
Example: dtks snapshot query "SELECT kode_kabupaten, count(*) FROM dtks GROUP BY 1"`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'snapshot',
    argv,
    { period: { type: 'string' }, json: { type: 'boolean' }, ...TARGET_OPTIONS },
    { max: 3 },
  );
  const [verb, sql, ...extra] = positionals;
  if (values.help || !verb) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  if (verb !== 'query') throw new CliError(`unknown snapshot command "${verb}"\n\n${HELP}`);
  if (!sql || extra.length) throw new CliError('give the SQL as one quoted argument');
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  let result: Awaited<ReturnType<typeof client.querySnapshot>>;
  try {
    result = await client.querySnapshot(sql, values.period);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`query failed: ${(error as Error).message}`, 1, { cause: error });
  }
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`periode ${result.period}\n${formatTable(result.columns, result.rows)}\n`);
  return 0;
}
