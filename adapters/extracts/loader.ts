/**
 * Byte-level loaders of the reference extracts (PROPOSAL_FORMAT.md, "Reference extracts") straight into
 * the typed-array columns of adapters/extracts/memory-ports.ts: lines and cells are cut on the raw bytes, digits
 * parsed from bytes and names copied as UTF-8 bytes, so loading millions of people creates almost no
 * JS strings (the CSV tokenizer and per-person objects were most of `dtks check`'s time and memory).
 *
 * Same results as adapters/extracts/readers.ts: from the first line the fast path cannot take as it is (a quote, a
 * lone CR, bytes that are not UTF-8) to the end of the file, the records go through the shared
 * tokenizer (core/csv.ts) with its quoting and Windows-1252 fallback; a header the fast path does not
 * take (quotes, blank lines before it, not UTF-8) sends the whole file through adapters/extracts/readers.ts.
 */

import { Buffer, isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { CsvQuoteError, CsvTokenizer, MAX_HEADER_CHARS } from '#core/csv.ts';
import { parseDate } from '#core/dates.ts';
import { type NotCsvFileType, SNIFF_BYTES, sniffFileType } from '#core/file-type.ts';
import { identifierKey } from '#core/fingerprint.ts';
import type { CheckTask } from './check-worker.ts';
import {
  identityHashOfIso,
  MAX_TABLE_ROWS,
  type MasterState,
  MemoryClaimRegistry,
  MemoryDtksMaster,
  MemoryPopulationRegistry,
  type MemoryPorts,
  type PopulationState,
  TableFullError,
} from './memory-ports.ts';
import {
  ExtractFormatError,
  type ExtractFormatErrorCode,
  type ExtractKind,
  readMasterExtract,
  readPopulationExtract,
  statusNikOf,
} from './readers.ts';

/** Reads up to `length` bytes into `target` at `offset`; 0 at the end of the input. */
type ReadInto = (target: Uint8Array, offset: number, length: number) => number;

/** Where an extract's bytes come from: a file, or bytes in memory (tests). */
export type ExtractInput = { path: string } | { bytes: Uint8Array };

interface OpenInput {
  read: ReadInto;
  close(): void;
  size: number;
}

function openInput(input: ExtractInput): OpenInput {
  if ('path' in input) {
    const fd = openSync(input.path, 'r');
    return {
      read: (target, offset, length) => readSync(fd, target, offset, length, null),
      close: () => closeSync(fd),
      size: fstatSync(fd).size,
    };
  }
  const bytes = input.bytes;
  let at = 0;
  return {
    read: (target, offset, length) => {
      const n = Math.min(length, bytes.length - at);
      target.set(bytes.subarray(at, at + n), offset);
      at += n;
      return n;
    },
    close: () => {},
    size: bytes.length,
  };
}

const CHUNK = 4 << 20;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;

/** The rest of an input as chunks: what is left in `head`, then fresh reads. */
function* restOf(head: Uint8Array, input: OpenInput): Generator<Uint8Array> {
  if (head.length) yield head;
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    const n = input.read(chunk, 0, CHUNK);
    if (n === 0) return;
    yield chunk.subarray(0, n);
  }
}

function isSpace(b: number): boolean {
  return b === SPACE || (b >= 9 && b <= 13);
}

/** What a kind of extract does with each record. */
interface RowSink {
  /** Column names the sink reads, in the order of `at`. */
  readonly columns: readonly string[];
  /** A record cut by the fast path: cell j of the line is buf[starts[j], ends[j]) (untrimmed); -1 when absent. */
  fast(line: FastLine, row: number): void;
  /** Room for about this many records (from the file size and the first lines' length). */
  expect(rows: number): void;
  /** A record from the shared tokenizer: the raw (untrimmed) cells of `columns`, undefined when absent. */
  cells(cells: readonly (string | undefined)[], row: number): void;
  /** Adds the records `fast` kept back: called before the buffer its lines are in changes, and at the end. */
  flush(): void;
}

/**
 * Records a sink keeps back before adding them: enough for their table look-ups to overlap (RowTable.touch),
 * few enough that their slots stay in the cache until they are added.
 */
const BATCH = 128;

/** One line of the fast path and the cells the sink reads. */
class FastLine {
  buf: Buffer = Buffer.alloc(0);
  /** Per wanted column: raw cell start/end in buf, or -1 when the line has no such cell. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  constructor(columns: number) {
    this.start = new Int32Array(columns);
    this.end = new Int32Array(columns);
  }

  /** Cell c trimmed like String#trim, as text ('' when absent). */
  text(c: number): string {
    const a = this.start[c]!;
    if (a < 0) return '';
    return trimmedText(this.buf, a, this.end[c]!);
  }
}

