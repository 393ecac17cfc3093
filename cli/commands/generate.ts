/**
 * dtks generate --regency <code> --families <n> [--defect-rate r] [--seed s] --out <dir>
 *
 * Writes a synthetic world for one regency: population.csv (the Dukcapil extract), master.csv (the DTKS master
 * extract), proposal.csv (an usulan) and truth.csv (`baris,kode`: the codes each proposal row must get), for
 * trying `dtks check`, for tests and for benchmarks. The same seed always writes the same files.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { loadAreas } from '#core/area.ts';
import { RESULT_CODES } from '#core/codes.ts';
import { formatCsvRow } from '#core/csv.ts';
import type { MasterPerson } from '#core/proposal.ts';
import {
  DEFECTS,
  generateWorld,
  MASTER_COLUMNS,
  POPULATION_COLUMNS,
  PROPOSAL_FILE_COLUMNS,
  type SyntheticWorld,
  UnknownWorldRegencyError,
} from '#synthetic/generator.ts';
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { requireOutputFolder } from '../paths.ts';
import { createProgress } from '../progress.ts';

const HELP = `dtks generate --regency <code> --families <n> --out <dir> [options]

Writes a synthetic world: population.csv, master.csv, proposal.csv and truth.csv.

Options:
  --regency <code>       regency/city, e.g. 3371 or 33.71 (required; also the proposal's submitter)
  --families <n>         proposal families, 1 to 1,000,000 (required); 250000 gives ~900k proposal rows
  --defect-rate <r>      share of families with one injected defect, 0..1 (default 0.05)
  --seed <s>             integer seed (default 1)
  --out <dir>            output folder (required; created when missing)`;

/**
 * The largest world: ~3.6 million proposal rows, ~2 GB of files and ~1 GB of memory while writing
 * (measured: 300,000 families take 0.4 GB and 33 s). More than any regency's whole DTKS; an unbounded
 * count would only run until the disk or the memory is full.
 */
export const MAX_FAMILIES = 1_000_000;

/** Text is collected to about this size before one write: few large writes instead of millions of small ones. */
const FLUSH_CHARS = 1 << 20;

