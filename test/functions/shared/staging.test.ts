import { describe, expect, it } from 'vitest';
import { lines, readNdjson } from '#shared/staging.ts';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('lines', () => {
  it('gives each line with the byte offset just past it, across chunk boundaries and multi-byte characters', async () => {
    const text = '{"nama":"Ñoman"}\n{"nama":"Bé"}\n\n{"x":1}';
    const bytes = Buffer.from(text, 'utf8');
    // Split inside the two-byte 'Ñ' and inside the second line.
    const found = await collect(lines(chunks(bytes.subarray(0, 10), bytes.subarray(10, 25), bytes.subarray(25))));
    expect(found.map((line) => line.text)).toEqual(['{"nama":"Ñoman"}', '{"nama":"Bé"}', '{"x":1}']);
    for (const line of found.slice(0, 2)) {
      expect(bytes.subarray(0, line.end).toString('utf8').endsWith(`${line.text}\n`)).toBe(true);
    }
    expect(found[2]?.end).toBe(bytes.length);
  });

  it('resumes from a byte offset: the offsets continue from where the reader started', async () => {
    const bytes = Buffer.from('a\nbb\nccc\n', 'utf8');
    const first = await collect(lines(chunks(bytes)));
    const resumeAt = first[0]?.end ?? 0;
    const rest = await collect(lines(chunks(bytes.subarray(resumeAt)), resumeAt));
    expect(rest).toEqual(first.slice(1));
  });
});

describe('readNdjson', () => {
  it('yields the records in batches of the given size', async () => {
    const body = chunks(`${[1, 2, 3, 4, 5].map((n) => JSON.stringify({ n })).join('\n')}\n`);
    const batches = await collect(readNdjson<{ n: number }>(body, 2));
    expect(batches.map((batch) => batch.map((record) => record.n))).toEqual([[1, 2], [3, 4], [5]]);
  });
});
