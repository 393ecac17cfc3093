/**
 * A fast streaming CSV tokenizer shared by the proposal reader and the extract readers, and the CSV
 * row writer of the return report.
 *
 * Speed comes from doing as little per character as possible: bytes are decoded in big chunks
 * (validated with simdutf's `isUtf8`, decoded with `Buffer#toString`), lines are found with
 * `indexOf`, a line without a quote character is cut with the native `String#split`, and only a
 * record that contains a quote goes through the character-level RFC 4180 path.
 */

import { Buffer, isUtf8 } from 'node:buffer';
import { type NotCsvFileType, SNIFF_BYTES, sniffFileType } from './file-type.ts';

export type CsvDelimiter = ',' | ';';

export interface CsvOptions {
  /** Detected from the header line when absent: the one that occurs more often outside quotes (',' on a tie). */
  delimiter?: CsvDelimiter;
}

/**
 * The records decoded from one piece of input, in file order.
 *
 * `rows[i]` holds the raw cells of a record: quotes removed and doubled quotes undone, but not
 * trimmed (trimming is the readers' job). Empty lines are not in `rows`. `firstLine` is the physical
 * line number (1-based, every line terminator counted, including those inside quoted cells and
 * those of empty lines) on which `rows[0]` starts; later rows may start further down than
 * `firstLine + i` when empty lines or multi-line cells come in between.
 */
export interface CsvChunk {
  rows: string[][];
  firstLine: number;
}

/** What the tokenizer learnt about the file's layout and encoding. */
export interface CsvInfo {
  delimiter: CsvDelimiter;
  bom: boolean;
  encoding: 'utf-8' | 'windows-1252';
  /** Physical line on which the file stopped being valid UTF-8 and was read as Windows-1252 from then on. */
  windows1252FromLine?: number;
}

/** A quoted cell is never closed: at the end of the file, or within MAX_QUOTED_CHARS characters. */
export class CsvQuoteError extends Error {
  override readonly name = 'CsvQuoteError';
  constructor(readonly line: number) {
    super(`The quote opened on line ${line} is never closed`);
  }
}

/** The input is not CSV text at all (an archive, a workbook, UTF-16, binary): see core/file-type.ts. */
export class CsvFileTypeError extends Error {
  override readonly name = 'CsvFileTypeError';
  constructor(readonly fileType: NotCsvFileType) {
    super(`The input is not CSV text (${fileType})`);
  }
}

/** The header line is longer than MAX_HEADER_CHARS characters: no proposal or extract has such a header. */
export class CsvHeaderTooLongError extends Error {
  override readonly name = 'CsvHeaderTooLongError';
  constructor(readonly limit: number) {
    super(`The header line is longer than ${limit} characters`);
  }
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * A quoted cell longer than this (in characters) is taken as a quote that is never closed, so a stray
 * quote near the top of a large file fails early instead of buffering the rest of the file.
 */
const MAX_QUOTED_CHARS = 8 << 20;

/**
 * The longest header line read (characters). A header is a few hundred characters; a "header" without a
 * line end after megabytes is not one, and would otherwise be buffered whole before any check.
 */
export const MAX_HEADER_CHARS = 4 << 20;

const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const SEMICOLON = 59;

/** Windows-1252 characters of bytes 0x80–0x9F (the rest of the code page equals Latin-1, as WHATWG defines it). */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const C1_CONTROLS = /[\u0080-\u009f]/;
const C1_CONTROLS_ALL = /[\u0080-\u009f]/g;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeWindows1252(bytes: Uint8Array): string {
  const text = asBuffer(bytes).toString('latin1');
  return C1_CONTROLS.test(text)
    ? text.replace(C1_CONTROLS_ALL, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] as string)
    : text;
}

/** Length of `bytes` without a trailing UTF-8 sequence that is still incomplete (its rest is in the next chunk). */
function completeUtf8Length(bytes: Uint8Array): number {
  const len = bytes.length;
  for (let back = 1; back <= 3 && back <= len; back++) {
    const b = bytes[len - back] as number;
    if (b < 0x80) return len;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return need > back ? len - back : len;
    }
  }
  return len;
}

/** Index of the first byte that breaks UTF-8 (only called once we know there is one). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const len = bytes.length;
  let i = 0;
  while (i < len) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return len;
}

/** Number of line terminators (CRLF, LF or a lone CR) in `text`. */
function countLineBreaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR) {
      n++;
      if (text.charCodeAt(i + 1) === LF) i++;
    }
  }
  return n;
}

