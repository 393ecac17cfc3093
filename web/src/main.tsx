/**
 * The web console: loads /config.json, signs the user in (local pick or Cognito managed login), asks the
 * API who they are (GET /me) and shows the pages of their role. Each role sees its own area only: the
 * API decides that on every request, the navigation merely leaves out what the role cannot use.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { configureApi, get } from './api.ts';
import { AppContext, type AppState } from './app-context.ts';
import { currentSession, finishCognitoSignIn, signOut } from './auth.ts';
import { ErrorMessage } from './components.tsx';
import { type ConsoleConfig, loadConfig, type Role } from './config.ts';
import { initialLang, keepLang, type Lang, type Words, wordsFor } from './i18n.ts';
import { BoardPage } from './pages/board.tsx';
import { InboxPage } from './pages/inbox.tsx';
import { PeriodPage, PeriodsPage } from './pages/periods.tsx';
import { ProposalPage } from './pages/proposal.tsx';
import { ProposalsPage } from './pages/proposals.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { UploadPage } from './pages/upload.tsx';
import { href, parseHash, type Route, useRoute } from './router.ts';
import type { Me } from './types.ts';
import './styles.css';

type Navigation = { parts: string[]; label: (w: Words) => string }[];

/** Both approvers' pages: the inbox of their level, and the proposals of their area. */
const APPROVER: Navigation = [
  { parts: ['tugas'], label: (w) => w.inbox },
  { parts: ['usulan'], label: (w) => w.proposals },
];

/** The pages each role has in its navigation; the first is its home. */
const NAVIGATION: Record<Role, Navigation> = {
  region_operator: [
    { parts: ['unggah'], label: (w) => w.upload },
    { parts: ['usulan'], label: (w) => w.proposals },
  ],
  regency_approver: APPROVER,
  province_approver: APPROVER,
  ministry_operator: [
    { parts: ['papan'], label: (w) => w.board },
    { parts: ['usulan'], label: (w) => w.proposals },
    { parts: ['periode'], label: (w) => w.periods },
  ],
  analyst: [{ parts: ['periode'], label: (w) => w.periods }],
};

/** `#/` goes to the role's first page, replacing the history entry (Back does not bounce here again). */
function Home({ me }: { me: Me }) {
  useEffect(() => {
    const home = NAVIGATION[me.role]?.[0];
    // The effect runs after the paint: a page asked for in between (a link, a typed address) stays.
    if (home && parseHash(location.hash).parts.length === 0) location.replace(href(home.parts));
  }, [me]);
  return null;
}

function Screen({ route, me, words }: { route: Route; me: Me; words: Words }) {
  const [first, second] = route.parts;
  switch (first) {
    case 'unggah':
      return <UploadPage />;
    case 'usulan':
      return second ? <ProposalPage proposalId={second} /> : <ProposalsPage route={route} />;
    case 'tugas':
      return <InboxPage />;
    case 'papan':
      return <BoardPage route={route} />;
    case 'periode':
      return second ? <PeriodPage period={second} /> : <PeriodsPage />;
    case undefined:
      return <Home me={me} />;
    default:
      return <p>{words.notFound}</p>;
  }
}

function Header(props: {
  words: Words;
  lang: Lang;
  onLang: (lang: Lang) => void;
  me?: Me;
  route: Route;
  onSignOut?: () => void;
}) {
  const { words, me } = props;
  return (
    <header class="top">
      <a class="brand" href="#/">
        {words.title}
      </a>
      {me ? (
        <nav aria-label={words.nav}>
          <ul>
            {(NAVIGATION[me.role] ?? []).map((item) => (
              <li key={item.parts.join('/')}>
                <a href={href(item.parts)} aria-current={props.route.parts[0] === item.parts[0] ? 'page' : undefined}>
                  {item.label(words)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <div class="who">
        {me ? (
          <span>
            <strong>{me.username}</strong> · {words.roles[me.role]}
            {me.area ? ` · ${me.areaName ?? me.area}` : ''}
          </span>
        ) : null}
        <button
          type="button"
          lang={props.lang === 'id' ? 'en' : 'id'}
          onClick={() => props.onLang(props.lang === 'id' ? 'en' : 'id')}
        >
          {words.language}
        </button>
        {me && props.onSignOut ? (
          <button type="button" onClick={props.onSignOut}>
            {words.signOut}
          </button>
        ) : null}
      </div>
    </header>
  );
}

function App({ config, startError }: { config: ConsoleConfig; startError?: unknown }) {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<unknown>(startError);
  const [session, setSession] = useState(() => currentSession());
  const route = useRoute();
  const words = wordsFor(lang);

  // Before the browser paints: the page's lang attribute changes in the same frame as its words (a screen
  // reader, or a test, never meets English text in a page still marked Indonesian).
  useLayoutEffect(() => keepLang(lang), [lang]);
  useEffect(() => {
    configureApi({ apiUrl: config.apiUrl, onUnauthorized: () => setSession(undefined) });
  }, [config]);
  useEffect(() => {
    if (!session) return setMe(undefined);
    get<{ user: Me }>('/me').then(
      (answer) => setMe(answer.user),
      (caught: unknown) => setError(caught),
    );
  }, [session]);

  const header = (
    <Header
      words={words}
      lang={lang}
      onLang={setLang}
      me={me}
      route={route}
      onSignOut={() => {
        signOut(config);
        setSession(undefined);
      }}
    />
  );
  if (!session || !me) {
    return (
      <>
        {header}
        <main id="main">
          <ErrorMessage error={error} />
          {session ? null : (
            <SignIn
              config={config}
              words={words}
              onSignedIn={() => {
                setError(undefined);
                location.hash = '#/';
                setSession(currentSession());
              }}
            />
          )}
        </main>
      </>
    );
  }
  const state: AppState = { lang, words, me, config };
  return (
    <AppContext.Provider value={state}>
      {header}
      <main id="main">
        <Screen route={route} me={me} words={words} />
      </main>
    </AppContext.Provider>
  );
}

async function start(): Promise<void> {
  const root = document.getElementById('app')!;
  let config: ConsoleConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    render(<ErrorMessage error={error} />, root);
    return;
  }
  let startError: unknown;
  try {
    await finishCognitoSignIn(config);
  } catch (error) {
    startError = error;
  }
  render(<App config={config} startError={startError} />, root);
}

void start();
