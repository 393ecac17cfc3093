/**
 * The check's rows as the console pages them (GET /proposals/{id}/rows). The return report is a CSV for
 * spreadsheets; a page of its rows filtered by code or verdict would mean reading and parsing up to 10^6
 * lines per request. So CheckIntegrity writes, beside the report, the same rows once more in a form made
 * for paging (KEYS.reviewRows): one compact JSON array per line, in input order, in blocks of BLOCK_ROWS;
 * and an index (KEYS.reviewIndex) with each block's byte range and its counts per verdict and per
 * verdict and code. A page of any code/verdict filter is then one ranged GET of the blocks that hold it,
 * located by the counts, and the filter's total is a sum; only a search (`q`) reads the whole file.
 */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { isResultCode } from '#core/codes.ts';
import type { CheckedRow } from '#core/integrity.ts';
import { messageFor } from '#core/messages.ts';
import { ACCEPTED, RETURNED } from '#core/report.ts';
import type { Verdict } from './contracts.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { putText, S3ObjectWriter } from './staging.ts';

/** Rows per block: one block is ~80 KiB, one ranged GET; 10^6 rows make an index of 1,000 blocks. */
export const BLOCK_ROWS = 1000;

/** One row as stored: line, NIK, No. KK, name, 1 when accepted, its codes. */
type StoredRow = [number, string, string, string, 0 | 1, string[]];

export interface ReviewBlock {
  /** Byte offset of the block's first line and its length. */
  offset: number;
  bytes: number;
  rows: number;
  /** Rows per `<verdict>` and per `<verdict>|<code>`; absent keys are 0. */
  counts: Record<string, number>;
}

export interface ReviewIndex {
  version: 1;
  rows: number;
  blocks: ReviewBlock[];
}

/** A row of a page, as the API answers it. */
export interface ReviewRow {
  line: number;
  nik: string;
  noKk: string;
  name: string;
  verdict: Verdict;
  codes: { code: string; message: string }[];
}

export interface ReviewFilter {
  code?: string;
  verdict?: Verdict;
  /** A NIK or No. KK prefix, or part of a name (case-insensitive). */
  q?: string;
}

export interface ReviewPage {
  rows: ReviewRow[];
  /** Rows matching the filter in the whole proposal. */
  total: number;
  next?: string;
}

/** Writes the rows and, at the end, the index; a retried check writes both again from the start. */
export class ReviewRowsWriter {
  private readonly rows: S3ObjectWriter;
  private readonly blocks: ReviewBlock[] = [];
  private text = '';
  private pending = 0;
  private counts: Record<string, number> = {};
  private offset = 0;
  private total = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly keys: { rows: string; index: string },
  ) {
    this.rows = new S3ObjectWriter(s3, bucket, keys.rows, 'application/x-ndjson');
  }

  async write(batch: readonly CheckedRow[]): Promise<void> {
    for (const { row, codes, accepted } of batch) {
      const stored: StoredRow = [row.line, row.nik, row.noKk, row.nama, accepted ? 1 : 0, [...codes]];
      this.text += `${JSON.stringify(stored)}\n`;
      const verdict = accepted ? ACCEPTED : RETURNED;
      this.counts[verdict] = (this.counts[verdict] ?? 0) + 1;
      for (const code of codes) this.counts[`${verdict}|${code}`] = (this.counts[`${verdict}|${code}`] ?? 0) + 1;
      if (++this.pending === BLOCK_ROWS) await this.flush();
    }
  }

  /** Finishes the rows, then writes the index that describes them. */
  async end(): Promise<ReviewIndex> {
    await this.flush();
    await this.rows.end();
    const index: ReviewIndex = { version: 1, rows: this.total, blocks: this.blocks };
    await putText(this.s3, this.bucket, this.keys.index, JSON.stringify(index), 'application/json');
    return index;
  }

  abort(): Promise<void> {
    return this.rows.abort();
  }

  private async flush(): Promise<void> {
    if (this.pending === 0) return;
    const bytes = Buffer.byteLength(this.text, 'utf8');
    this.blocks.push({ offset: this.offset, bytes, rows: this.pending, counts: this.counts });
    this.offset += bytes;
    this.total += this.pending;
    const text = this.text;
    this.text = '';
    this.pending = 0;
    this.counts = {};
    await this.rows.write(text);
  }
}

/** The index of a proposal's rows; undefined when the check wrote none (a proposal checked before it existed). */
export async function readReviewIndex(s3: S3Client, bucket: string, key: string): Promise<ReviewIndex | undefined> {
  const text = await readText(s3, bucket, key);
  return text === undefined ? undefined : (JSON.parse(text) as ReviewIndex);
}

