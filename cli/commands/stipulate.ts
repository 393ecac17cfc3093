/** dtks stipulate [--period YYYY-MM] — run the month's stipulation (penetapan) now and wait for it. */
import { parseCommand, periodOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { createProgress } from '../progress.ts';
import { formatTable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';
import { formatGuard } from './guard.ts';

const HELP = `dtks stipulate [--period YYYY-MM]

Runs the stipulation workflow now, as the monthly schedule would: collects the province-approved
proposals of the period (default: the month before, Asia/Jakarta), applies them to the DTKS master,
writes the snapshot exports and releases every waiting proposal with its outcome. A month the
stipulation guard holds (mass deactivations) waits for the ministry: this prints why and returns;
answer with dtks guard approve|hold --period YYYY-MM --note "<why>".`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('stipulate', argv, { period: { type: 'string' }, ...TARGET_OPTIONS });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const chosen = values.period === undefined ? undefined : periodOption(values.period);
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const progress = createProgress(process.stderr);
  progress.phase(`Penetapan / stipulation ${chosen ?? '(closing month)'}`);
  const execution = await client.stipulate(chosen);
  progress.done(execution.awaitingSignOff ? 'WAITING' : (execution.status ?? ''));
  if (execution.awaitingSignOff) {
    // The stipulation guard holds the month for the ministry: nothing is applied until it answers.
    process.stdout.write(`${formatGuard(execution.awaitingSignOff, values.lang)}\n`);
    return 0;
  }
  if (execution.status !== 'SUCCEEDED') {
    const why = [execution.error, execution.cause].filter(Boolean).join(' ');
    throw new CliError(
      { id: `penetapan berakhir ${execution.status}: ${why}`, en: `the stipulation ended ${execution.status}: ${why}` },
      1,
    );
  }
  const output = JSON.parse(execution.output ?? '{}') as Record<string, unknown>;
  const period = String(output.period ?? chosen ?? '');
  process.stdout.write(`${formatPeriod(period, await client.manifest(period).catch(() => undefined))}\n`);
  return 0;
}

export function formatPeriod(period: string, manifest: Record<string, unknown> | undefined): string {
  if (!manifest) return `penetapan ${period}: selesai (no manifest found)`;
  const totals = (manifest.totals ?? {}) as { records?: number; byRegency?: Record<string, number> };
  const files = (manifest.files ?? []) as { key: string; tier: string; records: number; bytes: number }[];
  const sources = (manifest.sourceProposals ?? []) as { proposalId: string; regency: string }[];
  return [
    `penetapan ${period}: ${totals.records ?? 0} orang aktif di DTKS${manifest.carriedForward ? ' (tanpa perubahan: penetapan bulan lalu ditetapkan kembali)' : ''}`,
    `usulan yang ditetapkan: ${sources.map((s) => s.proposalId).join(', ') || '-'}`,
    formatTable(
      ['berkas', 'tingkat', 'baris', 'bytes'],
      files.map((f) => [f.key, f.tier, f.records, f.bytes]),
    ),
  ].join('\n');
}
