/**
 * A streaming .xlsx (Office Open XML SpreadsheetML) writer for the files regions open in Excel or
 * LibreOffice Calc: the return report and the regency export. A CSV loses there what matters most: Calc
 * and Excel turn the unquoted 16-digit NIK 3371010604900001 into 3371010604900000 (15 significant
 * digits), RT `005` into 5 and dates into serial numbers, and Indonesian-locale Excel expects `;`.
 *
 * So every text column is written as an inline string cell (`t="inlineStr"`) with the Text number format
 * (`@`), which no spreadsheet reads as a number or a formula (no formula-injection neutralising needed);
 * dates are date serials with a `yyyy-mm-dd` format; counts are numbers.
 *
 * Rows stream through: each sheet is one zip entry fed as it is written and deflated by yazl (zlib, with
 * ZIP64 when a sheet passes 4 GiB), so memory stays flat for 10^6 rows. A sheet holds at most
 * MAX_SHEET_ROWS rows (Excel's limit, the header included): the rows after that continue on a next sheet
 * `<name> (2)`, with the header again. The workbook part that lists the sheets is written last, when
 * their number is known (zip readers go by the central directory, so the order of entries is free).
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import yazl from 'yazl';

export type XlsxColumnKind = 'text' | 'date' | 'integer';

export interface XlsxColumn {
  name: string;
  kind: XlsxColumnKind;
  /** Width in characters (Excel's unit); a default from the kind when absent. */
  width?: number;
}

/** A cell: text for text columns, `YYYY-MM-DD` (or a number) for date columns, a number for integers; null is empty. */
export type XlsxValue = string | number | null;

/** Where the file's bytes go; resolves when it can take more (backpressure). */
export type XlsxSink = (chunk: Uint8Array) => Promise<void>;

/** The media type of an .xlsx file (for S3 objects and downloads). */
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Excel's rows per sheet (1,048,576), the header row included. */
export const MAX_SHEET_ROWS = 1_048_576;

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
/** Entries carry a fixed time: the same rows make the same bytes (the export promises byte-identical reruns). */
const ENTRY_TIME = new Date(Date.UTC(2020, 0, 1));

/** Cell styles of styles.xml: 0 general, 1 text (@), 2 date, 3 header (bold text). */
const STYLE = { general: 0, text: 1, date: 2, header: 3 } as const;

const STYLES_XML = `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`;

/** Column letters: 0 → A, 25 → Z, 26 → AA. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

// XML 1.0 forbids most C0 controls and lone surrogates; OOXML writes such a character as _xHHHH_
// (ST_Xstring), and a literal "_xHHHH_" in the text gets its underscore escaped the same way.
const XML_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding the characters XML 1.0 forbids is the point.
  /[&<>"\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|_(?=x[0-9a-fA-F]{4}_)|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

export function xmlText(text: string): string {
  return text.replace(
    XML_UNSAFE,
    (c) => ENTITIES[c] ?? `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`,
  );
}

const EPOCH = Date.UTC(1899, 11, 30);
const FIRST_SERIAL_DAY = Date.UTC(1900, 2, 1);
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Excel's serial day of an ISO date; undefined before 1900-03-01, where Excel's serials are off by its
 * 1900 leap-year bug (such a date is written as text instead).
 */
export function dateSerial(iso: string): number | undefined {
  const match = ISO_DATE.exec(iso);
  if (!match) return undefined;
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const back = new Date(time);
  if (back.getUTCDate() !== Number(match[3]) || back.getUTCMonth() !== Number(match[2]) - 1) return undefined;
  if (time < FIRST_SERIAL_DAY) return undefined;
  return Math.round((time - EPOCH) / 86_400_000);
}

const DEFAULT_WIDTH: Record<XlsxColumnKind, number> = { text: 18, date: 12, integer: 10 };

interface Sheet {
  name: string;
  columns: readonly XlsxColumn[];
  /** Rows written to the current part, the header included. */
  rows: number;
  /** The zip entry of the current part. */
  stream: PassThrough;
  /** 1-based number of the part: sheets past the row limit continue as `<name> (2)`, … */
  part: number;
}

export class XlsxWriter {
  private readonly zip = new yazl.ZipFile();
  private readonly pumped: Promise<void>;
  private readonly sheetNames: string[] = [];
  private sheet: Sheet | undefined;
  private failure: unknown;
  private readonly maxRows: number;

  /** `maxRows`: rows per sheet, the header included (MAX_SHEET_ROWS; smaller in tests). */
  constructor(sink: XlsxSink, options: { maxRows?: number } = {}) {
    this.maxRows = Math.max(2, options.maxRows ?? MAX_SHEET_ROWS);
    this.pumped = (async () => {
      for await (const chunk of this.zip.outputStream as AsyncIterable<Buffer>) await sink(chunk);
    })();
    this.pumped.catch((error: unknown) => {
      this.failure = error;
      this.sheet?.stream.destroy(error as Error);
    });
  }

  /** Ends the current sheet and starts `name` with a bold header row of the columns' names. */
  async startSheet(name: string, columns: readonly XlsxColumn[]): Promise<void> {
    await this.endSheet();
    this.sheet = { name, columns, rows: 0, stream: this.openPart(name), part: 1 };
    await this.writeHeader();
  }

