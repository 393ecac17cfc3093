/**
 * npx tsx bench/parse.ts [rows]
 *
 * Writes a synthetic proposal file of `rows` rows (default 200,000) and a population extract of the
 * same size to os.tmpdir(), then reads them in one run with csv-parse (columns: true) as the
 * baseline, readProposal and readPopulationExtract, and prints rows/s and MB/s for each. A few names
 * carry a comma, a doubled quote or Unicode, so the quoted path is exercised as in real files.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { readPopulationExtract } from '#adapters/extracts/readers.ts';
import { formatCsvRow } from '#core/csv.ts';
import { REQUIRED_COLUMNS } from '#core/proposal.ts';
import { readProposal } from '#core/proposal-reader.ts';

const rows = Number(process.argv[2] ?? 200_000);
if (!Number.isInteger(rows) || rows <= 0) throw new Error(`rows must be a positive integer, not ${process.argv[2]}`);

const READ_CHUNK = 1 << 20;
const FIRST = ['Budi', 'Siti', 'Agus', 'Dewi', 'Slamet', 'Sri', 'Joko', 'Nur', 'Made', 'Putu', 'Ahmad', 'Rina'];
const LAST = ['Santoso', 'Rahayu', 'Wijaya', 'Hidayat', 'Saputra', 'Lestari', 'Kusuma', 'Pratama', 'Nuñez'];

/** A small deterministic generator, so every run reads the same bytes. */
function random(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

function digits(next: (n: number) => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(next(10));
  return s;
}

function name(next: (n: number) => number): string {
  const base = `${FIRST[next(FIRST.length)]} ${LAST[next(LAST.length)]}`;
  const odd = next(200);
  if (odd === 0) return `${base}, S.Pd`; // a comma: quoted
  if (odd === 1) return `${base} "Gondrong"`; // quotes: doubled
  return base;
}

async function writeFile(path: string, header: readonly string[], row: (i: number) => string[]): Promise<number> {
  const out = createWriteStream(path);
  let text = formatCsvRow(header);
  for (let i = 0; i < rows; i++) {
    text += formatCsvRow(row(i));
    if (text.length > 1 << 20) {
      if (!out.write(text)) await once(out, 'drain');
      text = '';
    }
  }
  out.end(text);
  await once(out, 'finish');
  return statSync(path).size;
}

async function writeProposal(path: string): Promise<number> {
  const next = random(42);
  const header = [...REQUIRED_COLUMNS, 'alasan', 'pekerjaan', 'penghasilan_bulanan'];
  return writeFile(path, header, () => {
    const aksi = ['TAMBAH', 'UBAH', 'HAPUS'][next(3)] as string;
    return [
      aksi,
      `3371${digits(next, 12)}`,
      `3371${digits(next, 12)}`,
      name(next),
      next(2) ? 'L' : 'P',
      'Magelang',
      `19${10 + next(90)}-0${1 + next(9)}-1${next(10)}`,
      `${FIRST[next(FIRST.length)]} ${LAST[next(LAST.length)]}`,
      ['KEPALA_KELUARGA', 'ISTRI', 'ANAK'][next(3)] as string,
      'KAWIN',
      `Jl. Pahlawan No. ${next(200)}`,
      String(next(20)),
      String(next(10)),
      `3371010${digits(next, 3)}`,
      aksi === 'HAPUS' ? 'PINDAH' : '',
      'Petani',
      String(next(5_000_000)),
    ];
  });
}

async function writePopulation(path: string): Promise<number> {
  const next = random(7);
  const header = ['nik', 'no_kk', 'nama', 'jenis_kelamin', 'tempat_lahir', 'tanggal_lahir', 'kode_desa', 'alamat'];
  return writeFile(path, [...header, 'status_hidup'], () => [
    `3371${digits(next, 12)}`,
    `3371${digits(next, 12)}`,
    name(next),
    next(2) ? 'L' : 'P',
    'Magelang',
    `19${10 + next(90)}-0${1 + next(9)}-1${next(10)}`,
    `3371010${digits(next, 3)}`,
    `Jl. Pahlawan No. ${next(200)}`,
    next(50) ? 'HIDUP' : 'MENINGGAL',
  ]);
}

/**
 * Prints wall-clock rows/s and MB/s, and rows per CPU-second of this process: on a machine shared with
 * other work the wall clock measures the neighbours too, the CPU time much less so.
 */
async function measure(label: string, bytes: number, read: () => Promise<number>): Promise<void> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const count = await read();
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (count !== rows) throw new Error(`${label}: read ${count} rows, expected ${rows}`);
  const rate = Math.round(count / seconds).toLocaleString('en');
  const cpuRate = Math.round(count / cpuSeconds).toLocaleString('en');
  const mbs = (bytes / 1e6 / seconds).toFixed(1);
  process.stdout.write(
    `${label.padEnd(34)} ${rate.padStart(10)} rows/s ${mbs.padStart(6)} MB/s  (${seconds.toFixed(2)} s wall)  ${cpuRate.padStart(10)} rows per CPU-s\n`,
  );
}

const proposalPath = join(tmpdir(), `dtks-bench-proposal-${process.pid}.csv`);
const populationPath = join(tmpdir(), `dtks-bench-population-${process.pid}.csv`);
try {
  const proposalBytes = await writeProposal(proposalPath);
  const populationBytes = await writePopulation(populationPath);
  process.stdout.write(
    `${rows.toLocaleString('en')} rows: proposal ${(proposalBytes / 1e6).toFixed(1)} MB, population ${(populationBytes / 1e6).toFixed(1)} MB\n`,
  );
  await measure('csv-parse columns:true (proposal)', proposalBytes, async () => {
    let count = 0;
    const parser = createReadStream(proposalPath, { highWaterMark: READ_CHUNK }).pipe(parse({ columns: true }));
    for await (const _record of parser) count++;
    return count;
  });
  await measure('readProposal', proposalBytes, async () => {
    let count = 0;
    for await (const batch of readProposal(createReadStream(proposalPath, { highWaterMark: READ_CHUNK }))) {
      count += batch.length;
    }
    return count;
  });
  await measure('readPopulationExtract', populationBytes, async () => {
    let count = 0;
    for await (const batch of readPopulationExtract(createReadStream(populationPath, { highWaterMark: READ_CHUNK }))) {
      count += batch.length;
    }
    return count;
  });
} finally {
  await Promise.all([unlink(proposalPath).catch(() => undefined), unlink(populationPath).catch(() => undefined)]);
}
