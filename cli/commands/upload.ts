/** dtks upload <file> --regency <code> [--period YYYY-MM] [--source MUSDES|KEMENSOS] [--wait] — an operator's upload. */
import { DEFAULT_SOURCE, isProposalSource, type ProposalSource } from '#core/source.ts';
import { parseCommand, periodOption, regencyOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { PROPOSAL_FILE, requireInputFile } from '../paths.ts';
import { createProgress } from '../progress.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks upload <proposal.csv> --regency <code> [--period YYYY-MM] [--source MUSDES|KEMENSOS] [--wait]

Uploads a proposal (usulan) to proposals/<regency>/<period>/ of the proposals bucket (a ministry
proposal, --source KEMENSOS, to kemensos/<regency>/<period>/), where the intake rule starts its
workflow. The place is the source: on AWS a region's operators may write only proposals/
(RegionUploader) and the ministry's kemensos/ (MinistryUploader). --wait follows it until the integrity check is done. The same file again
(same key and content) in a bucket without versioning is the same object: no new proposal comes of
it, and upload names the proposal that already holds it instead of waiting.

Options:
  --regency <code>   submitting regency/city, e.g. 3371 or 33.71 (required)
  --period YYYY-MM   the proposal's month (default: this month, Asia/Jakarta)
  --source <source>  MUSDES (default: the village/kelurahan deliberation, uploaded by the regency) or
                     KEMENSOS (a Ministry of Social Affairs proposal for the regency)
  --wait             wait for the check and print its result
  --data-dir <dir>   the local environment (default .dtks); --profile <name> or --aws for AWS`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'upload',
    argv,
    {
      regency: { type: 'string' },
      period: { type: 'string' },
      source: { type: 'string' },
      wait: { type: 'boolean' },
      ...TARGET_OPTIONS,
    },
    { max: 1 },
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [file] = positionals;
  if (!file) {
    throw new CliError({
      id: 'berkas usulan belum disebut: dtks upload <usulan.csv> --regency <kode>',
      en: 'missing the proposal file: dtks upload <proposal.csv> --regency <code>',
    });
  }
  requireInputFile(file, PROPOSAL_FILE);
  if (!values.regency) {
    throw new CliError({
      id: 'sebutkan kabupaten/kota pengusul dengan --regency <kode>, mis. --regency 3371',
      en: 'missing --regency <code>, e.g. --regency 3371',
    });
  }
  const regency = regencyOption(values.regency);
  const source = uploadSource(values.source);
  const { DtksClient, currentPeriod } = await import('../client.ts');
  const period = periodOption(values.period ?? currentPeriod());
  const client = new DtksClient(resolveTarget(values));
  const progress = createProgress(process.stderr);
  progress.phase(`Mengunggah / uploading ${file}`);
  const { key, proposalId, heldBy } = await client.upload(
    file,
    regency,
    period,
    (sent, total) => progress.update(`Mengunggah / uploading ${file}`, total ? sent / total : undefined),
    source,
  );
  progress.done('');
  process.stdout.write(`uploaded: s3://${client.target.proposalsBucket}/${key}\nproposal: ${proposalId}\n`);
  const { formatProposal } = await import('./status.ts');
  if (heldBy) {
    // The same object again: S3's event is a duplicate and no new proposal will come of it.
    const text =
      values.lang === 'en'
        ? `this file (same key and content) was already received as proposal ${heldBy.proposalId} at ${heldBy.receivedAt} (now ${heldBy.status}); uploading it again makes no new proposal. To submit it again, give the file another name.`
        : `berkas ini (kunci dan isi yang sama) sudah diterima sebagai usulan ${heldBy.proposalId} pada ${heldBy.receivedAt} (sekarang ${heldBy.status}); mengunggahnya lagi tidak membuat usulan baru. Untuk mengajukannya lagi, beri berkas nama lain.`;
    process.stderr.write(`dtks upload: ${text}\n`);
    if (values.wait) process.stdout.write(`${formatProposal((await client.proposal(heldBy.proposalId)) ?? heldBy)}\n`);
    return 0;
  }
  if (!values.wait) return 0;
  const proposal = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 30 * 60_000);
  process.stdout.write(`${formatProposal(proposal)}\n`);
  return 0;
}

/** The source an operator's upload claims: MUSDES by default or KEMENSOS; MANDIRI is the gatherer's alone. */
function uploadSource(value: string | undefined): ProposalSource {
  if (value === undefined) return DEFAULT_SOURCE;
  const source = value.trim().toUpperCase();
  if (source === 'MANDIRI') {
    throw new CliError({
      id: 'usulan sumber MANDIRI tidak diunggah: pendaftaran mandiri dihimpun sendiri oleh sistem dari pendaftaran warga',
      en: 'MANDIRI proposals are not uploaded: the system gathers them from the citizens’ registrations',
    });
  }
  if (!isProposalSource(source)) {
    throw new CliError({
      id: `sumber '${value}' tidak dikenal: MUSDES atau KEMENSOS`,
      en: `unknown source '${value}': MUSDES or KEMENSOS`,
    });
  }
  return source;
}