function trimmedText(buf: Buffer, start: number, end: number): string {
  let a = start;
  let b = end;
  while (a < b && isSpace(buf[a]!)) a++;
  while (b > a && isSpace(buf[b - 1]!)) b--;
  if (a === b) return '';
  const text = buf.toString('utf8', a, b);
  // Unicode spaces (NBSP, U+3000, BOM, …) at an edge: String#trim, as the string readers do.
  return buf[a]! >= 0x80 || buf[b - 1]! >= 0x80 ? text.trim() : text;
}

/**
 * Loads one extract with `sink`. Returns false when the header is not one the fast path takes (the
 * caller then reads the whole file with adapters/extracts/readers.ts).
 */
async function scan(kind: ExtractKind, input: ExtractInput, sink: RowSink): Promise<boolean> {
  const source = openInput(input);
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    let eof = false;
    const fill = (): void => {
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const n = source.read(buf, filled, buf.length - filled);
      if (n === 0) eof = true;
      filled += n;
    };
    fill();
    // An archive, a workbook or UTF-16 text is named for what it is, as core/csv.ts does for the string reader.
    const fileType = sniffFileType(buf.subarray(0, Math.min(filled, SNIFF_BYTES)));
    if (fileType) throw new ExtractFormatError(kind, 'NOT_CSV', { fileType });
    let pos = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    let lf = buf.indexOf(LF, pos);
    while (lf === -1 || lf >= filled) {
      if (eof) return false; // header only, or empty: the string reader says which
      // A header is a few hundred bytes: a file without a line end is not read whole to find one.
      if (filled > MAX_HEADER_CHARS * 3) throw new ExtractFormatError(kind, 'HEADER_TOO_LONG');
      fill();
      lf = buf.subarray(0, filled).indexOf(LF, pos);
    }
    let headerEnd = lf;
    if (buf[headerEnd - 1] === CR) headerEnd--;
    const headerBytes = buf.subarray(pos, headerEnd);
    if (headerBytes.includes(QUOTE) || headerBytes.includes(CR) || !isUtf8(headerBytes)) return false;
    const headerText = headerBytes.toString('utf8');
    const delimiter = headerText.split(';').length > headerText.split(',').length ? ';' : ',';
    const header = headerText.split(delimiter);
    if (header.every((cell) => cell.trim() === '')) return false;
    // Missing and repeated columns: the errors of adapters/extracts/readers.ts, from its own header check.
    const check = kind === 'population' ? readPopulationExtract([headerBytes]) : readMasterExtract([headerBytes]);
    for await (const _ of check);
    const names = header.map((cell) => cell.trim().toLowerCase());
    const columnOf = sink.columns.map((name) => names.indexOf(name));
    const width = header.length;

    const lines = new FastLines(sink, columnOf, width, delimiter.charCodeAt(0));
    pos = lf + 1;
    let checkedTo = pos;
    let sized = false;

    for (;;) {
      // Lines up to the last LF in the buffer are complete; check once that they are UTF-8.
      const last = filled > pos ? buf.lastIndexOf(LF, filled - 1) : -1;
      const completeTo = last >= pos ? last + 1 : eof ? filled : pos;
      if (completeTo > checkedTo) {
        if (!isUtf8(buf.subarray(checkedTo, completeTo))) break;
        checkedTo = completeTo;
      }
      pos = lines.cut(buf, pos, completeTo);
      if (pos < completeTo) break; // a line the fast path does not take: the tokenizer reads from there
      if (eof) return true;
      if (!sized && lines.row > 0) {
        sized = true;
        sink.expect(Math.ceil((source.size / completeTo) * lines.row * 1.05));
      }
      // Keep the incomplete last line, read more behind it.
      buf.copy(buf, 0, pos, filled);
      filled -= pos;
      checkedTo -= pos;
      pos = 0;
      fill();
    }

    // From `pos` (a line start) on, the shared tokenizer: quotes, CR line ends, Windows-1252.
    const tokenizer = new CsvTokenizer({ delimiter });
    const firstSlowLine = lines.lineNo;
    let row = lines.row;
    const take = (chunk: { rows: string[][] } | undefined, skipHeader: boolean): void => {
      if (!chunk) return;
      const rows = chunk.rows;
      for (let r = skipHeader ? 1 : 0; r < rows.length; r++) {
        const cells = rows[r]!;
        sink.cells(
          columnOf.map((at) => (at < 0 ? undefined : cells[at])),
          ++row,
        );
      }
    };
    try {
      let first = true;
      // The header again first, so that the tokenizer knows the width and never sees a BOM position.
      const headerChunk = Buffer.concat([headerBytes, Buffer.from('\n')]);
      for (const chunk of [headerChunk, ...restOf(Buffer.from(buf.subarray(pos, filled)), source)]) {
        const got = tokenizer.push(chunk);
        if (got) {
          take(got, first);
          first = false;
        }
      }
      take(tokenizer.end(), first);
    } catch (error) {
      if (error instanceof CsvQuoteError) {
        throw new ExtractFormatError(kind, 'UNTERMINATED_QUOTE', {
          line: error.line - 2 + firstSlowLine,
          cause: error,
        });
      }
      throw error;
    }
    return true;
  } finally {
    source.close();
  }
}

