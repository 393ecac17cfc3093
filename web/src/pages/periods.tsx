/**
 * The stipulated periods (ministry and analyst), and one period's manifest and export files with a
 * download per file. Which tiers are listed and signed is the server's decision: an analyst is given
 * the pseudonymised tier only, and a link to another tier is never in the page to begin with.
 */
import { Fragment } from 'preact';
import { downloadUrl, get, post } from '../api.ts';
import { useApp } from '../app-context.ts';
import { DataTable, ErrorMessage, LoadState, Page, useAction, useLoad } from '../components.tsx';
import { formatNumber, formatTime } from '../i18n.ts';
import { href } from '../router.ts';
import type { PeriodAnswer, PeriodSummary } from '../types.ts';

export function PeriodsPage() {
  const { words, lang } = useApp();
  const answer = useLoad(() => get<{ periods: PeriodSummary[] }>('/periods'), []);
  const periods = answer.data?.periods ?? [];
  return (
    <Page title={words.periods}>
      <LoadState answer={answer} />
      {answer.data ? (
        <DataTable label={words.periods} count={periods.length}>
          <thead>
            <tr>
              <th scope="col">{words.period}</th>
              <th scope="col">{words.stipulatedAt}</th>
              <th scope="col" class="number">
                {words.persons}
              </th>
              <th scope="col" class="number">
                {words.files}
              </th>
              <th scope="col">{words.carriedForward}</th>
            </tr>
          </thead>
          <tbody>
            {periods.map((p) => (
              <tr key={p.period}>
                <td>
                  <a href={href(['periode', p.period])}>{p.period}</a>
                </td>
                <td>{formatTime(p.stipulatedAt, lang)}</td>
                <td class="number">{formatNumber(p.persons, lang)}</td>
                <td class="number">{formatNumber(p.files, lang)}</td>
                <td>{p.carriedForward === undefined ? '–' : p.carriedForward ? words.yes : words.no}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
    </Page>
  );
}

/** The manifest's plain facts (numbers, strings, booleans), one level deep: enough to read, never a dump. */
function facts(manifest: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(manifest)) {
    if (['string', 'number', 'boolean'].includes(typeof value)) out.push([key, String(value)]);
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (['string', 'number', 'boolean'].includes(typeof innerValue))
          out.push([`${key}.${inner}`, String(innerValue)]);
      }
    }
  }
  return out;
}

export function PeriodPage({ period }: { period: string }) {
  const { words, lang } = useApp();
  const answer = useLoad(() => get<PeriodAnswer>(`/periods/${encodeURIComponent(period)}`), [period]);
  const { error, busy, run } = useAction();

  function download(key: string) {
    return run(key, async () => {
      const { url } = await post<{ url: string }>(`/periods/${encodeURIComponent(period)}/downloads`, { key });
      await downloadUrl(url, key.split('/').pop() ?? key);
    });
  }

  return (
    <Page title={`${words.period} ${period}`}>
      <LoadState answer={answer} />
      {answer.data ? (
        <>
          <div class="card">
            <h2>{words.files}</h2>
            <ErrorMessage error={error} />
            <DataTable label={words.files} count={answer.data.files.length}>
              <thead>
                <tr>
                  <th scope="col">{words.file}</th>
                  <th scope="col">{words.tier}</th>
                  <th scope="col" class="number">
                    {words.rows}
                  </th>
                  <th scope="col" class="number">
                    {words.bytes}
                  </th>
                  <th scope="col">SHA-256</th>
                  <th scope="col">{words.download}</th>
                </tr>
              </thead>
              <tbody>
                {answer.data.files.map((file) => (
                  <tr key={file.key}>
                    <td>
                      <code>{file.key}</code>
                    </td>
                    <td>{words.tiers[file.tier] ?? file.tier}</td>
                    <td class="number">{formatNumber(file.rows, lang)}</td>
                    <td class="number">{formatNumber(file.bytes, lang)}</td>
                    <td>
                      <code class="hash">{file.sha256?.slice(0, 16) ?? '–'}</code>
                    </td>
                    <td>
                      <button
                        type="button"
                        disabled={busy === file.key}
                        onClick={() => void download(file.key)}
                        aria-label={`${words.download} ${file.key}`}
                      >
                        {words.download}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </DataTable>
          </div>
          <div class="card">
            <h2>{words.manifest}</h2>
            <dl class="facts">
              {facts(answer.data.manifest).map(([key, value]) => (
                <Fragment key={key}>
                  <dt>{key}</dt>
                  <dd>{value}</dd>
                </Fragment>
              ))}
            </dl>
          </div>
        </>
      ) : null}
    </Page>
  );
}
