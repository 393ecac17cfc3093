/** dtks tasks --as <user> — the approval tasks waiting for this approver. */
import { parseCommand } from '../args.ts';
import { formatTable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';
import { refused } from './decide.ts';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('tasks', argv, {
    as: { type: 'string' },
    json: { type: 'boolean' },
    ...TARGET_OPTIONS,
  });
  if (values.help) {
    process.stdout.write('dtks tasks --as <user> [--json]\n\nThe approval tasks waiting for this approver.\n');
    return 0;
  }
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(resolveTarget(values));
  const answer = await client.tasks(values.as);
  if (answer.status !== 200) refused(answer, values.as);
  const tasks = answer.body.tasks ?? [];
  if (values.json) process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
  else if (!tasks.length) process.stdout.write('tidak ada tugas / no tasks waiting\n');
  else {
    process.stdout.write(
      `${formatTable(
        ['usulan', 'tingkat', 'kab/kota', 'periode', 'sumber', 'dibuka'],
        // The approver sees where each proposal came from (a task from before sources were kept has none).
        tasks.map((t) => [t.proposalId, t.level, t.regency, t.period, t.source ?? '', t.createdAt]),
      )}\n`,
    );
  }
  return 0;
}
