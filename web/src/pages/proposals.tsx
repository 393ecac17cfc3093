/**
 * The proposals of the user's area by period and status (GET /proposals, newest first, paged): the
 * operator's regency, the approver's regency or province, every regency for the ministry. While a
 * proposal is still being checked the list refreshes itself.
 */
import { useState } from 'preact/hooks';
import { get } from '../api.ts';
import { useApp } from '../app-context.ts';
import { DataTable, LoadState, Page, Pager, StatusBadge, useLoad, useReloadWhile } from '../components.tsx';
import { formatNumber, formatTime } from '../i18n.ts';
import { href, navigate, type Route } from '../router.ts';
import { type Proposal, STATUSES } from '../types.ts';

const IN_PROGRESS = new Set(['RECEIVED', 'CHECKING']);

export function fileNameOf(proposal: Proposal): string {
  return proposal.fileName ?? proposal.key.split('/').pop() ?? proposal.key;
}

export function ProposalsPage({ route }: { route: Route }) {
  const { words, lang, me } = useApp();
  const period = route.query.get('period') ?? '';
  const status = route.query.get('status') ?? '';
  const regency = route.query.get('regency') ?? '';
  const uploaded = route.query.get('uploaded');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const answer = useLoad(
    () => get<{ proposals: Proposal[]; next?: string }>('/proposals', { period, status, regency, next: cursor }),
    [period, status, regency, cursor],
  );
  const proposals = answer.data?.proposals ?? [];
  const checking = proposals.some((p) => IN_PROGRESS.has(p.status)) || (uploaded && proposals.length === 0);
  useReloadWhile(checking, answer);

  function filter(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setCursors([]);
    navigate(['usulan'], {
      period: String(form.get('period') ?? ''),
      status: String(form.get('status') ?? ''),
      regency: String(form.get('regency') ?? ''),
    });
  }

  const mayPickRegency = me.role === 'province_approver' || me.role === 'ministry_operator';
  return (
    <Page title={words.proposals}>
      {uploaded ? (
        <p class="notice" role="status">
          {uploaded}: {words.uploaded}
        </p>
      ) : null}
      <form class="filters" onSubmit={filter}>
        <label>
          {words.period}
          <input type="month" name="period" value={period} />
        </label>
        <label>
          {words.status}
          <select name="status" value={status}>
            <option value="">{words.all}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {words.statuses[s]}
              </option>
            ))}
          </select>
        </label>
        {mayPickRegency ? (
          <label>
            {words.regency}
            <input name="regency" inputMode="numeric" pattern="\d{4}" maxLength={4} value={regency} />
          </label>
        ) : null}
        <button type="submit">{words.filter}</button>
      </form>
      <LoadState answer={answer} />
      {answer.data ? (
        <DataTable label={words.proposals} count={proposals.length}>
          <thead>
            <tr>
              <th scope="col">{words.fileName}</th>
              <th scope="col">{words.period}</th>
              <th scope="col">{words.regency}</th>
              <th scope="col">{words.source}</th>
              <th scope="col">{words.status}</th>
              <th scope="col" class="number">
                {words.rows}
              </th>
              <th scope="col" class="number">
                {words.accepted}
              </th>
              <th scope="col" class="number">
                {words.returned}
              </th>
              <th scope="col">{words.received}</th>
            </tr>
          </thead>
          <tbody>
            {proposals.map((proposal) => (
              <tr key={proposal.proposalId}>
                <td>
                  <a href={href(['usulan', proposal.proposalId])}>{fileNameOf(proposal)}</a>
                </td>
                <td>{proposal.period}</td>
                <td>{proposal.regency}</td>
                <td>{proposal.sourceName ?? proposal.source ?? '–'}</td>
                <td>
                  <StatusBadge status={proposal.status} />
                </td>
                <td class="number">{formatNumber(proposal.summary?.rows, lang)}</td>
                <td class="number">{formatNumber(proposal.summary?.accepted, lang)}</td>
                <td class="number">{formatNumber(proposal.summary?.returned, lang)}</td>
                <td>{formatTime(proposal.receivedAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <Pager label={words.proposals} cursors={cursors} next={answer.data?.next} onCursors={setCursors} />
    </Page>
  );
}
