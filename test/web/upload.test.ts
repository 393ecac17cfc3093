/**
 * The console's upload (web/src/upload.ts) against stand-ins for the browser's XMLHttpRequest and the
 * approvals API: one presigned PUT with its headers and progress, or a multipart upload whose parts are
 * the file's consecutive slices of partSize, each part's ETag collected and handed to /uploads/complete.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uploadProposal } from '../../web/src/upload.ts';

interface Put {
  url: string;
  headers: Record<string, string>;
  body: string;
}

let puts: Put[];
let posts: { path: string; body: unknown }[];
let answerUpload: unknown;

/** What the upload uses of XMLHttpRequest: open, setRequestHeader, upload.onprogress, send, onload. */
class FakeRequest {
  status = 0;
  upload: { onprogress?: (event: { loaded: number }) => void } = {};
  onload?: () => void;
  onerror?: () => void;
  private url = '';
  private headers: Record<string, string> = {};
  open(_method: string, url: string) {
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  getResponseHeader(name: string) {
    return name.toLowerCase() === 'etag' ? `"etag-${puts.length}"` : null;
  }
  send(body: Blob) {
    void body.text().then((text) => {
      puts.push({ url: this.url, headers: this.headers, body: text });
      this.upload.onprogress?.({ loaded: body.size });
      this.status = 200;
      this.onload?.();
    });
  }
}

const originals = { fetch: globalThis.fetch };

beforeEach(() => {
  puts = [];
  posts = [];
  Object.assign(globalThis, {
    XMLHttpRequest: FakeRequest,
    sessionStorage: { getItem: () => JSON.stringify({ token: 'operator-3371' }), setItem() {}, removeItem() {} },
    fetch: async (path: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body));
      posts.push({ path, body });
      return new Response(JSON.stringify(path === '/uploads' ? answerUpload : { code: 'OK', key: body.key }));
    },
  });
});

afterEach(() => {
  globalThis.fetch = originals.fetch;
});

describe('the console upload', () => {
  it('sends a small file in one presigned PUT with the headers the API names', async () => {
    answerUpload = {
      key: 'proposals/3371/2026-11/a.csv',
      url: 'http://s3/put',
      expiresAt: '',
      headers: { 'content-type': 'text/csv' },
    };
    const progress: number[] = [];
    const file = new File(['aksi,nik\r\n'], 'a.csv');
    expect(await uploadProposal(file, '2026-11', (sent) => progress.push(sent))).toBe('proposals/3371/2026-11/a.csv');
    expect(posts).toEqual([{ path: '/uploads', body: { period: '2026-11', fileName: 'a.csv', size: file.size } }]);
    expect(puts).toEqual([{ url: 'http://s3/put', headers: { 'content-type': 'text/csv' }, body: 'aksi,nik\r\n' }]);
    expect(progress.at(-1)).toBe(file.size);
  });

  it('sends a large file as consecutive parts of partSize and completes with each part’s ETag', async () => {
    answerUpload = {
      key: 'proposals/3371/2026-11/b.csv',
      uploadId: 'u1',
      partSize: 4,
      parts: [1, 2, 3].map((partNumber) => ({ partNumber, url: `http://s3/part${partNumber}` })),
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
    };
    const progress: number[] = [];
    await uploadProposal(new File(['abcdefghij'], 'b.csv'), '2026-11', (sent) => progress.push(sent));
    expect(puts.map(({ url, body }) => [url, body])).toEqual([
      ['http://s3/part1', 'abcd'],
      ['http://s3/part2', 'efgh'],
      ['http://s3/part3', 'ij'],
    ]);
    expect(posts[1]).toEqual({
      path: '/uploads/complete',
      body: {
        key: 'proposals/3371/2026-11/b.csv',
        uploadId: 'u1',
        parts: [
          { partNumber: 1, etag: '"etag-1"' },
          { partNumber: 2, etag: '"etag-2"' },
          { partNumber: 3, etag: '"etag-3"' },
        ],
      },
    });
    expect(progress.at(-1)).toBe(10);
  });

  it('asks for fresh links of the parts still to send when the current ones are about to expire', async () => {
    const soon = new Date(Date.now() + 30_000).toISOString();
    answerUpload = {
      key: 'proposals/3371/2026-11/c.csv',
      uploadId: 'u2',
      partSize: 4,
      parts: [1, 2].map((partNumber) => ({ partNumber, url: `http://s3/old${partNumber}` })),
      expiresAt: soon,
    };
    const file = new File(['abcdefgh'], 'c.csv');
    const reissued = {
      key: 'proposals/3371/2026-11/c.csv',
      uploadId: 'u2',
      partSize: 4,
      parts: [1, 2].map((partNumber) => ({ partNumber, url: `http://s3/new${partNumber}` })),
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
    };
    const first = answerUpload;
    const fetchOf = globalThis.fetch;
    globalThis.fetch = (async (path: string, init: RequestInit) => {
      if (path === '/uploads' && posts.length > 0) answerUpload = reissued;
      const answer = await fetchOf(path, init);
      answerUpload = first;
      return answer;
    }) as typeof fetch;
    await uploadProposal(file, '2026-11', () => undefined);
    expect(posts[1]).toEqual({
      path: '/uploads',
      body: { period: '2026-11', fileName: 'c.csv', size: 8, uploadId: 'u2', partNumbers: [1, 2] },
    });
    expect(puts.map((put) => put.url)).toEqual(['http://s3/new1', 'http://s3/new2']);
  });
});
