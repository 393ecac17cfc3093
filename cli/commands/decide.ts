/**
 * dtks approve <proposal> --as <user> [--exclude NIK|KK:<id>:<reason> ...] --note <text>
 * dtks reject  <proposal> --as <user> --note <text>
 */
import type { Exclusion } from '#shared/contracts.ts';
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks approve <proposal-id> --as <user> --note <why> [--exclude NIK:<nik>:<reason>] [--exclude KK:<no_kk>:<reason>]
dtks reject <proposal-id> --as <user> --note <why>

Decides the open approval task of the proposal at the user's level (regency or province).
Exclusions keep listed persons or whole families out of the stipulation.`;

export function parseExclusion(text: string): Exclusion {
  const match = /^(NIK|KK):(\d{16}):(.+)$/i.exec(text.trim());
  if (!match) {
    throw new CliError({
      id: `--exclude harus NIK:<16 angka>:<alasan> atau KK:<16 angka>:<alasan>, bukan "${text}"`,
      en: `--exclude must be NIK:<16 digits>:<reason> or KK:<16 digits>:<reason>, not "${text}"`,
    });
  }
  return { kind: match[1]!.toUpperCase() as Exclusion['kind'], id: match[2]!, reason: match[3]!.trim() };
}

export async function run(argv: string[], kind: 'approve' | 'reject' = 'approve'): Promise<number> {
  const { values, positionals } = parseCommand(
    kind,
    argv,
    {
      as: { type: 'string' },
      note: { type: 'string' },
      exclude: { type: 'string', multiple: true },
      ...TARGET_OPTIONS,
    },
    { max: 1 },
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [proposalId] = positionals;
  if (!proposalId) {
    throw new CliError({
      id: `id usulan belum disebut: dtks ${kind} <id-usulan> --as <pengguna> --note <alasan>`,
      en: `missing the proposal id: dtks ${kind} <proposal-id> --as <user> --note <why>`,
    });
  }
  if (!values.note?.trim()) {
    throw new CliError({
      id: 'sebutkan alasannya dengan --note <teks>: setiap keputusan dicatat beserta alasannya',
      en: 'say why with --note <text>: every decision is recorded with its reason',
    });
  }
  const exclusions = (values.exclude ?? []).map(parseExclusion);
  if (kind === 'reject' && exclusions.length) {
    throw new CliError({ id: 'penolakan tidak memakai --exclude', en: 'a rejection takes no --exclude' });
  }
  const decision = kind === 'reject' ? 'REJECT' : exclusions.length ? 'APPROVE_WITH_EXCLUSIONS' : 'APPROVE';
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const answer = await client.decide(proposalId, values.as, decision, values.note, exclusions);
  if (answer.status >= 300) refused(answer, values.as);
  process.stdout.write(`${answer.body.message ?? `${decision} recorded`}\n`);
  return 0;
}

/** The API's refusal (its message is in Bahasa Indonesia, with a stable code) as the command's error. */
export function refused(answer: { status: number; body: { message?: string; code?: string } }, user?: string): never {
  // 401 is the gateway's own bare {"message":"Unauthorized"}: say what it means for this user.
  if (answer.status === 401) {
    throw new CliError(
      {
        id: `401: pengguna "${user ?? ''}" tidak dikenali oleh API persetujuan (lokal: salah satu pengguna yang dicetak \`dtks local up\`; di AWS: DTKS_ID_TOKEN yang sah dan belum kedaluwarsa)`,
        en: `401: the approvals API does not recognise the user "${user ?? ''}" (locally: one of the users \`dtks local up\` prints; on AWS: a valid, unexpired DTKS_ID_TOKEN)`,
      },
      1,
    );
  }
  const code = answer.body.code ? ` ${answer.body.code}` : '';
  throw new CliError(`${answer.status}${code}: ${answer.body.message ?? 'ditolak / refused'}`, 1);
}

export function runReject(argv: string[]): Promise<number> {
  return run(argv, 'reject');
}
