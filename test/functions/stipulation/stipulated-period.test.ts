/**
 * A stipulated period is immutable. The stipulation workflow (state-machines/stipulation.asl.json) on the
 * local runtime with the real handlers against the emulators: a rerun of a stipulated period is refused
 * before it touches the master or the exports, what is approved after it joins the next period, the last
 * steps refuse to overwrite the period's record or manifest even when called directly, and a rerun after
 * a failed run (proposals already released, period not recorded) completes the period with every one of
 * its proposals.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import { LocalFunctions } from '#local/functions.ts';
import type { ExecutionDescription } from '#local/sfn/runtime.ts';
import { KEYS } from '#shared/contracts.ts';
import type { PeriodsRepository } from '#shared/periods-repository.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import type { TestAws } from '../../support/aws.ts';
import { scanMaster } from '../../support/master.ts';
import { type StipulationRuntime, startStipulationRuntime } from '../../support/workflows.ts';
import { World } from '../../support/world.ts';

let aws: TestAws;
let stipulation: StipulationRuntime;
let proposals: ProposalsRepository;
let periods: PeriodsRepository;
const functions = new LocalFunctions();
const world = new World();
/** Steps made to fail once, by function name, as a crash after their retries would. */
const failOnce = new Set<string>();

class InjectedFailure extends Error {
  override readonly name = 'InjectedFailure';
}

/** A proposal approved by its province at `approvedAt`, waiting for stipulation (its token is a stand-in). */
async function awaitingProposal(proposalId: string, period: string, approvedAt: string): Promise<ProposalRow> {
  const row = world.row({ line: 2 });
  await stipulation.awaitingProposal({ proposalId, period, approvedAt, rows: [row] });
  return row;
}

const stipulate = (period: string): Promise<ExecutionDescription> => stipulation.stipulate(period);

async function manifestText(period: string): Promise<string> {
  const object = await aws.clients.s3.send(
    new GetObjectCommand({ Bucket: aws.names.buckets.exports, Key: KEYS.manifest(period) }),
  );
  return (await object.Body?.transformToString()) ?? '';
}

const ids = (refs: readonly { proposalId: string }[] | undefined) => (refs ?? []).map((ref) => ref.proposalId);

/** The proposals the period's record names (its list in S3). */
async function recordedProposals(period: string): Promise<string[]> {
  const record = await periods.getPeriod(period);
  return record ? ids(await periods.listedProposals(record)) : [];
}

beforeAll(async () => {
  stipulation = await startStipulationRuntime({
    functions,
    invoke: (functionArn, payload) => {
      const name = functions.resolve(functionArn);
      if (failOnce.delete(name)) throw new InjectedFailure(`${name} failed`);
      return functions.invoke(functionArn, payload);
    },
  });
  ({ aws, periods } = stipulation);
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
});

afterAll(async () => {
  await stipulation?.stop();
});

