/**
 * dtks approve <proposal> --as <user> [--exclude NIK|KK:<id>:<reason> ...] --note <text>
 * dtks reject  <proposal> --as <user> --note <text>
 */
import { parseArgs } from 'node:util';
import type { Exclusion } from '#shared/contracts.ts';
import { CliError } from '../errors.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks approve <proposal-id> --as <user> --note <why> [--exclude NIK:<nik>:<reason>] [--exclude KK:<no_kk>:<reason>]
dtks reject <proposal-id> --as <user> --note <why>

Decides the open approval task of the proposal at the user's level (regency or province).
Exclusions keep listed persons or whole families out of the stipulation.`;

export function parseExclusion(text: string): Exclusion {
  const match = /^(NIK|KK):(\d{16}):(.+)$/i.exec(text.trim());
  if (!match)
    throw new CliError(`--exclude must be NIK:<16 digits>:<reason> or KK:<16 digits>:<reason>, not "${text}"`);
  return { kind: match[1]!.toUpperCase() as Exclusion['kind'], id: match[2]!, reason: match[3]!.trim() };
}

export async function run(argv: string[], kind: 'approve' | 'reject' = 'approve'): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      as: { type: 'string' },
      note: { type: 'string' },
      exclude: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
      ...TARGET_OPTIONS,
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [proposalId] = positionals;
  if (!proposalId) throw new CliError(`missing the proposal id\n\n${HELP}`);
  if (!values.note?.trim())
    throw new CliError('say why with --note <text>: every decision is recorded with its reason');
  const exclusions = (values.exclude ?? []).map(parseExclusion);
  if (kind === 'reject' && exclusions.length) throw new CliError('a rejection takes no --exclude');
  const decision = kind === 'reject' ? 'REJECT' : exclusions.length ? 'APPROVE_WITH_EXCLUSIONS' : 'APPROVE';
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const answer = await client.decide(proposalId, values.as, decision, values.note, exclusions);
  if (answer.status >= 300) throw new CliError(`${answer.status}: ${answer.body.message ?? 'refused'}`, 1);
  process.stdout.write(`${answer.body.message ?? `${decision} recorded`}\n`);
  return 0;
}

export function runReject(argv: string[]): Promise<number> {
  return run(argv, 'reject');
}
