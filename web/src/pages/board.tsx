/**
 * The ministry's board of a month: the proposals of each province and regency by status, the period's
 * stipulation runs, and the button that starts (or re-runs) the stipulation, behind a confirmation.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { useApp } from '../app-context.ts';
import { currentPeriod, ErrorMessage, Loading, Page, TableScroll, useLoad } from '../components.tsx';
import { formatNumber, formatTime } from '../i18n.ts';
import { href, navigate, type Route } from '../router.ts';
import { type BoardAnswer, STATUSES } from '../types.ts';

export function BoardPage({ route }: { route: Route }) {
  const { words, lang } = useApp();
  const period = route.query.get('period') || currentPeriod();
  const answer = useLoad(() => get<BoardAnswer>('/board', { period }), [period]);
  const [confirming, setConfirming] = useState(false);
  const [started, setStarted] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const runs = answer.data?.runs ?? [];
  const running = runs.some((run) => run.status === 'RUNNING');
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(answer.reload, 1500);
    return () => clearTimeout(timer);
  }, [running, answer.data]);

  async function start() {
    setError(undefined);
    setConfirming(false);
    try {
      const result = await post<{ name: string; message?: string }>('/stipulations', { period });
      setStarted(`${words.started}: ${result.name}`);
      answer.reload();
    } catch (caught) {
      setError(caught);
    }
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
      <ErrorMessage error={answer.error} />
      {answer.loading && !answer.data ? <Loading /> : null}
      {answer.data ? (
        <>
          <div class="card">
            <h2>{words.proposals}</h2>
            {regencies.length === 0 ? <p class="muted">{words.none}</p> : null}
            {regencies.length > 0 ? (
              <TableScroll label={words.proposals}>
                <table>
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
                </table>
              </TableScroll>
            ) : null}
          </div>
          <div class="card">
            <h2>{words.runs}</h2>
            {runs.length === 0 ? <p class="muted">{words.none}</p> : null}
            {runs.length > 0 ? (
              <TableScroll label={words.runs}>
                <table>
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
                </table>
              </TableScroll>
            ) : null}
            {started ? (
              <p class="notice" role="status">
                {started}
              </p>
            ) : null}
            <ErrorMessage error={error} />
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
            ) : (
              <button type="button" class="primary" disabled={running} onClick={() => setConfirming(true)}>
                {runs.length > 0 ? words.rerunStipulation : words.startStipulation}
              </button>
            )}
          </div>
        </>
      ) : null}
    </Page>
  );
}
