/**
 * Small pieces every page uses: loading an answer (and reloading it while work goes on), showing the API's
 * message, a status, a scrolling table or "none", a pager.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { useApp } from './app-context.ts';
import type { ProposalStatus } from './types.ts';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` whenever `deps` change; `reload` loads again (after an action, or on a timer). */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** The API's own message (Indonesian) and code, in an alert the screen reader announces. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <p class="error" role="alert">
      {message}
      {code ? <span class="code"> ({code})</span> : null}
    </p>
  );
}

/** An answer's error, and "loading" until its first data: the top of every loaded section. */
export function LoadState({ answer }: { answer: Loaded<unknown> }) {
  return (
    <>
      <ErrorMessage error={answer.error} />
      {answer.loading && !answer.data ? <Loading /> : null}
    </>
  );
}

export function Loading() {
  const { words } = useApp();
  return (
    <p class="muted" aria-live="polite">
      {words.loading}
    </p>
  );
}

export function StatusBadge({ status }: { status: ProposalStatus }) {
  const { words } = useApp();
  return <span class={`status status-${status.toLowerCase()}`}>{words.statuses[status] ?? status}</span>;
}

/** A table that scrolls sideways on a phone; focusable so a keyboard can scroll it too. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
    <section class="table-scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

/**
 * An action the user starts (a download, a sign-off): its last error, cleared when one starts again, and
 * `busy`, the key of the action going on.
 */
export function useAction() {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string | undefined>();
  const run = useCallback(async (key: string, action: () => Promise<void>) => {
    setError(undefined);
    setBusy(key);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(undefined);
    }
  }, []);
  return { error, busy, run };
}

/** "None" when there are no rows, else the table (its `<thead>` and `<tbody>` are the children) in a TableScroll. */
export function DataTable({ label, count, children }: { label: string; count: number; children: ComponentChildren }) {
  const { words } = useApp();
  if (count === 0) return <p class="muted">{words.none}</p>;
  return (
    <TableScroll label={label}>
      <table>{children}</table>
    </TableScroll>
  );
}

/** Previous / next over a cursor-paged list: `cursors` is the stack of `next` cursors followed so far. */
export function Pager({
  label,
  cursors,
  next,
  onCursors,
}: {
  label: string;
  cursors: string[];
  next?: string;
  onCursors: (cursors: string[]) => void;
}) {
  const { words } = useApp();
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={cursors.length === 0} onClick={() => onCursors(cursors.slice(0, -1))}>
        {words.previous}
      </button>
      <button type="button" disabled={!next} onClick={() => next && onCursors([...cursors, next])}>
        {words.next}
      </button>
    </nav>
  );
}

/** Reloads the answer every 1.5 s while `active` (a check or a stipulation run still going). */
export function useReloadWhile(active: unknown, answer: Loaded<unknown>): void {
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(answer.reload, 1500);
    return () => clearTimeout(timer);
  }, [active, answer.data, answer.error]);
}

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · DTKS`;
  }, [title]);
  return (
    <section class="page">
      <h1>{title}</h1>
      {children}
    </section>
  );
}

/** The current period, YYYY-MM, in Western Indonesia Time (UTC+7) as the pipeline counts months. */
export function currentPeriod(now = new Date()): string {
  const wib = new Date(now.getTime() + 7 * 3600_000);
  return wib.toISOString().slice(0, 7);
}