/**
 * The fast path's line cutter: the lines of a buffer into a sink. Its own small function, not the loop of scan:
 * V8 optimises this byte loop far better out of the large async scan.
 */
class FastLines {
  private readonly line: FastLine;
  /** Raw cell starts of the current line, for the first `width` cells (later cells are never read). */
  private readonly starts: Int32Array;
  /** Records given to the sink, and the line number (1-based, the header is line 1) of the next line. */
  row = 0;
  lineNo = 2;

  constructor(
    private readonly sink: RowSink,
    private readonly columnOf: readonly number[],
    private readonly width: number,
    private readonly d: number,
  ) {
    this.line = new FastLine(columnOf.length);
    this.starts = new Int32Array(width + 1);
  }

  /**
   * Gives the sink the complete lines of bytes[pos, completeTo); returns where it stopped: completeTo, or the
   * start of the first line the fast path does not take (a quote, or a CR that does not end the line).
   */
  cut(bytes: Buffer, from: number, completeTo: number): number {
    const { d, width, starts, line, columnOf, sink } = this;
    let pos = from;
    while (pos < completeTo) {
      // One line: cell starts, its end, and whether it holds a quote or a CR that does not end it.
      let k = 0;
      starts[0] = pos;
      let i = pos;
      let special = false;
      for (; i < completeTo; i++) {
        const b = bytes[i]!;
        if (b > d) continue; // most bytes: letters and (for ',') digits; the delimiter is ',' or ';'
        if (b === d) {
          if (++k <= width) starts[k] = i + 1;
        } else if (b < 35) {
          if (b === LF) break;
          // CRLF line ends (most Windows exports) stay on the fast path; a CR at completeTo - 1 is the
          // file's last byte (completeTo is otherwise just past an LF).
          if (b === QUOTE || (b === CR && i + 1 < completeTo && bytes[i + 1] !== LF)) special = true;
        }
      }
      if (special) break;
      let end = i;
      if (end > pos && bytes[end - 1] === CR) end--;
      const next = i + 1;
      this.lineNo++;
      if (end > pos) {
        const c = bytes[pos]!;
        if (!(c > SPACE && c < 127 && c !== d) && isBlank(bytes, pos, end, d)) {
          pos = next;
          continue;
        }
        const cellsInLine = Math.min(k + 1, width);
        line.buf = bytes;
        for (let w = 0; w < columnOf.length; w++) {
          const at = columnOf[w]!;
          if (at < 0 || at >= cellsInLine) {
            line.start[w] = -1;
            continue;
          }
          line.start[w] = starts[at]!;
          line.end[w] = at < k ? starts[at + 1]! - 1 : end;
        }
        sink.fast(line, ++this.row);
      }
      pos = next;
    }
    sink.flush();
    return pos;
  }
}

/** A line whose cells are all empty or spaces: skipped, as the tokenizer does. */
function isBlank(buf: Buffer, start: number, end: number, d: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b !== d && !isSpace(b) && b < 0x80) return false;
  }
  const text = buf.toString('utf8', start, end);
  for (const cell of text.split(String.fromCharCode(d))) if (cell.trim() !== '') return false;
  return true;
}

