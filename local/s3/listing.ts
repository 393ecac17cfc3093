/**
 * The listing rules of ListObjects (v1), ListObjectsV2 and ListObjectVersions over a bucket's index:
 * keys in UTF-8 order after a marker, narrowed to a prefix, rolled up into common prefixes at the
 * first delimiter after the prefix, each key or common prefix counting once against max-keys. A
 * common prefix at or before the marker has been listed already and is not listed again, which is
 * what makes NextMarker (a key or a common prefix) and the continuation token resume exactly.
 */
import { compareKeys } from './keys.ts';
import type { Bucket, StoredVersion } from './store.ts';

export type Listed = { object: StoredVersion } | { prefix: string };

export interface ListPage<T> {
  entries: T[];
  truncated: boolean;
}

/** Index of the first key ≥ `from` in a sorted key list. */
function lowerBound(keys: readonly string[], from: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keys[middle] as string, from) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The common prefix a key rolls up into, if the delimiter occurs after the prefix. */
function commonPrefix(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

interface Scan {
  prefix: string;
  delimiter?: string;
  /** Exclusive: only keys (and common prefixes) after it. */
  marker?: string;
  maxKeys: number;
}

/** Current objects (delete markers hide their key), for ListObjects and ListObjectsV2. */
export function listObjects(bucket: Bucket, scan: Scan): ListPage<Listed> {
  const entries: Listed[] = [];
  const { prefix, delimiter, marker } = scan;
  let lastPrefix: string | undefined;
  const from = marker !== undefined && compareKeys(marker, prefix) > 0 ? marker : prefix;
  for (let i = lowerBound(bucket.keys, from); i < bucket.keys.length; i++) {
    const key = bucket.keys[i] as string;
    if (!key.startsWith(prefix)) break;
    if (marker !== undefined && compareKeys(key, marker) <= 0) continue;
    const current = bucket.versions.get(key)?.[0];
    if (!current || current.deleteMarker) continue;
    const rolled = commonPrefix(key, prefix, delimiter);
    if (rolled !== undefined && (rolled === lastPrefix || (marker !== undefined && compareKeys(rolled, marker) <= 0))) {
      continue;
    }
    if (entries.length === scan.maxKeys) return { entries, truncated: scan.maxKeys > 0 };
    if (rolled !== undefined) {
      lastPrefix = rolled;
      entries.push({ prefix: rolled });
    } else entries.push({ object: current });
  }
  return { entries, truncated: false };
}

export type ListedVersion = { version: StoredVersion; isLatest: boolean } | { prefix: string };

/** Every version and delete marker, newest first within a key, for ListObjectVersions. */
export function listVersions(bucket: Bucket, scan: Scan & { versionIdMarker?: string }): ListPage<ListedVersion> {
  const entries: ListedVersion[] = [];
  const { prefix, delimiter, marker } = scan;
  let lastPrefix: string | undefined;
  const from = marker !== undefined && compareKeys(marker, prefix) > 0 ? marker : prefix;
  for (let i = lowerBound(bucket.keys, from); i < bucket.keys.length; i++) {
    const key = bucket.keys[i] as string;
    if (!key.startsWith(prefix)) break;
    const versions = bucket.versions.get(key) ?? [];
    let start = 0;
    if (marker !== undefined && key === marker) {
      // The key marker alone means "after this key"; with a version-id marker, after that version.
      const at = scan.versionIdMarker ? versions.findIndex((v) => v.versionId === scan.versionIdMarker) : -1;
      if (at < 0) continue;
      start = at + 1;
    } else if (marker !== undefined && compareKeys(key, marker) < 0) continue;
    const rolled = commonPrefix(key, prefix, delimiter);
    if (rolled !== undefined) {
      if (rolled === lastPrefix || (marker !== undefined && compareKeys(rolled, marker) <= 0)) continue;
      if (entries.length === scan.maxKeys) return { entries, truncated: scan.maxKeys > 0 };
      lastPrefix = rolled;
      entries.push({ prefix: rolled });
      continue;
    }
    for (let v = start; v < versions.length; v++) {
      if (entries.length === scan.maxKeys) return { entries, truncated: scan.maxKeys > 0 };
      entries.push({ version: versions[v] as StoredVersion, isLatest: v === 0 });
    }
  }
  return { entries, truncated: false };
}