function hasLineEnd(bytes: Uint8Array): boolean {
  return bytes.includes(LF) || bytes.includes(CR);
}

function isBlankCells(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.trim() !== '') return false;
  return true;
}

/**
 * Push-style tokenizer: feed it byte chunks with `push`, then call `end`. Each call returns the
 * records completed by that input (undefined when none). Throws CsvQuoteError for a quote never closed.
 */
export class CsvTokenizer {
  readonly info: CsvInfo;
  private delimiterKnown: boolean;
  private delimiterCode: number;
  private bomChecked = false;
  private carry: Uint8Array | undefined;
  /** Decoded text; `text.slice(pos)` is not tokenized yet and starts at the beginning of a record. */
  private text = '';
  private pos = 0;
  /** Physical line number of `text[pos]`. */
  private line = 1;
  /** Cells of the first record (the header): the expected width of the others. */
  private width = 0;

  constructor(options: CsvOptions = {}) {
    this.info = { delimiter: options.delimiter ?? ',', bom: false, encoding: 'utf-8' };
    this.delimiterKnown = options.delimiter !== undefined;
    this.delimiterCode = this.info.delimiter.charCodeAt(0);
  }

  push(bytes: Uint8Array): CsvChunk | undefined {
    const text = this.decode(bytes, false);
    if (text === '') return undefined;
    if (this.pos >= this.text.length) {
      this.text = text;
      this.pos = 0;
      return this.tokenize(false);
    }
    // A record continues from the previous chunk. `pending + text` would be a cons string, slower to scan
    // than the flat decoded chunk (about 5% of the reading time in bench/parse.ts): so only the pending
    // part and the new text up to its first line end are joined, and the rest is scanned in place.
    const pending = this.text.slice(this.pos);
    const lf = text.indexOf('\n');
    const cr = text.indexOf('\r');
    let cut = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
    if (cut === -1) {
      this.text = pending + text;
      this.pos = 0;
      return this.tokenize(false);
    }
    cut += text.charCodeAt(cut) === CR && text.charCodeAt(cut + 1) === LF ? 2 : 1;
    this.text = pending + text.slice(0, cut);
    this.pos = 0;
    const head = this.tokenize(false);
    if (this.pos < this.text.length) {
      // Still inside a record (a quoted cell with line breaks): rare, the joined text is fine.
      this.text = this.text.slice(this.pos) + text.slice(cut);
      this.pos = 0;
    } else {
      this.text = text;
      this.pos = cut;
    }
    const rest = this.tokenize(false);
    if (!head) return rest;
    if (rest) for (const row of rest.rows) head.rows.push(row);
    return head;
  }

  end(): CsvChunk | undefined {
    const text = this.decode(new Uint8Array(0), true);
    if (text !== '') {
      this.text = this.text.slice(this.pos) + text;
      this.pos = 0;
    }
    return this.tokenize(true);
  }

  private decode(chunk: Uint8Array, final: boolean): string {
    let bytes = chunk;
    if (this.carry) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    if (!this.bomChecked) {
      // The first bytes say whether this is text at all, and hold the BOM; both may arrive split over chunks.
      // They are looked at once SNIFF_BYTES have come, or the first line is complete (a push returns the
      // records its input completes), or the input ends.
      if (bytes.length < SNIFF_BYTES && !final && !hasLineEnd(bytes)) {
        this.carry = bytes.length ? Buffer.from(bytes) : undefined;
        return '';
      }
      this.bomChecked = true;
      const fileType = sniffFileType(bytes.subarray(0, SNIFF_BYTES));
      if (fileType) throw new CsvFileTypeError(fileType);
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        this.info.bom = true;
        bytes = bytes.subarray(3);
      }
    }
    if (bytes.length === 0) return '';
    if (this.info.encoding === 'windows-1252') return decodeWindows1252(bytes);

    const cut = final ? bytes.length : completeUtf8Length(bytes);
    if (cut < bytes.length) this.carry = bytes.slice(cut);
    const body = bytes.subarray(0, cut);
    if (isUtf8(body)) return asBuffer(body).toString('utf8');

