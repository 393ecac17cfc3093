/**
 * The project's own ASL files (state-machines/*.asl.json) executed by the local runtime with scripted
 * functions: the JSONata of every path used here evaluates, and the workflows take the documented routes.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { localSubstitutions } from '#local/functions.ts';
import { ManualClock } from '#local/sfn/clock.ts';
import type { Json } from '#local/sfn/definition.ts';
import { type ExportRegencyInput, KEYS } from '#shared/contracts.ts';
import { harnessPerTest, memoryObjects, ScriptedInvoker } from './harness.ts';
import { scriptedResolve } from './scripted-resolve.ts';

const harnesses = harnessPerTest();

async function definitionText(file: string): Promise<string> {
  const substitutions: Record<string, string> = { ...localSubstitutions(), ApprovalTimeoutSeconds: '1209600' };
  const text = await readFile(new URL(`../../../state-machines/${file}`, import.meta.url), 'utf8');
  return text.replace(/\$\{([A-Za-z]+)\}/g, (_whole, name: string) => substitutions[name] ?? `MISSING-${name}`);
}

const uploadEvent = {
  detail: {
    bucket: { name: 'dtks-proposals' },
    object: { key: 'proposals/3371/2026-11/usulan.csv', size: 1200, etag: 'abc' },
  },
};

function proposalFunctions(recordOutcome: Json[]): ScriptedInvoker {
  return new ScriptedInvoker({
    'dtks-ingest': () => ({ outcome: 'RECEIVED', proposalId: 'P-3371-2026-11-1' }),
    'dtks-check-integrity': () => ({ accepted: 8, returned: 2, reportKey: 'reports/3371/P/laporan.csv' }),
    'dtks-request-approval': () => ({ opened: true }),
    'dtks-await-stipulation': () => ({ queued: true }),
    // Stands in for the check against the recorded decision: these tests send only recorded ones.
    'dtks-verify-decision': (payload) => (payload as { received: Json }).received,
    'dtks-record-outcome': (payload) => {
      recordOutcome.push(payload);
      return { status: (payload as { status: string }).status };
    },
  });
}

describe('state-machines/proposal.asl.json on the local runtime', () => {
  it('runs an upload through both approvals and the stipulation release to STIPULATED', async () => {
    const outcomes: Json[] = [];
    const harness = await harnesses.start({
      machines: { Proposal: await definitionText('proposal.asl.json') },
      invoker: proposalFunctions(outcomes),
    });
    const arn = await harness.start('Proposal', uploadEvent);
    const regency = await harness.runtime.waitForPendingTask(arn, 'AwaitRegencyApproval');
    expect(harness.invoker.callsTo('dtks-ingest')[0]?.payload).toEqual({
      bucket: 'dtks-proposals',
      key: 'proposals/3371/2026-11/usulan.csv',
      etag: 'abc',
      size: 1200,
      executionId: arn,
    });
    expect(harness.invoker.callsTo('dtks-request-approval')[0]?.payload).toEqual({
      proposalId: 'P-3371-2026-11-1',
      level: 'REGENCY',
      taskToken: regency.taskToken,
    });
    const decision = { decision: 'APPROVE', decidedBy: 'bupati', note: 'ok', exclusions: [] };
    await harness.runtime.sendTaskSuccess({
      taskToken: regency.taskToken,
      output: JSON.stringify({ ...decision, level: 'REGENCY' }),
    });
    const province = await harness.runtime.waitForPendingTask(arn, 'AwaitProvinceApproval');
    await harness.runtime.sendTaskSuccess({
      taskToken: province.taskToken,
      output: JSON.stringify({ ...decision, level: 'PROVINCE' }),
    });
    const release = await harness.runtime.waitForPendingTask(arn, 'AwaitStipulation');
    await harness.runtime.sendTaskSuccess({
      taskToken: release.taskToken,
      output: JSON.stringify({ outcome: 'STIPULATED', period: '2026-11', applied: 8, returnedRows: 0 }),
    });
    expect((await harness.runtime.waitForStatus(arn)).status).toBe('SUCCEEDED');
    expect(outcomes).toEqual([
      {
        proposalId: 'P-3371-2026-11-1',
        status: 'STIPULATED',
        reason: 'Ditetapkan pada periode 2026-11: 8 baris diterapkan, 0 baris dikembalikan',
      },
    ]);
  });

  it('records REJECTED with the level and note of the approver', async () => {
    const outcomes: Json[] = [];
    const harness = await harnesses.start({
      machines: { Proposal: await definitionText('proposal.asl.json') },
      invoker: proposalFunctions(outcomes),
    });
    const arn = await harness.start('Proposal', uploadEvent);
    const { taskToken } = await harness.runtime.waitForPendingTask(arn, 'AwaitRegencyApproval');
    await harness.runtime.sendTaskSuccess({
      taskToken,
      output: JSON.stringify({ decision: 'REJECT', level: 'REGENCY', decidedBy: 'kadinsos', note: 'data ganda' }),
    });
    await harness.runtime.waitForStatus(arn);
    expect(outcomes).toEqual([
      {
        proposalId: 'P-3371-2026-11-1',
        status: 'REJECTED',
        reason: 'Ditolak pada tingkat kabupaten/kota oleh kadinsos: data ganda',
      },
    ]);
  });

  it('records EXPIRED when the regency approval period passes', async () => {
    const outcomes: Json[] = [];
    const clock = new ManualClock();
    const harness = await harnesses.start({
      machines: { Proposal: await definitionText('proposal.asl.json') },
      invoker: proposalFunctions(outcomes),
      clock,
    });
    const arn = await harness.start('Proposal', uploadEvent);
    await harness.runtime.waitForPendingTask(arn, 'AwaitRegencyApproval');
    await clock.advance(14 * 24 * 3600 * 1000);
    await harness.runtime.waitForStatus(arn);
    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'EXPIRED',
        reason: 'Batas waktu persetujuan tingkat kabupaten/kota terlewati',
      }),
    ]);
  });
});

/**
 * What an ExportRegency returning its whole part record would hand the Map: three files of about 160
 * bytes each. The workflow must keep only the summary whatever the handler returns.
 */
