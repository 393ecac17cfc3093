/**
 * The in-memory ports and their byte-level extract loader give exactly the answers of a straightforward
 * implementation (Maps of the records adapters/extracts/readers.ts reads), whatever the layout of the extract.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMasterExtract, loadMemoryPortsFromFiles, loadPopulationExtract } from '#adapters/extracts/loader.ts';
import { identityHash, MemoryDtksMaster, MemoryPopulationRegistry } from '#adapters/extracts/memory-ports.ts';
import { readMasterExtract, readPopulationExtract } from '#adapters/extracts/readers.ts';
import { writeWorld } from '#cli/commands/generate.ts';
import { normaliseAreaCode } from '#core/area.ts';
import { parseDate } from '#core/dates.ts';
import { hash53 } from '#core/fingerprint.ts';
import { identityKey } from '#core/names.ts';
import type { MasterMember, RegistryPerson } from '#core/ports.ts';

const POPULATION_HEADER = 'nik,no_kk,nama,jenis_kelamin,tempat_lahir,tanggal_lahir,kode_desa,alamat,status_hidup';
const MASTER_HEADER =
  'nik,no_kk,nama,jenis_kelamin,tempat_lahir,tanggal_lahir,nama_ibu_kandung,hubungan_keluarga,status_perkawinan,alamat,rt,rw,kode_desa';

const encode = (text: string) => new TextEncoder().encode(text);

/** Windows-1252 bytes of a text whose characters are all in that code page's Latin-1 part. */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function concat(...parts: (string | Uint8Array)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? encode(p) : p)));
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

interface Reference {
  population: Map<string, RegistryPerson>;
  master: Map<string, MasterMember>;
  families: Map<string, MasterMember[]>;
  identities: Map<string, string[]>;
}

/** The straightforward implementation: the string readers' records in Maps. */
async function reference(population: Uint8Array, master: Uint8Array): Promise<Reference> {
  const ref: Reference = { population: new Map(), master: new Map(), families: new Map(), identities: new Map() };
  for await (const batch of readPopulationExtract(once(population))) {
    for (const p of batch) ref.population.set(p.nik, { ...p, statusHidup: p.statusHidup });
  }
  for await (const batch of readMasterExtract(once(master))) {
    for (const p of batch) {
      if (ref.master.has(p.nik)) continue;
      const member = { nik: p.nik, noKk: p.noKk, hubunganKeluarga: p.hubunganKeluarga };
      ref.master.set(p.nik, member);
      ref.families.set(p.noKk, [...(ref.families.get(p.noKk) ?? []), member]);
      const birth = parseDate(p.tanggalLahir);
      if (birth === undefined || p.nama === '' || p.kodeDesa === '') continue;
      const key = identityKey(p.nama, birth, normaliseAreaCode(p.kodeDesa));
      ref.identities.set(key, [...(ref.identities.get(key) ?? []), p.nik]);
    }
  }
  return ref;
}

async function expectSameAnswers(
  registry: MemoryPopulationRegistry,
  master: MemoryDtksMaster,
  ref: Reference,
  extraNiks: readonly string[] = [],
): Promise<void> {
  const niks = [...new Set([...ref.population.keys(), ...ref.master.keys(), ...extraNiks])];
  const pick = <V>(map: Map<string, V>) => new Map(niks.flatMap((nik) => (map.has(nik) ? [[nik, map.get(nik)!]] : [])));
  const registryAnswer = new Map(
    [...(await registry.findByNik(niks))].map(([nik, p]) => [
      nik,
      { nik: p.nik, nama: p.nama, kodeDesa: p.kodeDesa, statusHidup: p.statusHidup, statusNik: p.statusNik },
    ]),
  );
  const registryExpected = new Map(
    [...pick(ref.population)].map(([nik, p]) => [
      nik,
      { nik: p.nik, nama: p.nama, kodeDesa: p.kodeDesa, statusHidup: p.statusHidup, statusNik: p.statusNik },
    ]),
  );
  expect(registryAnswer).toEqual(registryExpected);
  expect(registry.size).toBe(ref.population.size);
  expect(await master.findByNik(niks)).toEqual(pick(ref.master));
  expect(master.size).toBe(ref.master.size);
  const noKks = [...ref.families.keys(), '3371010101999999', 'bukan-kk'];
  expect(await master.findFamilies(noKks)).toEqual(ref.families);
  const keys = [...ref.identities.keys(), 'TIDAK ADA|2000-01-01|3371011001'];
  expect(await master.findByIdentity(keys)).toEqual(ref.identities);
}