/** One page of the rows matching `filter`, from the cursor `next` of the page before. */
export async function readReviewPage(
  s3: S3Client,
  bucket: string,
  key: string,
  index: ReviewIndex,
  request: ReviewFilter & { limit: number; next?: string },
): Promise<ReviewPage> {
  const start = request.next === undefined ? 0 : decodeCursor(request.next, isPosition).p;
  const matches = rowMatcher(request);
  if (request.q !== undefined) {
    // A search has no counts to go by: the whole file, once, each line parsed only when its text holds the
    // needle (a name, a NIK or No. KK prefix is in the line as written, unless it needs JSON escaping).
    const needle = request.q.toLowerCase();
    const escaped = JSON.stringify(needle).slice(1, -1) !== needle;
    const raw = escaped ? () => true : (line: string) => line.toLowerCase().includes(needle);
    const all = parseRows((await readText(s3, bucket, key)) ?? '', raw).filter(matches);
    return page(all.slice(start, start + request.limit), all.length, start, request.limit);
  }
  const countOf = blockCounter(request);
  const total = index.blocks.reduce((sum, block) => sum + countOf(block), 0);
  // The blocks that hold matches start..start+limit-1, and how many matches lie before the first of them.
  let before = 0;
  let first = 0;
  while (first < index.blocks.length && before + countOf(index.blocks[first]!) <= start) {
    before += countOf(index.blocks[first]!);
    first++;
  }
  let last = first;
  let covered = before;
  while (last < index.blocks.length) {
    covered += countOf(index.blocks[last]!);
    if (covered >= start + request.limit) break;
    last++;
  }
  last = Math.min(last, index.blocks.length - 1);
  if (first >= index.blocks.length) return page([], total, start, request.limit);
  const from = index.blocks[first]!.offset;
  const to = index.blocks[last]!.offset + index.blocks[last]!.bytes - 1;
  const text = (await readText(s3, bucket, key, `bytes=${from}-${to}`)) ?? '';
  const found = parseRows(text).filter(matches);
  const skip = start - before;
  return page(found.slice(skip, skip + request.limit), total, start, request.limit);
}

function page(stored: StoredRow[], total: number, start: number, limit: number): ReviewPage {
  const rows = stored.map(toReviewRow);
  const end = start + limit;
  return { rows, total, ...(end < total ? { next: encodeCursor({ p: end }) } : {}) };
}

function toReviewRow([line, nik, noKk, name, accepted, codes]: StoredRow): ReviewRow {
  return {
    line,
    nik,
    noKk,
    name,
    verdict: accepted ? ACCEPTED : RETURNED,
    codes: codes.map((code) => ({ code, message: isResultCode(code) ? messageFor(code, 'id') : code })),
  };
}

/** The matches of the code and verdict filter in a block, from its counts. */
function blockCounter({ code, verdict }: ReviewFilter): (block: ReviewBlock) => number {
  const verdicts = verdict ? [verdict] : [ACCEPTED, RETURNED];
  const keys = verdicts.map((v) => (code ? `${v}|${code}` : v));
  return (block) => keys.reduce((sum, key) => sum + (block.counts[key] ?? 0), 0);
}

function rowMatcher({ code, verdict, q }: ReviewFilter): (row: StoredRow) => boolean {
  const needle = q?.toLowerCase();
  return ([, nik, noKk, name, accepted, codes]) =>
    (verdict === undefined || (accepted ? ACCEPTED : RETURNED) === verdict) &&
    (code === undefined || codes.includes(code)) &&
    (needle === undefined || nik.startsWith(needle) || noKk.startsWith(needle) || name.toLowerCase().includes(needle));
}

function parseRows(text: string, keep: (line: string) => boolean = () => true): StoredRow[] {
  const rows: StoredRow[] = [];
  for (const line of text.split('\n')) if (line !== '' && keep(line)) rows.push(JSON.parse(line) as StoredRow);
  return rows;
}

/** The cursor is the position of the next match among those of the filter. */
const isPosition = (value: unknown): value is { p: number } =>
  typeof value === 'object' &&
  value !== null &&
  Number.isSafeInteger((value as { p?: unknown }).p) &&
  ((value as { p: number }).p ?? -1) >= 0;

async function readText(s3: S3Client, bucket: string, key: string, range?: string): Promise<string | undefined> {
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
    return await Body?.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