function exportedRegency(payload: Json) {
  const { period, regency, province } = payload as unknown as ExportRegencyInput;
  const records = Number(regency);
  const file = (tier: string, key: string) => ({ key, tier, records, bytes: 1_048_576, sha256: 'f'.repeat(64) });
  return {
    regency,
    province,
    records,
    files: [
      file('full', KEYS.exportPart(period, province, regency)),
      file('pseudonymised', KEYS.pseudonymisedPart(period, province, regency)),
      file('csv', KEYS.regencyCsv(period, regency)),
    ],
  };
}

describe('state-machines/stipulation.asl.json on the local runtime', () => {
  it('derives the closing period in Asia/Jakarta, applies in slices, exports per regency and releases', async () => {
    // 1 December 2026 00:05 in Jakarta (UTC+7) closes November.
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 17, 5));
    const storage = memoryObjects();
    const bucket = 'dtks-proposals';
    const invoker = new ScriptedInvoker({
      'dtks-stipulation-collect': async () => {
        const body = JSON.stringify([{ proposalId: 'A' }, { proposalId: 'B' }]);
        await storage.putObject({ bucket, key: KEYS.proposalList('2026-11'), body, contentType: '' });
        return { proposalsBucket: bucket, proposalsKey: KEYS.proposalList('2026-11'), proposalCount: 2 };
      },
      'dtks-quality-control-include': (payload) => ({ ...(payload as object), screened: true, open: 0 }),
      ...scriptedResolve(storage, bucket, '2026-11'),
      // Below the guard's thresholds: no sign-off asked (test/functions/stipulation/guard.test.ts has the hold).
      'dtks-stipulation-guard': () => ({ signOffRequired: false }),
      'dtks-stipulation-apply': (payload) => {
        const { offset } = payload as { offset: number };
        return { offset: offset + 2, applied: Math.min(2, 3 - offset), done: offset + 2 >= 3 };
      },
      'dtks-stipulation-list-regencies': async () => {
        const items = [
          { period: '2026-11', regency: '3371', province: '33' },
          { period: '2026-11', regency: '3372', province: '33', carryFrom: '2026-10' },
        ];
        await storage.putObject({
          bucket,
          key: KEYS.exportList('2026-11'),
          body: JSON.stringify(items),
          contentType: '',
        });
        return { regenciesKey: KEYS.exportList('2026-11'), counts: { regencies: 2, changed: 1, carried: 1 } };
      },
      'dtks-stipulation-export-regency': exportedRegency,
      'dtks-stipulation-finalise-export': () => ({ manifestKey: 'exports/period=2026-11/manifest.json' }),
      'dtks-stipulation-release': () => ({ released: true }),
      'dtks-stipulation-record-period': (payload) => payload,
    });
    const harness = await harnesses.start({
      machines: { Stipulation: await definitionText('stipulation.asl.json') },
      invoker,
      clock,
      objects: storage,
    });
    const result = await harness.run('Stipulation', {});
    expect(result.status).toBe('SUCCEEDED');
    expect(invoker.callsTo('dtks-stipulation-collect')[0]?.payload).toEqual({ period: '2026-11' });
    expect(
      invoker.callsTo('dtks-stipulation-apply').map((call) => (call.payload as { offset: number }).offset),
    ).toEqual([0, 2]);
    // The distributed Map's children run in any order within MaxConcurrency: compared as sets.
    expect(
      invoker
        .callsTo('dtks-stipulation-export-regency')
        .map((call) => call.payload)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { period: '2026-11', regency: '3371', province: '33' },
      { period: '2026-11', regency: '3372', province: '33', carryFrom: '2026-10' },
    ]);
    expect(invoker.callsTo('dtks-stipulation-finalise-export')[0]?.payload).toEqual({
      period: '2026-11',
      carriedForward: false,
      proposalsKey: KEYS.proposalList('2026-11'),
      regenciesKey: KEYS.exportList('2026-11'),
    });
    expect(invoker.callsTo('dtks-stipulation-release')).toHaveLength(2);
    expect(invoker.callsTo('dtks-stipulation-record-period')[0]?.payload).toMatchObject({
      period: '2026-11',
      carriedForward: false,
      changes: 3,
      applied: 3,
    });
  });
});

