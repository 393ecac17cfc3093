/**
 * dtks check <proposal.csv> --submitter <regency> --population <population.csv> [--master <master.csv>]
 *            [--out <report.csv>] [--lang id|en] [--json]
 *
 * The offline check a region runs before it uploads: the same engine as the cloud, against CSV
 * extracts. Exits 0 when the file was checked (whatever its rows say), non-zero with one clear
 * message when it cannot be checked.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { startParallelCheck } from '#adapters/extracts/check-worker.ts';
import { loadMemoryPortsFromFiles } from '#adapters/extracts/loader.ts';
import { ExtractFormatError } from '#adapters/extracts/readers.ts';
import { ReportWorkbook, SUMMARY_SHEET_NAME } from '#adapters/xlsx/report-workbook.ts';
import { levelOf, RESULT_CODES } from '#core/codes.ts';
import {
  type CheckedRow,
  type CheckSummary,
  type PortQuery,
  ProposalChecker,
  type ReportedRow,
  UnknownRegencyError,
} from '#core/integrity.ts';
import { type Lang, messageFor } from '#core/messages.ts';
import { type ProposalFileInfo, ProposalFormatError, readProposal } from '#core/proposal-reader.ts';
import { createReportWriter, type FileWarning, fileWarnings, summaryCsv, summaryPathOf } from '#core/report.ts';
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { MASTER_EXTRACT, POPULATION_EXTRACT, PROPOSAL_FILE, requireInputFile, requireOutputFile } from '../paths.ts';
import { createProgress } from '../progress.ts';
import { printable } from '../table.ts';

const HELP = `dtks check <proposal.csv> --submitter <regency> --population <population.csv> [options]

Checks a proposal (usulan) against the five integrity criteria and writes the return report.

Options:
  --submitter <code>     submitting regency/city, e.g. 3371 or 33.71 (required)
  --population <file>    population registry (Dukcapil) extract CSV (required)
  --master <file>        DTKS master extract CSV (default: an empty DTKS)
  --out <file>           return report path (default: <proposal>.laporan.csv next to the input); its
                         summary (file warnings, rows per code) goes beside it as <report>.ringkasan.csv.
                         A path ending in .xlsx writes the report as an Excel workbook instead (NIK,
                         No. KK and codes as text cells), with the summary as its second sheet
  --lang id|en           language of the messages (default: id)
  --json                 print the summary as JSON instead of a table`;

const READ_CHUNK = 1 << 20;
/**
 * A proposal row's bytes, on the low side (the generated worlds have some 170): the rows a file of a given
 * size holds at most, about, to size the checker's indexes once (CheckOptions.expectedRows).
 */
const BYTES_PER_ROW = 160;

/**
 * DTKS_CHECK_SEQUENTIAL=1 looks pass 2's port codes up in the main thread, as before the check worker:
 * the reference the parallel path's report is compared with, byte for byte (tests, bench/check.ts).
 */
