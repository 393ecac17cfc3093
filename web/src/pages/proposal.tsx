/**
 * One proposal: its summary and totals per result code, the return report to download, the paged rows
 * (filtered on the server by code, verdict and a NIK / No. KK / name search) with the warnings an
 * approver must verify highlighted, the approver's decision (approve, approve with exclusions picked in
 * the table, reject) behind a confirmation step, and the audit timeline.
 */
import { useState } from 'preact/hooks';
import { downloadUrl, get, post } from '../api.ts';
import { useApp } from '../app-context.ts';
import {
  DataTable,
  ErrorMessage,
  Loading,
  LoadState,
  Page,
  Pager,
  StatusBadge,
  TableScroll,
  useAction,
  useLoad,
} from '../components.tsx';
import { formatNumber, formatTime } from '../i18n.ts';
import type { Decision, Exclusion, ProposalAnswer, RowsAnswer, RowView } from '../types.ts';
import { fileNameOf } from './proposals.tsx';

/** Warnings the approver verifies before deciding (DOMAIN.md): shown highlighted in the table. */
const VERIFY_CODES = new Set(['MOVED_DOMICILE', 'POSSIBLE_DUPLICATE_PERSON']);
const PAGE_SIZE = 25;

type Choice = Decision['decision'];
interface Picked extends Exclusion {
  label: string;
}

export function ProposalPage({ proposalId }: { proposalId: string }) {
  const { words, lang, me } = useApp();
  const answer = useLoad(() => get<ProposalAnswer>(`/proposals/${encodeURIComponent(proposalId)}`), [proposalId]);
  const [picked, setPicked] = useState<Map<string, Picked>>(new Map());
  // While the decision waits for its confirmation, the picked rows stay as they are shown there.
  const [confirming, setConfirming] = useState(false);
  // The API's answer to the decision, kept here: the panel goes once the proposal moves on.
  const [decided, setDecided] = useState<string | undefined>();
  if (answer.error) {
    return (
      <Page title={words.proposals}>
        <ErrorMessage error={answer.error} />
      </Page>
    );
  }
  if (!answer.data) return <Loading />;
  const { proposal, codes, events } = answer.data;
  const deciding =
    (me.role === 'regency_approver' && proposal.status === 'AWAITING_REGENCY') ||
    (me.role === 'province_approver' && proposal.status === 'AWAITING_PROVINCE');

  function toggle(exclusion: Picked) {
    const next = new Map(picked);
    const key = `${exclusion.kind}:${exclusion.id}`;
    if (next.has(key)) next.delete(key);
    else next.set(key, exclusion);
    setPicked(next);
  }

  return (
    <Page title={`${words.proposals}: ${fileNameOf(proposal)}`}>
      <div class="card">
        <h2>{words.summary}</h2>
        <dl class="facts">
          <dt>{words.status}</dt>
          <dd>
            <StatusBadge status={proposal.status} />
          </dd>
          <dt>{words.regency}</dt>
          <dd>{proposal.regency}</dd>
          <dt>{words.period}</dt>
          <dd>{proposal.period}</dd>
          <dt>{words.source}</dt>
          <dd>{proposal.sourceName ?? proposal.source ?? '–'}</dd>
          <dt>{words.rows}</dt>
          <dd>{formatNumber(proposal.summary?.rows, lang)}</dd>
          <dt>{words.accepted}</dt>
          <dd>{formatNumber(proposal.summary?.accepted, lang)}</dd>
          <dt>{words.returned}</dt>
          <dd>{formatNumber(proposal.summary?.returned, lang)}</dd>
          <dt>{words.received}</dt>
          <dd>{formatTime(proposal.receivedAt, lang)}</dd>
        </dl>
      </div>
      <CodeTotals codes={codes} />
      <ReportDownloads proposalId={proposalId} />
      <RowsTable
        proposalId={proposalId}
        codes={codes.map((c) => c.code)}
        picking={deciding}
        locked={confirming}
        picked={picked}
        onToggle={toggle}
      />
      {decided ? (
        <div class="card">
          <h2>{words.decision}</h2>
          <p class="notice" role="status">
            {decided}
          </p>
        </div>
      ) : null}
      {deciding && !decided ? (
        <DecisionPanel
          proposalId={proposalId}
          picked={picked}
          onPickedChange={setPicked}
          onConfirming={setConfirming}
          onDecided={(message) => {
            setDecided(message);
            setPicked(new Map());
            answer.reload();
          }}
        />
      ) : null}
      <Timeline events={events} />
    </Page>
  );
}