/** identifierKey of cell c, from its bytes when it is 16 digits. */
function keyOf(line: FastLine, c: number): number | string {
  const buf = line.buf;
  let a = line.start[c]!;
  if (a < 0) return '';
  let b = line.end[c]!;
  while (a < b && isSpace(buf[a]!)) a++;
  while (b > a && isSpace(buf[b - 1]!)) b--;
  if (b - a === 16) {
    let high = 0;
    let low = 0;
    let digits = true;
    for (let i = 0; i < 8; i++) {
      const x = buf[a + i]! - 48;
      const y = buf[a + 8 + i]! - 48;
      if (x < 0 || x > 9 || y < 0 || y > 9) {
        digits = false;
        break;
      }
      high = high * 10 + x;
      low = low * 10 + y;
    }
    if (digits) return high >= 90_000_000 ? -((high - 90_000_000) * 1e8 + low) - 1 : high * 1e8 + low;
  }
  return identifierKey(line.text(c));
}

const POPULATION_SINK_COLUMNS = ['nik', 'nama', 'kode_desa', 'status_hidup', 'status_nik'] as const;
const HIDUP = [72, 73, 68, 85, 80];
const MENINGGAL = [77, 69, 78, 73, 78, 71, 71, 65, 76];
const AKTIF = [65, 75, 84, 73, 70];
const NONAKTIF = [78, 79, 78, 65, 75, 84, 73, 70];

function sameLetters(buf: Buffer, start: number, end: number, word: readonly number[]): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if ((buf[start + i]! & 0xdf) !== word[i]) return false;
  return true;
}

/**
 * Reads a village code cell: an extract names each village for thousands of people, so a plain 10-digit
 * code is read from its bytes and its text made once, instead of a new string per person.
 */
function villageTexts(): (line: FastLine, c: number) => string {
  const texts = new Map<number, string>();
  // The members of a family follow each other: most lines name the village of the line before.
  let lastCode = -1;
  let lastText = '';
  return (line, c) => {
    const buf = line.buf;
    const a = line.start[c]!;
    if (a < 0 || line.end[c]! - a !== 10) return line.text(c);
    let n = 0;
    for (let i = a; i < a + 10; i++) {
      const digit = buf[i]! - 48;
      if (digit < 0 || digit > 9) return line.text(c);
      n = n * 10 + digit;
    }
    if (n === lastCode) return lastText;
    let text = texts.get(n);
    if (text === undefined) {
      text = buf.toString('latin1', a, a + 10);
      texts.set(n, text);
    }
    lastCode = n;
    lastText = text;
    return text;
  };
}

