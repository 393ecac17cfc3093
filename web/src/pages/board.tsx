/**
 * The ministry's board of a month: the proposals of each province and regency by status, the period's
 * stipulation runs, and the button that starts (or re-runs) the stipulation, behind a confirmation.
 */
import { useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { useApp } from '../app-context.ts';
import {
  currentPeriod,
  DataTable,
  ErrorMessage,
  LoadState,
  Page,
  useAction,
  useLoad,
  useReloadWhile,
} from '../components.tsx';
import { formatNumber, formatTime } from '../i18n.ts';
import { href, navigate, type Route } from '../router.ts';
import { type BoardAnswer, STATUSES } from '../types.ts';

export function BoardPage({ route }: { route: Route }) {
  const { words, lang } = useApp();
  const period = route.query.get('period') || currentPeriod();
  const answer = useLoad(() => get<BoardAnswer>('/board', { period }), [period]);
  const [confirming, setConfirming] = useState(false);
  const [started, setStarted] = useState<string | undefined>();
  const starting = useAction();
  const [signedOff, setSignedOff] = useState<string | undefined>();
  const runs = answer.data?.runs ?? [];
  const running = runs.some((run) => run.status === 'RUNNING');
  useReloadWhile(running, answer);

  function start() {
    setConfirming(false);
    return starting.run('start', async () => {
      const result = await post<{ name: string; message?: string }>('/stipulations', { period });
      setStarted(`${words.started}: ${result.name}`);
      answer.reload();
    });
  }

  const regencies = answer.data?.regencies ?? [];
  const shown = STATUSES.filter((status) => regencies.some((r) => r.counts[status]));
  return (
    <Page title={`${words.board} · ${period}`}>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          navigate(['papan'], { period: String(form.get('period') ?? '') });
        }}
      >
        <label>
          {words.period}
          <input type="month" name="period" value={period} required />
        </label>
        <button type="submit">{words.filter}</button>
        <a href={href(['periode', period])}>{words.manifest}</a>
      </form>
      <LoadState answer={answer} />
      {answer.data ? (
        <>
          <div class="card">
            <h2>{words.proposals}</h2>
            <DataTable label={words.proposals} count={regencies.length}>
              <thead>
                <tr>
                  <th scope="col">{words.province}</th>
                  <th scope="col">{words.regency}</th>
                  {shown.map((status) => (
                    <th scope="col" class="number" key={status}>
                      {words.statuses[status]}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {regencies.map((r) => (
                  <tr key={r.regency}>
                    <td>
                      {r.province} {r.provinceName ?? ''}
                    </td>
                    <td>
                      <a href={href(['usulan'], { period, regency: r.regency })}>
                        {r.regency} {r.regencyName ?? ''}
                      </a>
                    </td>
                    {shown.map((status) => (
                      <td class="number" key={status}>
                        {formatNumber(r.counts[status] ?? 0, lang)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </DataTable>
          </div>
          {answer.data.stipulatedAt ? (
            <p class="notice" role="status">
              {words.stipulatedOn} {formatTime(answer.data.stipulatedAt, lang)}
            </p>
          ) : null}
          <div class="card">
            <h2>{words.runs}</h2>
            <DataTable label={words.runs} count={runs.length}>
              <thead>
                <tr>
                  <th scope="col">{words.name}</th>
                  <th scope="col">{words.status}</th>
                  <th scope="col">{words.startedAt}</th>
                  <th scope="col">{words.stoppedAt}</th>
                  <th scope="col" class="number">
                    {words.applied}
                  </th>
                  <th scope="col">{words.carriedForward}</th>
                  <th scope="col">{words.failure}</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.name}>
                    <td>{run.name}</td>
                    <td>
                      <span class={`status run-${run.status.toLowerCase()}`}>{run.status}</span>
                    </td>
                    <td>{formatTime(run.startedAt, lang)}</td>
                    <td>{formatTime(run.stoppedAt, lang)}</td>
                    <td class="number">{formatNumber(run.applied, lang)}</td>
                    <td>
                      {run.carriedForward === undefined
                        ? '–'
                        : typeof run.carriedForward === 'number'
                          ? formatNumber(run.carriedForward, lang)
                          : run.carriedForward
                            ? words.yes
                            : words.no}
                    </td>
                    <td>{run.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </DataTable>
            {started ? (
              <p class="notice" role="status">
                {started}
              </p>
            ) : null}
            <ErrorMessage error={starting.error} />
            {confirming ? (
              <section class="confirm" aria-labelledby="stipulation-confirm">
                <p id="stipulation-confirm">{words.confirmStipulation}</p>
                <div class="actions">
                  <button type="button" onClick={() => setConfirming(false)}>
                    {words.back}
                  </button>
                  <button type="button" class="primary" onClick={() => void start()}>
                    {words.startConfirm}
                  </button>
                </div>
              </section>
            ) : answer.data.stipulatedAt ? null : (
              // A stipulated month is never run again (the API answers 409): nothing to start.
              <button type="button" class="primary" disabled={running} onClick={() => setConfirming(true)}>
                {runs.length > 0 ? words.rerunStipulation : words.startStipulation}
              </button>
            )}
          </div>
          {signedOff ? (
            <p class="notice" role="status">
              {signedOff}
            </p>
          ) : null}
          {running ? (
            <GuardSignOff
              period={period}
              onAnswered={(message) => {
                setSignedOff(message);
                answer.reload();
              }}
            />
          ) : null}
        </>
      ) : null}
    </Page>
  );
}

/**
 * The ministry's answer to the stipulation guard (POST /periods/{period}/guard) while a run is going: the
 * API answers 409 with its own message when no sign-off is awaited, so the form is offered during any run.
 */
function GuardSignOff({ period, onAnswered }: { period: string; onAnswered: (message: string) => void }) {
  const { words } = useApp();
  const [decision, setDecision] = useState<'APPROVE' | 'HOLD'>('APPROVE');
  const [note, setNote] = useState('');
  const { error, run } = useAction();

  function send(event: Event) {
    event.preventDefault();
    return run('guard', async () => {
      const result = await post<{ message: string }>(`/periods/${encodeURIComponent(period)}/guard`, {
        decision,
        note: note.trim(),
      });
      onAnswered(result.message);
    });
  }

  return (
    <form class="card form" onSubmit={send}>
      <h2>{words.guard}</h2>
      <p class="muted">{words.guardHelp}</p>
      <fieldset>
        <legend>{words.decision}</legend>
        {(['APPROVE', 'HOLD'] as const).map((kind) => (
          <label key={kind} class="choice">
            <input type="radio" name="guard" checked={decision === kind} onChange={() => setDecision(kind)} />{' '}
            {kind === 'APPROVE' ? words.guardApprove : words.guardHold}
          </label>
        ))}
      </fieldset>
      <label>
        {words.guardNote}
        <textarea
          name="guard-note"
          required
          maxLength={2000}
          rows={2}
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </label>
      <ErrorMessage error={error} />
      <button type="submit" class="primary">
        {words.guardSend}
      </button>
    </form>
  );
}
