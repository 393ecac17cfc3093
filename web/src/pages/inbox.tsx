/** The approver's inbox: the open tasks of the regency or province, each with the time left before it expires. */
import { get } from '../api.ts';
import { useApp } from '../app-context.ts';
import { DataTable, LoadState, Page, useLoad } from '../components.tsx';
import { formatTime, timeLeft } from '../i18n.ts';
import { href } from '../router.ts';
import type { Task } from '../types.ts';

export function InboxPage() {
  const { words, lang } = useApp();
  const answer = useLoad(() => get<{ tasks: Task[]; message?: string }>('/tasks'), []);
  const tasks = [...(answer.data?.tasks ?? [])].sort((a, b) => (a.expiresAt ?? '').localeCompare(b.expiresAt ?? ''));
  return (
    <Page title={words.inbox}>
      <div class="actions">
        <button type="button" onClick={answer.reload}>
          {words.refresh}
        </button>
      </div>
      <LoadState answer={answer} />
      {answer.data ? (
        <DataTable label={words.inbox} count={tasks.length}>
          <thead>
            <tr>
              <th scope="col">{words.proposals}</th>
              <th scope="col">{words.level}</th>
              <th scope="col">{words.regency}</th>
              <th scope="col">{words.period}</th>
              <th scope="col">{words.source}</th>
              <th scope="col">{words.received}</th>
              <th scope="col">{words.timeLeft}</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => (
              <tr key={`${task.proposalId}-${task.level}`}>
                <td>
                  <a href={href(['usulan', task.proposalId])}>{task.proposalId}</a>
                </td>
                <td>{task.level}</td>
                <td>{task.regency}</td>
                <td>{task.period}</td>
                <td>{task.sourceName ?? task.source ?? '–'}</td>
                <td>{formatTime(task.createdAt, lang)}</td>
                <td>
                  <time dateTime={task.expiresAt}>{timeLeft(task.expiresAt, words)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
    </Page>
  );
}