function populationSink(registry: MemoryPopulationRegistry): RowSink {
  const encoder = new TextEncoder();
  const villageText = villageTexts();
  const invalid = (column: string, row: number, value: string) =>
    new ExtractFormatError('population', 'INVALID_VALUE', { columns: [column], row, value });
  const addCells = (
    nik: string,
    nama: string,
    kodeDesa: string,
    statusRaw: string | undefined,
    statusNikRaw: string | undefined,
    row: number,
  ) => {
    const status = statusRaw?.trim().toUpperCase() ?? '';
    if (status !== 'HIDUP' && status !== 'MENINGGAL') throw invalid('status_hidup', row, statusRaw ?? '');
    const statusNik = statusNikOf(statusNikRaw);
    if (statusNik === undefined) throw invalid('status_nik', row, statusNikRaw ?? '');
    const name = encoder.encode(nama);
    registry.addRow(
      identifierKey(nik),
      name,
      0,
      name.length,
      kodeDesa,
      status === 'MENINGGAL',
      statusNik === 'NONAKTIF',
    );
  };
  // The batch `fast` keeps back (RowSink.flush).
  const batchKeys = new Float64Array(BATCH);
  const batchStarts = new Int32Array(BATCH);
  const batchEnds = new Int32Array(BATCH);
  const batchVillages: string[] = new Array(BATCH).fill('');
  const batchFlags = new Uint8Array(BATCH);
  let batchBytes: Uint8Array = new Uint8Array(0);
  let batched = 0;
  const flush = () => {
    registry.prefetch(batchKeys, batched);
    for (let i = 0; i < batched; i++) {
      const flags = batchFlags[i]!;
      const village = batchVillages[i]!;
      registry.addRow(
        batchKeys[i]!,
        batchBytes,
        batchStarts[i]!,
        batchEnds[i]!,
        village,
        (flags & 1) !== 0,
        (flags & 2) !== 0,
      );
    }
    batched = 0;
  };
  /** The raw text of cell c, undefined when the line has none (what the slow path passes). */
  const raw = (line: FastLine, c: number) =>
    line.start[c]! < 0 ? undefined : line.buf.toString('utf8', line.start[c]!, line.end[c]!);
  return {
    columns: POPULATION_SINK_COLUMNS,
    expect: (rows) => registry.reserve(rows),
    fast(line, row) {
      const buf = line.buf;
      // status_hidup and status_nik (absent or empty: AKTIF) from their bytes; anything else goes the
      // string way, which names the wrong value.
      let deceased = false;
      let inactive = false;
      let known = true;
      let a = line.start[3]!;
      let b = line.end[3]!;
      if (a >= 0) {
        while (a < b && isSpace(buf[a]!)) a++;
        while (b > a && isSpace(buf[b - 1]!)) b--;
      }
      if (a >= 0 && sameLetters(buf, a, b, MENINGGAL)) deceased = true;
      else if (a < 0 || !sameLetters(buf, a, b, HIDUP)) known = false;
      let sa = line.start[4]!;
      let sb = line.end[4]!;
      if (sa >= 0) {
        while (sa < sb && isSpace(buf[sa]!)) sa++;
        while (sb > sa && isSpace(buf[sb - 1]!)) sb--;
        if (sa < sb) {
          if (sameLetters(buf, sa, sb, NONAKTIF)) inactive = true;
          else if (!sameLetters(buf, sa, sb, AKTIF)) known = false;
        }
      }
      if (!known) {
        flush();
        addCells(line.text(0), line.text(1), line.text(2), raw(line, 3), raw(line, 4), row);
        return;
      }
      const village = villageText(line, 2);
      const key = keyOf(line, 0);
      // nama: its bytes, unless an edge is not ASCII (then String#trim decides)
      let na = line.start[1]!;
      let nb = na;
      if (na >= 0) {
        nb = line.end[1]!;
        while (na < nb && isSpace(buf[na]!)) na++;
        while (nb > na && isSpace(buf[nb - 1]!)) nb--;
      } else na = nb = 0;
      if (typeof key === 'string' || (na < nb && (buf[na]! >= 0x80 || buf[nb - 1]! >= 0x80))) {
        flush();
        const name = na < nb ? encoder.encode(line.text(1)) : buf;
        registry.addRow(key, name, na < nb ? 0 : na, na < nb ? name.length : nb, village, deceased, inactive);
        return;
      }
      // Kept back for a batch; its name stays in `buf` until the flush (scan flushes before it moves the bytes).
      const n = batched++;
      batchBytes = buf;
      batchKeys[n] = key;
      batchStarts[n] = na;
      batchEnds[n] = nb;
      batchVillages[n] = village;
      batchFlags[n] = (deceased ? 1 : 0) | (inactive ? 2 : 0);
      if (batched === BATCH) flush();
    },
    cells([nik, nama, kodeDesa, status, statusNik], row) {
      addCells(nik?.trim() ?? '', nama?.trim() ?? '', kodeDesa?.trim() ?? '', status, statusNik, row);
    },
    flush,
  };
}

const MASTER_SINK_COLUMNS = ['nik', 'no_kk', 'nama', 'tanggal_lahir', 'kode_desa', 'hubungan_keluarga'] as const;

/**
 * Reads a birth date cell through parseDate: a master has a few tens of thousands of distinct dates for a
 * million people, so a 10-character date of digits and separators is parsed once, keyed by its digits and form,
 * instead of a new string per person.
 */
function birthDates(): (line: FastLine, c: number) => string | undefined {
  const parsed = new Map<number, string | undefined>();
  return (line, c) => {
    const buf = line.buf;
    const a = line.start[c]!;
    if (a < 0 || line.end[c]! - a !== 10) return parseDate(line.text(c));
    // YYYY-MM-DD (form 0), DD-MM-YYYY (1) or DD/MM/YYYY (2)
    const form = buf[a + 4] === 45 && buf[a + 7] === 45 ? 0 : buf[a + 2] === 45 && buf[a + 5] === 45 ? 1 : 2;
    const separators = form === 0 ? 0b0010010000 : 0b0000100100;
    if (form === 2 && !(buf[a + 2] === 47 && buf[a + 5] === 47)) return parseDate(line.text(c));
    let n = 0;
    for (let i = 0; i < 10; i++) {
      if (separators & (1 << i)) continue;
      const digit = buf[a + i]! - 48;
      if (digit < 0 || digit > 9) return parseDate(line.text(c));
      n = n * 10 + digit;
    }
    const key = n * 4 + form;
    let iso = parsed.get(key);
    if (iso === undefined && !parsed.has(key)) {
      iso = parseDate(buf.toString('latin1', a, a + 10));
      parsed.set(key, iso);
    }
    return iso;
  };
}

