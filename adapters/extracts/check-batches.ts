/**
 * Pass 1's batches of `dtks check`, kept for pass 2 (check-worker.ts): per row what the return report shows
 * (line, NIK, No. KK, name as written) and its PortQuery (core/integrity.ts), so pass 2 reads the proposal no
 * second time and either thread can look a batch up.
 *
 * A batch is the texts of its rows one after the other, as one string's characters in shared memory (one
 * byte each, or two where the batch has a character above U+00FF), and a table of where each text ends.
 * Both threads read the same bytes and neither heap holds them: a million rows cost some 80 MB outside the
 * heaps, against some 200 bytes a row as objects and millions of them for the garbage collector to trace.
 * The table holds per row its line, a flags word (FLAG_* below, the aksi code in the low two bits) and the
 * end of each text: nik, no_kk, nama, and for a row with a query its village, and with an identity its
 * birth date.
 */

import { Buffer } from 'node:buffer';
import type { ActionCode, PortQuery, ReportedRow } from '#core/integrity.ts';
import type { ProposalRow } from '#core/proposal.ts';

/** One batch of pass 1 in shared memory: its texts' characters, and `table` (line, flags, text ends per row). */
export interface KeptBatch {
  texts: SharedArrayBuffer;
  /** Two bytes a character (UTF-16LE) rather than one (Latin-1). */
  wide: boolean;
  table: Int32Array;
  rows: number;
}

/** A character above U+00FF: Latin-1 cannot hold the string. */
const WIDE = /[\u0100-\uffff]/;

const ACTION_MASK = 0b11;
/** The row has a PortQuery (its NIK is one the ports can answer for). */
const FLAG_QUERY = 1 << 2;
const FLAG_REMOVES_DECEASED = 1 << 3;
/** The query takes part in the identity checks: its birth date follows. */
const FLAG_IDENTITY = 1 << 4;
/** Table cells per row at most: line, flags and five text ends. */
const MAX_CELLS = 7;

let scratch = new Int32Array(1 << 14);

/** Keeps `rows` and their `queries` (as ProposalChecker.addBatch gave them) as one batch. */
export function keepBatch(rows: readonly ProposalRow[], queries: readonly (PortQuery | undefined)[]): KeptBatch {
  if (scratch.length < rows.length * MAX_CELLS) scratch = new Int32Array(rows.length * MAX_CELLS);
  const cells = scratch;
  const parts: string[] = [];
  let at = 0;
  let end = 0;
  const text = (value: string) => {
    parts.push(value);
    end += value.length;
    cells[at++] = end;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const query = queries[i];
    cells[at++] = row.line;
    cells[at++] = query
      ? query.action |
        FLAG_QUERY |
        (query.removesDeceased ? FLAG_REMOVES_DECEASED : 0) |
        (query.identityBirthIso !== undefined ? FLAG_IDENTITY : 0)
      : 0;
    text(row.nik);
    text(row.noKk);
    text(row.nama);
    if (!query) continue;
    text(query.village);
    if (query.identityBirthIso !== undefined) text(query.identityBirthIso);
  }
  const table = new Int32Array(new SharedArrayBuffer(at * Int32Array.BYTES_PER_ELEMENT));
  table.set(cells.subarray(0, at));
  const joined = parts.join('');
  const wide = WIDE.test(joined);
  const texts = new SharedArrayBuffer(wide ? 2 * joined.length : joined.length);
  Buffer.from(texts).write(joined, wide ? 'utf16le' : 'latin1');
  return { texts, wide, table, rows: rows.length };
}

/** A kept batch's rows as the report shows them, and their queries when `withQueries`. */
export function readBatch(
  batch: KeptBatch,
  withQueries: boolean,
): { rows: ReportedRow[]; queries: (PortQuery | undefined)[] } {
  const { table } = batch;
  const texts = Buffer.from(batch.texts).toString(batch.wide ? 'utf16le' : 'latin1');
  const rows: ReportedRow[] = new Array(batch.rows);
  const queries: (PortQuery | undefined)[] = withQueries ? new Array(batch.rows) : [];
  let at = 0;
  let start = 0;
  const text = () => {
    const end = table[at++]!;
    const value = texts.slice(start, end);
    start = end;
    return value;
  };
  for (let i = 0; i < batch.rows; i++) {
    const line = table[at++]!;
    const flags = table[at++]!;
    const row: ReportedRow = { line, nik: text(), noKk: text(), nama: text() };
    rows[i] = row;
    if (!(flags & FLAG_QUERY)) continue;
    const village = text();
    const identityBirthIso = flags & FLAG_IDENTITY ? text() : undefined;
    if (!withQueries) continue;
    queries[i] = {
      nik: row.nik,
      noKk: row.noKk,
      nama: row.nama,
      action: (flags & ACTION_MASK) as ActionCode,
      removesDeceased: (flags & FLAG_REMOVES_DECEASED) !== 0,
      village,
      identityBirthIso,
    };
  }
  return { rows, queries };
}
