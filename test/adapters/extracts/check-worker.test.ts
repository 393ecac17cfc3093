/**
 * The check worker (adapters/extracts/check-worker.ts): it loads the extracts into shared memory, which the
 * main thread reads too, and both threads compute port codes, each for the batches it claims; the report
 * is the one the one-thread path writes, byte for byte, whichever thread computed which batch.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startParallelCheck } from '#adapters/extracts/check-worker.ts';
import { loadMemoryPortsFromFiles, workerFlags } from '#adapters/extracts/loader.ts';
import { writeWorld } from '#cli/commands/generate.ts';
import { RESULT_CODES } from '#core/codes.ts';
import { type CheckedRow, type PortBitsSource, ProposalChecker } from '#core/integrity.ts';
import { readProposal } from '#core/proposal-reader.ts';
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
  const reportOf = async (checker: ProposalChecker, portBits?: (own: PortBitsSource) => PortBitsSource) => {
    const writer = createReportWriter('id');
    let text = writer.header();
    for await (const batch of rows()) checker.addBatch(batch);
    await checker.finish();
    const sink = (batch: CheckedRow[]) => {
      text += writer.lines(batch);
    };
    const summary = await checker.emit(
      rows(),
      sink,
      portBits?.((batch) => checker.portBits(batch)),
    );
    return { text, summary };
  };
  const extracts = () => ({ population: files.population.path, master: files.master.path });

  it('writes the one-thread report, byte for byte, from extracts both threads share', async () => {
    const parallel = startParallelCheck({ ...extracts(), proposal: files.proposal.path, submitter: '3371' });
    expect(parallel).toBeDefined();
    // The master comes first: the main thread's pass-1 verdicts need it, not the (larger) registry.
    const order: string[] = [];
    void parallel!.early.then(() => order.push('master'));
    const ports = await parallel!.ports.finally(() => order.push('registry'));
    expect(order).toEqual(['master', 'registry']);
    expect(ports.master.size).toBe(files.master.rows);
    expect(ports.population.size).toBe(files.population.rows);
    // Loaded once: the main thread's columns are the worker's, in shared memory.
    expect(ports.population.state().keys.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ports.master.state().keys.buffer).toBeInstanceOf(SharedArrayBuffer);

    const two = await reportOf(new ProposalChecker(parallel!.ports, { submitter: '3371' }), parallel!.portBits);
    parallel!.close();
    const one = await reportOf(new ProposalChecker(loadMemoryPortsFromFiles(extracts()), { submitter: '3371' }));
    expect(two.summary.rows).toBe(files.proposal.rows);
    // Defects of every kind, so every look-up's code is compared.
    for (const code of RESULT_CODES) expect(two.summary.codes[code], code).toBeGreaterThan(0);
    expect(two.summary).toEqual(one.summary);
    expect(two.text).toBe(one.text);
    expect(parallel!.taken.main + parallel!.taken.worker).toBe(Math.ceil(files.proposal.rows / 2048));
  }, 120_000);

  it('gives the same report whichever thread computes the batches', async () => {
    const one = await reportOf(new ProposalChecker(loadMemoryPortsFromFiles(extracts()), { submitter: '3371' }));
    // The main thread slow to write: the worker, ahead of it, claims batches; fast: the main thread claims them.
    for (const pause of [30, 0]) {
      const parallel = startParallelCheck({ ...extracts(), proposal: files.proposal.path, submitter: '3371' })!;
      const slowed = (own: PortBitsSource) => {
        const source = parallel.portBits(own);
        return async (batch: Parameters<PortBitsSource>[0]) => {
          await new Promise((resolve) => setTimeout(resolve, pause));
          return source(batch);
        };
      };
      // The checker given the ports as soon as the master is loaded, as the CLI does: pass 1's verdicts
      // may run before the registry is loaded, its look-ups wait for it.
      const two = await reportOf(new ProposalChecker(parallel.early, { submitter: '3371' }), slowed);
      parallel.close();
      expect(parallel.taken.main + parallel.taken.worker).toBe(Math.ceil(files.proposal.rows / 2048));
      expect(two.text).toBe(one.text);
      expect(two.summary).toEqual(one.summary);
    }
  }, 120_000);

  it("passes the CLI's young generation to the check worker as a resource limit, not a flag Node refuses", async () => {
    const flags = ['--max-semi-space-size=64', '--import', 'tsx', '--cpu-prof'];
    const check = workerFlags(
      { check: { population: '', proposal: '', submitter: '', claims: new SharedArrayBuffer(4) } },
      flags,
    );
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
      proposal: files.proposal.path,
      submitter: '3371',
    });
    await expect(parallel!.ports).rejects.toMatchObject({ name: 'ExtractFormatError', code: 'MISSING_COLUMN' });
  }, 60_000);
});
