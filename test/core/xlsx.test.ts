/**
 * core/xlsx.ts read back with an independent reader (test/support/xlsx-reader.ts): what Excel and
 * LibreOffice find in the cells, not what the writer meant.
 */
import { describe, expect, it } from 'vitest';
import { dateSerial, XlsxWriter } from '#core/xlsx.ts';
import { numberFormats, readZip, sheetCells, sheetsOf } from '../support/xlsx-reader.ts';

async function written(build: (writer: XlsxWriter) => Promise<void>, options?: { maxRows?: number }) {
  const chunks: Uint8Array[] = [];
  const writer = new XlsxWriter(async (chunk) => {
    chunks.push(chunk);
  }, options);
  await build(writer);
  await writer.close();
  const bytes = Buffer.concat(chunks);
  const entries = readZip(bytes);
  return { bytes, entries, sheets: sheetsOf(entries), formats: numberFormats(entries.get('xl/styles.xml') ?? '') };
}

const COLUMNS = [
  { name: 'nik', kind: 'text' },
  { name: 'rt', kind: 'text' },
  { name: 'tanggal_lahir', kind: 'date' },
  { name: 'desil', kind: 'integer' },
  { name: 'nama', kind: 'text' },
] as const;

describe('XlsxWriter', () => {
  it('writes NIK and RT as text cells and dates as dates', async () => {
    const { entries, sheets, formats } = await written(async (writer) => {
      await writer.startSheet('Laporan', COLUMNS);
      await writer.addRows([['3371010604900001', '005', '1990-04-06', 3, 'SETYO']]);
    });
    expect(sheets).toEqual([{ name: 'Laporan', part: 'xl/worksheets/sheet1.xml' }]);
    const [header, row] = sheetCells(entries.get('xl/worksheets/sheet1.xml') ?? '');
    expect(header?.map((cell) => cell.value)).toEqual(['nik', 'rt', 'tanggal_lahir', 'desil', 'nama']);
    const [nik, rt, born, desil] = row ?? [];
    expect(nik).toMatchObject({ ref: 'A2', type: 'inlineStr', value: '3371010604900001' });
    expect(formats[nik?.style ?? -1]).toBe('@');
    expect(rt).toMatchObject({ type: 'inlineStr', value: '005' });
    expect(formats[rt?.style ?? -1]).toBe('@');
    // A number cell (no t) holding the serial day, with a date format.
    expect(born?.type).toBeUndefined();
    expect(born?.value).toBe('32969');
    expect(formats[born?.style ?? -1]).toMatch(/y+.*m+.*d+/);
    expect(desil).toMatchObject({ value: '3' });
    expect(desil?.type).toBeUndefined();
    expect(entries.get('[Content_Types].xml')).toContain('spreadsheetml.sheet.main+xml');
  });

  it('keeps text a spreadsheet would run or break: formulas, markup, control characters', async () => {
    const { entries } = await written(async (writer) => {
      await writer.startSheet('Laporan', COLUMNS);
      await writer.addRows([['=HYPERLINK("x")', ' 01', 'bukan tanggal', null, 'A & B <c> \u0001 _x0041_']]);
    });
    const xml = entries.get('xl/worksheets/sheet1.xml') ?? '';
    expect(xml).not.toContain('<f>');
    const [, row] = sheetCells(xml);
    expect(row?.map((cell) => cell.value)).toEqual([
      '=HYPERLINK("x")',
      ' 01',
      'bukan tanggal',
      'A & B <c> \u0001 _x0041_',
    ]);
    expect(row?.[2]?.type).toBe('inlineStr');
  });

  it('continues on a next sheet, with the header again, past the rows a sheet can hold', async () => {
    const { entries, sheets } = await written(
      async (writer) => {
        await writer.startSheet('DTKS 3371', COLUMNS);
        await writer.addRows(Array.from({ length: 5 }, (_, i) => [`33710106049000${i}0`, '001', '1990-04-06', i, 'X']));
        await writer.startSheet('Ringkasan', [{ name: 'jumlah', kind: 'integer' }]);
        await writer.addRows([[5]]);
      },
      { maxRows: 3 },
    );
    expect(sheets.map((sheet) => sheet.name)).toEqual(['DTKS 3371', 'DTKS 3371 (2)', 'DTKS 3371 (3)', 'Ringkasan']);
    const parts = sheets.map((sheet) => sheetCells(entries.get(sheet.part) ?? ''));
    expect(parts.map((rows) => rows.length)).toEqual([3, 3, 2, 2]);
    expect(parts[1]?.[0]?.[0]?.value).toBe('nik');
    expect(parts.slice(0, 3).flatMap((rows) => rows.slice(1).map((row) => row[3]?.value))).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
  });

  it('writes the same bytes for the same rows', async () => {
    const build = async (writer: XlsxWriter) => {
      await writer.startSheet('Laporan', COLUMNS);
      await writer.addRows([['3371010604900001', '005', '1990-04-06', 3, 'SETYO']]);
    };
    expect((await written(build)).bytes).toEqual((await written(build)).bytes);
  });

  it('counts serial days from 1899-12-30 and leaves dates Excel cannot show to text', () => {
    expect(dateSerial('1900-03-01')).toBe(61);
    expect(dateSerial('2026-11-01')).toBe(46327);
    expect(dateSerial('1899-05-01')).toBeUndefined();
    expect(dateSerial('2026-02-30')).toBeUndefined();
  });
});