    // Not UTF-8: what precedes the line of the first bad byte stays UTF-8, the rest is read as Windows-1252.
    const bad = firstInvalidUtf8(body);
    let start = bad;
    while (start > 0 && body[start - 1] !== LF && body[start - 1] !== CR) start--;
    const head = asBuffer(body.subarray(0, start)).toString('utf8');
    let tail = decodeWindows1252(body.subarray(start));
    if (this.carry) {
      tail += decodeWindows1252(this.carry);
      this.carry = undefined;
    }
    this.info.encoding = 'windows-1252';
    this.info.windows1252FromLine = this.line + countLineBreaks(this.text.slice(this.pos) + head);
    return head + tail;
  }

  /** Finds the header line (first non-empty line) and picks the delimiter that occurs more often outside quotes. */
  private detectDelimiter(final: boolean): boolean {
    const text = this.text;
    const len = text.length;
    let pos = this.pos;
    let line = this.line;
    for (;;) {
      let i = pos;
      let blank = true;
      let c = 0;
      for (; i < len; i++) {
        c = text.charCodeAt(i);
        if (c === LF || c === CR) break;
        if (blank && c !== COMMA && c !== SEMICOLON && text[i]?.trim() !== '') blank = false;
      }
      if (!blank) break;
      if (i >= len) {
        if (final) {
          this.pos = len;
          this.line = line;
        }
        return final;
      }
      if (c === CR && i + 1 >= len && !final) return false;
      pos = c === CR && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
      line++;
    }
    let commas = 0;
    let semicolons = 0;
    let quoted = false;
    let i = pos;
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) quoted = !quoted;
      else if (quoted) continue;
      else if (c === COMMA) commas++;
      else if (c === SEMICOLON) semicolons++;
      else if (c === LF || c === CR) break;
    }
    if (i >= len && !final) return false;
    this.info.delimiter = semicolons > commas ? ';' : ',';
    this.delimiterCode = this.info.delimiter.charCodeAt(0);
    this.delimiterKnown = true;
    this.pos = pos;
    this.line = line;
    return true;
  }

  private tokenize(final: boolean): CsvChunk | undefined {
    if (!this.delimiterKnown && !this.detectDelimiter(final)) {
      this.checkHeaderLength();
      return undefined;
    }
    const text = this.text;
    const len = text.length;
    const d = this.delimiterCode;
    const rows: string[][] = [];
    let firstLine = 0;
    let pos = this.pos;
    let line = this.line;
    // Next LF / CR / quote at or after pos; -1 when there is none left in `text`.
    let lf = -2;
    let cr = -2;
    let quote = -2;
    let width = this.width || 1;
    // Next delimiter at or after the current cell.
    let dl = -2;
    const delimiter = this.info.delimiter;
    while (pos < len) {
      if (lf < pos && lf !== -1) lf = text.indexOf('\n', pos);
      if (cr < pos && cr !== -1) cr = text.indexOf('\r', pos);
      if (quote < pos && quote !== -1) quote = text.indexOf('"', pos);
      let end: number;
      let next: number;
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        if (lf === -1) {
          if (!final) break;
          end = len;
          next = len;
        } else {
          end = lf;
          next = lf + 1;
        }
      } else {
        end = cr;
        if (cr + 1 < len) next = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
        else if (final) next = len;
        else break; // an LF may follow in the next chunk
      }
      if (quote === -1 || quote >= end) {
        if (end > pos) {
          const c = text.charCodeAt(pos);
          // Cells cut with a cached indexOf of the delimiter (native, skips whole cells at once) into an
          // array sized for the header's width: no array growth on the way.
          const cells: string[] = new Array(width);
          let k = 0;
          let p = pos;
          for (;;) {
            if (dl < p && dl !== -1) dl = text.indexOf(delimiter, p);
            if (dl === -1 || dl >= end) {
              cells[k++] = text.slice(p, end);
              break;
            }
            cells[k++] = text.slice(p, dl);
            p = dl + 1;
          }
          if (k !== width) cells.length = k;
          if (this.width === 0) width = this.width = k;
          // Most lines start with a visible character, which makes them non-empty without looking further.
          if ((c > SPACE && c < 127 && c !== d) || !isBlankCells(cells)) {
            if (rows.length === 0) firstLine = line;
            rows.push(cells);
          }
        }
        pos = next;
        line++;
        continue;
      }
      const record = this.parseQuotedRecord(text, pos, line, final);
      if (record === undefined) break;
      if (rows.length === 0) firstLine = line;
      if (this.width === 0) width = this.width = record.cells.length;
      rows.push(record.cells);
      pos = record.next;
      line += record.lines;
    }
    this.pos = pos;
    this.line = line;
    this.checkHeaderLength();
    if (final && pos < len) throw new Error('CSV tokenizer left input unread'); // cannot happen: guards the loop
    return rows.length ? { rows, firstLine } : undefined;
  }

  /** Throws while the header is still incomplete after MAX_HEADER_CHARS characters. */
  private checkHeaderLength(): void {
    if (this.width === 0 && this.text.length - this.pos > MAX_HEADER_CHARS) {
      throw new CsvHeaderTooLongError(MAX_HEADER_CHARS);
    }
  }

  /**
   * The RFC 4180 path for a record that contains a quote. Returns undefined when the record is not
   * complete in `text` yet (more input needed).
   */
  private parseQuotedRecord(
    text: string,
    start: number,
    startLine: number,
    final: boolean,
  ): { cells: string[]; next: number; lines: number } | undefined {
    const len = text.length;
    const d = this.delimiterCode;
    const cells: string[] = [];
    let lines = 0;
    let i = start;
    for (;;) {
      // One cell from i. Spaces before an opening quote are layout, not content.
      let k = i;
      while (k < len && (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB)) k++;
      let value = '';
      if (k < len && text.charCodeAt(k) === QUOTE) {
        const quoteLine = startLine + lines;
        let p = k + 1;
        for (;;) {
          const q = text.indexOf('"', p);
          if (q === -1 || (q + 1 >= len && !final)) {
            if (final) throw new CsvQuoteError(quoteLine);
            if (len - k > MAX_QUOTED_CHARS) throw new CsvQuoteError(quoteLine);
            return undefined;
          }
          const part = text.slice(p, q);
          lines += countLineBreaks(part);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += `${part}"`;
            p = q + 2;
          } else {
            value += part;
            p = q + 1;
            break;
          }
        }
        i = p;
      }
      // else: an unquoted cell starts at i, leading spaces included (the readers trim).
      // The unquoted rest of the cell (after a closing quote, or the whole cell): a quote here is literal.
      let j = i;
      let c = -1;
      for (; j < len; j++) {
        c = text.charCodeAt(j);
        if (c === d || c === LF || c === CR) break;
      }
      if (j > i) value += text.slice(i, j);
      cells.push(value);
      if (j >= len) {
        if (!final) return undefined;
        return { cells, next: len, lines };
      }
      if (c === d) {
        i = j + 1;
        continue;
      }
      if (c === CR) {
        if (j + 1 >= len && !final) return undefined;
        return { cells, next: text.charCodeAt(j + 1) === LF ? j + 2 : j + 1, lines: lines + 1 };
      }
      return { cells, next: j + 1, lines: lines + 1 };
    }
  }
}

