/**
 * adapters/xlsx/writer.ts read back with an independent reader (test/support/xlsx-reader.ts): what Excel and
 * LibreOffice find in the cells, not what the writer meant.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dateSerial, XlsxWriter } from '#adapters/xlsx/writer.ts';
import { numberFormats, readZip, sheetCells, sheetsOf } from '../../support/xlsx-reader.ts';

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

  // LibreOffice Calc itself (apt-get install libreoffice-calc-nogui): the cells it reads back through
  // its own CSV export. .ci/run installs it, so in CI this always runs (and fails if Calc is missing);
  // on a developer's machine without it the independent reader above stands in.
  const soffice = spawnSync('soffice', ['--version'], { encoding: 'utf8' }).status === 0;
  it.runIf(soffice || process.env.CI === 'true')(
    'survives a round trip through LibreOffice Calc: NIK whole, RT 005, the date as a date',
    async () => {
      const { bytes } = await written(async (writer) => {
        await writer.startSheet('Laporan', COLUMNS);
        await writer.addRows([['3371010604900001', '005', '1990-04-06', 3, '=1+1']]);
      });
      const dir = await mkdtemp(join(tmpdir(), 'dtks-xlsx-lo-'));
      try {
        await writeFile(join(dir, 'laporan.xlsx'), bytes);
        const run = spawnSync(
          'soffice',
          ['--headless', '--convert-to', 'csv', '--outdir', dir, join(dir, 'laporan.xlsx')],
          {
            encoding: 'utf8',
            timeout: 120_000,
            env: { ...process.env, HOME: dir },
          },
        );
        expect(run.status).toBe(0);
        const csv = await readFile(join(dir, 'laporan.csv'), 'utf8');
        expect(csv.trim().split(/\r?\n/)).toEqual([
          'nik,rt,tanggal_lahir,desil,nama',
          '3371010604900001,005,1990-04-06,3,=1+1',
        ]);
        // Calc's own document: which cell it holds as text and which as a date.
        const fods = spawnSync(
          'soffice',
          ['--headless', '--convert-to', 'fods', '--outdir', dir, join(dir, 'laporan.xlsx')],
          { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: dir } },
        );
        expect(fods.status).toBe(0);
        const document = await readFile(join(dir, 'laporan.fods'), 'utf8');
        expect(document).toMatch(/office:value-type="string"[^>]*>\s*<text:p>3371010604900001<\/text:p>/);
        expect(document).toMatch(/office:value-type="string"[^>]*>\s*<text:p>005<\/text:p>/);
        expect(document).toMatch(/office:value-type="date" office:date-value="1990-04-06"/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    150_000,
  );
});
