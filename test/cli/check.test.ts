/**
 * `dtks check` through the real CLI: a file that cannot be checked ends with one clear message and a
 * non-zero exit, and leaves an earlier return report as it was (the report is written aside and renamed
 * only when complete). The reference extracts load while the proposal's first pass runs, so a failure
 * on either side must stop the other.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { copyFile, link, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWorld } from '#cli/commands/generate.ts';
import { byColumn, numberFormats, readZip, sheetCells, sheetsOf } from '../support/xlsx-reader.ts';
import { storedZip } from '../support/zip.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function dtks(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npx', ['tsx', 'cli/main.ts', ...args], {
      cwd: process.cwd(),
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dtks check (CLI)', () => {
  let dir = '';
  let files: Awaited<ReturnType<typeof writeWorld>>['files'];
  const earlier = '\uFEFFbaris,nik,no_kk,nama,hasil,kode,keterangan\r\n2,x,y,z,DITERIMA,,\r\n';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dtks-check-cli-'));
    ({ files } = await writeWorld({ regency: '3371', families: 200, defectRate: 0.1, seed: 3, out: dir, quiet: true }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const check = (proposal: string, population: string, report: string) =>
    dtks(
      'check',
      proposal,
      '--submitter',
      '3371',
      '--population',
      population,
      '--master',
      files.master.path,
      '--out',
      report,
      '--lang',
      'en',
    );

  it('checks a generated world, prints the summary and writes the report', async () => {
    const report = join(dir, 'ok.csv');
    const run = await check(files.proposal.path, files.population.path, report);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`rows: ${files.proposal.rows.toLocaleString('en')}`);
    expect(run.stderr).toContain('penduduk');
    const lines = (await readFile(report, 'utf8')).trimEnd().split('\r\n');
    expect(lines).toHaveLength(files.proposal.rows + 1);
    expect(existsSync(`${report}.part`)).toBe(false);
  }, 60_000);

  it('refuses a proposal without a required column and keeps the earlier report', async () => {
    const text = await readFile(files.proposal.path, 'utf8');
    const [header, ...rest] = text.split('\n');
    const columns = header!.split(',');
    const nama = columns.indexOf('nama');
    const broken = [columns.filter((_, i) => i !== nama).join(','), ...rest].join('\n');
    const proposal = join(dir, 'no-nama.csv');
    await writeFile(proposal, broken);
    const report = join(dir, 'kept.csv');
    await writeFile(report, earlier);

    const run = await check(proposal, files.population.path, report);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Required column 'nama' is missing from the header line");
    expect(await readFile(report, 'utf8')).toBe(earlier);
    expect(existsSync(`${report}.part`)).toBe(false);
  }, 60_000);

  it('refuses a population extract without a required column, whatever the proposal', async () => {
    const text = await readFile(files.population.path, 'utf8');
    expect(text).toContain('status_hidup');
    const population = join(dir, 'population-no-status.csv');
    await writeFile(population, text.replace('status_hidup', 'status'));
    const report = join(dir, 'kept-too.csv');
    await writeFile(report, earlier);

    const run = await check(files.proposal.path, population, report);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "Population registry (Dukcapil) extract: required column 'status_hidup' is missing from the header line",
    );
    expect(run.stdout).toBe('');
    expect(await readFile(report, 'utf8')).toBe(earlier);
    expect(existsSync(`${report}.part`)).toBe(false);
  }, 60_000);

  it('returns NIK_INACTIVE for a row whose NIK the extract marks NONAKTIF, and nothing for AKTIF or an empty cell', async () => {
    const truth = (await readFile(files.truth.path, 'utf8')).trimEnd().split('\r\n').slice(1);
    const proposal = (await readFile(files.proposal.path, 'utf8')).trimEnd().split('\r\n');
    const nikAt = proposal[0]!.split(',').indexOf('nik');
    const clean = truth.map((line) => line.split(',')).filter(([, kode]) => kode === '');
    const [deactivated, reactivated] = clean.map(([baris]) => proposal[Number(baris)]!.split(',')[nikAt]!);
    const text = await readFile(files.population.path, 'utf8');
    expect(text.split('\r\n')[0]).toMatch(/,status_nik$/);
    // One clean person deactivated (written in lower case), another written AKTIF: only the first is returned.
    const edited = text
      .split('\r\n')
      .map((line) => {
        if (line.startsWith(`${deactivated},`)) return line.replace(/,[^,]*$/, ', nonaktif ');
        if (line.startsWith(`${reactivated},`)) return line.replace(/,[^,]*$/, ',AKTIF');
        return line;
      })
      .join('\r\n');
    const population = join(dir, 'population-nonaktif.csv');
    await writeFile(population, edited);
    const report = join(dir, 'nonaktif.csv');
    const run = await check(files.proposal.path, population, report);
    expect(run.code).toBe(0);
    const lines = (await readFile(report, 'utf8')).trimEnd().split('\r\n');
    const byNik = (nik: string) => lines.filter((line) => line.split(',')[1] === nik);
    expect(byNik(deactivated!)).toHaveLength(1);
    expect(byNik(deactivated!)[0]).toMatch(
      /,DIKEMBALIKAN,NIK_INACTIVE,"?Dukcapil has deactivated this NIK; the resident must have it reactivated/,
    );
    expect(byNik(reactivated!)[0]).toMatch(/,DITERIMA,,$/);
    expect(lines.filter((line) => line.includes('NIK_INACTIVE'))).toHaveLength(
      truth.filter((line) => line.includes('NIK_INACTIVE')).length + 1,
    );
  }, 60_000);

  it('refuses a population extract with an unknown status_nik, naming the data row and the value', async () => {
    const [header, first, ...rest] = (await readFile(files.population.path, 'utf8')).split('\r\n');
    const population = join(dir, 'population-bad-status-nik.csv');
    await writeFile(population, [header, first!.replace(/,[^,]*$/, ',DIBLOKIR'), ...rest].join('\r\n'));
    const report = join(dir, 'bad-status-nik.csv');
    const run = await check(files.proposal.path, population, report);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `Population registry (Dukcapil) extract: unknown value "DIBLOKIR" in column 'status_nik' on data row 1 (the header line not counted)`,
    );
    expect(existsSync(report)).toBe(false);
  }, 60_000);

  it('refuses a report path that is the proposal or an extract, also through a symlink or a hard link', async () => {
    const proposal = join(dir, 'u.csv');
    await copyFile(files.proposal.path, proposal);
    const original = await readFile(proposal);
    await symlink(proposal, join(dir, 'u-link.csv'));
    await link(proposal, join(dir, 'u-hard.csv'));
    const population = await readFile(files.population.path);

    for (const out of [proposal, join(dir, '.', 'u-link.csv'), join(dir, 'u-hard.csv')]) {
      const run = await check(proposal, files.population.path, out);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--out');
      expect(run.stderr).toContain('is the proposal file itself');
      expect(await readFile(proposal)).toEqual(original);
    }
    const run = await check(proposal, files.population.path, files.population.path);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is the population extract file itself');
    expect(await readFile(files.population.path)).toEqual(population);

    // The .xlsx report path too: a proposal saved under an .xlsx name is not overwritten by its workbook.
    const named = join(dir, 'u.xlsx');
    await copyFile(proposal, named);
    const workbook = await check(named, files.population.path, named);
    expect(workbook.code).toBe(2);
    expect(workbook.stderr).toContain('is the proposal file itself');
    expect(await readFile(named)).toEqual(original);

    // Indonesian by default.
    const id = await dtks(
      'check',
      proposal,
      '--submitter',
      '3371',
      '--population',
      files.population.path,
      '--out',
      proposal,
    );
    expect(id.stderr).toContain('adalah berkas usulan itu sendiri');
    expect(await readFile(proposal)).toEqual(original);
  }, 60_000);

  it('refuses a report path that is a pipe or a device instead of renaming the report over it', async () => {
    // The report is written aside and renamed: onto `--out /dev/null` that replaced the device itself
    // with a regular file (for every program of the machine). A pipe shows it without touching /dev.
    const fifo = join(dir, 'laporan-pipa.csv');
    await promisify(execFile)('mkfifo', [fifo]);
    for (const out of [fifo, '/dev/null']) {
      const run = await check(files.proposal.path, files.population.path, out);
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe(
        `dtks check: --out ${out} is not a regular file (a device, pipe or socket); give the name of a file for the report`,
      );
    }
    // The summary beside the report (<report>.ringkasan.csv) is renamed onto its name too.
    const summaryFifo = join(dir, 'laporan-b.ringkasan.csv');
    await promisify(execFile)('mkfifo', [summaryFifo]);
    const summary = await check(files.proposal.path, files.population.path, join(dir, 'laporan-b.csv'));
    expect(summary.code).toBe(2);
    expect(summary.stderr).toContain(`--out ${summaryFifo} is not a regular file`);
    expect(existsSync(join(dir, 'laporan-b.csv'))).toBe(false);
    expect(lstatSync(summaryFifo).isFIFO()).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  }, 60_000);

  it('names a workbook given as the proposal and a gzip file given as an extract for what they are', async () => {
    const workbook = join(dir, 'usulan.xlsx');
    await writeFile(workbook, storedZip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' }));
    const id = await dtks('check', workbook, '--submitter', '3371', '--population', files.population.path);
    expect(id.code).toBe(1);
    expect(id.stderr).toContain(
      'Berkas ini adalah arsip ZIP/berkas Excel (.xlsx), bukan CSV; buka di Excel/LibreOffice lalu simpan sebagai CSV UTF-8',
    );
    expect(id.stderr).not.toContain('Kolom wajib');

    const population = join(dir, 'population.csv.gz');
    await writeFile(population, gzipSync(await readFile(files.population.path)));
    const en = await check(files.proposal.path, population, join(dir, 'gz.csv'));
    expect(en.code).toBe(1);
    expect(en.stderr).toContain(
      'Population registry (Dukcapil) extract: this file is a gzip-compressed archive (.gz), not CSV; extract it and send the UTF-8 CSV file inside',
    );
  }, 60_000);

  it('shows an unknown column named with control characters escaped, not obeyed by the terminal', async () => {
    const text = await readFile(files.proposal.path, 'utf8');
    const [header, ...rest] = text.split('\r\n');
    const proposal = join(dir, 'kolom-esc.csv');
    await writeFile(
      proposal,
      [`${header},\u001b[2J\u001b]0;judul\u0007`, ...rest.map((line) => (line ? `${line},` : line))].join('\r\n'),
    );
    const run = await check(proposal, files.population.path, join(dir, 'kolom-esc.laporan.csv'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('\\x1B[2J\\x1B]0;judul\\x07');
    expect(run.stdout).not.toContain('\u001b');
  }, 60_000);

  it('reports a Windows-1252 file and its unknown columns once each: in the summary, its JSON and beside the report', async () => {
    const text = await readFile(files.proposal.path, 'utf8');
    const [header, first, ...rest] = text.split('\r\n');
    // A name with é saved by a spreadsheet in Windows-1252, and two columns the format does not know.
    const edited = [`${header},catatan,Petugas`, `${first?.replace(/,([^,]*),/, ',Andr\u00e9 $1,')},x,y`, ...rest];
    const proposal = join(dir, 'cp1252.csv');
    await writeFile(proposal, Buffer.from(edited.join('\r\n'), 'latin1'));
    const report = join(dir, 'cp1252.laporan.csv');

    const table = await check(proposal, files.population.path, report);
    expect(table.code).toBe(0);
    const encoding = 'The file is not valid UTF-8 and was read as Windows-1252 from line 2';
    const columns = "2 unknown columns ignored: 'catatan', 'Petugas'";
    for (const warning of [encoding, columns]) {
      expect(table.stdout.split(warning)).toHaveLength(2);
    }
    const json = await dtks(
      'check',
      proposal,
      '--submitter',
      '3371',
      '--population',
      files.population.path,
      '--out',
      report,
      '--json',
    );
    const parsed = JSON.parse(json.stdout) as { warnings: { code: string; message: string }[]; summaryFile: string };
    expect(parsed.warnings.map((w) => w.code)).toEqual(['WINDOWS_1252', 'UNKNOWN_COLUMNS']);
    expect(parsed.warnings[0]?.message).toContain('dibaca sebagai Windows-1252 mulai baris 2');
    expect(parsed.summaryFile).toBe(join(dir, 'cp1252.laporan.ringkasan.csv'));
    const summary = await readFile(parsed.summaryFile, 'utf8');
    expect(summary.startsWith('\uFEFFbagian,kode,tingkat,jumlah,keterangan\r\n')).toBe(true);
    expect(summary).toContain('BERKAS,WINDOWS_1252,peringatan,,');
    expect(summary).toContain(
      `BERKAS,UNKNOWN_COLUMNS,peringatan,2,"2 kolom tidak dikenal diabaikan: 'catatan', 'Petugas'"`,
    );
    expect(summary).toContain(`TOTAL,BARIS,,${files.proposal.rows},`);
    // The report itself keeps its contract columns.
    expect((await readFile(report, 'utf8')).split('\r\n')[0]).toBe('\uFEFFbaris,nik,no_kk,nama,hasil,kode,keterangan');
  }, 60_000);

  it('writes the report as .xlsx for --out <report>.xlsx: NIK and No. KK as text cells, the summary as a second sheet', async () => {
    const report = join(dir, 'laporan.xlsx');
    const run = await check(files.proposal.path, files.population.path, report);
    expect(run.code).toBe(0);
    const entries = readZip(await readFile(report));
    const sheets = sheetsOf(entries);
    expect(sheets.map((sheet) => sheet.name)).toEqual(['Laporan', 'Ringkasan']);
    const formats = numberFormats(entries.get('xl/styles.xml') ?? '');
    const rows = sheetCells(entries.get(sheets[0]?.part ?? '') ?? '');
    expect(rows[0]?.map((cell) => cell.value)).toEqual([
      'baris',
      'nik',
      'no_kk',
      'nama',
      'hasil',
      'kode',
      'keterangan',
    ]);
    expect(rows).toHaveLength(files.proposal.rows + 1);
    const csvLines = (await readFile(files.proposal.path, 'utf8')).split('\r\n');
    const nikAt = csvLines[0]?.split(',').indexOf('nik') ?? -1;
    const [line, nik, noKk] = rows[1] ?? [];
    expect(line).toMatchObject({ value: '1' });
    expect(line?.type).toBeUndefined();
    expect(nik).toMatchObject({ type: 'inlineStr', value: csvLines[1]?.split(',')[nikAt] });
    expect(nik?.value).toMatch(/^\d{16}$/);
    expect(formats[nik?.style ?? -1]).toBe('@');
    expect(noKk).toMatchObject({ type: 'inlineStr' });
    const summary = sheetCells(entries.get(sheets[1]?.part ?? '') ?? '');
    const total = summary.map(byColumn).find((row) => row.B?.value === 'BARIS');
    expect(total?.D).toMatchObject({ value: String(files.proposal.rows) });
    expect(total?.D?.type).toBeUndefined();
    expect(existsSync(join(dir, 'laporan.ringkasan.csv'))).toBe(false);
    expect(existsSync(`${report}.part`)).toBe(false);
  }, 60_000);

  it('names an unknown submitting regency in the chosen language', async () => {
    const report = join(dir, 'unknown-regency.csv');
    const run = await dtks(
      'check',
      files.proposal.path,
      '--submitter',
      '99.99',
      '--population',
      files.population.path,
      '--out',
      report,
      '--lang',
      'en',
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("The submitting regency/city code '99.99' is unknown");
    expect(existsSync(report)).toBe(false);
  }, 60_000);
});