function CodeTotals({ codes }: { codes: ProposalAnswer['codes'] }) {
  const { words, lang } = useApp();
  return (
    <div class="card">
      <h2>{words.codes}</h2>
      <DataTable label={words.codes} count={codes.length}>
        <thead>
          <tr>
            <th scope="col">{words.code}</th>
            <th scope="col">{words.message}</th>
            <th scope="col" class="number">
              {words.count}
            </th>
          </tr>
        </thead>
        <tbody>
          {codes.map((code) => (
            <tr key={code.code} class={VERIFY_CODES.has(code.code) ? 'verify' : undefined}>
              <td>
                <code>{code.code}</code>
              </td>
              <td>{code.message}</td>
              <td class="number">{formatNumber(code.rows, lang)}</td>
            </tr>
          ))}
        </tbody>
      </DataTable>
    </div>
  );
}

function ReportDownloads({ proposalId }: { proposalId: string }) {
  const { words } = useApp();
  const { error, run } = useAction();
  function download(format: 'csv' | 'xlsx') {
    return run(format, async () => {
      const answer = await get<{ url: string; fileName?: string }>(
        `/proposals/${encodeURIComponent(proposalId)}/report`,
        { format },
      );
      await downloadUrl(answer.url, answer.fileName ?? `laporan-${proposalId}.${format}`);
    });
  }
  return (
    <div class="card">
      <h2>{words.report}</h2>
      <div class="actions">
        <button type="button" onClick={() => void download('csv')}>
          {words.downloadCsv}
        </button>
        <button type="button" onClick={() => void download('xlsx')}>
          {words.downloadXlsx}
        </button>
      </div>
      <ErrorMessage error={error} />
    </div>
  );
}

