import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ProposalRow, REQUIRED_COLUMNS } from '#core/proposal.ts';
import {
  MAX_COLUMN_NAME_CHARS,
  MAX_COLUMNS,
  MAX_STORED_UNKNOWN_COLUMNS,
  type ProposalFileInfo,
  ProposalFormatError,
  readProposal,
} from '#core/proposal-reader.ts';
import { storedZip } from '../support/zip.ts';

const HEADER = [...REQUIRED_COLUMNS, 'alasan'];
const VALUES: Record<string, string> = {
  aksi: 'TAMBAH',
  nik: '3371011707850003',
  no_kk: '3371010101200001',
  nama: 'Budi Santoso',
  jenis_kelamin: 'L',
  tempat_lahir: 'Magelang',
  tanggal_lahir: '1985-07-17',
  nama_ibu_kandung: 'Siti Aminah',
  hubungan_keluarga: 'KEPALA_KELUARGA',
  status_perkawinan: 'KAWIN',
  alamat: 'Jl. Pahlawan 12',
  rt: '003',
  rw: '004',
  kode_desa: '3371011001',
  alasan: '',
};
const LINE = HEADER.map((name) => VALUES[name]).join(',');

const BUDI: ProposalRow = {
  line: 1,
  aksi: 'TAMBAH',
  alasan: '',
  nik: '3371011707850003',
  noKk: '3371010101200001',
  nama: 'Budi Santoso',
  jenisKelamin: 'L',
  tempatLahir: 'Magelang',
  tanggalLahir: '1985-07-17',
  namaIbuKandung: 'Siti Aminah',
  hubunganKeluarga: 'KEPALA_KELUARGA',
  statusPerkawinan: 'KAWIN',
  alamat: 'Jl. Pahlawan 12',
  rt: '003',
  rw: '004',
  kodeDesa: '3371011001',
  pekerjaan: '',
  penghasilanBulanan: '',
  desil: '',
};

function bytesOf(text: string | Uint8Array): Uint8Array {
  return typeof text === 'string' ? new TextEncoder().encode(text) : text;
}

