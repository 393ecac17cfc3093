/**
 * The check worker (adapters/extracts/check-worker.ts): it hands the main thread the master and computes
 * every batch's port codes itself, equal to the codes the main thread's own look-ups give; the main
 * thread holds no registry to look up.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startParallelCheck } from '#adapters/extracts/check-worker.ts';
import { loadMemoryPortsFromFiles } from '#adapters/extracts/loader.ts';
import { writeWorld } from '#cli/commands/generate.ts';
import { type CheckedRow, ProposalChecker } from '#core/integrity.ts';
import { readProposal } from '#core/proposal-reader.ts';
import { createReportWriter } from '#core/report.ts';

describe('check worker', () => {
  let dir = '';
  let files: Awaited<ReturnType<typeof writeWorld>>['files'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dtks-check-worker-'));
    ({ files } = await writeWorld({
      regency: '3371',
      families: 1500,
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
  const reportOf = async (checker: ProposalChecker, portBits?: Parameters<ProposalChecker['emit']>[2]) => {
    const writer = createReportWriter('id');
    let text = writer.header();
    for await (const batch of rows()) checker.addBatch(batch);
    await checker.finish();
    const sink = (batch: CheckedRow[]) => {
      text += writer.lines(batch);
    };
    const summary = await checker.emit(rows(), sink, portBits);
    return { text, summary };
  };

  it('gives the port codes the main thread would look up, from ports the main thread cannot look up in', async () => {
    const extracts = { population: files.population.path, master: files.master.path };
    const parallel = startParallelCheck({ ...extracts, proposal: files.proposal.path, submitter: '3371' });
    expect(parallel).toBeDefined();
    const ports = await parallel!.ports;
    expect(ports.master.size).toBe(files.master.rows);
    await expect(ports.population.findByNik(['3371010101900001'])).rejects.toThrow(/check worker/);

    const two = await reportOf(new ProposalChecker(parallel!.ports, { submitter: '3371' }), parallel!.portBits);
    const one = await reportOf(new ProposalChecker(loadMemoryPortsFromFiles(extracts), { submitter: '3371' }));
    expect(two.summary.rows).toBe(files.proposal.rows);
    expect(two.summary.codes.NIK_NOT_FOUND).toBeGreaterThan(0);
    expect(two.summary).toEqual(one.summary);
    expect(two.text).toBe(one.text);
  }, 120_000);

  it('rejects the ports with the extract error the worker met', async () => {
    const parallel = startParallelCheck({
      population: files.proposal.path,
      proposal: files.proposal.path,
      submitter: '3371',
    });
    await expect(parallel!.ports).rejects.toMatchObject({ name: 'ExtractFormatError', code: 'MISSING_COLUMN' });
  }, 60_000);
});
