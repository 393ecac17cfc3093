/**
 * The listing rules against a model: whatever the keys, prefix, delimiter and page size, following
 * the pages (NextMarker / the last entry) lists every key or common prefix exactly once, in UTF-8
 * order, each page within max-keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '#local/s3/keys.ts';
import { type Listed, listObjects, listVersions } from '#local/s3/listing.ts';
import type { Bucket, StoredVersion } from '#local/s3/store.ts';

function bucketOf(keys: string[], versionsPerKey = 1): Bucket {
  const sorted = [...new Set(keys)].sort(compareKeys);
  let seq = 0;
  const versions = new Map<string, StoredVersion[]>();
  for (const key of sorted) {
    const list: StoredVersion[] = [];
    for (let v = 0; v < versionsPerKey; v++) {
      seq++;
      list.unshift({
        key,
        versionId: `v${seq}`.padEnd(32, 'x'),
        seq,
        deleteMarker: false,
        lastModified: new Date(0).toISOString(),
        size: 0,
        etag: '""',
        headers: {},
        metadata: {},
      });
    }
    versions.set(key, list);
  }
  return { name: 'b', created: '', keys: sorted, versions, uploads: new Map(), seq };
}

/** What S3 lists, in one page of unbounded size. */
function model(keys: string[], prefix: string, delimiter: string | undefined): string[] {
  const out: string[] = [];
  for (const key of [...new Set(keys)].sort(compareKeys)) {
    if (!key.startsWith(prefix)) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry = at < 0 ? key : key.slice(0, at + (delimiter?.length ?? 0));
    if (out.at(-1) !== entry) out.push(entry);
  }
  return out;
}

const name = (entry: Listed) => ('object' in entry ? entry.object.key : entry.prefix);
const alphabet = fc.constantFrom('a', 'b', '/', '-', '+', ' ', 'é', '\u{1F600}', '\uFF5E');
const key = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((chars) => chars.join(''));

describe('listing pages', () => {
  it('cover the model exactly once, in order, within max-keys (ListObjects/V2)', () => {
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 40 }),
        fc.constantFrom('', 'a', 'a/', 'b'),
        fc.constantFrom(undefined, '/', '-', 'a/'),
        fc.integer({ min: 1, max: 5 }),
        (keys, prefix, delimiter, maxKeys) => {
          const bucket = bucketOf(keys);
          const listed: string[] = [];
          let marker: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = listObjects(bucket, { prefix, delimiter, marker, maxKeys });
            expect(page.entries.length).toBeLessThanOrEqual(maxKeys);
            listed.push(...page.entries.map(name));
            if (!page.truncated) break;
            marker = name(page.entries.at(-1) as Listed);
          }
          expect(listed).toEqual(model(keys, prefix, delimiter));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cover every version exactly once with key and version-id markers (ListObjectVersions)', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 20 }), fc.integer({ min: 1, max: 4 }), (keys, maxKeys) => {
        const bucket = bucketOf(keys, 3);
        const listed: string[] = [];
        let marker: string | undefined;
        let versionIdMarker: string | undefined;
        for (let pages = 0; pages < 200; pages++) {
          const page = listVersions(bucket, { prefix: '', marker, versionIdMarker, maxKeys });
          for (const entry of page.entries) if ('version' in entry) listed.push(entry.version.versionId);
          if (!page.truncated) break;
          const last = page.entries.at(-1);
          if (!last || !('version' in last)) throw new Error('a version page ends with a version');
          marker = last.version.key;
          versionIdMarker = last.version.versionId;
        }
        const expected = bucket.keys.flatMap((k) => (bucket.versions.get(k) ?? []).map((v) => v.versionId));
        expect(listed).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