export interface GenerateResult {
  files: Record<'population' | 'master' | 'proposal' | 'truth', { path: string; rows: number }>;
  world: SyntheticWorld;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('generate', argv, {
    regency: { type: 'string' },
    families: { type: 'number', integer: true, min: 1, max: MAX_FAMILIES },
    'defect-rate': { type: 'number', min: 0, max: 1, default: 0.05 },
    seed: { type: 'number', integer: true, min: -(2 ** 31), max: 2 ** 31 - 1, default: 1 },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!values.regency) {
    throw new CliError({
      id: 'sebutkan kabupaten/kotanya dengan --regency <kode>, mis. --regency 3371',
      en: 'missing --regency <code>, e.g. --regency 3371',
    });
  }
  if (values.families === undefined) {
    throw new CliError({
      id: 'sebutkan jumlah keluarga dengan --families <n>, mis. --families 1000',
      en: 'missing --families <n>, e.g. --families 1000',
    });
  }
  if (!values.out) {
    throw new CliError({
      id: 'sebutkan folder tujuan dengan --out <folder>',
      en: 'missing --out <dir>, the folder to write the files into',
    });
  }
  requireOutputFolder(values.out, {
    id: 'generate menulis empat berkas ke sebuah folder (dibuat bila belum ada)',
    en: 'generate writes four files into a folder (created when missing)',
  });
  const { families, seed } = values;
  const defectRate = values['defect-rate'];

  const started = performance.now();
  let result: GenerateResult;
  try {
    result = await writeWorld({ regency: values.regency, families, defectRate, seed, out: values.out });
  } catch (error) {
    if (error instanceof UnknownWorldRegencyError) {
      const en = `regency/city code '${error.regency}' is not in the Kemendagri list (e.g. 3371 or 33.71)`;
      throw new CliError({ id: error.message, en }, 2, { cause: error });
    }
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(formatCounts(result, seconds));
  return 0;
}

/** Writes the four files of a world into `out`; used by the command and by the benchmarks. */
export async function writeWorld(options: {
  regency: string;
  families: number;
  defectRate: number;
  seed: number;
  out: string;
  quiet?: boolean;
}): Promise<GenerateResult> {
  const world = generateWorld({ ...options, areas: loadAreas() });
  mkdirSync(options.out, { recursive: true });
  const progress = createProgress(process.stderr, options.quiet ?? options.families < 20_000);
  const population = new BufferedCsv(join(options.out, 'population.csv'), POPULATION_COLUMNS);
  const master = new BufferedCsv(join(options.out, 'master.csv'), MASTER_COLUMNS);
  const proposal = new BufferedCsv(join(options.out, 'proposal.csv'), PROPOSAL_FILE_COLUMNS);
  const truth = new BufferedCsv(join(options.out, 'truth.csv'), ['baris', 'kode']);
  try {
    progress.phase(`Membuat data sintetis / generating ${options.families.toLocaleString('en')} families`);
    let units = 0;
    // Small batches: their rows die young, in the garbage collector's cheap generation.
    const unitsPerBatch = 64;
    for (const batch of world.batches(unitsPerBatch)) {
      for (const p of batch.population) {
        // status_nik AKTIF as an empty cell, the column's default: the loaders read both ways.
        population.addLine(
          `${p.nik},${p.noKk},${text(p.nama)},${p.jenisKelamin},${text(p.tempatLahir)},${p.tanggalLahir},${p.kodeDesa},${text(p.alamat)},${p.statusHidup},${p.statusNik === 'NONAKTIF' ? 'NONAKTIF' : ''}\r\n`,
        );
      }
      for (const p of batch.master) master.addLine(`${masterLine(p)}\r\n`);
      for (const row of batch.proposal) proposal.addLine(`${row.aksi},${row.alasan},${masterLine(row)}\r\n`);
      await Promise.all([population.flushIfFull(), master.flushIfFull(), proposal.flushIfFull()]);
      units = Math.min(options.families, units + unitsPerBatch);
      progress.update(
        `generating: ${units.toLocaleString('en')} families, ${proposal.rows.toLocaleString('en')} proposal rows`,
        units / options.families,
      );
    }
    for (const batch of world.truth()) {
      for (const { line, codes } of batch) truth.add([String(line), codes.join('|')]);
      await truth.flushIfFull();
    }
    await Promise.all([population.close(), master.close(), proposal.close(), truth.close()]);
    progress.done('');
  } catch (error) {
    progress.clear();
    for (const file of [population, master, proposal, truth]) file.destroy();
    throw error;
  }
  return {
    world,
    files: {
      population: { path: population.path, rows: population.rows },
      master: { path: master.path, rows: master.rows },
      proposal: { path: proposal.path, rows: proposal.rows },
      truth: { path: truth.path, rows: truth.rows },
    },
  };
}

/**
 * A CSV file written one batch at a time: the rows of a batch are joined into one flat string (cheap for the
 * garbage collector, unlike a long-lived chain of concatenations), and the writer waits for 'drain' when the
 * stream's buffer is full.
 */
class BufferedCsv {
  rows = 0;
  private parts: string[] = [];
  private chars = 0;
  private readonly stream: WriteStream;

  constructor(
    readonly path: string,
    header: readonly string[],
  ) {
    this.stream = createWriteStream(path, { highWaterMark: FLUSH_CHARS });
    this.parts.push(formatCsvRow(header));
  }

  add(cells: readonly string[]): void {
    this.addLine(formatCsvRow(cells));
  }

  /** A line already formatted, CRLF-terminated. */
  addLine(line: string): void {
    this.parts.push(line);
    this.chars += line.length;
    this.rows++;
  }

  async flushIfFull(): Promise<void> {
    if (this.chars >= FLUSH_CHARS / 4) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }

  destroy(): void {
    this.stream.destroy();
  }
}

/**
 * The generator's identifiers, codes, dates and numbers never hold a delimiter, a quote or a line break (the
 * column contract); free text may (a title after a comma: "AHMAD FAUZI, S.PD"), so only free text is checked.
 */
function text(value: string): string {
  return NEEDS_QUOTES.test(value) ? formatCsvRow([value]).slice(0, -2) : value;
}

const NEEDS_QUOTES = /[",;\r\n]/;

function masterLine(p: MasterPerson): string {
  return `${p.nik},${p.noKk},${text(p.nama)},${p.jenisKelamin},${text(p.tempatLahir)},${p.tanggalLahir},${text(p.namaIbuKandung)},${p.hubunganKeluarga},${p.statusPerkawinan},${text(p.alamat)},${p.rt},${p.rw},${p.kodeDesa},${text(p.pekerjaan)},${p.penghasilanBulanan},${p.desil}`;
}

function formatCounts(result: GenerateResult, seconds: number): string {
  const lines: string[] = [];
  for (const { path, rows } of Object.values(result.files)) {
    lines.push(`${rows.toLocaleString('en').padStart(12)}  ${path}`);
  }
  lines.push('', `${'code'.padEnd(26)}${'defects'.padStart(10)}${'truth rows'.padStart(12)}`);
  const injected = result.world.defectsInjected;
  const counts = result.world.codeCounts();
  for (const code of RESULT_CODES) {
    const defects = (DEFECTS as readonly string[]).includes(code) ? (injected[code as keyof typeof injected] ?? 0) : 0;
    lines.push(`${code.padEnd(26)}${String(defects).padStart(10)}${String(counts[code] ?? 0).padStart(12)}`);
  }
  const rows = result.files.proposal.rows;
  lines.push(
    '',
    `${seconds.toFixed(1)} s, ${Math.round(rows / Math.max(seconds, 1e-6)).toLocaleString('en')} proposal rows/s`,
  );
  return `${lines.join('\n')}\n`;
}