const SEQUENTIAL = 'DTKS_CHECK_SEQUENTIAL';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'check',
    argv,
    {
      submitter: { type: 'string' },
      population: { type: 'string' },
      master: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    },
    { max: 1 },
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [proposalPath, ...extra] = positionals;
  if (!proposalPath) {
    throw new CliError({
      id: 'berkas usulan belum disebut: dtks check <usulan.csv> --submitter <kode> --population <penduduk.csv>',
      en: 'missing the proposal file: dtks check <proposal.csv> --submitter <code> --population <population.csv>',
    });
  }
  if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(' ')}`);
  if (!values.submitter) {
    throw new CliError({
      id: 'sebutkan kabupaten/kota pengusul dengan --submitter <kode>, mis. --submitter 3371',
      en: 'missing --submitter <regency code>, e.g. --submitter 3371',
    });
  }
  if (!values.population) {
    throw new CliError({
      id: 'sebutkan ekstrak penduduk (Dukcapil) dengan --population <penduduk.csv>',
      en: 'missing --population <population.csv> (the Dukcapil extract)',
    });
  }
  const lang = values.lang;
  requireInputFile(proposalPath, PROPOSAL_FILE);
  requireInputFile(values.population, POPULATION_EXTRACT);
  if (values.master !== undefined) requireInputFile(values.master, MASTER_EXTRACT);
  const outPath = values.out ?? defaultReportPath(proposalPath);
  requireOutputFile(outPath);
  const workbook = /\.xlsx$/i.test(outPath);
  // A workbook carries its summary as a second sheet; a CSV report has it beside, as <report>.ringkasan.csv.
  const summaryPath = workbook ? outPath : summaryPathOf(outPath);
  if (!workbook) requireOutputFile(summaryPath);
  refuseOverwritingInputs(
    [outPath, `${outPath}.part`, ...(workbook ? [] : [summaryPath, `${summaryPath}.part`])],
    [
      { what: 'proposal', path: proposalPath },
      { what: 'population', path: values.population },
      ...(values.master ? [{ what: 'master' as const, path: values.master }] : []),
    ],
    lang,
  );
  const started = performance.now();
  const progress = createProgress(process.stderr);

  let summary: CheckSummary;
  let warnings: FileWarning[];
  const stopLoading = new AbortController();
  // The report is written beside its final name and renamed when complete: a file that cannot be
  // checked leaves an earlier report as it was.
  const partPath = `${outPath}.part`;
  try {
    // Both extracts, one after the other (the master first) in a worker thread, straight into typed-array columns in shared
    // memory (adapters/extracts/loader.ts, check-worker.ts); the first pass over the proposal needs neither
    // and runs meanwhile. Then both threads compute pass 2's port codes, batch by batch as each claims
    // them, and the main thread joins them and writes the report.
    const extracts = { population: values.population, ...(values.master ? { master: values.master } : {}) };
    const totalBytes = statSync(proposalPath).size;
    const parallel =
      process.env[SEQUENTIAL] === '1'
        ? undefined
        : startParallelCheck(
            { ...extracts, submitter: values.submitter, proposalBytes: totalBytes },
            stopLoading.signal,
          );
    const loading = parallel?.ports ?? loadMemoryPortsFromFiles(extracts, stopLoading.signal);
    let loaded = false;
    void loading.then(
      (ports) => {
        loaded = true;
        progress.note(
          `Data referensi / reference extracts: ${ports.population.size.toLocaleString('en')} penduduk, ${ports.master.size.toLocaleString('en')} DTKS`,
        );
      },
      () => {},
    );

    const out = createWriteStream(partPath);
    const report = openReport(out, workbook, lang);
    let bytesRead = 0;
    let read: ProposalFileInfo | undefined;
    const openRows = () => {
      const stream = open(proposalPath);
      stream.on('data', (chunk) => {
        bytesRead += chunk.length;
      });
      const reader = readProposal(stream);
      read = reader.info;
      return reader;
    };
    // With the worker, the checker has the master as soon as it is loaded (the registry comes after it):
    // pass 1's verdicts need only the master.
    const checker = new ProposalChecker(parallel?.early ?? loading, {
      submitter: values.submitter,
      expectedRows: Math.floor(totalBytes / BYTES_PER_ROW),
      onProgress: ({ pass, rows }) =>
        progress.update(
          `${pass === 1 ? `Memeriksa / checking${loaded ? '' : ' (memuat referensi / loading extracts)'}` : 'Mencocokkan & menulis laporan / matching & writing report'}: ${rows.toLocaleString('en')} baris`,
          pass === 1
            ? totalBytes
              ? Math.min(1, bytesRead / totalBytes)
              : undefined
            : rows / Math.max(1, read?.rows ?? 0),
        ),
    });
    const sink = (batch: CheckedRow<ReportedRow>[]) => report.rows(batch);
    try {
      // With the worker the file is read once: pass 1 keeps each batch (what the report shows, and its look-up
      // queries) for pass 2, unless they outgrow their budget (huge cells). Otherwise pass 2 reads it again.
      const queries: (PortQuery | undefined)[] = [];
      let keeping = parallel !== undefined;
      for await (const batch of openRows()) {
        if (keeping && parallel) {
          queries.length = 0;
          checker.addBatch(batch, queries);
          keeping = parallel.keep(batch, queries);
        } else checker.addBatch(batch);
      }
      await checker.finish();
      if (keeping && parallel) {
        const { rows, portBits } = parallel.passTwo((batch) => checker.portBitsOf(batch));
        summary = await checker.emit(rows, sink, portBits);
      } else summary = await checker.emit(openRows(), sink);
    } finally {
      parallel?.close();
    }
    // How the file was read (the last pass's reader has read it all): named once, beside the report.
    warnings = read ? fileWarnings(read, lang) : [];
    await report.close(summary, warnings);
    out.end();
    await once(out, 'finish');
    if (!workbook) await writeFile(`${summaryPath}.part`, summaryCsv(summary, warnings, lang));
    await rename(partPath, outPath);
    if (!workbook) await rename(`${summaryPath}.part`, summaryPath);
    progress.done('');
  } catch (error) {
    progress.clear();
    stopLoading.abort();
    await Promise.all([
      rm(partPath, { force: true }),
      ...(workbook ? [] : [rm(`${summaryPath}.part`, { force: true })]),
    ]);
    if (error instanceof ProposalFormatError) {
      throw new CliError(`${proposalPath}: ${error.messageIn(lang)}`, 1, { cause: error });
    }
    if (error instanceof ExtractFormatError || error instanceof UnknownRegencyError) {
      throw new CliError(error.messageIn(lang), 1, { cause: error });
    }
    throw error;
  }

  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ ...summary, warnings, report: outPath, summaryFile: summaryPath, seconds }, null, 2)}\n`,
    );
  } else {
    const summaryAt = workbook
      ? `${outPath} (${lang === 'id' ? 'lembar' : 'sheet'} ${SUMMARY_SHEET_NAME})`
      : summaryPath;
    process.stdout.write(formatSummary(summary, warnings, lang, { report: outPath, summary: summaryAt }, seconds));
  }
  return 0;
}

