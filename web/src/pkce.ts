/**
 * The authorization-code flow with PKCE (RFC 7636, S256) against Cognito managed login, as pure steps
 * over a key-value store (sessionStorage in the browser, a Map in the tests): begin writes a fresh
 * state and code verifier and answers the /oauth2/authorize address; complete checks the state the
 * login page sent back against the stored one (once: it is removed either way) and answers the code
 * and verifier for the token exchange at /oauth2/token. No DOM here, so Node's tests run it as it is.
 */

export interface CognitoSettings {
  /** The user-pool domain, `https://<prefix>.auth.<region>.amazoncognito.com` (scheme optional). */
  domain: string;
  clientId: string;
  redirectUri: string;
  logoutUri: string;
  scopes: readonly string[];
}

/** What sessionStorage offers: enough to keep the pending sign-in across the login page's redirect. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Tokens {
  idToken: string;
  accessToken: string;
  /** Epoch milliseconds after which the ID token is refused by the API. */
  expiresAt: number;
}

export const PENDING_KEY = 'dtks.pending-sign-in';

/** 32 random bytes give a 43-character verifier, the least RFC 7636 allows and plenty of entropy. */
export function randomToken(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The S256 code challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export function domainUrl(settings: CognitoSettings): string {
  const domain = settings.domain.replace(/\/+$/, '');
  return /^https?:\/\//.test(domain) ? domain : `https://${domain}`;
}

/** Starts a sign-in: stores a fresh state and verifier, answers where to send the browser. */
export async function beginSignIn(settings: CognitoSettings, store: KeyValueStore): Promise<string> {
  const state = randomToken(16);
  const verifier = randomToken(32);
  store.setItem(PENDING_KEY, JSON.stringify({ state, verifier }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: settings.redirectUri,
    scope: settings.scopes.join(' '),
    state,
    code_challenge: await codeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return `${domainUrl(settings)}/oauth2/authorize?${query}`;
}

/** The authorization endpoint's error codes (RFC 6749, 4.1.2.1). */
const OAUTH_ERRORS = new Set([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
]);

export class SignInError extends Error {
  override name = 'SignInError';
}

/**
 * The login page's answer (the redirect's query): the code and the stored verifier, when its state is
 * the one this tab stored. Anything else (no pending sign-in, another state, an error from the login
 * page) is refused: a code this tab did not ask for is never exchanged.
 */
export function completeSignIn(query: URLSearchParams, store: KeyValueStore): { code: string; verifier: string } {
  const pending = store.getItem(PENDING_KEY);
  store.removeItem(PENDING_KEY);
  const error = query.get('error');
  // Anyone can send a link to this address with any error text: only a code RFC 6749 defines is shown,
  // never error_description, so the console's page cannot be made to say what a phisher wrote.
  if (error)
    throw new SignInError(
      `Masuk gagal (${OAUTH_ERRORS.has(error) ? error : 'galat tidak dikenal'}); silakan masuk lagi`,
    );
  if (!pending) throw new SignInError('Tidak ada proses masuk yang sedang berjalan di tab ini; silakan masuk lagi');
  const { state, verifier } = JSON.parse(pending) as { state?: string; verifier?: string };
  const code = query.get('code');
  if (!state || !verifier || query.get('state') !== state) {
    throw new SignInError('Jawaban halaman masuk tidak cocok dengan permintaan (state); silakan masuk lagi');
  }
  if (!code) throw new SignInError('Halaman masuk tidak mengirim kode otorisasi; silakan masuk lagi');
  return { code, verifier };
}

/** The body of the token exchange (application/x-www-form-urlencoded), no client secret: a public client. */
export function tokenRequestBody(settings: CognitoSettings, code: string, verifier: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: settings.clientId,
    code,
    redirect_uri: settings.redirectUri,
    code_verifier: verifier,
  });
}

/** Exchanges the code at the user-pool domain's /oauth2/token. */
export async function exchangeCode(
  settings: CognitoSettings,
  code: string,
  verifier: string,
  fetchImpl: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<Tokens> {
  const response = await fetchImpl(`${domainUrl(settings)}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody(settings, code, verifier),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.id_token !== 'string') {
    throw new SignInError(`Penukaran kode gagal (${String(body.error ?? response.status)}); silakan masuk lagi`);
  }
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
  return {
    idToken: body.id_token,
    accessToken: String(body.access_token ?? ''),
    expiresAt: now() + expiresIn * 1000,
  };
}

/** Managed login's sign-out: ends the Cognito session, then returns to the console's logout address. */
export function logoutUrl(settings: CognitoSettings): string {
  const query = new URLSearchParams({ client_id: settings.clientId, logout_uri: settings.logoutUri });
  return `${domainUrl(settings)}/logout?${query}`;
}