/** Loads both ways; when the string readers reject the extract, the loader must reject it the same way. */
async function expectLikeReference(population: Uint8Array, master: Uint8Array, extraNiks?: string[]): Promise<void> {
  const [ours, ref] = await Promise.all([
    Promise.all([loadPopulationExtract({ bytes: population }), loadMasterExtract({ bytes: master })]).then(
      (v) => ({ ok: true as const, v }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    reference(population, master).then(
      (v) => ({ ok: true as const, v }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  ]);
  if (!ref.ok) {
    expect(ours.ok).toBe(false);
    const describeError = (e: unknown) => {
      const x = e as Record<string, unknown>;
      return { name: x.name, message: x.message, code: x.code, row: x.row, line: x.line, column: x.column };
    };
    if (!ours.ok) expect(describeError(ours.error)).toEqual(describeError(ref.error));
    return;
  }
  if (!ours.ok) throw ours.error;
  await expectSameAnswers(ours.v[0], ours.v[1], ref.v, extraNiks);
}

const P = (nik: string, nama: string, kodeDesa = '3371011001', status = 'HIDUP') =>
  `${nik},3371010101200001,${nama},L,Magelang,1985-07-17,${kodeDesa},Jl. Melati 5,${status}`;
const M = (nik: string, noKk: string, nama: string, hubungan = 'ANAK', kodeDesa = '3371011001', lahir = '17-07-1985') =>
  `${nik},${noKk},${nama},L,Magelang,${lahir},SITI,${hubungan},KAWIN,Jl. Melati,001,002,${kodeDesa}`;

const SIMPLE_MASTER = encode(
  `${MASTER_HEADER}\n${M('3371011707850003', '3371010101200001', 'BUDI', 'KEPALA_KELUARGA')}\n`,
);

describe('loading the population extract', () => {
  it('answers like the string reader for plain lines, quoted cells and the lines after them', async () => {
    const text = [
      POPULATION_HEADER,
      P('3371011707850003', 'BUDI SANTOSO'),
      '3371015707850004,3371010101200001,"SITI, S.Pd",P,Magelang,1985-07-17,3371011001,"Jl. Melati, 5",HIDUP',
      P('3371011707850005', 'AHMAD', '3371011002', 'meninggal'),
      '3371011707850006,3371010101200001,"ANI ""NENG""\nKURNIA",P,Magelang,1985-07-17,3371011001,x,HIDUP',
      P('3371011707850007', 'JOKO'),
    ].join('\n');
    await expectLikeReference(encode(text), SIMPLE_MASTER);
    const registry = await loadPopulationExtract({ bytes: encode(text) });
    const found = await registry.findByNik(['3371015707850004', '3371011707850005', '3371011707850007']);
    expect(found.get('3371015707850004')?.nama).toBe('SITI, S.Pd');
    expect(found.get('3371011707850005')).toEqual({
      nik: '3371011707850005',
      nama: 'AHMAD',
      kodeDesa: '3371011002',
      statusHidup: 'MENINGGAL',
      statusNik: 'AKTIF',
    });
    expect(found.get('3371011707850007')?.nama).toBe('JOKO');
  });

  it('reads status_nik like the string reader: absent, empty, any case, spaces, after a quoted line', async () => {
    const header = `${POPULATION_HEADER},status_nik`;
    const text = [
      header,
      `${P('3371011707850003', 'A')},NONAKTIF`,
      `${P('3371011707850004', 'B')},`,
      `${P('3371011707850005', 'C', '3371011001', 'meninggal')}, nonAktif `,
      `${P('3371011707850006', 'D')}`,
      `${P('3371011707850007', 'E')},aktif`,
      '"3371011707850008",1,F,L,x,1985-07-17,3371011001,x,HIDUP,NONAKTIF',
      `${P('3371011707850009', 'G')},nonaktif`,
      `${P('3371011707850010', 'H')},`,
    ].join('\n');
    await expectLikeReference(encode(text), SIMPLE_MASTER);
    const registry = await loadPopulationExtract({ bytes: encode(text) });
    const niks = Array.from({ length: 8 }, (_, i) => `33710117078500${String(3 + i).padStart(2, '0')}`);
    const found = await registry.findByNik(niks);
    expect(niks.map((nik) => found.get(nik)?.statusNik)).toEqual([
      'NONAKTIF',
      'AKTIF',
      'NONAKTIF',
      'AKTIF',
      'AKTIF',
      'NONAKTIF',
      'NONAKTIF',
      'AKTIF',
    ]);
    expect(found.get('3371011707850005')?.statusHidup).toBe('MENINGGAL');
    // Without the column every NIK is active.
    const plain = await loadPopulationExtract({
      bytes: encode(`${POPULATION_HEADER}\n${P('3371011707850003', 'A')}\n`),
    });
    expect((await plain.findByNik(['3371011707850003'])).get('3371011707850003')?.statusNik).toBe('AKTIF');
  });

  it("reads ';' files with a BOM, CRLF line ends, blank lines and spaces around values", async () => {
    const text = `\ufeff${POPULATION_HEADER.replaceAll(',', ';')}\r\n${P(' 3371011707850003 ', ' Budi ').replaceAll(',', ';')}\r\n\r\n;;;\r\n  \r\n${P('3371015707850004', '\u00a0SITI\u00a0', ' 3371011001 ', ' Hidup ').replaceAll(',', ';')}\r\n`;
    await expectLikeReference(encode(text), SIMPLE_MASTER);
    const registry = await loadPopulationExtract({ bytes: encode(text) });
    expect(registry.size).toBe(2);
    expect((await registry.findByNik(['3371015707850004'])).get('3371015707850004')?.nama).toBe('SITI');
  });

  it('reads Windows-1252 names from the first line that is not UTF-8 on', async () => {
    const bytes = concat(
      `${POPULATION_HEADER}\n${P('3371011707850003', 'JOSÉ')}\n`,
      latin1(`${P('3371015707850004', 'INÊS')}\n${P('3371011707850005', 'ÅSA')}\n`),
    );
    await expectLikeReference(bytes, SIMPLE_MASTER);
    const found = await (await loadPopulationExtract({ bytes })).findByNik(['3371011707850003', '3371015707850004']);
    expect(found.get('3371011707850003')?.nama).toBe('JOSÉ');
    expect(found.get('3371015707850004')?.nama).toBe('INÊS');
  });

  it('keeps malformed NIKs and village codes as written, and the last record of a NIK listed twice', async () => {
    const text = [
      POPULATION_HEADER,
      P('12345', 'PENDEK', '33.71.01.1001'),
      P('33710117078500AB', 'HURUF', '337101'),
      P('9171011707850003', 'PAPUA', '9171011001'),
      P('3371011707850003', 'LAMA', '3371011001', 'HIDUP'),
      P('3371011707850003', 'BARU', '3371011002', 'MENINGGAL'),
      P('0000000000000001', 'NOL', '0000000001'),
    ].join('\n');
    await expectLikeReference(encode(text), SIMPLE_MASTER, ['9171011707850004', '12346']);
    const found = await (await loadPopulationExtract({ bytes: encode(text) })).findByNik([
      '12345',
      '3371011707850003',
      '0000000000000001',
    ]);
    expect(found.get('12345')?.kodeDesa).toBe('33.71.01.1001');
    expect(found.get('3371011707850003')).toMatchObject({
      nama: 'BARU',
      kodeDesa: '3371011002',
      statusHidup: 'MENINGGAL',
    });
    expect(found.get('0000000000000001')?.kodeDesa).toBe('0000000001');
  });

  it.each([
    [
      'an unknown living status',
      `${POPULATION_HEADER}\n${P('3371011707850003', 'A')}\n${P('3371011707850004', 'B', '3371011001', 'MATI')}\n`,
    ],
    ['a missing living status', `${POPULATION_HEADER}\n${P('3371011707850003', 'A')}\n3371011707850004,1,B\n`],
    [
      'an unknown living status after a quoted line',
      `${POPULATION_HEADER}\n"3371011707850003",1,A,L,x,1985-07-17,3371011001,x,HIDUP\n\n${P('3371011707850004', 'B', '1', 'hıdup?')}\n`,
    ],
    ['a quote never closed', `${POPULATION_HEADER}\n${P('3371011707850003', 'A')}\n\n3371011707850004,1,"B,L\n`],
    [
      'an unknown NIK status',
      `${POPULATION_HEADER},status_nik\n${P('3371011707850003', 'A')},AKTIF\n${P('3371011707850004', 'B')},DIBLOKIR\n`,
    ],
    [
      'an unknown NIK status after a quoted line',
      `${POPULATION_HEADER},status_nik\n"3371011707850003",1,A,L,x,1985-07-17,3371011001,x,HIDUP,\n${P('3371011707850004', 'B')},AKTIF?\n`,
    ],
    ['a missing column', 'nik,no_kk,nama,kode_desa\n3371011707850003,1,A,3371011001\n'],
    ['a repeated column', `${POPULATION_HEADER},NIK\n${P('3371011707850003', 'A')},x\n`],
    ['an empty file', ''],
    ['a header only', `${POPULATION_HEADER}\n`],
    ['blank lines before the header', `\n\n${POPULATION_HEADER}\n${P('3371011707850003', 'A')}`],
  ])('rejects or accepts %s exactly as adapters/extracts/readers.ts does', async (_what, text) => {
    await expectLikeReference(encode(text), SIMPLE_MASTER);
  });

  it('reads lines that cross its read buffer (4 MiB) like the string reader', async () => {
    const lines = [POPULATION_HEADER];
    for (let i = 0; i < 60_000; i++) {
      lines.push(P(`3371011707${String(850000 + i).padStart(6, '0')}`, `WARGA NOMOR ${i} ${'X'.repeat(i % 40)}`));
    }
    await expectLikeReference(encode(lines.join('\n')), SIMPLE_MASTER);
  });
});

describe('loading the DTKS master extract', () => {
  it('keeps the first record of a NIK, unknown relationships, malformed ids and dotted village codes', async () => {
    const text = [
      MASTER_HEADER,
      M('3371011707850003', '3371010101200001', '"H. BUDI SANTOSO, S.Pd"', 'KEPALA_KELUARGA', '33.71.01.1001'),
      M('3371015707850004', '3371010101200001', 'SITI', 'ISTRI'),
      M('3371011707850003', '3371010101200002', 'BUDI LAGI', 'ANAK'),
      M('3371011707850005', '3371010101200001', 'Budi Santoso', 'KEPONAKAN', '3371011001', '1985-07-17'),
      M('12345', 'KK-RUSAK', 'RUSAK', 'KEPALA_KELUARGA'),
      M('3371011707850006', 'KK-RUSAK', 'RUSAK DUA', 'anak'),
      M('3371011707850007', '3371010101200003', 'TANPA TANGGAL', 'ANAK', '3371011001', '1985-13-45'),
      '3371011707850008,3371010101200003,"KURNIA, ANI",P,x,1990-01-02,y,ANAK,KAWIN,"Jl. A, 1",1,2,3371011001',
      M('9171011707850009', '9171010101200001', 'PAPUA', 'KEPALA_KELUARGA', '9171011001'),
    ].join('\n');
    const population = encode(`${POPULATION_HEADER}\n${P('3371011707850003', 'BUDI')}\n`);
    await expectLikeReference(population, encode(text));
    const master = await loadMasterExtract({ bytes: encode(text) });
    const family = (await master.findFamilies(['3371010101200001'])).get('3371010101200001');
    expect(family?.map((m) => [m.nik, m.hubunganKeluarga])).toEqual([
      ['3371011707850003', 'KEPALA_KELUARGA'],
      ['3371015707850004', 'ISTRI'],
      ['3371011707850005', 'KEPONAKAN'],
    ]);
    const key = identityKey('Budi Santoso', '1985-07-17', '3371011001');
    expect((await master.findByIdentity([key])).get(key)).toEqual(['3371011707850003', '3371011707850005']);
    expect((await master.findByNik(['12345'])).get('12345')).toEqual({
      nik: '12345',
      noKk: 'KK-RUSAK',
      hubunganKeluarga: 'KEPALA_KELUARGA',
    });
  });
});

describe('loading the extracts on the fast path', () => {
  it('reads CRLF line ends like the string reader, and a lone CR or a CR as the last byte too', async () => {
    const lines = [P('3371011707850003', 'BUDI'), P('3371015707850004', 'SITI'), P('3371011707850005', 'ANI')];
    for (const text of [
      `${POPULATION_HEADER}\r\n${lines.join('\r\n')}\r\n`,
      `${POPULATION_HEADER}\r\n${lines.join('\r\n')}\r`,
      `${POPULATION_HEADER}\r\n${lines[0]}\r\n${lines[1]!.replace('SITI', 'SI\rTI')}\r\n${lines[2]}\r\n`,
      `${POPULATION_HEADER}\r\n${lines[0]}\r\r\n${lines[1]}\r\n${lines[2]}`,
    ]) {
      await expectLikeReference(encode(text), SIMPLE_MASTER);
    }
  });

  it('reads birth dates in every form parseDate takes, and relationships as written, like the string reader', async () => {
    const dates = ['1985-07-17', '17-07-1985', '17/07/1985', '1985-13-45', '31/02/2000', '29-02-2000', '29-02-1900'];
    const odd = [' 1985-07-17', '1985/07/17', '17-07/1985', '17.07.1985', '198a-07-17', '', '17-07-85'];
    const relationships = ['KEPALA_KELUARGA', 'ISTRI', ' ANAK ', 'anak', 'KEPONAKAN', 'ANAK\u00a0', 'ANAKK', 'ANA', ''];
    const text = [MASTER_HEADER];
    let i = 0;
    for (const lahir of [...dates, ...odd, ...dates]) {
      for (const hubungan of relationships) {
        const nik = `33710117078${String(50000 + i++).padStart(5, '0')}`;
        text.push(
          M(
            nik,
            `337101010120${String(1000 + (i >> 2))}`,
            i % 3 ? 'BUDI' : 'H. Budi S.Pd',
            hubungan,
            '3371011001',
            lahir,
          ),
        );
      }
    }
    const population = encode(`${POPULATION_HEADER}\n${P('3371011707850003', 'BUDI')}\n`);
    await expectLikeReference(population, encode(text.join('\r\n')));
  });

  it('adds records kept back in batches in file order: repeated NIKs, malformed ids and odd names between them', async () => {
    const population = [POPULATION_HEADER];
    const master = [MASTER_HEADER];
    for (let i = 0; i < 1000; i++) {
      // A NIK seen before every seventh line (in this batch of 128 or an earlier one), a malformed one every
      // 97th, a name with a non-ASCII edge every 31st and an empty one every 53rd.
      const nik = `33710117078${String(i % 7 === 6 ? Math.max(0, i - [1, 7, 130, 300][i % 4]!) : i).padStart(5, '0')}`;
      const id = i % 97 === 5 ? `RUSAK-${i % 3}` : nik;
      const nama = i % 31 === 3 ? `\u00c5SA ${i}` : i % 53 === 4 ? '' : `WARGA ${i}`;
      population.push(P(id, nama, `337101${1001 + (i % 5)}`, i % 11 === 0 ? 'MENINGGAL' : 'HIDUP'));
      const noKk = i % 89 === 7 ? 'KK-RUSAK' : `33710101012${String(i >> 2).padStart(5, '0')}`;
      master.push(M(id, noKk, nama, i % 4 ? 'ANAK' : 'KEPALA_KELUARGA', `337101${1001 + (i % 5)}`, '17-07-1985'));
    }
    await expectLikeReference(encode(population.join('\n')), encode(master.join('\r\n')), ['RUSAK-0', 'RUSAK-1']);
  });

  it('hashes an identity like hash53 of its identity key', () => {
    for (const [nama, iso, village] of [
      ['BUDI SANTOSO', '1985-07-17', '3371011001'],
      ['', '', ''],
      ['JOSÉ ÅSA', '2000-02-29', '33.71.01.1001'],
    ] as const) {
      expect(identityHash(nama, iso, village)).toBe(
        nama === '' ? Number.NaN : hash53(identityKey(nama, iso, normaliseAreaCode(village))),
      );
    }
  });
});

describe('the ports on a generated world', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('answer every NIK, family and identity of a 400-family world like the straightforward implementation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dtks-ports-'));
    dirs.push(dir);
    await writeWorld({ regency: '3374', families: 400, defectRate: 0.2, seed: 11, out: dir, quiet: true });
    const population = await readFile(join(dir, 'population.csv'));
    const master = await readFile(join(dir, 'master.csv'));
    const ref = await reference(population, master);
    expect(ref.population.size).toBeGreaterThan(1000);
    const ports = await loadMemoryPortsFromFiles({
      population: join(dir, 'population.csv'),
      master: join(dir, 'master.csv'),
    });
    await expectSameAnswers(ports.population, ports.master, ref, ['3374011707850003']);
    // The same world added record by record through the string API.
    const registry = new MemoryPopulationRegistry();
    for await (const batch of readPopulationExtract(once(population))) for (const p of batch) registry.add(p);
    const dtks = new MemoryDtksMaster();
    for await (const batch of readMasterExtract(once(master))) for (const p of batch) dtks.add(p);
    await expectSameAnswers(registry, dtks, ref);
  });

  it('rejects a bad extract file with the error adapters/extracts/readers.ts gives', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dtks-ports-'));
    dirs.push(dir);
    const bad = `${POPULATION_HEADER}\n${P('3371011707850003', 'A')}\n${P('3371011707850004', 'B', '3371011001', 'ENTAH')}\n`;
    await writeFile(join(dir, 'population.csv'), bad);
    const load = loadMemoryPortsFromFiles({ population: join(dir, 'population.csv') });
    await expect(load).rejects.toMatchObject({
      name: 'ExtractFormatError',
      code: 'INVALID_VALUE',
      row: 2,
      message: expect.stringContaining('"ENTAH"'),
    });
  });

  it('loads in a worker thread that boots on the loader source (a failed boot would load in this thread unseen)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dtks-ports-'));
    dirs.push(dir);
    await writeFile(join(dir, 'population.csv'), `${POPULATION_HEADER}\n${P('3371011707850003', 'A')}\n`);
    const workers: Worker[] = [];
    const errors: unknown[] = [];
    const started = (worker: Worker) => {
      workers.push(worker);
      worker.on('error', (e) => errors.push(e));
    };
    process.on('worker', started);
    try {
      const ports = await loadMemoryPortsFromFiles({ population: join(dir, 'population.csv') });
      expect((await ports.population.findByNik(['3371011707850003'])).get('3371011707850003')?.nama).toBe('A');
    } finally {
      process.off('worker', started);
    }
    expect(workers).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
