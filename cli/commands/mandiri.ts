/**
 * dtks mandiri register <family.json> | status <receipt> --nik <NIK> | gather [--period YYYY-MM]
 * Self-registration (pendaftaran mandiri) from the command line: what a citizen's form sends to the
 * public endpoint, the receipt lookup, and the cut-off run by hand.
 */
import { readFile } from 'node:fs/promises';
import { parseCommand, periodOption, regencyOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { printable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks mandiri <register|status|gather> [options]

  register <family.json>          sends one family ({"members": [...]}, the proposal columns) to the
                                  public registration endpoint; prints the receipt and the period
  status <receipt> --nik <NIK>    the registration's status, for the NIK of one of its members
  gather [--period YYYY-MM] [--regency 3371]
                                  gathers the period's registrations into one MANDIRI proposal per
                                  regency now, as the cut-off (the 25th, 00:00 WIB) does`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(
    'mandiri',
    rest,
    {
      nik: { type: 'string' },
      period: { type: 'string' },
      regency: { type: 'string' },
      json: { type: 'boolean' },
      ...TARGET_OPTIONS,
    },
    { max: 1 },
  );
  if (values.help || !sub || sub === '--help') {
    process.stdout.write(`${HELP}\n`);
    return sub ? 0 : 2;
  }
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  if (sub === 'register') {
    const file = positionals[0];
    if (!file) throw new CliError({ id: 'sebutkan berkas JSON keluarga', en: 'name the family JSON file' });
    let family: unknown;
    try {
      family = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new CliError({ id: `${file} bukan JSON yang dapat dibaca`, en: `${file} is not readable JSON` }, 2, {
        cause: error,
      });
    }
    const answer = await client.register(family);
    if (values.json) process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    if (answer.status !== 201) throw refusal(answer.status, answer.body);
    if (!values.json) process.stdout.write(`tanda terima: ${answer.body.receipt}\nperiode: ${answer.body.period}\n`);
    return 0;
  }
  if (sub === 'status') {
    const receipt = positionals[0];
    if (!receipt || !values.nik) {
      throw new CliError({
        id: 'dtks mandiri status <tanda terima> --nik <NIK>',
        en: 'dtks mandiri status <receipt> --nik <NIK>',
      });
    }
    const answer = await client.registrationStatus(receipt, values.nik);
    if (answer.status !== 200) throw refusal(answer.status, answer.body);
    process.stdout.write(
      values.json
        ? `${JSON.stringify(answer.body, null, 2)}\n`
        : `status: ${answer.body.status} — ${printable(String(answer.body.message ?? ''))}\nperiode: ${answer.body.period}\n`,
    );
    return 0;
  }
  if (sub === 'gather') {
    const period = values.period === undefined ? undefined : periodOption(values.period);
    const regency = values.regency === undefined ? undefined : regencyOption(values.regency);
    const output = await client.gatherMandiri(period, regency);
    if (values.json) process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    else {
      const lines = output.gathered.map(
        (g) =>
          `${g.regency}: ${g.registrations} pendaftaran, ${g.rows} orang → usulan ${g.proposalId}${g.written ? '' : ' (sudah dihimpun sebelumnya)'}\n  s3 ${g.key}`,
      );
      process.stdout.write(
        `pendaftaran mandiri ${output.period}: ${lines.length ? `\n${lines.join('\n')}` : 'tidak ada pendaftaran'}\n`,
      );
    }
    return 0;
  }
  throw new CliError({
    id: `sub-perintah "${sub}" tidak dikenal; lihat dtks mandiri --help`,
    en: `unknown subcommand "${sub}"; see dtks mandiri --help`,
  });
}

/** The endpoint's refusal, its field messages one per line. */
function refusal(status: number, body: { message?: string; issues?: string[] }): CliError {
  const issues = (body.issues ?? []).map((issue) => `\n  - ${printable(issue)}`).join('');
  const message = `${printable(body.message ?? `HTTP ${status}`)}${issues}`;
  return new CliError({ id: message, en: message }, 1);
}
