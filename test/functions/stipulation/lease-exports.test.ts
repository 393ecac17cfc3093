/**
 * The master write lease covers the exports as well as the apply (hostile review R3): the exports read the
 * master, so a lease given back after ApplyShards let another period's run apply while this period's units
 * were still being read, and this period's snapshot could hold the next period's changes. The stipulation
 * workflow on the local runtime with the real handlers: while each export unit runs, the lease is this
 * execution's and another execution cannot take it; it is given back once the manifest is written. An
 * export that fails keeps the lease until the apply function's timeout has passed (a slice of the run may
 * still be writing), and a new run of the same period is refused at once, told when to run again.
 *
 * Also the period record of a month whose quality control was not screened counts no open findings (its
 * zero would read as "screened, nothing found").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunctions } from '#local/functions.ts';
import type { ExecutionDescription } from '#local/sfn/runtime.ts';
import { MasterLeaseRepository, type MasterWriteLease } from '#shared/master-lease.ts';
import type { PeriodsRepository } from '#shared/periods-repository.ts';
import type { TestAws } from '../../support/aws.ts';
import { type StipulationRuntime, startStipulationRuntime } from '../../support/workflows.ts';
import { World } from '../../support/world.ts';

let aws: TestAws;
let stipulation: StipulationRuntime;
let lease: MasterLeaseRepository;
let periods: PeriodsRepository;
const functions = new LocalFunctions();
const world = new World();
const OTHER = 'arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:another-period';
/** What each export unit saw of the lease as it started, and whether another execution could take it. */
const seen: { lease: MasterWriteLease | undefined; takenByAnother: boolean }[] = [];
let failExports = false;

class InjectedFailure extends Error {
  override readonly name = 'InjectedFailure';
}

async function awaitingProposal(proposalId: string, period: string, approvedAt: string): Promise<void> {
  await stipulation.awaitingProposal({ proposalId, period, approvedAt, rows: [world.row({ line: 2 })] });
}

const stipulate = (period: string): Promise<ExecutionDescription> => stipulation.stipulate(period);

beforeAll(async () => {
  stipulation = await startStipulationRuntime({
    functions,
    invoke: async (functionArn, payload) => {
      if (functions.resolve(functionArn) === 'stipulation-export-regency') {
        const takenByAnother = await lease.take(OTHER, '2026-12').then(
          () => true,
          () => false,
        );
        if (takenByAnother) await lease.release(OTHER);
        seen.push({ lease: await lease.get(), takenByAnother });
        if (failExports) throw new InjectedFailure('stipulation-export-regency failed');
      }
      return functions.invoke(functionArn, payload);
    },
  });
  ({ aws, periods } = stipulation);
  lease = new MasterLeaseRepository(aws.clients.documents, aws.names.tables.proposals);
});

afterAll(async () => {
  await stipulation?.stop();
});

describe('the master write lease during the exports', () => {
  it('is held by the run while every unit is exported and given back after the manifest', async () => {
    await awaitingProposal('3371-2026-11-aaaaaaaaaaaa', '2026-11', '2026-11-20T01:00:00.000Z');
    const run = await stipulate('2026-11');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(seen.length).toBeGreaterThan(0);
    for (const unit of seen) {
      expect(unit.takenByAnother).toBe(false);
      expect(unit.lease).toMatchObject({ executionId: run.executionArn, period: '2026-11' });
      expect(unit.lease?.releasedAt).toBeUndefined();
    }
    expect(await lease.get()).toBeUndefined();
  });

  it('records no open quality-control findings for a period that was not screened', async () => {
    const record = await periods.getPeriod('2026-11');
    expect(record?.qualityControl?.screened).toBe(false);
    expect(record?.counts).not.toHaveProperty('qualityControlOpen');
    // ReleaseMasterWriteLease, between FinaliseExport and the record, passes the export's output on.
    expect(record?.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps the lease after a failed export, and refuses the period's rerun naming when to run it", async () => {
    seen.length = 0;
    failExports = true;
    await awaitingProposal('3371-2026-12-bbbbbbbbbbbb', '2026-12', '2026-12-20T01:00:00.000Z');
    const failed = await stipulate('2026-12');
    expect({ status: failed.status, error: failed.error }).toEqual({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
    });
    const kept = await lease.get();
    expect(kept).toMatchObject({ executionId: failed.executionArn, period: '2026-12' });
    expect(kept?.releasedAt).toBeDefined();

    failExports = false;
    const rerun = await stipulate('2026-12');
    expect({ status: rerun.status, error: rerun.error }).toEqual({
      status: 'FAILED',
      error: 'MasterWriteLeaseHeldError',
    });
    expect(rerun.cause).toContain(`jalankan ulang setelah ${kept?.expiresAt}`);
    // Refused at TakeMasterWriteLease: no unit of the rerun was exported.
    expect(seen.every((unit) => unit.lease?.executionId === failed.executionArn)).toBe(true);
  });
});
