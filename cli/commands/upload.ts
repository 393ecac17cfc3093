/** dtks upload <file> --regency <code> [--period YYYY-MM] [--wait] — a region operator's upload. */
import { parseArgs } from 'node:util';
import { normaliseAreaCode } from '#core/area.ts';
import { CliError } from '../errors.ts';
import { createProgress } from '../progress.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks upload <proposal.csv> --regency <code> [--period YYYY-MM] [--wait]

Uploads a proposal (usulan) to proposals/<regency>/<period>/ of the proposals bucket, where the intake
rule starts its workflow. --wait follows it until the integrity check is done.

Options:
  --regency <code>   submitting regency/city, e.g. 3371 or 33.71 (required)
  --period YYYY-MM   the proposal's month (default: this month, Asia/Jakarta)
  --wait             wait for the check and print its result
  --data-dir <dir>   the local environment (default .dtks); --profile <name> or --aws for AWS`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      regency: { type: 'string' },
      period: { type: 'string' },
      wait: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...TARGET_OPTIONS,
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [file] = positionals;
  if (!file) throw new CliError(`missing the proposal file\n\n${HELP}`);
  if (!values.regency) throw new CliError('missing --regency <code>, e.g. --regency 3371');
  const regency = normaliseAreaCode(values.regency);
  const { DtksClient, currentPeriod } = await import('../client.ts');
  const period = values.period ?? currentPeriod();
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new CliError(`--period must be YYYY-MM, not "${period}"`);
  const client = new DtksClient(resolveTarget(values));
  const progress = createProgress(process.stderr);
  progress.phase(`Mengunggah / uploading ${file}`);
  const { key, proposalId } = await client.upload(file, regency, period, (sent, total) =>
    progress.update(`Mengunggah / uploading ${file}`, total ? sent / total : undefined),
  );
  progress.done('');
  process.stdout.write(`uploaded: s3://${client.target.proposalsBucket}/${key}\nproposal: ${proposalId}\n`);
  if (!values.wait) return 0;
  const proposal = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 30 * 60_000);
  const { formatProposal } = await import('./status.ts');
  process.stdout.write(`${formatProposal(proposal)}\n`);
  return 0;
}
