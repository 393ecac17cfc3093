/**
 * Object keys as S3 reads, orders and writes them.
 *
 * - In the request path a key is percent-decoded and nothing else: `+` is a literal plus (RFC 3986),
 *   which is what the SDKs and the AWS CLI mean when they send `%2B` or `+`. Query-string values
 *   (prefix, marker, start-after, …) are form-decoded, `+` there being a space, as S3 does.
 * - Keys are listed in the binary order of their UTF-8 bytes, not in JavaScript's UTF-16 order.
 * - `encoding-type=url` answers keys URL-encoded with a space as `+` (what the AWS CLI decodes).
 */
import { S3Error } from './errors.ts';

/** S3's limit: a key is at most 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

export function decodePathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.");
  }
}

/** Bucket and key of a path-style request path (`/bucket/key…`); the key keeps every slash. */
export function splitPath(pathname: string): { bucket: string; key: string } {
  const rest = pathname.startsWith('/') ? pathname.slice(1) : pathname;
  const slash = rest.indexOf('/');
  const bucket = decodePathSegment(slash < 0 ? rest : rest.slice(0, slash));
  const key = slash < 0 ? '' : decodePathSegment(rest.slice(slash + 1));
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', 'Your key is too long', { fields: { MaxSizeAllowed: String(MAX_KEY_BYTES) } });
  }
  return { bucket, key };
}

/** Orders keys as S3 lists them: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  // Below U+D800 UTF-16 order is UTF-8 order; only surrogates (and what follows them) need the bytes.
  if (!/[\ud800-\uffff]/.test(a) && !/[\ud800-\uffff]/.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The URL encoding of keys and prefixes in list responses with encoding-type=url. */
export function urlEncodeKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** S3's bucket naming rules (general purpose buckets): 3–63 of a–z, 0–9, '.', '-', no IP address. */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias')
  );
}
