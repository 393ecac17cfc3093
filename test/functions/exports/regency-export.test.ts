import { describe, expect, it } from 'vitest';
import type { SnapshotPerson } from '#core/snapshot.ts';
import { exportRegency, readingAhead } from '#shared/exports/regency-export.ts';
import { RegencyXlsxWriter } from '#shared/exports/regency-xlsx.ts';
import { snapshotPerson } from '../../support/snapshot-persons.ts';
import { byColumn, numberFormats, readZip, sheetCells, sheetsOf } from '../../support/xlsx-reader.ts';
import { MemorySink } from './duckdb.ts';

/** A person whose optional columns (pekerjaan, penghasilan, desil) are empty. */
function person(i: number, status = 'ACTIVE'): SnapshotPerson {
  return snapshotPerson(i, { pekerjaan: '', penghasilanBulanan: '', desil: '', status });
}

describe('readingAhead', () => {
  it('yields every page in order, requesting the next page (and only that one) while the current is written', async () => {
    let requested = 0;
    async function* pages() {
      for (let i = 0; i < 5; i++) {
        requested++;
        yield i;
      }
    }
    const seen: number[] = [];
    const aheadWhileWriting: number[] = [];
    for await (const page of readingAhead(pages())) {
      seen.push(page);
      await new Promise((resolve) => setTimeout(resolve, 5));
      aheadWhileWriting.push(requested - seen.length);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(aheadWhileWriting).toEqual([1, 1, 1, 1, 0]);
  });

  it('passes on a failure of the source', async () => {
    async function* pages() {
      yield 1;
      throw new Error('Query failed');
    }
    const seen: number[] = [];
    await expect(async () => {
      for await (const page of readingAhead(pages())) seen.push(page);
    }).rejects.toThrow('Query failed');
    expect(seen).toEqual([1]);
  });
});

describe('exportRegency', () => {
  it('skips persons that are no longer active and counts the rest in every file', async () => {
    const sinks = new Map<string, MemorySink>();
    async function* persons() {
      yield [person(0), person(1, 'INACTIVE'), person(2)];
      yield [person(3)];
    }
    const output = await exportRegency({
      period: '2026-11',
      regency: '3371',
      province: '33',
      persons,
      pseudonymKey: 'k',
      k: 2,
      openFile: (key) => {
        const sink = new MemorySink(key);
        sinks.set(key, sink);
        return sink;
      },
    });
    expect(output.records).toBe(3);
    expect(output.files.map((file) => file.records)).toEqual([3, 3, 3, 3]);
    const csv = sinks.get('regency-csv/period=2026-11/dtks-3371-2026-11.csv')?.bytes().toString('utf8') ?? '';
    expect(csv).not.toContain(person(1).nik);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);
  });

  /** Opens MemorySinks, kept in `sinks`. */
  const opener = (sinks: MemorySink[]) => (key: string) => {
    const sink = new MemorySink(key);
    sinks.push(sink);
    return sink;
  };
  const input = { period: '2026-11', regency: '3371', province: '33', pseudonymKey: 'k', k: 2 };

  it('aborts every file and rethrows when reading the master fails half-way through writing', async () => {
    const sinks: MemorySink[] = [];
    async function* persons() {
      yield [person(0), person(1)];
      throw Object.assign(new Error('ProvisionedThroughputExceededException'), {
        name: 'ProvisionedThroughputExceededException',
      });
    }
    await expect(exportRegency({ ...input, persons, openFile: opener(sinks) })).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );
    expect(sinks).toHaveLength(4);
    expect(sinks.every((sink) => sink.aborted && !sink.closed)).toBe(true);
  });

  it('reads the master once, and anonymises exactly the persons it writes in the other files', async () => {
    const sinks: MemorySink[] = [];
    let reads = 0;
    // Were the master read again, this reading would meet a person the first did not.
    async function* persons() {
      reads++;
      yield reads === 1 ? [person(0), person(1), person(2)] : [person(0), person(1), person(2), person(3)];
    }
    const part = await exportRegency({ ...input, persons, openFile: opener(sinks) });
    expect(reads).toBe(1);
    const pseudonymised = part.files.find((file) => file.tier === 'pseudonymised');
    expect((pseudonymised?.records ?? 0) + (pseudonymised?.anonymity?.withheld ?? 0)).toBe(3);
    expect(part.files.map((file) => file.tier === 'pseudonymised' || file.records === 3)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('writes the regency workbook beside the CSV: NIK, No. KK, codes and RT as text cells, the birth date as a date', async () => {
    const sinks = new Map<string, MemorySink>();
    async function* persons() {
      yield [{ ...person(0), rt: '005', rw: '012', penghasilanBulanan: '1500000', desil: '3' }];
    }
    const output = await exportRegency({
      ...input,
      persons,
      openFile: (key) => {
        const sink = new MemorySink(key);
        sinks.set(key, sink);
        return sink;
      },
    });
    const key = 'regency-csv/period=2026-11/dtks-3371-2026-11.xlsx';
    expect(output.files.find((file) => file.key === key)).toMatchObject({ tier: 'xlsx', records: 1 });
    const entries = readZip(sinks.get(key)?.bytes() ?? new Uint8Array());
    const [sheet] = sheetsOf(entries);
    expect(sheet?.name).toBe('DTKS 3371');
    const formats = numberFormats(entries.get('xl/styles.xml') ?? '');
    const [header, row] = sheetCells(entries.get(sheet?.part ?? '') ?? '');
    const at = (name: string) =>
      byColumn(row ?? [])[String.fromCharCode(65 + (header ?? []).findIndex((c) => c.value === name))];
    for (const [name, value] of [
      ['nik', person(0).nik],
      ['no_kk', '3371010101200001'],
      ['rt', '005'],
      ['rw', '012'],
      ['kode_desa', '3371011001'],
      ['kode_kabupaten', '3371'],
    ] as const) {
      expect(at(name), name).toMatchObject({ type: 'inlineStr', value });
      expect(formats[at(name)?.style ?? -1], name).toBe('@');
    }
    // 1980-06-05 is day 29377 of Excel's calendar, shown with a date format.
    expect(at('tanggal_lahir')?.type).toBeUndefined();
    expect(at('tanggal_lahir')?.value).toBe('29377');
    expect(formats[at('tanggal_lahir')?.style ?? -1]).toMatch(/y+.*m+.*d+/);
    expect(at('penghasilan_bulanan')).toMatchObject({ value: '1500000' });
    expect(at('penghasilan_bulanan')?.type).toBeUndefined();
  });
});

describe('RegencyXlsxWriter', () => {
  it('continues on a next sheet with the header again when a sheet is full, so no person is cut off', async () => {
    const sink = new MemorySink('x.xlsx');
    const writer = new RegencyXlsxWriter(sink, '3371', { maxRows: 3 });
    const rows = [0, 1, 2, 3, 4].map((i) => ({
      nik: person(i).nik,
      no_kk: '3371010101200001',
      nama: `Warga ${i}`,
      jenis_kelamin: 'L',
      tempat_lahir: 'Magelang',
      tanggal_lahir: '1980-06-05',
      nama_ibu_kandung: 'Ibu',
      hubungan_keluarga: 'ANAK',
      status_perkawinan: 'KAWIN',
      alamat: 'Jl. Pahlawan 1',
      rt: '001',
      rw: '002',
      kode_desa: '3371011001',
      kode_kabupaten: '3371',
      kode_provinsi: '33',
      pekerjaan: null,
      penghasilan_bulanan: null,
      desil: null,
      status: 'ACTIVE',
      sumber: 'MUSDES',
      periode: '2026-11',
    }));
    await writer.write(rows);
    const written = await writer.close();
    expect(written.bytes).toBe(sink.bytes().length);
    const entries = readZip(sink.bytes());
    const sheets = sheetsOf(entries);
    expect(sheets.map((s) => s.name)).toEqual(['DTKS 3371', 'DTKS 3371 (2)', 'DTKS 3371 (3)']);
    const niks = sheets.flatMap((s) =>
      sheetCells(entries.get(s.part) ?? '')
        .slice(1)
        .map((r) => r[0]?.value),
    );
    expect(niks).toEqual(rows.map((r) => r.nik));
  });
});
