/** The PKCE and state steps of the console's Cognito sign-in (web/src/pkce.ts), in Node's Web Crypto. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  beginSignIn,
  type CognitoSettings,
  codeChallenge,
  completeSignIn,
  exchangeCode,
  type KeyValueStore,
  logoutUrl,
  PENDING_KEY,
  SignInError,
} from '../../web/src/pkce.ts';

const SETTINGS: CognitoSettings = {
  domain: 'dtks-console.auth.ap-southeast-3.amazoncognito.com',
  clientId: 'client123',
  redirectUri: 'https://console.example.test/',
  logoutUri: 'https://console.example.test/',
  scopes: ['openid', 'email'],
};

function memoryStore(): KeyValueStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

/** The login page's redirect back, with the state it was given (or another). */
function callback(authorizeUrl: string, fields: Record<string, string> = {}): URLSearchParams {
  const state = new URL(authorizeUrl).searchParams.get('state') ?? '';
  return new URLSearchParams({ code: 'the-code', state, ...fields });
}

describe('PKCE sign-in', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('sends the browser to /oauth2/authorize with the code flow, S256 and a challenge of the stored verifier', async () => {
    const store = memoryStore();
    const url = new URL(await beginSignIn(SETTINGS, store));
    expect(`${url.origin}${url.pathname}`).toBe(`https://${SETTINGS.domain}/oauth2/authorize`);
    const { state, verifier } = JSON.parse(store.items.get(PENDING_KEY)!) as { state: string; verifier: string };
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: SETTINGS.redirectUri,
      scope: 'openid email',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
  });

  it('gives a fresh state and verifier to every sign-in', async () => {
    const store = memoryStore();
    await beginSignIn(SETTINGS, store);
    const first = store.items.get(PENDING_KEY);
    await beginSignIn(SETTINGS, store);
    expect(store.items.get(PENDING_KEY)).not.toBe(first);
  });

  it('answers the code and the verifier when the state matches, once', async () => {
    const store = memoryStore();
    const url = await beginSignIn(SETTINGS, store);
    const { verifier } = JSON.parse(store.items.get(PENDING_KEY)!) as { verifier: string };
    expect(completeSignIn(callback(url), store)).toEqual({ code: 'the-code', verifier });
    expect(() => completeSignIn(callback(url), store)).toThrow(/Tidak ada proses masuk/);
  });

  it('refuses another state, a missing code and the login page’s error, and forgets the pending sign-in', async () => {
    const answers: Record<string, string>[] = [{ state: 'forged' }, { code: '' }, { error: 'access_denied' }];
    for (const fields of answers) {
      const store = memoryStore();
      const url = await beginSignIn(SETTINGS, store);
      expect(() => completeSignIn(callback(url, fields), store)).toThrow(SignInError);
      expect(store.items.has(PENDING_KEY)).toBe(false);
    }
  });

  it('shows of the login page’s error only a code RFC 6749 defines, never text a crafted link brings', async () => {
    const lure = 'Akun Anda diblokir, hubungi 0812-0000-0000';
    const answers: [Record<string, string>, RegExp][] = [
      [{ error: 'access_denied', error_description: lure }, /^Masuk gagal \(access_denied\); silakan masuk lagi$/],
      [{ error: lure }, /^Masuk gagal \(galat tidak dikenal\); silakan masuk lagi$/],
    ];
    for (const [fields, message] of answers) {
      const store = memoryStore();
      const url = await beginSignIn(SETTINGS, store);
      expect(() => completeSignIn(callback(url, fields), store)).toThrow(message);
    }
  });

  it('exchanges the code at /oauth2/token with the verifier and no secret', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ id_token: 'id', access_token: 'access', expires_in: 60 }));
    }) as typeof fetch;
    const tokens = await exchangeCode(SETTINGS, 'the-code', 'the-verifier', fakeFetch, () => 1_000);
    expect(tokens).toEqual({ idToken: 'id', accessToken: 'access', expiresAt: 61_000 });
    expect(calls[0]!.url).toBe(`https://${SETTINGS.domain}/oauth2/token`);
    expect(Object.fromEntries(calls[0]!.init.body as URLSearchParams)).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'the-code',
      redirect_uri: SETTINGS.redirectUri,
      code_verifier: 'the-verifier',
    });
  });

  it('refuses a failed exchange with the error Cognito names', async () => {
    const fakeFetch = (async () =>
      new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 })) as unknown as typeof fetch;
    await expect(exchangeCode(SETTINGS, 'c', 'v', fakeFetch)).rejects.toThrow(/invalid_grant/);
  });

  it('signs out through /logout with the client and the logout address', () => {
    const url = new URL(logoutUrl(SETTINGS));
    expect(url.pathname).toBe('/logout');
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: 'client123', logout_uri: SETTINGS.logoutUri });
  });
});
