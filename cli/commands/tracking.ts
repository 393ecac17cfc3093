/**
 * dtks tracking — the quality control's tracking list (daftar pelacakan) through the approvals API:
 *   dtks tracking --regency 3371 [--as <user>] [--resolved] [--json]     the regency's list
 *   dtks tracking --task PLK-3371-… [--as <user>] [--json]               a moved family's task and its pair
 *   dtks tracking answer PLK-3371-… --answer <ANSWER> [--note "…"] --as <user>
 * --as defaults to the regency's approver (regency-<regency>) locally; on AWS the ID token decides.
 */

import type { Lang } from '#core/messages.ts';
import {
  FINDING_NAMES,
  type FindingKind,
  SUGGESTED_ACTIONS,
  TASK_ANSWER_NAMES,
  TASK_ANSWERS,
  type TaskAnswerKind,
} from '#core/quality-control.ts';
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { formatTable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';
import { refused } from './decide.ts';

const USAGE = `dtks tracking --regency <kode> [--as <user>] [--resolved] [--json]
dtks tracking --task <id> [--as <user>] [--json]
dtks tracking answer <id> --answer <${[...TASK_ANSWERS.ORIGIN, ...TASK_ANSWERS.DESTINATION].join('|')}> [--note "…"] --as <user>

The quality control's tracking list (daftar pelacakan) of a regency: findings on its active persons
(${Object.keys(SUGGESTED_ACTIONS).join(', ')}) with the suggested action, and the families that moved
out (a task for the origin) or in (a notice for the destination). The origin answers KONFIRMASI_HAPUS
or DUKCAPIL_KELIRU, the destination AKAN_DIUSULKAN or TIDAK_DITEMUKAN (a dispute needs --note).
`;

interface Member {
  nik: string;
  nama: string;
  kodeDesa: string;
}
interface Task {
  id: string;
  role: 'ORIGIN' | 'DESTINATION';
  pairedId: string;
  originRegency: string;
  destinationRegency: string;
  noKk: string;
  members: Member[];
  sincePeriod: string;
  status: string;
  resolvedPeriod?: string;
  answer?: { answer: TaskAnswerKind; note: string; answeredBy: string; answeredAt: string };
}
interface Finding {
  nik: string;
  noKk: string;
  nama: string;
  kind: FindingKind;
  detail: string;
  sincePeriod: string;
  status: string;
  destinationRegency?: string;
}

export async function run(argv: string[]): Promise<number> {
  const answering = argv[0] === 'answer';
  const { values, positionals } = parseCommand('tracking', answering ? argv.slice(1) : argv, {
    regency: { type: 'string' },
    task: { type: 'string' },
    as: { type: 'string' },
    resolved: { type: 'boolean' },
    answer: { type: 'string' },
    note: { type: 'string' },
    json: { type: 'boolean' },
    ...TARGET_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!answering && !values.task && !values.regency) {
    throw new CliError(
      { id: 'sebutkan --regency <kode> atau --task <id>', en: 'give --regency <code> or --task <id>' },
      2,
    );
  }
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const lang = values.lang;
  if (answering) {
    const id = positionals[0];
    if (!id || !values.answer) {
      throw new CliError(
        {
          id: 'sebutkan tugas dan jawabannya: dtks tracking answer <id> --answer <JAWABAN>',
          en: 'name the task and the answer: dtks tracking answer <id> --answer <ANSWER>',
        },
        2,
      );
    }
    const answer = await client.api<{ message?: string }>(
      'POST',
      `/tracking/${encodeURIComponent(id)}/answer`,
      values.as,
      {
        answer: values.answer,
        note: values.note ?? '',
      },
    );
    if (answer.status !== 200) refused(answer, values.as);
    process.stdout.write(`${answer.body.message ?? 'dicatat'}\n`);
    return 0;
  }
  if (values.task) {
    const answer = await client.api<{ task: Task; paired?: Task }>(
      'GET',
      `/tracking/${encodeURIComponent(values.task)}`,
      values.as,
    );
    if (answer.status !== 200) refused(answer, values.as);
    const pair = [answer.body.task, answer.body.paired].filter((task): task is Task => task !== undefined);
    if (values.json) process.stdout.write(`${JSON.stringify(pair, null, 2)}\n`);
    else process.stdout.write(`${formatTasks(pair, lang)}\n${formatMembers(answer.body.task)}\n`);
    return 0;
  }
  const regency = (values.regency ?? '').replaceAll('.', '');
  const query = new URLSearchParams({ regency, resolved: values.resolved ? 'true' : 'false' });
  const user = values.as ?? `regency-${regency}`;
  const answer = await client.api<{ findings: Finding[]; tasks: Task[] }>('GET', `/tracking?${query}`, user);
  if (answer.status !== 200) refused(answer, user);
  const { findings = [], tasks = [] } = answer.body;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ findings, tasks }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(formatTracking(regency, findings, tasks, lang));
  return 0;
}

/** The list as a person reads it: the findings, then the moved families. */
export function formatTracking(regency: string, findings: Finding[], tasks: Task[], lang: Lang): string {
  const en = lang === 'en';
  let out = en
    ? `Tracking list of ${regency}: ${findings.length} findings, ${tasks.length} moved families\n`
    : `Daftar pelacakan ${regency}: ${findings.length} temuan, ${tasks.length} keluarga pindah\n`;
  if (findings.length) {
    const sorted = [...findings].sort((a, b) => a.kind.localeCompare(b.kind) || a.nik.localeCompare(b.nik));
    out += `${formatTable(
      en
        ? ['NIK', 'name', 'finding', 'registry says', 'since', 'suggested action', 'state']
        : ['NIK', 'nama', 'temuan', 'menurut Dukcapil', 'sejak', 'tindakan disarankan', 'status'],
      sorted.map((finding) => [
        finding.nik,
        finding.nama,
        FINDING_NAMES[finding.kind][lang],
        finding.detail,
        finding.sincePeriod,
        SUGGESTED_ACTIONS[finding.kind],
        stateOf(finding, lang),
      ]),
    )}\n`;
  }
  if (tasks.length) out += `${formatTasks(tasks, lang)}\n`;
  return out;
}

export function formatTasks(tasks: Task[], lang: Lang): string {
  const en = lang === 'en';
  return formatTable(
    en
      ? ['task', 'side', 'No. KK', 'members', 'from', 'to', 'since', 'state', 'answer']
      : ['tugas', 'pihak', 'No. KK', 'anggota', 'asal', 'tujuan', 'sejak', 'status', 'jawaban'],
    tasks.map((task) => [
      task.id,
      task.role === 'ORIGIN' ? (en ? 'origin' : 'asal') : en ? 'destination' : 'tujuan',
      task.noKk,
      String(task.members.length),
      task.originRegency,
      task.destinationRegency,
      task.sincePeriod,
      stateOf(task, lang),
      task.answer ? `${TASK_ANSWER_NAMES[task.answer.answer][lang]} (${task.answer.answeredBy})` : '-',
    ]),
  );
}

function formatMembers(task: Task): string {
  return formatTable(
    ['NIK', 'nama', 'desa/kelurahan Dukcapil'],
    task.members.map((member) => [member.nik, member.nama, member.kodeDesa]),
  );
}

function stateOf(entry: { status: string; resolvedPeriod?: string }, lang: Lang): string {
  if (entry.status === 'RESOLVED')
    return `${lang === 'en' ? 'resolved' : 'selesai'} ${entry.resolvedPeriod ?? ''}`.trim();
  return lang === 'en' ? 'open' : 'terbuka';
}
