/**
 * What a file that is not CSV text is, told from its first bytes: a region that uploads the workbook
 * instead of the CSV saved from it, a compressed file, or a "Unicode text" export (UTF-16) must be told
 * so, not that fourteen columns are missing. The readers (core/csv.ts, adapters/extracts/loader.ts) look at
 * the first SNIFF_BYTES of every file before they decode anything.
 */
import { Buffer } from 'node:buffer';
import type { Lang } from './messages.ts';

export type NotCsvFileType = 'GZIP' | 'ZIP' | 'XLSX' | 'ODS' | 'XLS' | 'PDF' | 'UTF16' | 'BINARY';

/** How many leading bytes the readers hand to sniffFileType (fewer only when the file is shorter). */
export const SNIFF_BYTES = 1024;

const startsWith = (bytes: Uint8Array, ...magic: number[]) => magic.every((b, i) => bytes[i] === b);

function contains(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(text, 0, 'latin1');
}

/** Bytes a text file never holds: C0 controls other than TAB, LF, VT, FF, CR and the DOS end-of-file mark (0x1A). */
function isControl(b: number): boolean {
  return (b < 0x20 && b !== 9 && b !== 10 && b !== 11 && b !== 12 && b !== 13 && b !== 0x1a) || b === 0x7f;
}

/**
 * UTF-16 without a BOM ("Unicode text" of some exports): ASCII characters become a zero byte and the
 * character, so nearly every other byte is zero, on one side only.
 */
function utf16WithoutBom(bytes: Uint8Array): boolean {
  const pairs = bytes.length >> 1;
  if (pairs < 2) return false;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    if (bytes[i] === 0) zeroEven++;
    if (bytes[i + 1] === 0) zeroOdd++;
  }
  const [many, few] = zeroOdd > zeroEven ? [zeroOdd, zeroEven] : [zeroEven, zeroOdd];
  return many >= pairs * 0.3 && few <= pairs * 0.05;
}

/** The kind of a file that is not CSV text, from its first bytes; undefined for text (UTF-8 or Windows-1252). */
export function sniffFileType(head: Uint8Array): NotCsvFileType | undefined {
  if (head.length === 0) return undefined;
  if (startsWith(head, 0x1f, 0x8b)) return 'GZIP';
  // Local file header, or the end record of an empty archive.
  if (startsWith(head, 0x50, 0x4b, 0x03, 0x04) || startsWith(head, 0x50, 0x4b, 0x05, 0x06)) {
    // An OOXML workbook names its parts in the first local headers; an OpenDocument file starts with its mimetype.
    if (contains(head, 'mimetypeapplication/vnd.oasis.opendocument.spreadsheet')) return 'ODS';
    if (contains(head, 'xl/') || contains(head, '[Content_Types].xml')) return 'XLSX';
    return 'ZIP';
  }
  // OLE2 compound file: Excel 97–2003 workbooks.
  if (startsWith(head, 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return 'XLS';
  if (startsWith(head, 0x25, 0x50, 0x44, 0x46, 0x2d)) return 'PDF';
  if (startsWith(head, 0xff, 0xfe) || startsWith(head, 0xfe, 0xff) || utf16WithoutBom(head)) return 'UTF16';
  let controls = 0;
  for (const b of head) {
    if (b === 0) return 'BINARY';
    if (isControl(b)) controls++;
  }
  return controls > head.length * 0.05 ? 'BINARY' : undefined;
}

const NAMES: Record<Lang, Record<NotCsvFileType, string>> = {
  id: {
    GZIP: 'arsip terkompresi gzip (.gz)',
    ZIP: 'arsip ZIP (.zip)',
    XLSX: 'arsip ZIP/berkas Excel (.xlsx)',
    ODS: 'berkas LibreOffice Calc (.ods)',
    XLS: 'berkas Excel 97–2003 (.xls)',
    PDF: 'dokumen PDF',
    UTF16: 'teks UTF-16 ("Teks Unicode")',
    BINARY: 'berkas biner, bukan teks',
  },
  en: {
    GZIP: 'a gzip-compressed archive (.gz)',
    ZIP: 'a ZIP archive (.zip)',
    XLSX: 'a ZIP archive/Excel workbook (.xlsx)',
    ODS: 'a LibreOffice Calc spreadsheet (.ods)',
    XLS: 'an Excel 97–2003 workbook (.xls)',
    PDF: 'a PDF document',
    UTF16: 'UTF-16 text ("Unicode text")',
    BINARY: 'a binary file, not text',
  },
};

const ADVICE: Record<Lang, Record<'archive' | 'save' | 'send', string>> = {
  id: {
    archive: 'buka arsipnya dan kirim berkas CSV UTF-8 di dalamnya',
    save: 'buka di Excel/LibreOffice lalu simpan sebagai CSV UTF-8',
    send: 'kirim berkas CSV UTF-8',
  },
  en: {
    archive: 'extract it and send the UTF-8 CSV file inside',
    save: 'open it in Excel/LibreOffice and save it as CSV UTF-8',
    send: 'send a UTF-8 CSV file',
  },
};

const ADVICE_OF: Record<NotCsvFileType, 'archive' | 'save' | 'send'> = {
  GZIP: 'archive',
  ZIP: 'archive',
  XLSX: 'save',
  ODS: 'save',
  XLS: 'save',
  PDF: 'send',
  UTF16: 'save',
  BINARY: 'send',
};

/** "this file is <what>, not CSV; <what to do>" without a subject, for the readers' messages. */
export function notCsvMessage(type: NotCsvFileType, lang: Lang): string {
  return lang === 'id'
    ? `adalah ${NAMES.id[type]}, bukan CSV; ${ADVICE.id[ADVICE_OF[type]]}`
    : `is ${NAMES.en[type]}, not CSV; ${ADVICE.en[ADVICE_OF[type]]}`;
}