function RowsTable(props: {
  proposalId: string;
  codes: string[];
  picking: boolean;
  locked: boolean;
  picked: Map<string, Picked>;
  onToggle: (exclusion: Picked) => void;
}) {
  const { words } = useApp();
  const [filters, setFilters] = useState({ code: '', verdict: '', q: '' });
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const answer = useLoad(
    () =>
      get<RowsAnswer>(`/proposals/${encodeURIComponent(props.proposalId)}/rows`, {
        ...filters,
        limit: PAGE_SIZE,
        next: cursor,
      }),
    [props.proposalId, filters.code, filters.verdict, filters.q, cursor],
  );

  function apply(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setCursors([]);
    setFilters({
      code: String(form.get('code') ?? ''),
      verdict: String(form.get('verdict') ?? ''),
      q: String(form.get('q') ?? '').trim(),
    });
  }

  const rows = answer.data?.rows ?? [];
  const first = cursors.length * PAGE_SIZE + 1;
  return (
    <div class="card">
      <h2>{words.results}</h2>
      <form class="filters" onSubmit={apply} aria-label={words.filter}>
        <label>
          {words.code}
          <select name="code" value={filters.code}>
            <option value="">{words.all}</option>
            {props.codes.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        </label>
        <label>
          {words.verdict}
          <select name="verdict" value={filters.verdict}>
            <option value="">{words.all}</option>
            <option value="DITERIMA">{words.verdicts.DITERIMA}</option>
            <option value="DIKEMBALIKAN">{words.verdicts.DIKEMBALIKAN}</option>
          </select>
        </label>
        <label class="grow">
          {words.search}
          <input type="search" name="q" value={filters.q} />
        </label>
        <button type="submit">{words.filter}</button>
      </form>
      <LoadState answer={answer} />
      {answer.data ? (
        <p class="muted" aria-live="polite">
          {rows.length > 0 ? `${first}–${first + rows.length - 1} ${words.ofTotal} ` : ''}
          {answer.data.total} {words.rows.toLowerCase()}
        </p>
      ) : null}
      {rows.length > 0 ? (
        <TableScroll label={words.results}>
          <table class="rows">
            <thead>
              <tr>
                <th scope="col" class="number">
                  {words.line}
                </th>
                <th scope="col">NIK</th>
                <th scope="col">No. KK</th>
                <th scope="col">{words.name}</th>
                <th scope="col">{words.verdict}</th>
                <th scope="col">{words.results}</th>
                {props.picking ? <th scope="col">{words.exclusions}</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <Row key={row.line} row={row} {...props} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <Pager label={words.results} cursors={cursors} next={answer.data?.next} onCursors={setCursors} />
    </div>
  );
}

function Row({
  row,
  picking,
  locked,
  picked,
  onToggle,
}: {
  row: RowView;
  picking: boolean;
  locked: boolean;
  picked: Map<string, Picked>;
  onToggle: (exclusion: Picked) => void;
}) {
  const { words } = useApp();
  const verify = row.codes.some((c) => VERIFY_CODES.has(c.code));
  const person = picked.has(`NIK:${row.nik}`);
  const family = picked.has(`KK:${row.noKk}`);
  return (
    <tr class={[verify ? 'verify' : '', person || family ? 'excluded' : ''].join(' ').trim() || undefined}>
      <td class="number">{row.line}</td>
      <td>
        <code>{row.nik}</code>
      </td>
      <td>
        <code>{row.noKk}</code>
      </td>
      <td>{row.name}</td>
      <td>{words.verdicts[row.verdict] ?? row.verdict}</td>
      <td>
        {verify ? <strong class="tag">{words.verify}</strong> : null}
        <ul class="codes">
          {row.codes.map((c) => (
            <li key={c.code} title={c.message}>
              <code>{c.code}</code> <span class="muted">{c.message}</span>
            </li>
          ))}
        </ul>
      </td>
      {picking ? (
        <td class="pick">
          {row.verdict === 'DITERIMA' ? (
            <>
              <label>
                <input
                  type="checkbox"
                  checked={person}
                  disabled={locked}
                  onChange={() => onToggle({ kind: 'NIK', id: row.nik, reason: '', label: `${row.name} (${row.nik})` })}
                />{' '}
                {words.excludePerson}
              </label>
              <label>
                <input
                  type="checkbox"
                  checked={family}
                  disabled={locked}
                  onChange={() =>
                    onToggle({ kind: 'KK', id: row.noKk, reason: '', label: `No. KK ${row.noKk} (${row.name})` })
                  }
                />{' '}
                {words.excludeFamily}
              </label>
            </>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}

function DecisionPanel(props: {
  proposalId: string;
  picked: Map<string, Picked>;
  onPickedChange: (picked: Map<string, Picked>) => void;
  onConfirming: (confirming: boolean) => void;
  onDecided: (message: string) => void;
}) {
  const { words } = useApp();
  const [choice, setChoice] = useState<Choice>('APPROVE');
  const [note, setNote] = useState('');
  const [step, setStep] = useState<'edit' | 'confirm'>('edit');
  const [problem, setProblem] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const exclusions = [...props.picked.values()];
  const effective: Choice = choice === 'APPROVE' && exclusions.length > 0 ? 'APPROVE_WITH_EXCLUSIONS' : choice;

  function setReason(key: string, reason: string) {
    const next = new Map(props.picked);
    const entry = next.get(key);
    if (entry) next.set(key, { ...entry, reason });
    props.onPickedChange(next);
  }

  function review(event: Event) {
    event.preventDefault();
    setProblem(undefined);
    if (effective === 'REJECT' && !note.trim()) return setProblem(words.noteRequired);
    if (effective === 'APPROVE_WITH_EXCLUSIONS' && exclusions.length === 0) return setProblem(words.exclusionsRequired);
    if (effective === 'APPROVE_WITH_EXCLUSIONS' && exclusions.some((e) => !e.reason.trim())) {
      return setProblem(words.reasonRequired);
    }
    setStep('confirm');
    props.onConfirming(true);
  }

  async function send() {
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        decision: effective,
        note: note.trim(),
        exclusions:
          effective === 'APPROVE_WITH_EXCLUSIONS'
            ? exclusions.map(({ kind, id, reason }) => ({ kind, id, reason: reason.trim() }))
            : [],
      };
      const answer = await post<{ message: string }>(
        `/proposals/${encodeURIComponent(props.proposalId)}/decision`,
        body,
      );
      props.onConfirming(false);
      props.onDecided(answer.message || words.decided);
    } catch (caught) {
      setError(caught);
      setStep('edit');
      props.onConfirming(false);
    } finally {
      setBusy(false);
    }
  }

  if (step === 'confirm') {
    return (
      <section class="card confirm" aria-labelledby="confirm-title">
        <h2 id="confirm-title">{words.confirmTitle}</h2>
        <p>
          <strong>{words.decisions[effective]}</strong>
        </p>
        {note.trim() ? (
          <p>
            {words.note}: {note.trim()}
          </p>
        ) : null}
        {effective === 'APPROVE_WITH_EXCLUSIONS' ? (
          <ul>
            {exclusions.map((e) => (
              <li key={`${e.kind}:${e.id}`}>
                {e.kind === 'KK' ? words.excludeFamily : words.excludePerson}: {e.label} — {e.reason}
              </li>
            ))}
          </ul>
        ) : null}
        <div class="actions">
          <button
            type="button"
            onClick={() => {
              setStep('edit');
              props.onConfirming(false);
            }}
            disabled={busy}
          >
            {words.back}
          </button>
          <button type="button" class="primary" onClick={() => void send()} disabled={busy}>
            {words.confirm}
          </button>
        </div>
      </section>
    );
  }

  return (
    <form class="card form" onSubmit={review}>
      <h2>{words.decision}</h2>
      <fieldset>
        <legend>{words.decision}</legend>
        {(['APPROVE', 'APPROVE_WITH_EXCLUSIONS', 'REJECT'] as const).map((kind) => (
          <label key={kind} class="choice">
            <input
              type="radio"
              name="decision"
              value={kind}
              checked={effective === kind}
              onChange={() => setChoice(kind)}
            />{' '}
            {kind === 'APPROVE' ? words.approve : kind === 'REJECT' ? words.reject : words.approveWithExclusions}
          </label>
        ))}
      </fieldset>
      {effective === 'APPROVE_WITH_EXCLUSIONS' || exclusions.length > 0 ? (
        <fieldset>
          <legend>{words.exclusions}</legend>
          {exclusions.length === 0 ? <p class="muted">{words.exclusionsRequired}</p> : null}
          {exclusions.map((e) => {
            const key = `${e.kind}:${e.id}`;
            return (
              <div class="exclusion" key={key}>
                <label class="grow">
                  {e.kind === 'KK' ? words.excludeFamily : words.excludePerson}: {e.label} — {words.reason}
                  <input
                    type="text"
                    name={`reason-${key}`}
                    required
                    maxLength={500}
                    value={e.reason}
                    onInput={(event) => setReason(key, event.currentTarget.value)}
                  />
                </label>
                <button
                  type="button"
                  onClick={() => {
                    const next = new Map(props.picked);
                    next.delete(key);
                    props.onPickedChange(next);
                  }}
                >
                  {words.remove}
                </button>
              </div>
            );
          })}
        </fieldset>
      ) : null}
      <label>
        {words.note}
        <textarea name="note" maxLength={2000} rows={3} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      <ErrorMessage error={error} />
      <button type="submit" class="primary">
        {words.continue}
      </button>
    </form>
  );
}

function Timeline({ events }: { events: ProposalAnswer['events'] }) {
  const { words, lang } = useApp();
  const sorted = [...events].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <div class="card">
      <h2>{words.timeline}</h2>
      {sorted.length === 0 ? <p class="muted">{words.none}</p> : null}
      <ol class="timeline">
        {sorted.map((event, i) => (
          <li key={`${event.at}-${i}`} class={`event-${event.kind.toLowerCase()}`}>
            <time dateTime={event.at}>{formatTime(event.at, lang)}</time> <strong>{event.kind}</strong>{' '}
            <span>{event.actor}</span>
            {event.from || event.to ? (
              <span>
                {' '}
                {event.from ?? '–'} → {event.to ?? '–'}
              </span>
            ) : null}
            {event.detail ? <div class="muted">{event.detail}</div> : null}
          </li>
        ))}
      </ol>
    </div>
  );
}
