/**
 * dtks quality-control run [--period YYYY-MM] — run the quality control (pengendalian kualitas) now, as the
 * population loaders do once the registry is loaded, and wait for it: progress by regency on stderr, the
 * outcome (open findings by kind, the files left for the regencies and the analysts) on stdout.
 */
import { FINDING_KINDS, FINDING_NAMES } from '#core/quality-control.ts';
import type { QualityControlSummary } from '#shared/periods-repository.ts';
import { parseCommand, periodOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { createProgress } from '../progress.ts';
import { formatTable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks quality-control run [--period YYYY-MM]

Runs the quality control workflow now: screens every active person of the DTKS master, as the last
stipulation left it, against the Dukcapil population registry as it stands (deceased, NIK deactivated,
NIK unknown, domicile in another regency, name or family card changed), for the open month (default:
the current month, Asia/Jakarta, which the next stipulation closes). Writes each regency's tracking
list (daftar pelacakan), the moved families' tasks and the period's summary, which that stipulation
includes. Nobody is deactivated: the regencies decide through a proposal. The population loaders start
it by themselves after each Dukcapil extract or delta; a stipulated month is refused.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'quality-control',
    argv,
    { period: { type: 'string' }, ...TARGET_OPTIONS },
    { max: 1 },
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals[0] !== 'run') {
    throw new CliError({
      id: `sebutkan perintahnya: dtks quality-control run [--period YYYY-MM] (diberikan: ${positionals[0] ?? 'tidak ada'})`,
      en: `say what to do: dtks quality-control run [--period YYYY-MM] (given: ${positionals[0] ?? 'nothing'})`,
    });
  }
  const chosen = values.period === undefined ? undefined : periodOption(values.period);
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const progress = createProgress(process.stderr);
  progress.phase(`Pengendalian kualitas ${chosen ?? '(bulan berjalan)'}`);
  const execution = await client.runQualityControl(chosen, (screened, total) =>
    progress.update(
      `Pengendalian kualitas: ${screened} dari ${total} kabupaten/kota disaring`,
      total ? screened / total : 0,
    ),
  );
  progress.done(execution.status ?? '');
  if (execution.status !== 'SUCCEEDED' || !execution.summary) {
    const why = [execution.error, execution.cause].filter(Boolean).join(' ');
    throw new CliError(
      {
        id: `pengendalian kualitas ${execution.period} berakhir ${execution.status}: ${why}`,
        en: `the quality control of ${execution.period} ended ${execution.status}: ${why}`,
      },
      1,
    );
  }
  process.stdout.write(`${formatQualityControl(execution.summary)}\n`);
  return 0;
}

/** The period's summary as the operator reads it: persons screened, open findings by kind, the files. */
export function formatQualityControl(summary: QualityControlSummary): string {
  const { counts } = summary;
  return [
    `pengendalian kualitas ${summary.period}: ${counts.screened} orang aktif di ${summary.regencies} kabupaten/kota disaring terhadap Dukcapil; ` +
      `${counts.openTotal} temuan terbuka (${counts.new} baru, ${counts.resolved} selesai), tidak ada yang dinonaktifkan`,
    formatTable(
      ['temuan', 'terbuka'],
      FINDING_KINDS.map((kind) => [FINDING_NAMES[kind].id, counts.open[kind] ?? 0]),
    ),
    `keluarga pindah: ${counts.movedFamilies} tugas asal, ${counts.incomingFamilies} pemberitahuan tujuan`,
    `berkas (ikut manifes penetapan ${summary.period}): ${summary.files?.length ?? 0}`,
  ].join('\n');
}
