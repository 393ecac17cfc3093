/**
 * dtks guard [show|approve|hold] --period YYYY-MM [--note "..."] [--as ministry] — the stipulation guard:
 * what a held month would change (the diff report's verdict) and the ministry's answer to it, through the
 * approvals API (POST /periods/{period}/guard), as the ministry's console would send it.
 */

import type { Lang } from '#core/messages.ts';
import type { GuardTaskView } from '#shared/guard-repository.ts';
import { parseCommand, periodOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';
import { formatPeriod } from './stipulate.ts';

const HELP = `dtks guard [show] --period YYYY-MM
dtks guard approve --period YYYY-MM --note "<why>" [--as ministry]
dtks guard hold    --period YYYY-MM --note "<why>" [--as ministry]

The stipulation guard holds a month that deactivates more than GUARD_REGENCY_SHARE (default 5%) of a
regency's active persons, or more than GUARD_NATIONAL_DEACTIVATIONS (default 100,000) in the country,
until the ministry answers:
  show      what the held month would change and why it waits (default)
  approve   sign it off: the month is applied, exported and recorded, with who, when and why
  hold      keep it held: the run ends and nothing is applied; "dtks stipulate --period" asks again
  --note    why (required for approve and hold)
  --as      the local user answering (default: ministry)`;

const VERBS = ['show', 'approve', 'hold'] as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'guard',
    argv,
    { period: { type: 'string' }, note: { type: 'string' }, as: { type: 'string' }, ...TARGET_OPTIONS },
    { max: 1 },
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const verb = (positionals[0] ?? 'show') as (typeof VERBS)[number];
  if (!VERBS.includes(verb)) {
    throw new CliError({
      id: `perintah guard "${verb}" tidak dikenal\n\n${HELP}`,
      en: `unknown guard command "${verb}"\n\n${HELP}`,
    });
  }
  if (values.period === undefined) {
    throw new CliError({ id: 'sebutkan --period YYYY-MM', en: 'give --period YYYY-MM' });
  }
  const period = periodOption(values.period);
  const note = values.note?.trim() ?? '';
  if (verb !== 'show' && !note) {
    throw new CliError({ id: '--note wajib diisi: tulis alasannya', en: '--note is required: say why' });
  }
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const lang = values.lang;
  if (verb === 'show') {
    const task = await client.guardTask(period);
    process.stdout.write(`${task ? formatGuard(task, lang) : noGuard(period, lang)}\n`);
    return 0;
  }
  const task = await client.guardTask(period);
  const answer = await client.signOffGuard(
    period,
    values.as ?? 'ministry',
    verb === 'approve' ? 'APPROVE' : 'HOLD',
    note,
  );
  if (answer.status >= 300) {
    throw new CliError(
      {
        id: answer.body.message ?? `ditolak (${answer.status})`,
        en: answer.body.message ?? `refused (${answer.status})`,
      },
      1,
    );
  }
  process.stdout.write(`${answer.body.message ?? ''}\n`);
  if (!task) return 0;
  // The run goes on (or ends held): wait for it, as dtks stipulate does.
  const execution = await client.waitForExecution(task.executionId);
  if (execution.status === 'SUCCEEDED') {
    process.stdout.write(`${formatPeriod(period, await client.manifest(period).catch(() => undefined))}\n`);
    return 0;
  }
  process.stdout.write(`${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}\n`);
  return verb === 'hold' && execution.error === 'StipulationHeld' ? 0 : 1;
}

function noGuard(period: string, lang: Lang): string {
  return lang === 'en'
    ? `period ${period}: no stipulation has waited for the ministry's sign-off`
    : `periode ${period}: tidak ada penetapan yang menunggu persetujuan Kementerian`;
}

/** The guard task of a period in the ministry's words: why it waits, what it would change, who answered. */
export function formatGuard(task: GuardTaskView, lang: Lang = 'id'): string {
  const en = lang === 'en';
  const { verdict } = task;
  const t = verdict.totals;
  const lines = [
    task.state === 'OPEN'
      ? en
        ? `period ${task.period}: the stipulation WAITS for the ministry's sign-off (nothing applied yet)`
        : `periode ${task.period}: penetapan MENUNGGU persetujuan Kementerian (belum ada yang diterapkan)`
      : en
        ? `period ${task.period}: the guard's task is answered`
        : `periode ${task.period}: tugas penjagaan sudah dijawab`,
    en ? 'why:' : 'alasan:',
    ...verdict.breaches.map((breach) => `  - ${breach}`),
    en
      ? `changes: ${t.adds} added, ${t.reactivations} reactivated, ${t.updates} updated, ${t.moves} moved, ${t.deactivations} deactivated, ${t.decileChanges} decile changes`
      : `perubahan: ${t.adds} ditambah, ${t.reactivations} diaktifkan kembali, ${t.updates} diubah, ${t.moves} pindah, ${t.deactivations} dinonaktifkan, ${t.decileChanges} perubahan desil`,
    `${en ? 'report' : 'laporan'}: ${verdict.reportKey} (SHA-256 ${verdict.reportSha256.slice(0, 16)}…)`,
  ];
  for (const answer of [...(task.earlier ?? []), ...(task.signOff ? [task.signOff] : [])]) {
    lines.push(`${answer.decision} ${en ? 'by' : 'oleh'} ${answer.decidedBy} ${answer.decidedAt}: ${answer.note}`);
  }
  if (task.state === 'OPEN') {
    lines.push(
      en
        ? `answer: dtks guard approve|hold --period ${task.period} --note "<why>"`
        : `jawab: dtks guard approve|hold --period ${task.period} --note "<alasan>"`,
    );
  }
  return lines.join('\n');
}
