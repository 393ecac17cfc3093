import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadMasterExtract, loadPopulationExtract } from '#adapters/extracts/loader.ts';
import { ExtractFormatError, readMasterExtract, readPopulationExtract } from '#adapters/extracts/readers.ts';
import type { MasterPerson, PopulationPerson } from '#core/proposal.ts';
import { storedZip } from '../../support/zip.ts';

const POPULATION_HEADER = 'nik,no_kk,nama,jenis_kelamin,tempat_lahir,tanggal_lahir,kode_desa,alamat,status_hidup';
const MASTER_HEADER =
  'nik,no_kk,nama,jenis_kelamin,tempat_lahir,tanggal_lahir,nama_ibu_kandung,hubungan_keluarga,status_perkawinan,alamat,rt,rw,kode_desa';

function* pieces(text: string | Uint8Array, size = 1 << 20): Generator<Uint8Array> {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

async function failure(read: Promise<unknown>): Promise<ExtractFormatError> {
  try {
    await read;
  } catch (error) {
    if (error instanceof ExtractFormatError) return error;
    throw error;
  }
  throw new Error('expected an ExtractFormatError');
}

describe('readPopulationExtract', () => {
  it('reads persons with trimmed values and the living status', async () => {
    const text = `${POPULATION_HEADER}\n3371011707850003,3371010101200001, Budi ,L,Magelang,1985-07-17,3371011001,"Jl. Melati, 5",HIDUP\n3371015707850004,3371010101200001,Siti,P,Magelang,1985-07-17,3371011001,Jl. Melati 5,meninggal\n`;
    const people = await all(readPopulationExtract(pieces(text, 5)));
    expect(people).toEqual<PopulationPerson[]>([
      {
        nik: '3371011707850003',
        noKk: '3371010101200001',
        nama: 'Budi',
        jenisKelamin: 'L',
        tempatLahir: 'Magelang',
        tanggalLahir: '1985-07-17',
        kodeDesa: '3371011001',
        alamat: 'Jl. Melati, 5',
        statusHidup: 'HIDUP',
        statusNik: 'AKTIF',
      },
      {
        nik: '3371015707850004',
        noKk: '3371010101200001',
        nama: 'Siti',
        jenisKelamin: 'P',
        tempatLahir: 'Magelang',
        tanggalLahir: '1985-07-17',
        kodeDesa: '3371011001',
        alamat: 'Jl. Melati 5',
        statusHidup: 'MENINGGAL',
        statusNik: 'AKTIF',
      },
    ]);
  });

  it('is as forgiving about layout as the proposal reader: BOM, ;, CRLF, column case and order, extra columns', async () => {
    const header = POPULATION_HEADER.split(',')
      .reverse()
      .map((c) => ` ${c.toUpperCase()} `);
    const text = `\ufeff${[...header, 'agama'].join(';')}\r\n\r\nHIDUP;Jl. A;3371011001;1990-01-02;Solo;L;Joko;2;1;Islam\r\n`;
    const people = await all(readPopulationExtract(pieces(text, 1)));
    expect(people).toEqual([
      {
        nik: '1',
        noKk: '2',
        nama: 'Joko',
        jenisKelamin: 'L',
        tempatLahir: 'Solo',
        tanggalLahir: '1990-01-02',
        kodeDesa: '3371011001',
        alamat: 'Jl. A',
        statusHidup: 'HIDUP',
        statusNik: 'AKTIF',
      },
    ]);
  });

  it('reads Windows-1252 names', async () => {
    const bytes = Buffer.from(
      `${POPULATION_HEADER}\n1,2,S\u00e9lamet Nu\u00f1ez,L,Solo,1990-01-02,3371011001,Jl. A,HIDUP\n`,
      'latin1',
    );
    const [person] = await all(readPopulationExtract(pieces(bytes)));
    expect(person?.nama).toBe('Sélamet Nuñez');
  });

  it('rejects an extract without a required column, naming the extract and the column', async () => {
    const header = POPULATION_HEADER.replace(',status_hidup', '');
    const error = await failure(all(readPopulationExtract(pieces(`${header}\n`))));
    expect(error.name).toBe('ExtractFormatError');
    expect(error).toMatchObject({ extract: 'population', code: 'MISSING_COLUMN', column: 'status_hidup' });
    expect(error.message).toContain('Dukcapil');
    expect(error.message).toContain("'status_hidup'");
  });

  it('rejects a status_hidup that is neither HIDUP nor MENINGGAL, naming the data row', async () => {
    const text = `${POPULATION_HEADER}\n1,2,A,L,S,1990-01-02,3371011001,J,HIDUP\n\n1,2,A,L,S,1990-01-02,3371011001,J,?\n`;
    const error = await failure(all(readPopulationExtract(pieces(text))));
    expect(error).toMatchObject({ code: 'INVALID_VALUE', column: 'status_hidup', row: 2 });
  });

  it('names an extract with more rows than can be loaded for what it is, in both languages', () => {
    const error = new ExtractFormatError('population', 'TOO_MANY_ROWS', { row: 33_554_430 });
    expect(error.message).toBe(
      'Ekstrak data kependudukan (Dukcapil): lebih dari 33.554.430 baris, lebih banyak dari yang dapat dimuat; berikan ekstrak kabupaten/kota pengusul (atau provinsinya), bukan ekstrak nasional',
    );
    expect(error.messageIn('en')).toContain('more than 33,554,430 rows');
  });

  it('reads the optional status_nik: AKTIF when the column is absent or the cell empty, any case, trimmed', async () => {
    const text = [
      `${POPULATION_HEADER}, STATUS_NIK `,
      '1,2,A,L,S,1990-01-02,3371011001,J,HIDUP,AKTIF',
      '3,2,B,L,S,1990-01-02,3371011001,J,HIDUP, nonaktif ',
      '4,2,C,L,S,1990-01-02,3371011001,J,HIDUP,',
      '5,2,D,L,S,1990-01-02,3371011001,J,HIDUP',
      '6,2,E,L,S,1990-01-02,3371011001,J,MENINGGAL,NonAktif',
    ].join('\r\n');
    const people = await all(readPopulationExtract(pieces(text, 7)));
    expect(people.map((p) => [p.nik, p.statusHidup, p.statusNik])).toEqual([
      ['1', 'HIDUP', 'AKTIF'],
      ['3', 'HIDUP', 'NONAKTIF'],
      ['4', 'HIDUP', 'AKTIF'],
      ['5', 'HIDUP', 'AKTIF'],
      ['6', 'MENINGGAL', 'NONAKTIF'],
    ]);
    const [absent] = await all(
      readPopulationExtract(pieces(`${POPULATION_HEADER}\n1,2,A,L,S,1990-01-02,3371011001,J,HIDUP\n`)),
    );
    expect(absent?.statusNik).toBe('AKTIF');
  });

  it('rejects a status_nik that is neither AKTIF nor NONAKTIF, naming the data row and the value in both languages', async () => {
    const text = `${POPULATION_HEADER},status_nik\n1,2,A,L,S,1990-01-02,3371011001,J,HIDUP,AKTIF\n3,2,B,L,S,1990-01-02,3371011001,J,HIDUP,DIBLOKIR\n`;
    const error = await failure(all(readPopulationExtract(pieces(text))));
    expect(error).toMatchObject({ code: 'INVALID_VALUE', column: 'status_nik', row: 2, value: 'DIBLOKIR' });
    expect(error.message).toBe(
      'Ekstrak data kependudukan (Dukcapil): nilai "DIBLOKIR" pada kolom \'status_nik\' pada baris data ke-2 (baris judul tidak dihitung) tidak dikenal',
    );
    expect(error.messageIn('en')).toBe(
      'Population registry (Dukcapil) extract: unknown value "DIBLOKIR" in column \'status_nik\' on data row 2 (the header line not counted)',
    );
  });

  it('rejects an empty extract, a duplicate column and a quote never closed', async () => {
    expect((await failure(all(readPopulationExtract(pieces('\n\n'))))).code).toBe('EMPTY_FILE');
    expect((await failure(all(readPopulationExtract(pieces(`${POPULATION_HEADER},NIK\n`))))).code).toBe(
      'DUPLICATE_COLUMN',
    );
    const quote = await failure(all(readPopulationExtract(pieces(`${POPULATION_HEADER}\n"1,2\n`))));
    expect(quote).toMatchObject({ code: 'UNTERMINATED_QUOTE', line: 2 });
  });

  it('yields nothing for a header-only extract', async () => {
    expect(await all(readPopulationExtract(pieces(`${POPULATION_HEADER}\r\n`)))).toEqual([]);
  });
});

describe('readMasterExtract', () => {
  const line =
    '3371011707850003,3371010101200001,Budi,L,Magelang,1985-07-17,Siti,KEPALA_KELUARGA,KAWIN,Jl. A,1,2,3371011001';
  const budi: MasterPerson = {
    nik: '3371011707850003',
    noKk: '3371010101200001',
    nama: 'Budi',
    jenisKelamin: 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: '1985-07-17',
    namaIbuKandung: 'Siti',
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'KAWIN',
    alamat: 'Jl. A',
    rt: '1',
    rw: '2',
    kodeDesa: '3371011001',
    pekerjaan: '',
    penghasilanBulanan: '',
    desil: '',
  };

  it('reads persons without the optional columns', async () => {
    expect(await all(readMasterExtract(pieces(`${MASTER_HEADER}\n${line}\n`)))).toEqual([budi]);
  });

  it('reads pekerjaan, penghasilan_bulanan and desil when present, and ignores aksi/alasan', async () => {
    const text = `${MASTER_HEADER},pekerjaan,penghasilan_bulanan,desil,aksi\n${line},Petani,1500000,3,TAMBAH\n`;
    const people = await all(readMasterExtract(pieces(text)));
    expect(people).toEqual([{ ...budi, pekerjaan: 'Petani', penghasilanBulanan: '1500000', desil: '3' }]);
  });

  it('rejects a master extract without nama_ibu_kandung, naming the extract and the column', async () => {
    const header = MASTER_HEADER.replace('nama_ibu_kandung,', '');
    const error = await failure(all(readMasterExtract(pieces(`${header}\n`))));
    expect(error).toMatchObject({ extract: 'master', code: 'MISSING_COLUMN', column: 'nama_ibu_kandung' });
    expect(error.message).toContain('DTKS');
  });

  it('does not require aksi', async () => {
    expect(await all(readMasterExtract(pieces(`${MASTER_HEADER}\n`)))).toEqual([]);
  });
});

describe('extracts that are not CSV', () => {
  const csv = `${POPULATION_HEADER}\n3371011707850003,3371010101200001,Budi,L,Magelang,1985-07-17,3371011001,Jl. A,HIDUP\n`;
  const xlsx = storedZip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' });

  it('names a workbook, a gzip file and UTF-16 text for what they are, in both readers', async () => {
    const cases: [Uint8Array, string, string][] = [
      [xlsx, 'arsip ZIP/berkas Excel (.xlsx)', 'Excel workbook (.xlsx)'],
      [gzipSync(csv), 'gzip', 'gzip'],
      [Buffer.from(`\ufeff${csv}`, 'utf16le'), 'UTF-16', 'UTF-16'],
      [Buffer.from(csv, 'utf16le'), 'UTF-16', 'UTF-16'],
    ];
    for (const [bytes, id, en] of cases) {
      for (const read of [() => all(readPopulationExtract(pieces(bytes))), () => loadPopulationExtract({ bytes })]) {
        const error = await failure(read());
        expect(error).toMatchObject({ code: 'NOT_CSV', extract: 'population' });
        expect(error.message).toContain(`Ekstrak data kependudukan (Dukcapil): berkas ini adalah ${''}`);
        expect(error.message).toContain(id);
        expect(error.messageIn('en')).toContain(en);
      }
    }
    const master = await failure(loadMasterExtract({ bytes: xlsx }));
    expect(master.messageIn('en')).toBe(
      'DTKS master extract: this file is a ZIP archive/Excel workbook (.xlsx), not CSV; open it in Excel/LibreOffice and save it as CSV UTF-8',
    );
  });
});
