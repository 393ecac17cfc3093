/**
 * The approvals API, called with the signed-in user's token. Every answer is JSON with a stable `code`
 * and an Indonesian `message`; a refusal is thrown as an ApiError carrying both, which the pages show
 * as they are (the server decides who may do what, the console only says what it answered).
 */
import { currentSession } from './auth.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let apiUrl = '';
let onUnauthorized: () => void = () => undefined;

export function configureApi(options: { apiUrl: string; onUnauthorized: () => void }): void {
  apiUrl = options.apiUrl.replace(/\/+$/, '');
  onUnauthorized = options.onUnauthorized;
}

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export async function api<T>(
  method: 'GET' | 'POST',
  path: string,
  options: { query?: Query; body?: unknown } = {},
): Promise<T> {
  const session = currentSession();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${withQuery(path, options.query)}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Tidak dapat menghubungi server; periksa jaringan lalu coba lagi');
  }
  const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (response.status === 401) onUnauthorized();
  if (!response.ok) {
    throw new ApiError(
      response.status,
      body.code ?? String(response.status),
      body.message ?? `HTTP ${response.status}`,
    );
  }
  return body as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', path, { query });
export const post = <T>(path: string, body: unknown) => api<T>('POST', path, { body });

/** Fetches a presigned object and hands it to the browser as a download, without leaving the console. */
export async function downloadUrl(url: string, fileName: string): Promise<void> {
  const response = await fetch(url);
  if (!response.ok) throw new ApiError(response.status, 'DOWNLOAD_FAILED', `Unduhan gagal (HTTP ${response.status})`);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}