describe('state-machines/quality-control.asl.json on the local runtime', () => {
  it('derives the open period in Asia/Jakarta, screens each regency of the list in a child execution and summarises from the list', async () => {
    // 1 December 2026 00:05 in Jakarta (UTC+7): the open month is December, the one the next stipulation closes.
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 17, 5));
    const storage = memoryObjects();
    const bucket = 'dtks-proposals';
    const invoker = new ScriptedInvoker({
      'dtks-quality-control-regencies': async (payload) => {
        const { period } = payload as { period: string };
        const items = ['3371', '3372', '3308'].map((regency) => ({ period, regency }));
        const regenciesKey = KEYS.qualityControlList(period);
        await storage.putObject({ bucket, key: regenciesKey, body: JSON.stringify(items), contentType: '' });
        return { period, regenciesBucket: bucket, regenciesKey, regencies: items.length };
      },
      'dtks-quality-control-screen': (payload) => ({ ...(payload as { regency: string }), open: 1, extra: 'x' }),
      'dtks-quality-control-summarise': (payload) => ({ ...(payload as object), counts: { openTotal: 3 } }),
    });
    const harness = await harnesses.start({
      machines: { QualityControl: await definitionText('quality-control.asl.json') },
      invoker,
      clock,
      objects: storage,
    });
    const result = await harness.run('QualityControl', {});
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(invoker.callsTo('dtks-quality-control-regencies')[0]?.payload).toMatchObject({ period: '2026-12' });
    // The distributed Map's children run in any order within MaxConcurrency: compared as sets.
    expect(
      invoker
        .callsTo('dtks-quality-control-screen')
        .map((call) => (call.payload as { regency: string }).regency)
        .sort(),
    ).toEqual(['3308', '3371', '3372']);
    expect(invoker.callsTo('dtks-quality-control-screen')[0]?.payload).toMatchObject({ period: '2026-12' });
    expect(invoker.callsTo('dtks-quality-control-summarise')[0]?.payload).toEqual({
      period: '2026-12',
      regenciesKey: KEYS.qualityControlList('2026-12'),
      executionId: result.executionArn,
    });
    // The children's open totals went to S3 (ResultWriter), beside the list.
    const written = [...storage.objects.keys()].filter((key) =>
      key.startsWith(`${bucket}/${KEYS.qualityControlResults('2026-12')}`),
    );
    expect(written.length).toBeGreaterThan(0);
  });

  it('fails the run when a regency fails (tolerated failures 0), and screens an operator-given period', async () => {
    const storage = memoryObjects();
    const bucket = 'dtks-proposals';
    const invoker = new ScriptedInvoker({
      'dtks-quality-control-regencies': async (payload) => {
        const { period } = payload as { period: string };
        const regenciesKey = KEYS.qualityControlList(period);
        const items = ['3371', '3372'].map((regency) => ({ period, regency }));
        await storage.putObject({ bucket, key: regenciesKey, body: JSON.stringify(items), contentType: '' });
        return { period, regenciesBucket: bucket, regenciesKey, regencies: 2 };
      },
      'dtks-quality-control-screen': (payload) => {
        if ((payload as { regency: string }).regency === '3372') {
          throw Object.assign(new Error('tabel tidak dapat dibaca'), { name: 'ValidationError' });
        }
        return { regency: '3371', open: 0 };
      },
      'dtks-quality-control-summarise': () => ({ counts: { openTotal: 0 } }),
    });
    const harness = await harnesses.start({
      machines: { QualityControl: await definitionText('quality-control.asl.json') },
      invoker,
      objects: storage,
    });
    const result = await harness.run('QualityControl', { period: '2027-01' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(invoker.callsTo('dtks-quality-control-regencies')[0]?.payload).toMatchObject({ period: '2027-01' });
    // Nothing summarised; the run's lease of the period given back.
    expect(invoker.callsTo('dtks-quality-control-summarise').map((call) => call.payload)).toEqual([
      { period: '2027-01', executionId: result.executionArn, release: true },
    ]);
  });

  it('ends a run superseded by a newer run of the period without screening anything', async () => {
    const invoker = new ScriptedInvoker({
      'dtks-quality-control-regencies': (payload) => ({
        period: (payload as { period: string }).period,
        superseded: true,
        regenciesBucket: 'dtks-proposals',
        regenciesKey: KEYS.qualityControlList('2027-01'),
        regencies: 0,
      }),
    });
    const harness = await harnesses.start({
      machines: { QualityControl: await definitionText('quality-control.asl.json') },
      invoker,
    });
    const result = await harness.run('QualityControl', { period: '2027-01' });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const [listed] = invoker.callsTo('dtks-quality-control-regencies');
    expect(listed?.payload).toEqual({
      period: '2027-01',
      executionId: result.executionArn,
      startedAt: expect.any(String),
    });
    expect(invoker.callsTo('dtks-quality-control-screen')).toHaveLength(0);
    expect(invoker.callsTo('dtks-quality-control-summarise')).toHaveLength(0);
  });
});
