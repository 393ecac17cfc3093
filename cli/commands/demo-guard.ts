/**
 * The demo's stipulation guard (issue 11): a month in which Kota Magelang proposes to deactivate whole
 * families (graduation, `HAPUS MAMPU`, as in the February 2026 PBI deactivations) — more than 5% of its
 * active persons. The proposal passes the checks and both approvals as usual; the stipulation compares the
 * change set with the master and waits for the ministry instead of applying it. A regency approver's answer
 * is refused; the ministry signs off through the approvals API (who, when, why) and only then is the month
 * applied, exported and recorded. Last, `dtks snapshot verify` re-reads the chain of every stipulated period.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.ts';
import { formatGuard } from './guard.ts';
import { formatVerification } from './snapshot.ts';
import { formatPeriod } from './stipulate.ts';

type Client = import('../client.ts').DtksClient;
type Out = (text?: string) => void;

/**
 * The share of the city's master extract the month deactivates: about twice the guard's 5% of the active
 * persons, which the first month's additions have grown by more than half.
 */
const DEACTIVATED_SHARE = 0.2;

/**
 * The guard's month `period` for `world` (Kota Magelang's): whole families of its master that neither its
 * first month's proposal nor the quality control's registry changes touched (those take the list's head;
 * these come from its tail), deactivated as graduated.
 */
export async function demoGuard(
  client: Client,
  world: { regency: string; files: { master: { path: string }; proposal: { path: string } } },
  period: string,
  dir: string,
  out: Out,
): Promise<void> {
  const file = join(dir, `usulan-graduasi-${world.regency}-${period}.csv`);
  const { families, persons } = writeGraduations(world.files.master.path, world.files.proposal.path, file);
  const { proposalId } = await client.upload(file, world.regency, period);
  out(`${world.regency}: usulan ${proposalId}: HAPUS MAMPU untuk ${persons} orang dari ${families} keluarga`);
  const checked = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 300_000);
  out(`pemeriksaan: ${checked.summary?.accepted ?? 0} baris DITERIMA, ${checked.summary?.returned ?? 0} DIKEMBALIKAN`);
  await decideOrFail(client, proposalId, `regency-${world.regency}`, 'Graduasi hasil verifikasi lapangan');
  await client.waitForStatus(proposalId, ['AWAITING_PROVINCE']);
  await decideOrFail(client, proposalId, `province-${world.regency.slice(0, 2)}`, 'Diteruskan ke Menteri');
  await client.waitForStatus(proposalId, ['AWAITING_STIPULATION']);

  const run = await client.stipulate(period);
  if (!run.awaitingSignOff) {
    throw new CliError(`the guard did not hold ${period}: ${run.status} ${run.error ?? ''} ${run.cause ?? ''}`, 1);
  }
  out(formatGuard(run.awaitingSignOff));
  const refused = await client.signOffGuard(period, `regency-${world.regency}`, 'APPROVE', 'setuju');
  out(`regency-${world.regency} menyetujui penetapan → ${refused.status} ${refused.body.message ?? ''}`);
  const note = 'Graduasi PBI diverifikasi bersama Dinas Sosial; daftar penerima diumumkan';
  const answer = await client.signOffGuard(period, 'ministry', 'APPROVE', note);
  out(`ministry: APPROVE → ${answer.status} ${answer.body.message ?? ''}`);
  if (answer.status >= 300) throw new CliError(`the ministry's sign-off was refused: ${answer.body.message}`, 1);
  const done = await client.waitForExecution(run.executionArn ?? '');
  if (done.status !== 'SUCCEEDED') throw new CliError(`stipulation ${done.status}: ${done.error} ${done.cause}`, 1);
  const signOff = (await client.guardTask(period))?.signOff;
  out(`catatan periode ${period}: disetujui oleh ${signOff?.decidedBy} pada ${signOff?.decidedAt} — ${signOff?.note}`);
  out(formatPeriod(period, await client.manifest(period)));

  out();
  out('dtks snapshot verify');
  out(formatVerification(await client.verifySnapshots({ user: 'ministry' })));
}

async function decideOrFail(client: Client, proposalId: string, user: string, note: string): Promise<void> {
  const answer = await client.decide(proposalId, user, 'APPROVE', note);
  if (answer.status >= 300) throw new CliError(`the demo's approval was refused: ${answer.body.message}`, 1);
}

/** Writes the proposal: the tail of the untouched families, DEACTIVATED_SHARE of the master's persons. */
function writeGraduations(
  masterPath: string,
  proposalPath: string,
  out: string,
): { families: number; persons: number } {
  const proposed = new Set(
    readFileSync(proposalPath, 'utf8')
      .split(/\r?\n/)
      .slice(1)
      .flatMap((line) => line.split(',').slice(2, 4)),
  );
  const [header = '', ...lines] = readFileSync(masterPath, 'utf8').split(/\r?\n/).filter(Boolean);
  const families = new Map<string, string[]>();
  let total = 0;
  for (const line of lines) {
    total++;
    // A quoted cell (a comma in an address) would need a CSV parser; such a family is simply not chosen.
    const [nik = '', noKk = ''] = line.split(',');
    const family = families.get(noKk) ?? [];
    family.push(line.includes('"') || proposed.has(nik) || proposed.has(noKk) ? '' : line);
    families.set(noKk, family);
  }
  const chosen: string[][] = [];
  let persons = 0;
  for (const members of [...families.values()].reverse()) {
    if (persons >= total * DEACTIVATED_SHARE) break;
    if (members.some((member) => member === '')) continue;
    chosen.push(members);
    persons += members.length;
  }
  const rows = chosen.flat().map((line) => `HAPUS,MAMPU,${line}`);
  writeFileSync(out, `aksi,alasan,${header}\n${rows.join('\n')}\n`);
  return { families: chosen.length, persons };
}
