/**
 * Who is signed in, in this tab. Two modes, from /config.json:
 *  - local: the stand-in for Cognito on `dtks local up`. The user picks one of the local users and the
 *    token is the username (`Authorization: Bearer <username>`), as local/approvals-server.ts expects.
 *  - cognito: managed login with the authorization-code flow and PKCE (pkce.ts); the ID token, which
 *    carries the role and area claims the API's JWT authorizer reads, is the bearer token.
 * Tokens live in sessionStorage only: gone when the tab closes, never shared with another tab.
 */
import type { ConsoleConfig } from './config.ts';
import { beginSignIn, completeSignIn, exchangeCode, logoutUrl } from './pkce.ts';

const SESSION_KEY = 'dtks.session';

export interface Session {
  token: string;
  /** Epoch ms; absent for a local session (a username does not expire). */
  expiresAt?: number;
}

export function currentSession(): Session | undefined {
  const text = sessionStorage.getItem(SESSION_KEY);
  if (!text) return undefined;
  const session = JSON.parse(text) as Session;
  if (session.expiresAt !== undefined && session.expiresAt <= Date.now()) {
    sessionStorage.removeItem(SESSION_KEY);
    return undefined;
  }
  return session;
}

function keep(session: Session): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** Local mode: sign in as a local user. */
export function signInLocally(username: string): void {
  keep({ token: username });
}

/** Cognito mode: to the managed login page. */
export async function startCognitoSignIn(config: ConsoleConfig): Promise<void> {
  if (config.mode !== 'cognito') return;
  location.assign(await beginSignIn(config.cognito, sessionStorage));
}

/**
 * Cognito mode, on load: when the login page has just sent the browser back (?code=&state=), checks the
 * state, exchanges the code and keeps the tokens; the query is then removed from the address bar.
 */
export async function finishCognitoSignIn(config: ConsoleConfig): Promise<void> {
  if (config.mode !== 'cognito') return;
  const query = new URLSearchParams(location.search);
  if (!query.has('code') && !query.has('error')) return;
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const { code, verifier } = completeSignIn(query, sessionStorage);
  const tokens = await exchangeCode(config.cognito, code, verifier);
  keep({ token: tokens.idToken, expiresAt: tokens.expiresAt });
}

export function signOut(config: ConsoleConfig): void {
  sessionStorage.removeItem(SESSION_KEY);
  if (config.mode === 'cognito') location.assign(logoutUrl(config.cognito));
  else location.hash = '#/';
}
