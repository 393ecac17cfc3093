import { describe, expect, it } from 'vitest';
import type { SnapshotPerson } from '#core/snapshot.ts';
import { exportRegency, readingAhead } from '#shared/exports/regency-export.ts';
import { MemorySink } from './duckdb.ts';

function person(i: number, status = 'ACTIVE'): SnapshotPerson {
  return {
    nik: `337101050680${String(i + 1).padStart(4, '0')}`,
    noKk: '3371010101200001',
    nama: `Warga ${i}`,
    jenisKelamin: 'L',
    tempatLahir: 'Magelang',
    tanggalLahir: '1980-06-05',
    namaIbuKandung: 'Ibu',
    hubunganKeluarga: 'ANAK',
    statusPerkawinan: 'KAWIN',
    alamat: 'Jl. Pahlawan 1',
    rt: '001',
    rw: '002',
    kodeDesa: '3371011001',
    pekerjaan: '',
    penghasilanBulanan: '',
    desil: '',
    status,
  };
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
    expect(output.files.map((file) => file.records)).toEqual([3, 3, 3]);
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

  it('aborts all three files and rethrows when reading the master fails half-way through writing', async () => {
    const sinks: MemorySink[] = [];
    let reads = 0;
    async function* persons() {
      reads++;
      yield [person(0), person(1)];
      if (reads === 2) {
        throw Object.assign(new Error('ProvisionedThroughputExceededException'), {
          name: 'ProvisionedThroughputExceededException',
        });
      }
    }
    await expect(exportRegency({ ...input, persons, openFile: opener(sinks) })).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );
    expect(sinks).toHaveLength(3);
    expect(sinks.every((sink) => sink.aborted && !sink.closed)).toBe(true);
  });

  it('opens no file when the counting pass over the master fails', async () => {
    const sinks: MemorySink[] = [];
    async function* persons() {
      yield [person(0)];
      throw new Error('Query failed');
    }
    await expect(exportRegency({ ...input, persons, openFile: opener(sinks) })).rejects.toThrow('Query failed');
    expect(sinks).toHaveLength(0);
  });

  it('fails with TransientError and writes nothing when the master changes between counting and writing', async () => {
    const sinks: MemorySink[] = [];
    let reads = 0;
    // The second reading meets a person the first did not: the counted classes no longer hold.
    async function* persons() {
      reads++;
      yield reads === 1 ? [person(0), person(1)] : [person(0), person(1), person(2)];
    }
    await expect(exportRegency({ ...input, persons, openFile: opener(sinks) })).rejects.toThrow(
      expect.objectContaining({ name: 'TransientError' }),
    );
    expect(sinks.every((sink) => sink.aborted && !sink.closed)).toBe(true);
  });
});