/**
 * Reads a cell of a column with few distinct values (hubungan_keluarga): the text of each distinct ASCII value is
 * made once and found again by its bytes; a non-ASCII cell is read as text.
 */
function fewTexts(): (line: FastLine, c: number) => string {
  // Direct-mapped by the hash of the bytes: a slot keeps the last value that hashed there.
  const texts: (string | undefined)[] = new Array(FEW_TEXT_SLOTS).fill(undefined);
  return (line, c) => {
    const buf = line.buf;
    let a = line.start[c]!;
    if (a < 0) return '';
    let b = line.end[c]!;
    while (a < b && isSpace(buf[a]!)) a++;
    while (b > a && isSpace(buf[b - 1]!)) b--;
    let h = 0x811c9dc5 ^ (b - a);
    for (let i = a; i < b; i++) {
      const x = buf[i]!;
      if (x >= 0x80) return line.text(c);
      h = Math.imul(h ^ x, 0x01000193);
    }
    const slot = (h ^ (h >>> 16)) & (FEW_TEXT_SLOTS - 1);
    const text = texts[slot];
    if (text !== undefined && text.length === b - a) {
      let same = true;
      for (let i = 0; i < text.length && same; i++) same = text.charCodeAt(i) === buf[a + i];
      if (same) return text;
    }
    const made = buf.toString('latin1', a, b);
    texts[slot] = made;
    return made;
  };
}

const FEW_TEXT_SLOTS = 1024;

function masterSink(master: MemoryDtksMaster): RowSink {
  const villageText = villageTexts();
  const birthIso = birthDates();
  const relationshipText = fewTexts();
  // The batch `fast` keeps back (RowSink.flush).
  const batchKeys = new Float64Array(BATCH);
  const batchNoKks = new Float64Array(BATCH);
  const batchRelationships: string[] = new Array(BATCH).fill('');
  const batchIdentities = new Float64Array(BATCH);
  let batched = 0;
  const flush = () => {
    master.prefetch(batchKeys, batchNoKks, batchIdentities, batched);
    for (let i = 0; i < batched; i++) {
      master.addRow(batchKeys[i]!, batchNoKks[i]!, batchRelationships[i]!, batchIdentities[i]!);
    }
    batched = 0;
  };
  return {
    columns: MASTER_SINK_COLUMNS,
    expect: (rows) => master.reserve(rows),
    fast(line) {
      // Ids straight from their digits; the identity is hashed before the duplicate check (duplicates are rare).
      const key = keyOf(line, 0);
      const noKk = keyOf(line, 1);
      const relationship = relationshipText(line, 5);
      const identity = identityHashOfIso(line.text(2), birthIso(line, 3), villageText(line, 4));
      if (typeof key === 'string' || typeof noKk === 'string') {
        flush();
        master.addRow(key, noKk, relationship, identity);
        return;
      }
      const n = batched++;
      batchKeys[n] = key;
      batchNoKks[n] = noKk;
      batchRelationships[n] = relationship;
      batchIdentities[n] = identity;
      if (batched === BATCH) flush();
    },
    flush,
    cells([nik, noKk, nama, tanggalLahir, kodeDesa, hubunganKeluarga]) {
      master.add({
        nik: nik?.trim() ?? '',
        noKk: noKk?.trim() ?? '',
        nama: nama?.trim() ?? '',
        tanggalLahir: tanggalLahir?.trim() ?? '',
        kodeDesa: kodeDesa?.trim() ?? '',
        hubunganKeluarga: hubunganKeluarga?.trim() ?? '',
      });
    },
  };
}

/** The whole input as chunks, for adapters/extracts/readers.ts. */
function* chunksOf(input: ExtractInput): Generator<Uint8Array> {
  const source = openInput(input);
  try {
    yield* restOf(new Uint8Array(0), source);
  } finally {
    source.close();
  }
}

/**
 * Loads a population registry (Dukcapil) extract; throws ExtractFormatError as adapters/extracts/readers.ts does.
 * `shared`: into columns in shared memory (the fast path; the slow one loads into ordinary columns).
 */
export async function loadPopulationExtract(
  input: ExtractInput,
  { shared = false } = {},
): Promise<MemoryPopulationRegistry> {
  return namingTooMany('population', async () => {
    const registry = new MemoryPopulationRegistry(undefined, { shared });
    if (await scan('population', input, populationSink(registry))) return registry;
    return MemoryPopulationRegistry.fromExtract(readPopulationExtract(chunksOf(input)));
  });
}

