/**
 * The check worker (adapters/extracts/check-worker.ts): it loads the extracts into shared memory, which the
 * main thread reads too; pass 1 keeps its batches for pass 2, and both threads compute port codes, each for
 * the batches it claims; the report is the one the one-thread path (which reads the file twice and looks up
 * in one thread) writes, byte for byte, whichever thread computed which batch.
 */
import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParallelCheck, startParallelCheck } from '#adapters/extracts/check-worker.ts';
import { loadMemoryPortsFromFiles, workerFlags } from '#adapters/extracts/loader.ts';
import { writeWorld } from '#cli/commands/generate.ts';
import { RESULT_CODES } from '#core/codes.ts';
import { type CheckedRow, type PortQuery, ProposalChecker, type ReportedRow } from '#core/integrity.ts';
import { DEFAULT_BATCH_SIZE, readProposal } from '#core/proposal-reader.ts';
import { createReportWriter } from '#core/report.ts';

describe('check worker', () => {
  let dir = '';
  let files: Awaited<ReturnType<typeof writeWorld>>['files'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dtks-check-worker-'));
    ({ files } = await writeWorld({
      regency: '3371',
      families: 6000,
      defectRate: 0.2,
      seed: 11,
      out: dir,
      quiet: true,
    }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const rows = () => readProposal(createReadStream(files.proposal.path));
  /** The report as the one-thread path writes it: pass 2 reads the file again and looks up in this thread. */
  const reportOf = async (checker: ProposalChecker) => {
    const writer = createReportWriter('id');
    let text = writer.header();
    for await (const batch of rows()) checker.addBatch(batch);
    await checker.finish();
    const summary = await checker.emit(rows(), (batch: CheckedRow[]) => {
      text += writer.lines(batch);
    });
    return { text, summary };
  };
  /**
   * The report as `dtks check` writes it on two threads: pass 1 keeps its batches, pass 2 takes them with
   * codes from either thread. `pause` ms after each kept batch (pass 1) or written batch (pass 2).
   */
  const parallelReportOf = async (
    parallel: ParallelCheck,
    checker: ProposalChecker,
    pause: { pass1?: number; pass2?: number } = {},
  ) => {
    const writer = createReportWriter('id');
    let text = writer.header();
    for await (const batch of rows()) {
      const queries: (PortQuery | undefined)[] = [];
      checker.addBatch(batch, queries);
      parallel.keep(batch, queries);
      if (pause.pass1) await sleep(pause.pass1);
    }
    await checker.finish();
    const kept = parallel.passTwo((queries) => checker.portBitsOf(queries));
    const summary = await checker.emit(
      kept.rows,
      async (batch: CheckedRow<ReportedRow>[]) => {
        text += writer.lines(batch);
        if (pause.pass2) await sleep(pause.pass2);
      },
      kept.portBits,
    );
    parallel.close();
    return { text, summary };
  };
  const extracts = () => ({ population: files.population.path, master: files.master.path });
  const start = () =>
    startParallelCheck({ ...extracts(), submitter: '3371', proposalBytes: statSync(files.proposal.path).size })!;
  const batches = () => Math.ceil(files.proposal.rows / DEFAULT_BATCH_SIZE);

  it('writes the one-thread report, byte for byte, from extracts both threads share', async () => {
    const parallel = start();
    expect(parallel).toBeDefined();
    // The master comes first: the main thread's pass-1 verdicts need it, not the (larger) registry.
    const order: string[] = [];
    void parallel.early.then(() => order.push('master'));
    const ports = await parallel.ports.finally(() => order.push('registry'));
    expect(order).toEqual(['master', 'registry']);
    expect(ports.master.size).toBe(files.master.rows);
    expect(ports.population.size).toBe(files.population.rows);
    // Loaded once: the main thread's columns are the worker's, in shared memory.
    expect(ports.population.state().keys.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ports.master.state().keys.buffer).toBeInstanceOf(SharedArrayBuffer);

    const two = await parallelReportOf(parallel, new ProposalChecker(parallel.ports, { submitter: '3371' }));
    const one = await reportOf(new ProposalChecker(loadMemoryPortsFromFiles(extracts()), { submitter: '3371' }));
    expect(two.summary.rows).toBe(files.proposal.rows);
    // Defects of every kind, so every look-up's code is compared.
    for (const code of RESULT_CODES) expect(two.summary.codes[code], code).toBeGreaterThan(0);
    expect(two.summary).toEqual(one.summary);
    expect(two.text).toBe(one.text);
    expect(parallel.taken.main + parallel.taken.worker).toBe(batches());
  }, 120_000);

  it('gives the same report whichever thread computes the batches', async () => {
    const one = await reportOf(new ProposalChecker(loadMemoryPortsFromFiles(extracts()), { submitter: '3371' }));
    // Slow to write: the worker, ahead of the main thread, claims batches; fast: the main thread claims them.
    for (const pause of [{ pass2: 30 }, {}]) {
      const parallel = start();
      // The checker given the ports as soon as the master is loaded, as the CLI does: pass 1's verdicts
      // may run before the registry is loaded, its look-ups wait for it.
      const two = await parallelReportOf(parallel, new ProposalChecker(parallel.early, { submitter: '3371' }), pause);
      expect(parallel.taken.main + parallel.taken.worker).toBe(batches());
      expect(two.text).toBe(one.text);
      expect(two.summary).toEqual(one.summary);
    }
  }, 120_000);

  it('lets the worker look up every batch while pass 1 still reads, once its extracts are in', async () => {
    const one = await reportOf(new ProposalChecker(loadMemoryPortsFromFiles(extracts()), { submitter: '3371' }));
    const parallel = start();
    await parallel.ports;
    // Pass 1 slower than the worker: each batch is looked up as soon as it is kept, before pass 2 begins.
    const two = await parallelReportOf(parallel, new ProposalChecker(parallel.ports, { submitter: '3371' }), {
      pass1: 50,
    });
    expect(parallel.taken).toEqual({ main: 0, worker: batches() });
    expect(two.text).toBe(one.text);
  }, 120_000);

  it('reads the file again in pass 2 when the kept batches outgrow their budget', async () => {
    const one = await reportOf(new ProposalChecker(loadMemoryPortsFromFiles(extracts()), { submitter: '3371' }));
    // A budget of about one batch (a batch of this world keeps some 180 kB): the second one passes it.
    const parallel = startParallelCheck({
      ...extracts(),
      submitter: '3371',
      proposalBytes: statSync(files.proposal.path).size,
      maxKeptBytes: 250_000,
    })!;
    const checker = new ProposalChecker(parallel.early, { submitter: '3371' });
    const answers: boolean[] = [];
    for await (const batch of rows()) {
      const queries: (PortQuery | undefined)[] = [];
      checker.addBatch(batch, queries);
      answers.push(parallel.keep(batch, queries));
    }
    expect(answers.slice(0, 2)).toEqual([true, false]);
    // Once over the budget, nothing more is kept.
    expect(answers.slice(2).every((kept) => !kept)).toBe(true);
    await checker.finish();
    expect(() => parallel.passTwo((queries) => checker.portBitsOf(queries))).toThrow(/gave up keeping/);
    const writer = createReportWriter('id');
    let text = writer.header();
    const summary = await checker.emit(rows(), (batch: CheckedRow[]) => {
      text += writer.lines(batch);
    });
    parallel.close();
    expect(summary).toEqual(one.summary);
    expect(text).toBe(one.text);
  }, 120_000);

  it("passes the CLI's young generation to the check worker as a resource limit, not a flag Node refuses", async () => {
    const flags = ['--max-semi-space-size=64', '--import', 'tsx', '--cpu-prof'];
    const check = workerFlags({ check: { population: '', submitter: '', claims: new SharedArrayBuffer(4) } }, flags);
    expect(check).toEqual({ execArgv: ['--cpu-prof'], resourceLimits: { maxYoungGenerationSizeMb: 192 } });
    expect(workerFlags({ jobs: [] }, flags)).toEqual({ execArgv: ['--cpu-prof'] });
    // Node starts a worker with them (with the flag itself it throws ERR_WORKER_INVALID_EXEC_ARGV).
    const worker = new Worker('', { eval: true, execArgv: [], resourceLimits: check.resourceLimits });
    await worker.terminate();
    expect(() => new Worker('', { eval: true, execArgv: ['--max-semi-space-size=64'] })).toThrow(/execArgv/);
  });

  it('rejects the ports with the extract error the worker met', async () => {
    const parallel = startParallelCheck({
      population: files.proposal.path,
      submitter: '3371',
      proposalBytes: statSync(files.proposal.path).size,
    });
    await expect(parallel!.ports).rejects.toMatchObject({ name: 'ExtractFormatError', code: 'MISSING_COLUMN' });
  }, 60_000);
});