function* pieces(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(
  text: string | Uint8Array,
  options: { chunk?: number; batchSize?: number } = {},
): Promise<{ rows: ProposalRow[]; batches: number[]; info: ProposalFileInfo }> {
  const bytes = bytesOf(text);
  const reader = readProposal(pieces(bytes, options.chunk ?? 1 << 20), { batchSize: options.batchSize });
  const rows: ProposalRow[] = [];
  const batches: number[] = [];
  for await (const batch of reader) {
    batches.push(batch.length);
    rows.push(...batch);
  }
  return { rows, batches, info: reader.info };
}

async function failure(text: string | Uint8Array): Promise<ProposalFormatError> {
  try {
    await read(text);
  } catch (error) {
    if (error instanceof ProposalFormatError) return error;
    throw error;
  }
  throw new Error('expected a ProposalFormatError');
}

describe('readProposal', () => {
  it('reads a row into ProposalRow fields with line 1', async () => {
    const { rows, info } = await read(`${HEADER.join(',')}\n${LINE}\n`);
    expect(rows).toEqual([BUDI]);
    expect(info).toEqual({
      delimiter: ',',
      bom: false,
      encoding: 'utf-8',
      unknownColumns: [],
      unknownColumnCount: 0,
      rows: 1,
    });
  });

  it('reads a file with a BOM, ; delimiter and CRLF line ends', async () => {
    const text = `\ufeff${HEADER.join(';')}\r\n${LINE.replaceAll(',', ';')}\r\n`;
    const { rows, info } = await read(text, { chunk: 1 });
    expect(rows).toEqual([BUDI]);
    expect(info.bom).toBe(true);
    expect(info.delimiter).toBe(';');
  });

  it('reads CR-only line ends', async () => {
    const { rows } = await read(`${HEADER.join(',')}\r${LINE}\r${LINE}`);
    expect(rows.map((r) => r.line)).toEqual([1, 2]);
  });

  it('accepts header names in any case and with surrounding spaces, in any order', async () => {
    const header = [...HEADER].reverse().map((name, i) => (i % 2 ? ` ${name.toUpperCase()} ` : name));
    const line = [...HEADER].reverse().map((name) => VALUES[name]);
    const { rows } = await read(`${header.join(',')}\n${line.join(',')}\n`);
    expect(rows).toEqual([BUDI]);
  });

  it('trims values and unquotes delimiters, doubled quotes and line breaks inside quotes', async () => {
    const cells = HEADER.map((name) => VALUES[name] as string);
    cells[HEADER.indexOf('nama')] = '"  Budi, ""Gondrong""\nSantoso "';
    cells[HEADER.indexOf('alamat')] = '   Jl. Pahlawan 12   ';
    const { rows } = await read(`${HEADER.join(',')}\n${cells.join(',')}\n`, { chunk: 3 });
    expect(rows[0]?.nama).toBe('Budi, "Gondrong"\nSantoso');
    expect(rows[0]?.alamat).toBe('Jl. Pahlawan 12');
  });

  it('does not count the header and empty lines in line, also lines of only delimiters and spaces', async () => {
    const text = `\n${HEADER.join(',')}\n\n${LINE}\n \n,,, ,\n\r\n${LINE}\n\n`;
    const { rows, info } = await read(text);
    expect(rows.map((r) => r.line)).toEqual([1, 2]);
    expect(info.rows).toBe(2);
  });

  it("gives '' for the cells missing from a short row and keeps every value as written", async () => {
    const { rows } = await read(`${HEADER.join(',')}\nHAPUS, 12x ,,Budi\n`);
    expect(rows).toEqual([
      {
        ...BUDI,
        ...Object.fromEntries(Object.keys(BUDI).map((k) => [k, ''])),
        line: 1,
        aksi: 'HAPUS',
        nik: '12x',
        nama: 'Budi',
      },
    ]);
  });

  it('reads the optional columns pekerjaan, penghasilan_bulanan and desil when present', async () => {
    const text = `${HEADER.join(',')},pekerjaan,penghasilan_bulanan,desil\n${LINE},Petani,1500000,2\n`;
    const { rows } = await read(text);
    expect(rows[0]).toMatchObject({ pekerjaan: 'Petani', penghasilanBulanan: '1500000', desil: '2' });
  });

  it('reports unknown columns once, keeps them out of the row and reads the rest', async () => {
    const text = `${HEADER.join(',')},Catatan,catatan_2,Catatan,\n${LINE},x,y,z,\n`;
    const { rows, info } = await read(text);
    expect(info.unknownColumns).toEqual(['Catatan', 'catatan_2']);
    expect(rows).toEqual([BUDI]);
    expect(Object.keys(rows[0] ?? {})).toEqual(Object.keys(BUDI));
  });

  it('sets delimiter, bom and unknown columns before the first batch is yielded', async () => {
    const reader = readProposal([bytesOf(`\ufeff${HEADER.join(';')};extra\n${LINE.replaceAll(',', ';')};1\n`)]);
    for await (const _batch of reader) {
      expect(reader.info).toMatchObject({ delimiter: ';', bom: true, unknownColumns: ['extra'] });
    }
    expect(reader.info.rows).toBe(1);
    expect.assertions(2);
  });

  it('yields batches of batchSize rows in file order', async () => {
    const text = `${HEADER.join(',')}\n${Array.from({ length: 7 }, () => LINE).join('\n')}\n`;
    const { rows, batches } = await read(text, { batchSize: 3, chunk: 50 });
    expect(batches).toEqual([3, 3, 1]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('yields zero rows for a header-only file', async () => {
    const { rows, info } = await read(`${HEADER.join(',')}\r\n\r\n`);
    expect(rows).toEqual([]);
    expect(info.rows).toBe(0);
  });

  it('reads names in Windows-1252 and reports the line where the fallback starts', async () => {
    const sel = Buffer.from(LINE.replace('Budi Santoso', 'S\u00e9lamet'), 'latin1');
    const nun = Buffer.from(LINE.replace('Budi Santoso', 'Nu\u00f1ez'), 'latin1');
    const bytes = Buffer.concat([Buffer.from(`${HEADER.join(',')}\n${LINE}\n\n`), sel, Buffer.from('\n'), nun]);
    for (const chunk of [1, 1 << 20]) {
      const { rows, info } = await read(bytes, { chunk });
      expect(rows.map((r) => r.nama)).toEqual(['Budi Santoso', 'Sélamet', 'Nuñez']);
      expect(info.encoding).toBe('windows-1252');
      expect(info.windows1252FromLine).toBe(4);
    }
  });

  it('reads a UTF-8 name whose characters are split across chunks', async () => {
    const text = `${HEADER.join(',')}\n${LINE.replace('Budi Santoso', 'Nuñez Sélamet 🙂')}\n`;
    const { rows, info } = await read(text, { chunk: 1 });
    expect(rows[0]?.nama).toBe('Nuñez Sélamet 🙂');
    expect(info.encoding).toBe('utf-8');
    expect(info.windows1252FromLine).toBeUndefined();
  });

  it('rejects a file without a required column, naming it in Indonesian and English', async () => {
    const error = await failure(`${HEADER.filter((name) => name !== 'nik').join(',')}\n`);
    expect(error.name).toBe('ProposalFormatError');
    expect(error.code).toBe('MISSING_COLUMN');
    expect(error.column).toBe('nik');
    expect(error.message).toBe("Kolom wajib 'nik' tidak ada di baris judul");
    expect(error.messageIn('id')).toBe(error.message);
    expect(error.messageIn('en')).toBe("Required column 'nik' is missing from the header line");
  });

  it('names every missing required column', async () => {
    const error = await failure(`${HEADER.filter((name) => name !== 'nik' && name !== 'rw').join(',')}\n`);
    expect(error.columns).toEqual(['nik', 'rw']);
    expect(error.message).toBe("Kolom wajib 'nik', 'rw' tidak ada di baris judul");
    expect(error.messageIn('en')).toBe("Required columns 'nik', 'rw' are missing from the header line");
  });

  it('rejects a column that appears twice, whatever its case', async () => {
    const error = await failure(`${HEADER.join(',')}, NIK \n${LINE},1\n`);
    expect(error.code).toBe('DUPLICATE_COLUMN');
    expect(error.column).toBe('nik');
    expect(error.messageIn('en')).toBe("Column 'nik' appears more than once in the header line");
  });

  it('rejects an empty file: 0 bytes, only a BOM, only empty lines', async () => {
    for (const text of ['', '\ufeff', '\r\n \n\t\n', ' ,, ;\n']) {
      const error = await failure(text);
      expect(error.code).toBe('EMPTY_FILE');
      expect(error.messageIn('en')).toMatch(/empty/);
    }
  });

  it('rejects a quote that is never closed, naming the physical line where it opens', async () => {
    const error = await failure(`${HEADER.join(',')}\n\n${LINE}\n${LINE.replace('Budi', '"Budi')}\n${LINE}\n`);
    expect(error.code).toBe('UNTERMINATED_QUOTE');
    expect(error.line).toBe(4);
    expect(error.message).toContain('baris 4');
    expect(error.messageIn('en')).toContain('line 4');
  });

  it('names a gzip, zip, workbook, UTF-16 or binary file for what it is instead of its missing columns', async () => {
    const csv = `${HEADER.join(',')}\n${LINE}\n`;
    const utf16le = Buffer.from(csv, 'utf16le');
    const utf16be = Buffer.from(utf16le).swap16();
    let seed = 7;
    const random = Uint8Array.from({ length: 4096 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >>> 23;
    });
    const cases: [string, Uint8Array, string, string][] = [
      ['gzip', gzipSync(csv), 'arsip terkompresi gzip (.gz)', 'a gzip-compressed archive (.gz)'],
      ['zip', storedZip({ 'usulan.csv': csv }), 'arsip ZIP (.zip)', 'a ZIP archive (.zip)'],
      [
        'xlsx',
        storedZip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' }),
        'Berkas ini adalah arsip ZIP/berkas Excel (.xlsx), bukan CSV; buka di Excel/LibreOffice lalu simpan sebagai CSV UTF-8',
        'a ZIP archive/Excel workbook (.xlsx)',
      ],
      [
        'ods',
        storedZip({ mimetype: 'application/vnd.oasis.opendocument.spreadsheet' }),
        'berkas LibreOffice Calc (.ods)',
        'LibreOffice Calc',
      ],
      ['UTF-16 LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le]), 'UTF-16', 'UTF-16 text'],
      ['UTF-16 LE without BOM', utf16le, 'UTF-16', 'UTF-16 text'],
      ['UTF-16 BE without BOM', utf16be, 'UTF-16', 'UTF-16 text'],
      ['binary', random, 'berkas biner, bukan teks', 'a binary file, not text'],
    ];
    for (const [what, bytes, id, en] of cases) {
      for (const chunk of [1 << 20, 7]) {
        let error: unknown;
        try {
          await read(bytes, { chunk });
        } catch (e) {
          error = e;
        }
        expect(error, what).toBeInstanceOf(ProposalFormatError);
        const format = error as ProposalFormatError;
        expect(format.code, what).toBe('NOT_CSV');
        expect(format.message, what).toContain(id);
        expect(format.message, what).not.toMatch(/kolom/i);
        expect(format.messageIn('en'), what).toContain(en);
      }
    }
  });

  it('still reads a short file, and Windows-1252 text, as CSV', async () => {
    expect((await read(`${HEADER.join(',')}\n`)).rows).toEqual([]);
    const cp1252 = Buffer.from(`${HEADER.join(',')}\n${LINE.replace('Budi', 'B\u00e9di')}\n`, 'latin1');
    expect((await read(cp1252)).rows[0]?.nama).toBe('B\u00e9di Santoso');
  });

  it('keeps the first unknown column names, cut short, and counts them all', async () => {
    const unknown = Array.from({ length: 300 }, (_, i) => `extra_${i}_${'y'.repeat(150)}`);
    const { info } = await read(`${HEADER.join(',')},${unknown.join(',')},${unknown[0]}\n${LINE}\n`);
    expect(info.unknownColumnCount).toBe(300);
    expect(info.unknownColumns).toEqual(
      unknown.slice(0, MAX_STORED_UNKNOWN_COLUMNS).map((name) => name.slice(0, MAX_COLUMN_NAME_CHARS)),
    );
  });

  it('returns a header with more than MAX_COLUMNS named columns, and one that never ends', async () => {
    const wide = `${HEADER.join(',')},${Array.from({ length: MAX_COLUMNS }, (_, i) => `c${i}`).join(',')}\n`;
    const error = await failure(wide);
    expect(error.code).toBe('TOO_MANY_COLUMNS');
    expect(error.message).toContain(`${(HEADER.length + MAX_COLUMNS).toLocaleString('id-ID')} kolom`);
    expect(error.messageIn('en')).toContain('more than the limit of 1,000');
    // Trailing empty header cells are not columns.
    expect((await read(`${HEADER.join(',')}${','.repeat(5000)}\n${LINE}\n`)).rows).toHaveLength(1);

    const endless = `${HEADER.join(',')},${'z'.repeat(5 << 20)}`;
    let thrown: unknown;
    try {
      await read(endless, { chunk: 1 << 16 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ name: 'ProposalFormatError', code: 'HEADER_TOO_LONG' });
  });
});