describe('a stipulated period', () => {
  let manifest: string;

  it('is stipulated once with its proposals', async () => {
    await awaitingProposal('3371-2026-11-aaaaaaaaaaaa', '2026-11', '2026-11-20T01:00:00.000Z');
    await awaitingProposal('3371-2026-11-bbbbbbbbbbbb', '2026-11', '2026-11-21T01:00:00.000Z');
    const run = await stipulate('2026-11');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await recordedProposals('2026-11')).toEqual(['3371-2026-11-aaaaaaaaaaaa', '3371-2026-11-bbbbbbbbbbbb']);
    manifest = await manifestText('2026-11');
    expect(ids(JSON.parse(manifest).sourceProposals)).toHaveLength(2);
  });

  it('refuses a rerun before touching the master or the exports, and leaves a later approval to the next period', async () => {
    const period = await periods.getPeriod('2026-11');
    const master = await scanMaster(aws);
    await awaitingProposal('3371-2026-11-cccccccccccc', '2026-11', '2026-12-02T01:00:00.000Z');
    const rerun = await stipulate('2026-11');
    expect({ status: rerun.status, error: rerun.error }).toEqual({
      status: 'FAILED',
      error: 'PeriodAlreadyStipulated',
    });
    expect(rerun.cause).toContain('Periode 2026-11 sudah ditetapkan');
    expect(await periods.getPeriod('2026-11')).toEqual(period);
    expect(await manifestText('2026-11')).toBe(manifest);
    expect(await scanMaster(aws)).toEqual(master);
    expect(await proposals.require('3371-2026-11-cccccccccccc')).toMatchObject({ status: 'AWAITING_STIPULATION' });

    const next = await stipulate('2026-12');
    expect(next.status, next.cause).toBe('SUCCEEDED');
    expect(await recordedProposals('2026-12')).toEqual(['3371-2026-11-cccccccccccc']);
    expect((await proposals.require('3371-2026-11-cccccccccccc')).release).toMatchObject({ period: '2026-12' });
  });

  it('keeps its record and manifest when the last steps are called for it again (the conditional writes)', async () => {
    const period = await periods.getPeriod('2026-11');
    const others = [{ proposalId: '3371-2026-11-cccccccccccc', regency: '3371' }];
    await expect(
      functions.invoke('stipulation-record-period', { period: '2026-11', carriedForward: true, proposals: others }),
    ).rejects.toMatchObject({ name: 'PeriodAlreadyStipulatedError' });
    expect(await periods.getPeriod('2026-11')).toEqual(period);
    await expect(
      functions.invoke('stipulation-finalise-export', {
        period: '2026-11',
        carriedForward: true,
        proposals: others,
        regencies: [],
      }),
    ).rejects.toMatchObject({ name: 'PeriodAlreadyStipulatedError' });
    expect(await manifestText('2026-11')).toBe(manifest);
    // What FinaliseExport's last line of defence relies on: S3 (and the local S3) refuses to replace an
    // existing manifest under If-None-Match: * with 412.
    await expect(
      aws.clients.s3.send(
        new PutObjectCommand({
          Bucket: aws.names.buckets.exports,
          Key: KEYS.manifest('2026-11'),
          Body: '{}',
          IfNoneMatch: '*',
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    expect(await manifestText('2026-11')).toBe(manifest);
  });
});

describe('a rerun after a failed run', () => {
  it('completes the period with the proposals the failed run already released', async () => {
    await awaitingProposal('3371-2027-01-dddddddddddd', '2027-01', '2027-01-10T01:00:00.000Z');
    await awaitingProposal('3371-2027-01-eeeeeeeeeeee', '2027-01', '2027-01-11T01:00:00.000Z');
    // The first run releases both proposals and writes the manifest, then fails to record the period.
    failOnce.add('stipulation-record-period');
    const failed = await stipulate('2027-01');
    expect({ status: failed.status, error: failed.error }).toEqual({ status: 'FAILED', error: 'InjectedFailure' });
    expect(await periods.getPeriod('2027-01')).toBeUndefined();
    expect((await proposals.require('3371-2027-01-dddddddddddd')).release).toMatchObject({ period: '2027-01' });

    const rerun = await stipulate('2027-01');
    expect(rerun.status, rerun.cause).toBe('SUCCEEDED');
    const record = await periods.getPeriod('2027-01');
    expect(record).toMatchObject({ carriedForward: false, counts: { proposals: 2, changes: 2 } });
    expect(await recordedProposals('2027-01')).toEqual(['3371-2027-01-dddddddddddd', '3371-2027-01-eeeeeeeeeeee']);
    const manifest = JSON.parse(await manifestText('2027-01'));
    expect(manifest).toMatchObject({ period: '2027-01', carriedForward: false });
    expect(ids(manifest.sourceProposals)).toEqual(['3371-2027-01-dddddddddddd', '3371-2027-01-eeeeeeeeeeee']);
  });
});