/** Tokenizes a byte stream; `info` is filled in as the input is read. */
export class CsvReader implements AsyncIterable<CsvChunk> {
  private readonly tokenizer: CsvTokenizer;
  constructor(
    private readonly source: ByteSource,
    options: CsvOptions = {},
  ) {
    this.tokenizer = new CsvTokenizer(options);
  }

  get info(): CsvInfo {
    return this.tokenizer.info;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CsvChunk> {
    for await (const bytes of this.source) {
      const chunk = this.tokenizer.push(bytes);
      if (chunk) yield chunk;
    }
    const last = this.tokenizer.end();
    if (last) yield last;
  }
}

export function readCsv(source: ByteSource, options?: CsvOptions): CsvReader {
  return new CsvReader(source, options);
}

/** OWASP CSV injection: a spreadsheet evaluates a cell starting with one of these (also after spaces). */
const FORMULA_START = /^[\s]*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n;]/;

/**
 * One CSV record: ',' separated, quoted (RFC 4180) only where a cell holds a quote, a delimiter
 * (',' or ';', so a reader that detects ';' reads it back too) or a line break; ends with CRLF.
 * With `neutraliseFormulas`, a cell a spreadsheet would evaluate as a formula gets a leading `'`.
 */
export function formatCsvRow(cells: readonly string[], options?: { neutraliseFormulas?: boolean }): string {
  const neutralise = options?.neutraliseFormulas === true;
  let out = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) out += ',';
    out += formatCsvCell(cells[i] as string, neutralise);
  }
  return `${out}\r\n`;
}

/** One cell of formatCsvRow, as it writes it. */
export function formatCsvCell(cell: string, neutraliseFormulas: boolean): string {
  const text = neutraliseFormulas && FORMULA_START.test(cell) ? `'${cell}` : cell;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