/** The report being written: CSV lines, or the .xlsx workbook (adapters/xlsx/report-workbook.ts). */
function openReport(out: WriteStream, workbook: boolean, lang: Lang) {
  const write = async (chunk: string | Uint8Array) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  if (workbook) {
    const xlsx = new ReportWorkbook(write, lang);
    return {
      rows: (batch: CheckedRow<ReportedRow>[]) => xlsx.rows(batch),
      close: (summary: CheckSummary, warnings: FileWarning[]) => xlsx.close({ summary, warnings }),
    };
  }
  const csv = createReportWriter(lang);
  out.write(csv.header());
  return {
    rows: (batch: CheckedRow<ReportedRow>[]) => write(csv.lines(batch)),
    close: async (_summary: CheckSummary, _warnings: FileWarning[]) => {},
  };
}

type InputKind = 'proposal' | 'population' | 'master';
const INPUT_NAMES: Record<Lang, Record<InputKind, string>> = {
  id: { proposal: 'berkas usulan', population: 'berkas ekstrak kependudukan', master: 'berkas ekstrak master DTKS' },
  en: { proposal: 'proposal file', population: 'population extract file', master: 'master extract file' },
};

/**
 * The report (and its part file) must never replace an input: `--out u.csv` for `check u.csv` would
 * destroy the proposal. Same file means same device and inode, so a symlink or a hard link to an input,
 * or another spelling of its path, is caught as well as the path itself.
 */
function refuseOverwritingInputs(
  outputs: readonly string[],
  inputs: readonly { what: InputKind; path: string }[],
  lang: Lang,
): void {
  for (const output of outputs) {
    const out = statSync(output, { throwIfNoEntry: false });
    if (!out) continue;
    for (const input of inputs) {
      const file = statSync(input.path, { throwIfNoEntry: false });
      if (!file || file.dev !== out.dev || file.ino !== out.ino) continue;
      const name = INPUT_NAMES[lang][input.what];
      throw new CliError(
        lang === 'id'
          ? `--out ${output} adalah ${name} itu sendiri (${input.path}); laporan tidak boleh menimpanya: pilih nama lain untuk laporan`
          : `--out ${output} is the ${name} itself (${input.path}); the report must not overwrite it: choose another report name`,
      );
    }
  }
}

function open(path: string) {
  return createReadStream(path, { highWaterMark: READ_CHUNK });
}

function defaultReportPath(proposalPath: string): string {
  const ext = extname(proposalPath);
  return join(dirname(proposalPath), `${basename(proposalPath, ext)}.laporan.csv`);
}

function formatSummary(
  summary: CheckSummary,
  warnings: readonly FileWarning[],
  lang: Lang,
  paths: { report: string; summary: string },
  seconds: number,
): string {
  const en = lang === 'en';
  const lines: string[] = [];
  // File-level warnings first, once each: they concern the whole file, not a row.
  // printable(): an unknown column's name is the file's text, and must not act on the terminal.
  for (const warning of warnings) {
    lines.push(`${en ? 'file warning' : 'peringatan berkas'}: ${printable(warning.message)}`);
  }
  if (warnings.length) lines.push('');
  const codes = RESULT_CODES.filter((code) => summary.codes[code]);
  const width = Math.max(26, ...codes.map((c) => c.length));
  if (codes.length) {
    lines.push(`${'kode'.padEnd(width)}  ${'tingkat'.padEnd(10)}${'baris'.padStart(10)}  keterangan`);
    for (const code of codes) {
      const level = levelOf(code) === 'error' ? (en ? 'error' : 'galat') : en ? 'warning' : 'peringatan';
      lines.push(
        `${code.padEnd(width)}  ${level.padEnd(10)}${String(summary.codes[code]).padStart(10)}  ${messageFor(code, lang)}`,
      );
    }
    lines.push('');
  }
  const rate = summary.rows / Math.max(seconds, 1e-6);
  lines.push(
    `${en ? 'rows' : 'baris'}: ${summary.rows.toLocaleString('en')}  DITERIMA: ${summary.accepted.toLocaleString('en')}  DIKEMBALIKAN: ${summary.returned.toLocaleString('en')}  ${en ? 'with warnings' : 'dengan peringatan'}: ${summary.withWarnings.toLocaleString('en')}`,
    `${en ? 'report' : 'laporan'}: ${paths.report}`,
    `${en ? 'summary' : 'ringkasan'}: ${paths.summary}`,
    `${seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString('en')} ${en ? 'rows/s' : 'baris/detik'}`,
  );
  return `${lines.join('\n')}\n`;
}
