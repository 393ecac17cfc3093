import { describe, expect, it } from 'vitest';
import { readPopulationDelta } from '#adapters/extracts/delta-reader.ts';
import { ExtractFormatError } from '#adapters/extracts/readers.ts';
import type { PopulationChange } from '#core/population-delta.ts';
import type { PopulationPerson } from '#core/proposal.ts';
import { DELTA_HEADER, deltaCsv } from '../../support/population-delta.ts';

const person: PopulationPerson = {
  nik: '3371011707850003',
  noKk: '3371010101200001',
  nama: 'Budi',
  jenisKelamin: 'L',
  tempatLahir: 'Magelang',
  tanggalLahir: '1985-07-17',
  kodeDesa: '3371011001',
  alamat: 'Jl. Melati 5',
  statusHidup: 'HIDUP',
  statusNik: 'AKTIF',
};

function* pieces(text: string, size = 7): Generator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all(text: string): Promise<PopulationChange[]> {
  const out: PopulationChange[] = [];
  for await (const batch of readPopulationDelta(pieces(text))) out.push(...batch);
  return out;
}

async function failure(text: string): Promise<ExtractFormatError> {
  try {
    await all(text);
  } catch (error) {
    if (error instanceof ExtractFormatError) return error;
    throw error;
  }
  throw new Error('expected an ExtractFormatError');
}

describe('readPopulationDelta', () => {
  it('reads each line with its change (any case), the person as the population extract reads them', async () => {
    const text = deltaCsv([
      ['LAHIR', person],
      [' meninggal ', { ...person, statusHidup: 'MENINGGAL' }],
      ['nonaktif', { ...person, statusNik: 'NONAKTIF' }],
    ]).replace('\n\n', '\n');
    expect(await all(`${text}\n`)).toEqual<PopulationChange[]>([
      { line: 1, perubahan: 'LAHIR', person },
      { line: 2, perubahan: 'MENINGGAL', person: { ...person, statusHidup: 'MENINGGAL' } },
      { line: 3, perubahan: 'NONAKTIF', person: { ...person, statusNik: 'NONAKTIF' } },
    ]);
  });

  it('takes the columns in any order, status_nik optional, with ; as the delimiter', async () => {
    const text = `perubahan;NIK;no_kk;nama;jenis_kelamin;tempat_lahir;tanggal_lahir;kode_desa;alamat;status_hidup\nPINDAH;${person.nik};${person.noKk};Budi;L;Magelang;1985-07-17;3372011002;Jl. Baru;HIDUP\n`;
    expect(await all(text)).toEqual([
      { line: 1, perubahan: 'PINDAH', person: { ...person, kodeDesa: '3372011002', alamat: 'Jl. Baru' } },
    ]);
  });

  it('refuses an unknown perubahan, naming the column, the value and the line, in Bahasa Indonesia and English', async () => {
    const error = await failure(
      deltaCsv([
        ['UBAH', person],
        ['LAHR', person],
      ]),
    );
    expect(error).toMatchObject({ code: 'INVALID_VALUE', column: 'perubahan', row: 2, value: 'LAHR' });
    expect(error.message).toBe(
      'Ekstrak perubahan data kependudukan (Dukcapil): nilai "LAHR" pada kolom \'perubahan\' pada baris data ke-2 (baris judul tidak dihitung) tidak dikenal',
    );
    expect(error.messageIn('en')).toBe(
      'Population registry (Dukcapil) delta extract: unknown value "LAHR" in column \'perubahan\' on data row 2 (the header line not counted)',
    );
  });

  it('refuses a file without the perubahan column: a population extract is not a delta', async () => {
    const error = await failure(`${DELTA_HEADER.replace(',perubahan', '')}\n`);
    expect(error).toMatchObject({ code: 'MISSING_COLUMN', column: 'perubahan' });
    expect(error.message).toBe(
      "Ekstrak perubahan data kependudukan (Dukcapil): kolom wajib 'perubahan' tidak ada di baris judul",
    );
    expect(error.messageIn('en')).toBe(
      "Population registry (Dukcapil) delta extract: required column 'perubahan' is missing from the header line",
    );
  });

  it('refuses a bad status_hidup as a delta error', async () => {
    const error = await failure(deltaCsv([['UBAH', { ...person, statusHidup: 'HILANG' as 'HIDUP' }]]));
    expect(error).toMatchObject({ extract: 'population-delta', code: 'INVALID_VALUE', column: 'status_hidup', row: 1 });
  });
});