  /** Appends rows to the current sheet (values in column order). */
  async addRows(rows: readonly (readonly XlsxValue[])[]): Promise<void> {
    const sheet = this.sheet;
    if (!sheet) throw new Error('XlsxWriter: startSheet before addRows');
    let xml = '';
    for (const values of rows) {
      if (sheet.rows >= this.maxRows) {
        await this.send(xml);
        xml = '';
        await this.continueSheet();
      }
      const r = ++sheet.rows;
      xml += `<row r="${r}">`;
      for (let c = 0; c < sheet.columns.length; c++) {
        xml += cellXml((sheet.columns[c] as XlsxColumn).kind, values[c] ?? null, `${columnName(c)}${r}`);
      }
      xml += '</row>';
      if (xml.length > 1 << 16) {
        await this.send(xml);
        xml = '';
      }
    }
    await this.send(xml);
  }

  /** Ends the last sheet and writes the workbook parts; resolves when every byte went to the sink. */
  async close(): Promise<void> {
    await this.endSheet();
    const names = this.sheetNames;
    const sheets = names
      .map((name, i) => `<sheet name="${xmlText(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
      .join('');
    const relationships = names
      .map(
        (_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
      )
      .join('');
    const overrides = names
      .map(
        (_, i) =>
          `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
      )
      .join('');
    this.addText('xl/styles.xml', STYLES_XML);
    this.addText(
      'xl/workbook.xml',
      `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>${sheets}</sheets></workbook>`,
    );
    this.addText(
      'xl/_rels/workbook.xml.rels',
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">${relationships}<Relationship Id="rId${names.length + 1}" Type="${REL_NS}/styles" Target="styles.xml"/></Relationships>`,
    );
    this.addText(
      '_rels/.rels',
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    );
    this.addText(
      '[Content_Types].xml',
      `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>${overrides}</Types>`,
    );
    this.zip.end();
    await this.pumped;
  }

  /** Gives the file up: the sink gets no more bytes. */
  abort(): void {
    this.failure ??= new Error('aborted');
    this.sheet?.stream.destroy();
    (this.zip.outputStream as Readable).destroy();
  }

  private openPart(name: string): PassThrough {
    const stream = new PassThrough({ highWaterMark: 1 << 20 });
    this.sheetNames.push(name);
    this.zip.addReadStream(stream, `xl/worksheets/sheet${this.sheetNames.length}.xml`, {
      mtime: ENTRY_TIME,
      compress: true,
    });
    return stream;
  }

  private async writeHeader(): Promise<void> {
    const sheet = this.sheet as Sheet;
    const cols = sheet.columns
      .map(
        (column, i) =>
          `<col min="${i + 1}" max="${i + 1}" width="${column.width ?? DEFAULT_WIDTH[column.kind]}" customWidth="1"/>`,
      )
      .join('');
    sheet.rows = 1;
    const header = sheet.columns
      .map(
        (column, c) =>
          `<c r="${columnName(c)}1" t="inlineStr" s="${STYLE.header}"><is><t>${xmlText(column.name)}</t></is></c>`,
      )
      .join('');
    // The header row stays in view while scrolling (a frozen pane below row 1).
    await this.send(
      `${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>${cols}</cols><sheetData><row r="1">${header}</row>`,
    );
  }

  /** The current sheet is full: end it and go on in `<name> (n)`. */
  private async continueSheet(): Promise<void> {
    const sheet = this.sheet as Sheet;
    await this.finishPart();
    sheet.part++;
    sheet.stream = this.openPart(`${sheet.name.slice(0, 25)} (${sheet.part})`);
    await this.writeHeader();
  }

  private async endSheet(): Promise<void> {
    if (!this.sheet) return;
    await this.finishPart();
    this.sheet = undefined;
  }

  private async finishPart(): Promise<void> {
    const { stream } = this.sheet as Sheet;
    await this.send('</sheetData></worksheet>');
    stream.end();
  }

  private async send(xml: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (xml === '') return;
    const stream = (this.sheet as Sheet).stream;
    if (!stream.write(xml)) await Promise.race([once(stream, 'drain'), this.pumped]);
    if (this.failure) throw this.failure;
  }

  private addText(name: string, text: string): void {
    this.zip.addBuffer(Buffer.from(text, 'utf8'), name, { mtime: ENTRY_TIME, compress: true });
  }
}

function textCell(ref: string, text: string): string {
  return `<c r="${ref}" t="inlineStr" s="${STYLE.text}"><is><t xml:space="preserve">${xmlText(text)}</t></is></c>`;
}

function cellXml(kind: XlsxColumnKind, value: XlsxValue, ref: string): string {
  if (value === null || value === '') return '';
  if (kind === 'text') return textCell(ref, String(value));
  if (kind === 'date') {
    const serial = typeof value === 'number' ? value : dateSerial(value);
    // A date Excel cannot show as one (before March 1900, or not a date at all) stays as written.
    return serial === undefined ? textCell(ref, String(value)) : `<c r="${ref}" s="${STYLE.date}"><v>${serial}</v></c>`;
  }
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? `<c r="${ref}"><v>${number}</v></c>` : textCell(ref, String(value));
}