/** Loads a DTKS master extract; throws ExtractFormatError as adapters/extracts/readers.ts does. `shared` as above. */
export async function loadMasterExtract(input: ExtractInput, { shared = false } = {}): Promise<MemoryDtksMaster> {
  return namingTooMany('master', async () => {
    const master = new MemoryDtksMaster(undefined, { shared });
    if (await scan('master', input, masterSink(master))) return master;
    return MemoryDtksMaster.fromExtract(readMasterExtract(chunksOf(input)));
  });
}

/** An extract past the in-memory tables' size, named to its user as ExtractFormatError TOO_MANY_ROWS. */
async function namingTooMany<T>(kind: ExtractKind, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof TableFullError)
      throw new ExtractFormatError(kind, 'TOO_MANY_ROWS', { row: MAX_TABLE_ROWS, cause: error });
    throw error;
  }
}

/** What a loader worker is asked to do. */
export interface ExtractJob {
  kind: ExtractKind;
  path: string;
}

type JobMessage =
  | { ok: true; kind: 'population'; state: PopulationState }
  | { ok: true; kind: 'master'; state: MasterState }
  | { ok: false; error: SerialisedError };

/** An error as a worker posts it (ExtractFormatError keeps its fields, to be rebuilt as itself). */
export interface SerialisedError {
  name: string;
  message: string;
  extract?: ExtractKind;
  code?: ExtractFormatErrorCode;
  column?: string;
  line?: number;
  row?: number;
  value?: string;
  fileType?: NotCsvFileType;
}

/** Runs a job (in a worker): the message to post and the buffers to transfer with it. */
export async function runExtractJob(job: ExtractJob): Promise<{ message: JobMessage; transfer: ArrayBuffer[] }> {
  try {
    if (job.kind === 'population') {
      const state = (await loadPopulationExtract({ path: job.path })).state();
      return { message: { ok: true, kind: 'population', state }, transfer: buffersOf(state) };
    }
    const state = (await loadMasterExtract({ path: job.path })).state();
    return { message: { ok: true, kind: 'master', state }, transfer: buffersOf(state) };
  } catch (error) {
    return { message: { ok: false, error: serialiseError(error) }, transfer: [] };
  }
}

export function serialiseError(error: unknown): SerialisedError {
  const e = error instanceof Error ? error : new Error(String(error));
  const serialised: SerialisedError = { name: e.name, message: e.message };
  if (e instanceof ExtractFormatError) {
    serialised.extract = e.extract;
    serialised.code = e.code;
    if (e.column !== undefined) serialised.column = e.column;
    if (e.line !== undefined) serialised.line = e.line;
    if (e.row !== undefined) serialised.row = e.row;
    if (e.value !== undefined) serialised.value = e.value;
    if (e.fileType !== undefined) serialised.fileType = e.fileType;
  }
  return serialised;
}

function buffersOf(state: object): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const value of Object.values(state)) {
    if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) buffers.add(value.buffer);
  }
  return [...buffers];
}

export function rebuildError(e: SerialisedError): Error {
  if (e.name === 'ExtractFormatError' && e.extract && e.code) {
    return new ExtractFormatError(e.extract, e.code, {
      ...(e.column === undefined ? {} : { columns: e.column.split(', ') }),
      ...(e.line === undefined ? {} : { line: e.line }),
      ...(e.row === undefined ? {} : { row: e.row }),
      ...(e.value === undefined ? {} : { value: e.value }),
      ...(e.fileType === undefined ? {} : { fileType: e.fileType }),
    });
  }
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}

/**
 * Boots a worker on the loader's TypeScript source: Node 20 does not apply the `--import tsx` hooks of the
 * main thread to a worker's entry module, so the worker loads it through tsx's own API (the same loader
 * that runs the CLI, bin/dtks.js).
 */
const WORKER_BOOT = `const { workerData } = require('node:worker_threads');
import(workerData.tsx).then((tsx) => tsx.tsImport(workerData.entry, workerData.entry));`;

/** What loader.worker.ts is asked to do: load extracts, or run the port checks of a proposal (check-worker.ts). */
export type WorkerTask = { jobs: readonly ExtractJob[] } | { check: CheckTask };

