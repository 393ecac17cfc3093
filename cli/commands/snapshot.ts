/** dtks snapshot query "<SQL>" [--period YYYY-MM] [--tier …] — an analyst's SQL over one tier of a period's export. */
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { ACCESS_TIERS, type AccessTier } from '../snapshot-query.ts';
import { formatTable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks snapshot query "<SQL>" [--period YYYY-MM] [--tier pseudonymised|full] [--as <user>] [--json]

Runs SQL with DuckDB over one tier of a period's Parquet snapshot, downloading only that tier's files
of that period (default period: the latest stipulated, i.e. with a manifest):
  --tier pseudonymised (default)  table dtks_pseudonim: nik_hash, no_kk_hash, kode_kecamatan,
                                  kelompok_tahun_lahir, jenis_kelamin, kelompok_pekerjaan, sumber, ... (k-anonymous)
  --tier full                     table dtks: nik, no_kk, nama, ..., kode_kabupaten, kode_provinsi, periode;
                                  only for the ministry (locally --as ministry; on AWS, your IAM grants)
  --as <user>                     the local user (default: analyst)
Example: dtks snapshot query "SELECT kode_kecamatan, count(*) FROM dtks_pseudonim GROUP BY 1"`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'snapshot',
    argv,
    {
      period: { type: 'string' },
      tier: { type: 'string', choices: ACCESS_TIERS, default: 'pseudonymised' },
      as: { type: 'string' },
      json: { type: 'boolean' },
      ...TARGET_OPTIONS,
    },
    { max: 3 },
  );
  const [verb, sql, ...extra] = positionals;
  if (values.help || !verb) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  if (verb !== 'query') {
    throw new CliError({
      id: `perintah snapshot "${verb}" tidak dikenal\n\n${HELP}`,
      en: `unknown snapshot command "${verb}"\n\n${HELP}`,
    });
  }
  if (!sql || extra.length) {
    throw new CliError({
      id: 'berikan SQL sebagai satu argumen bertanda kutip',
      en: 'give the SQL as one quoted argument',
    });
  }
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  let result: Awaited<ReturnType<typeof client.querySnapshot>>;
  try {
    result = await client.querySnapshot(sql, {
      period: values.period,
      tier: values.tier as AccessTier,
      user: values.as,
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    const message = (error as Error).message;
    throw new CliError({ id: `kueri gagal: ${message}`, en: `query failed: ${message}` }, 1, { cause: error });
  }
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    process.stdout.write(
      `periode ${result.period} (tier ${result.tier})\n${formatTable(result.columns, result.rows)}\n`,
    );
  return 0;
}
