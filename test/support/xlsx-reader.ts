/**
 * An independent reader of .xlsx files for tests: the zip's central directory read by hand and its
 * entries inflated with node:zlib, the SpreadsheetML cells taken from the sheet XML with regular
 * expressions. It shares no code with adapters/xlsx/writer.ts, so a test reads back what a spreadsheet would find.
 */
import { Buffer } from 'node:buffer';
import { inflateRawSync } from 'node:zlib';

export function readZip(bytes: Uint8Array): Map<string, string> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip: no end of central directory');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const entries = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataStart, dataStart + compressed);
    entries.set(name, (method === 8 ? inflateRawSync(data) : data).toString('utf8'));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export interface ReadCell {
  ref: string;
  /** The t attribute: 'inlineStr', 's', 'str', 'b' or undefined (a number). */
  type?: string;
  style: number;
  /** <v> for numbers, the inline string's text otherwise. */
  value: string;
}

const fromXml = (text: string) =>
  text
    .replace(/_x([0-9A-F]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

export function sheetCells(xml: string): ReadCell[][] {
  const rows: ReadCell[][] = [];
  for (const [, body] of xml.matchAll(/<row\b[^>]*>(.*?)<\/row>/gs)) {
    const cells: ReadCell[] = [];
    for (const [, attributes = '', inner = ''] of (body ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)) {
      const type = /\bt="([^"]+)"/.exec(attributes)?.[1];
      const value = type === 'inlineStr' ? /<t\b[^>]*>(.*?)<\/t>/s.exec(inner)?.[1] : /<v>(.*?)<\/v>/s.exec(inner)?.[1];
      cells.push({
        ref: /\br="([A-Z]+\d+)"/.exec(attributes)?.[1] ?? '',
        ...(type ? { type } : {}),
        style: Number(/\bs="(\d+)"/.exec(attributes)?.[1] ?? 0),
        value: fromXml(value ?? ''),
      });
    }
    rows.push(cells);
  }
  return rows;
}

/** The number format code of each cell style (cellXfs index → format code; built-in 49 is '@'). */
export function numberFormats(stylesXml: string): string[] {
  const custom = new Map<string, string>();
  for (const [, id = '', code = ''] of stylesXml.matchAll(/<numFmt numFmtId="(\d+)" formatCode="([^"]*)"/g)) {
    custom.set(id, code);
  }
  const builtIn: Record<string, string> = { '0': 'General', '14': 'm/d/yyyy', '49': '@' };
  const xfs = /<cellXfs[^>]*>(.*?)<\/cellXfs>/s.exec(stylesXml)?.[1] ?? '';
  return [...xfs.matchAll(/<xf\b[^>]*numFmtId="(\d+)"/g)].map(([, id = '']) => custom.get(id) ?? builtIn[id] ?? id);
}

/** Sheet names in workbook order, with their part names. */
export function sheetsOf(entries: Map<string, string>): { name: string; part: string }[] {
  const workbook = entries.get('xl/workbook.xml') ?? '';
  const rels = entries.get('xl/_rels/workbook.xml.rels') ?? '';
  return [...workbook.matchAll(/<sheet name="([^"]+)"[^>]*r:id="([^"]+)"/g)].map(([, name = '', id = '']) => ({
    name: fromXml(name),
    part: `xl/${new RegExp(`Id="${id}"[^>]*Target="([^"]+)"`).exec(rels)?.[1] ?? ''}`,
  }));
}

/** A row's cells by column letter (empty cells are absent from the XML, so positions are not columns). */
export function byColumn(row: readonly ReadCell[]): Record<string, ReadCell> {
  return Object.fromEntries(row.map((cell) => [cell.ref.replace(/\d+$/, ''), cell]));
}
