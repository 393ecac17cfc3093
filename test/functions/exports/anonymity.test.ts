/**
 * k-anonymity of the pseudonymised tier, end to end on a generated world: the export writes the file,
 * DuckDB (which shares no code with the writer) reads it back and counts the persons of every
 * combination of the quasi-identifier columns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUASI_IDENTIFIERS } from '#core/anonymity.ts';
import { loadAreas } from '#core/area.ts';
import type { SnapshotPerson } from '#core/snapshot.ts';
import type { ExportPartRecord } from '#shared/contracts.ts';
import { exportRegency } from '#shared/exports/regency-export.ts';
import { generateWorld } from '#synthetic/generator.ts';
import { type Duck, MemorySink, openDuck, type TempDir, tempDir } from './duckdb.ts';

const areas = loadAreas();
const PERIOD = '2026-11';

/** The master of a generated world for a regency, as the export reads it (every person active). */
function masterOf(regency: string, families: number, seed: number): SnapshotPerson[] {
  const persons: SnapshotPerson[] = [];
  for (const batch of generateWorld({ regency, families, seed, defectRate: 0, areas }).batches()) {
    for (const person of batch.master)
      if (person.kodeDesa.startsWith(regency)) persons.push({ ...person, status: 'ACTIVE' });
  }
  return persons;
}

async function* pagesOf(persons: readonly SnapshotPerson[], size = 1000): AsyncGenerator<SnapshotPerson[]> {
  for (let i = 0; i < persons.length; i += size) yield persons.slice(i, i + size);
}

interface Exported {
  part: ExportPartRecord;
  path: string;
}

let duck: Duck;
let dir: TempDir;

async function exportWorld(regency: string, persons: readonly SnapshotPerson[], k: number): Promise<Exported> {
  const sinks = new Map<string, MemorySink>();
  const part = await exportRegency({
    period: PERIOD,
    regency,
    province: regency.slice(0, 2),
    persons: () => pagesOf(persons),
    pseudonymKey: 'test-pseudonym-key',
    k,
    openFile: (key) => {
      const sink = new MemorySink(key);
      sinks.set(key, sink);
      return sink;
    },
  });
  const key = part.files.find((file) => file.tier === 'pseudonymised')?.key ?? '';
  const bytes = sinks.get(key)?.bytes() ?? Buffer.alloc(0);
  return { part, path: await dir.file(`pseudonymised-${regency}-k${k}.parquet`, bytes) };
}

const QUASI = QUASI_IDENTIFIERS.join(', ');

/** Persons per combination of the quasi-identifier columns in the file, smallest first. */
async function classSizes(path: string): Promise<number[]> {
  const rows = await duck.rows(`SELECT count(*) AS n FROM read_parquet('${path}') GROUP BY ${QUASI} ORDER BY n`);
  return rows.map((row) => Number(row.n));
}

let city: SnapshotPerson[];
let kabupaten: SnapshotPerson[];

beforeAll(async () => {
  duck = await openDuck();
  dir = await tempDir();
  city = masterOf('3371', 3000, 5); // Kota Magelang: 3 districts
  kabupaten = masterOf('3308', 3000, 9); // Kabupaten Magelang: 21 districts, the same people spread thinner
}, 60_000);

afterAll(async () => {
  duck?.close();
  await dir?.remove();
});