/** Starts loader.worker.ts on `task`; throws where no worker can run this TypeScript (no tsx to resolve). */
export function startWorker(task: WorkerTask): Worker {
  const entry = new URL('./loader.worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(WORKER_BOOT, { eval: true, workerData: { ...task, entry, tsx }, ...workerFlags(task) });
}

/**
 * The worker's flags from this thread's: other flags (a profiler, a heap limit) apply to the worker too; the
 * tsx loader comes from the boot code. The CLI's larger young generation (bin/dtks.js runs node with
 * --max-semi-space-size=32) is not passed on to a loader: in two loader threads at once (with 64) it made
 * loading almost twice as slow (9.5 s instead of 5.1 s for the 250,000-family world). The check worker keeps
 * it: its look-ups make short-lived objects for every row of the proposal. Node refuses --max-semi-space-size in a worker's
 * execArgv (ERR_WORKER_INVALID_EXEC_ARGV, which sent `dtks check` silently down the one-thread path), so
 * it becomes the worker's young generation limit, three semi-spaces as V8 sizes it.
 */
export function workerFlags(
  task: WorkerTask,
  execArgv: readonly string[] = process.execArgv,
): { execArgv: string[]; resourceLimits?: { maxYoungGenerationSizeMb: number } } {
  const flags: string[] = [];
  let semiSpaceMb = 0;
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    const semiSpace = /^--max-semi-space-size=(\d+)$/.exec(flag);
    if (semiSpace) semiSpaceMb = Number(semiSpace[1]);
    else if (flag === '--max-semi-space-size') semiSpaceMb = Number(execArgv[++i]);
    else if (flag === '--import' || flag === '--require') i++;
    else if (!/^--(import|require)=/.test(flag)) flags.push(flag);
  }
  if (!('check' in task) || !(semiSpaceMb > 0)) return { execArgv: flags };
  return { execArgv: flags, resourceLimits: { maxYoungGenerationSizeMb: 3 * semiSpaceMb } };
}

function loadInThread(job: ExtractJob): Promise<MemoryPopulationRegistry | MemoryDtksMaster> {
  return job.kind === 'population' ? loadPopulationExtract({ path: job.path }) : loadMasterExtract({ path: job.path });
}

/**
 * Loads extract files one after the other in one worker thread, which hands each one's columns over as
 * soon as it is loaded; the caller's thread stays free for other work (dtks check's first pass). One
 * thread, not one per extract: with the caller busy too, three threads on two cores made every one of
 * them slower. Where no worker can run this TypeScript (no tsx to resolve), loads in this thread.
 */
async function loadInWorker(
  jobs: readonly ExtractJob[],
  signal: AbortSignal | undefined,
): Promise<(MemoryPopulationRegistry | MemoryDtksMaster)[]> {
  signal?.throwIfAborted();
  let messages: JobMessage[];
  try {
    messages = await new Promise<JobMessage[]>((resolve, reject) => {
      const received: JobMessage[] = [];
      const worker = startWorker({ jobs });
      const abort = () => void worker.terminate();
      signal?.addEventListener('abort', abort, { once: true });
      worker.on('message', (m: JobMessage) => {
        received.push(m);
        if (!m.ok || received.length === jobs.length) {
          resolve(received);
          void worker.terminate();
        }
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        signal?.removeEventListener('abort', abort);
        reject(new Error(`extract loader worker exited with code ${code}`));
      });
    });
  } catch {
    signal?.throwIfAborted();
    const loaded: (MemoryPopulationRegistry | MemoryDtksMaster)[] = [];
    for (const job of jobs) loaded.push(await loadInThread(job));
    return loaded;
  }
  return messages.map((message) => {
    if (!message.ok) throw rebuildError(message.error);
    return message.kind === 'population'
      ? new MemoryPopulationRegistry(message.state)
      : new MemoryDtksMaster(message.state);
  });
}

/**
 * Loads both extract files (the master is optional: an empty DTKS) into in-memory ports, in a worker
 * thread. Aborting `signal` stops the loader thread (the caller no longer needs the ports).
 */
export async function loadMemoryPortsFromFiles(
  paths: { population: string; master?: string },
  signal?: AbortSignal,
): Promise<MemoryPorts> {
  const jobs: ExtractJob[] = [{ kind: 'population', path: paths.population }];
  if (paths.master) jobs.push({ kind: 'master', path: paths.master });
  const [population, master = new MemoryDtksMaster()] = await loadInWorker(jobs, signal);
  return {
    population: population as MemoryPopulationRegistry,
    master: master as MemoryDtksMaster,
    claims: new MemoryClaimRegistry(),
  };
}
