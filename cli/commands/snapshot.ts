/**
 * dtks snapshot query "<SQL>" [--period YYYY-MM] [--tier …] — an analyst's SQL over one tier of a period's export.
 * dtks snapshot verify [--period YYYY-MM] — whether anything of a stipulated period changed after its stipulation.
 */
import { describeProblem, isTampering } from '#core/chain.ts';
import type { Lang } from '#core/messages.ts';
import { parseCommand, periodOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { ACCESS_TIERS, type AccessTier } from '../snapshot-query.ts';
import type { VerifyResult } from '../snapshot-verify.ts';
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
Example: dtks snapshot query "SELECT kode_kecamatan, count(*) FROM dtks_pseudonim GROUP BY 1"

dtks snapshot verify [--period YYYY-MM] [--as <user>] [--json]

Re-reads every file a period's manifest lists and its SHA-256, the manifest against the SHA-256 its
period record keeps, and the hash chain to the previous period's manifest; says whether anything was
changed after the stipulation (a changed file, a missing file, a broken chain, each named) and exits 1
if so. --period: that period and its chain back to the first (default: every period with a manifest).
Reads the full tier: --as ministry (the default) locally, the ministry's credentials on AWS.`;

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
  if (verb === 'verify') return verify(values, positionals.slice(1));
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

async function verify(
  values: {
    period?: string;
    as?: string;
    json?: boolean;
    lang: Lang;
    'data-dir'?: string;
    profile?: string;
    aws?: boolean;
  },
  extra: readonly string[],
): Promise<number> {
  if (extra.length) {
    throw new CliError({
      id: `snapshot verify tidak menerima argumen "${extra[0]}" (gunakan --period YYYY-MM)`,
      en: `snapshot verify takes no argument "${extra[0]}" (use --period YYYY-MM)`,
    });
  }
  const period = values.period === undefined ? undefined : periodOption(values.period);
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const result = await client.verifySnapshots({ period, user: values.as ?? 'ministry' });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.intact ? 0 : 1;
  }
  process.stdout.write(`${formatVerification(result, values.lang)}\n`);
  return result.intact ? 0 : 1;
}

/** The verification in the auditor's language: one line per period, one per problem. */
export function formatVerification(result: VerifyResult, lang: Lang = 'id'): string {
  const en = lang === 'en';
  if (result.periods.length === 0) {
    return en ? 'no stipulated period with a manifest yet' : 'belum ada periode yang ditetapkan dengan manifes';
  }
  const lines: string[] = [];
  for (const each of result.periods) {
    const changed = each.problems.some(isTampering);
    const chain = each.previous ? (en ? `, chained to ${each.previous}` : `, tersambung ke ${each.previous}`) : '';
    lines.push(
      changed
        ? en
          ? `period ${each.period}: CHANGED after the stipulation`
          : `periode ${each.period}: DIUBAH sesudah penetapan`
        : en
          ? `period ${each.period}: intact (${each.files} files${chain})`
          : `periode ${each.period}: utuh (${each.files} berkas${chain})`,
    );
    for (const problem of each.problems) lines.push(`  - ${describeProblem(problem, lang)}`);
  }
  lines.push(
    result.intact
      ? en
        ? 'nothing was changed after the stipulation'
        : 'tidak ada yang diubah sesudah penetapan'
      : en
        ? 'CHANGES FOUND: do not use these snapshots, report it to Pusdatin'
        : 'DITEMUKAN PERUBAHAN: jangan gunakan snapshot ini, laporkan ke Pusdatin',
  );
  return lines.join('\n');
}