describe('the pseudonymised tier of a generated world', () => {
  it('singles people out on the raw village, birth year, sex and occupation (what the trial found)', () => {
    const counts = new Map<string, number>();
    for (const p of kabupaten) {
      const key = [p.kodeDesa, p.tanggalLahir.slice(0, 4), p.jenisKelamin, p.pekerjaan].join('|');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const unique = [...counts.values()].filter((n) => n === 1).length;
    expect(unique / kabupaten.length).toBeGreaterThan(0.1);
  });

  for (const [name, regency, persons] of [
    ['a city', '3371', () => city],
    ['a kabupaten', '3308', () => kabupaten],
  ] as const) {
    for (const k of [5, 11]) {
      it(`shares every combination of the quasi-identifier columns among at least k = ${k} persons in ${name}`, async () => {
        const { part, path } = await exportWorld(regency, persons(), k);
        const sizes = await classSizes(path);
        expect(sizes.length).toBeGreaterThan(1);
        expect(sizes[0]).toBeGreaterThanOrEqual(k);
        // Every person is still in the file (suppressed rows keep their other columns).
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(persons().length);
        const file = part.files.find((f) => f.tier === 'pseudonymised');
        const [blank] = await duck.rows(
          `SELECT count(*) AS n FROM read_parquet('${path}') WHERE kode_kecamatan IS NULL`,
        );
        expect(file?.anonymity).toEqual({ k, suppressed: Number(blank?.n), withheld: 0 });
      });
    }
  }

  it('publishes most rows with their generalised quasi-identifiers', async () => {
    const { part } = await exportWorld('3371', city, 5);
    const anonymity = part.files.find((f) => f.tier === 'pseudonymised')?.anonymity;
    expect(anonymity?.suppressed).toBeGreaterThan(0);
    expect((anonymity?.suppressed ?? 0) / city.length).toBeLessThan(0.05);
  });

  it('carries no village code, birth year or free-text occupation', async () => {
    const { path } = await exportWorld('3371', city, 5);
    const columns = (await duck.rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((c) => c.column_name);
    for (const dropped of ['kode_desa', 'tahun_lahir', 'pekerjaan', 'tanggal_lahir'])
      expect(columns).not.toContain(dropped);
    const [values] = await duck.rows(
      `SELECT min(length(kode_kecamatan)) AS short, max(length(kode_kecamatan)) AS long,
              count(DISTINCT kelompok_pekerjaan) AS groups,
              bool_and(kelompok_tahun_lahir IS NULL OR regexp_matches(kelompok_tahun_lahir, '^\\d{3}0-\\d{3}9$')) AS decades
       FROM read_parquet('${path}')`,
    );
    expect(values).toMatchObject({ short: 6n, long: 6n, decades: true });
    expect(Number(values?.groups)).toBeLessThanOrEqual(10);
  });

  it("orders the rows by nik_hash, not by NIK: a row's place tells nothing of its birth date, sex or district", async () => {
    const { path } = await exportWorld('3371', city, 5);
    const hashes = (await duck.rows(`SELECT nik_hash FROM read_parquet('${path}')`)).map((r) => String(r.nik_hash));
    expect(hashes).toHaveLength(city.length);
    const outOfOrder = hashes.findIndex((hash, i) => i > 0 && (hashes[i - 1] ?? '') > hash);
    expect(outOfOrder).toBe(-1);
  });

  it('reads a regency once, its pseudonymised rows sorted in hash buckets into one file in nik_hash order', async () => {
    let reads = 0;
    const part = await exportRegency({
      period: PERIOD,
      regency: '3371',
      province: '33',
      persons: () => {
        reads++;
        return pagesOf(city);
      },
      pseudonymKey: 'test-pseudonym-key',
      k: 5,
      openFile: () => new MemorySink(),
    });
    // One pass for every tier: no counting pass, no further read per hash range (there were five reads here).
    expect(reads).toBe(1);
    const file = part.files.find((f) => f.tier === 'pseudonymised');
    expect((file?.records ?? 0) + (file?.anonymity?.withheld ?? 0)).toBe(city.length);
  });

  it('withholds every row of a regency with fewer than k persons', async () => {
    const few = city.slice(0, 4);
    const { part, path } = await exportWorld('3371', few, 5);
    expect(await classSizes(path)).toEqual([]);
    const file = part.files.find((f) => f.tier === 'pseudonymised');
    expect(file).toMatchObject({ records: 0, anonymity: { k: 5, suppressed: 0, withheld: 4 } });
    // The full tier and the Dinas Sosial CSV and workbook still hold them.
    expect(part.files.filter((f) => f.tier !== 'pseudonymised').map((f) => f.records)).toEqual([4, 4, 4]);
  });
});
