import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULL_SNAPSHOT_COLUMNS, type FullSnapshotRow, type SnapshotPerson, toFullSnapshotRow } from '#core/snapshot.ts';
import { ParquetStreamWriter } from '#shared/exports/parquet-stream.ts';
import { type Duck, MemorySink, openDuck, type TempDir, tempDir } from './duckdb.ts';

let duck: Duck;
let dir: TempDir;

beforeAll(async () => {
  duck = await openDuck();
  dir = await tempDir();
});
afterAll(async () => {
  duck.close();
  await dir.remove();
});

function person(i: number): SnapshotPerson {
  const serial = String(i + 1).padStart(4, '0');
  return {
    nik: `33710101018${String(i % 10)}${serial}`,
    noKk: `337101010120${serial}`,
    nama: `Warga ${i}`,
    jenisKelamin: i % 2 ? 'P' : 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: `19${80 + (i % 10)}-01-01`,
    namaIbuKandung: 'Ibu',
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'KAWIN',
    alamat: `Jl. Pahlawan ${i}`,
    rt: '001',
    rw: '002',
    kodeDesa: '3371011001',
    pekerjaan: i % 3 ? 'PETANI' : '',
    penghasilanBulanan: i % 4 ? String(1000 * i) : '',
    desil: i % 5 ? String((i % 10) + 1) : '',
    status: 'ACTIVE',
  };
}

async function writeRows(count: number, rowGroupSize: number, pageSize = 1000): Promise<MemorySink> {
  const sink = new MemorySink();
  const writer = new ParquetStreamWriter<FullSnapshotRow>(sink, FULL_SNAPSHOT_COLUMNS, { rowGroupSize });
  for (let start = 0; start < count; start += pageSize) {
    const page = [];
    for (let i = start; i < Math.min(count, start + pageSize); i++) page.push(toFullSnapshotRow(person(i), '2026-11'));
    await writer.write(page);
  }
  await writer.close();
  return sink;
}

describe('ParquetStreamWriter', () => {
  it('writes row groups as they fill, handing the sink a chunk per row group', async () => {
    const sink = await writeRows(2500, 1000, 300);
    const path = await dir.file('groups.parquet', sink.bytes());
    const groups = await duck.rows(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${path}')`);
    expect(groups.map((g) => Number(g.row_group_num_rows)).sort()).toEqual([1000, 1000, 500]);
    // Three row groups and the footer: the writer never held the whole file.
    expect(sink.chunks.length).toBe(4);
  });

  it('gives DuckDB the contract types: date, bigint, integer, varchar, with nulls for empty attributes', async () => {
    const path = await dir.file('types.parquet', (await writeRows(100, 64)).bytes());
    const types = await duck.rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const byName = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
    expect(byName).toMatchObject({
      nik: 'VARCHAR',
      tanggal_lahir: 'DATE',
      penghasilan_bulanan: 'BIGINT',
      desil: 'INTEGER',
      periode: 'VARCHAR',
    });
    expect(types.map((t) => t.column_name)).toEqual(FULL_SNAPSHOT_COLUMNS.map((c) => c.name));
    const [totals] = await duck.rows(
      `SELECT count(*) AS n, count(penghasilan_bulanan) AS income, count(desil) AS decile, count(pekerjaan) AS job,
              sum(penghasilan_bulanan)::BIGINT AS income_sum
       FROM read_parquet('${path}')`,
    );
    let expectedSum = 0;
    for (let i = 0; i < 100; i++) if (i % 4) expectedSum += 1000 * i;
    expect(totals).toEqual({ n: 100n, income: 75n, decile: 80n, job: 66n, income_sum: BigInt(expectedSum) });
    const [row] = await duck.rows(
      `SELECT nik, tanggal_lahir::VARCHAR AS born, desil, penghasilan_bulanan FROM read_parquet('${path}') WHERE nama = 'Warga 7'`,
    );
    expect(row).toEqual({ nik: person(7).nik, born: '1987-01-01', desil: 8, penghasilan_bulanan: 7000n });
  });

  it('stores birth dates as the same calendar days, before 1970 and on leap days too', async () => {
    const dates = ['1900-03-01', '1969-12-31', '1970-01-01', '2000-02-29', '2024-12-31', '1945-08-17'];
    const sink = new MemorySink();
    const writer = new ParquetStreamWriter<FullSnapshotRow>(sink, FULL_SNAPSHOT_COLUMNS);
    await writer.write(dates.map((date, i) => ({ ...toFullSnapshotRow(person(i), '2026-11'), tanggal_lahir: date })));
    await writer.close();
    const path = await dir.file('dates.parquet', sink.bytes());
    const read = await duck.rows(`SELECT strftime(tanggal_lahir, '%Y-%m-%d') AS d FROM read_parquet('${path}')`);
    expect(read.map((r) => r.d)).toEqual(dates);
  });

  it('writes the same bytes for the same rows (a rerun keeps the manifest checksums)', async () => {
    const first = await writeRows(300, 128);
    const second = await writeRows(300, 128, 77);
    expect(second.bytes().equals(first.bytes())).toBe(true);
  });

  it('writes a readable file with no rows', async () => {
    const path = await dir.file('empty.parquet', (await writeRows(0, 64)).bytes());
    expect(await duck.rows(`SELECT count(*) AS n FROM read_parquet('${path}')`)).toEqual([{ n: 0n }]);
  });
});
