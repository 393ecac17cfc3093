/**
 * state-machines/stipulation.asl.json at national scale on the local runtime, with scripted functions:
 * a period of 4,100 proposals (past the ~4,000 whose list filled the 256 KiB payload) and the 514
 * regencies of Indonesia. The lists travel through S3 (Collect's proposals, ListRegencies' regencies),
 * the exports and the releases run as distributed Maps over them with their results written to S3, and
 * no state's input or output grows with either list.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { localSubstitutions } from '#local/functions.ts';
import type { Json } from '#local/sfn/definition.ts';
import { KEYS } from '#shared/contracts.ts';
import { harnessPerTest, memoryObjects, ScriptedInvoker } from './harness.ts';
import { scriptedResolve } from './scripted-resolve.ts';

const harnesses = harnessPerTest();
const PERIOD = '2026-11';
const BUCKET = 'dtks-proposals';

async function definitionText(): Promise<string> {
  const substitutions: Record<string, string> = { ...localSubstitutions(), ApprovalTimeoutSeconds: '1209600' };
  const text = await readFile(new URL('../../../state-machines/stipulation.asl.json', import.meta.url), 'utf8');
  return text.replace(/\$\{([A-Za-z]+)\}/g, (_whole, name: string) => substitutions[name] ?? `MISSING-${name}`);
}

/** The 514 regencies of Indonesia in 38 provinces: codes need not exist, only their number and shape matter. */
const REGENCIES = Array.from({ length: 514 }, (_, i) => {
  const province = String(11 + Math.floor(i / 14)).padStart(2, '0');
  return { regency: `${province}${String((i % 14) + 1).padStart(2, '0')}`, province };
});

function stipulationFunctions(storage: ReturnType<typeof memoryObjects>, proposals: number): ScriptedInvoker {
  const refs = Array.from({ length: proposals }, (_, i) => ({
    proposalId: `P-3371-${PERIOD}-${String(i).padStart(6, '0')}`,
    regency: '3371',
  }));
  return new ScriptedInvoker({
    'dtks-stipulation-collect': async () => {
      const proposalsKey = KEYS.proposalList(PERIOD);
      await storage.putObject({ bucket: BUCKET, key: proposalsKey, body: JSON.stringify(refs), contentType: '' });
      return { period: PERIOD, proposalsBucket: BUCKET, proposalsKey, proposalCount: refs.length };
    },
    ...scriptedResolve(storage, BUCKET, PERIOD),
    'dtks-quality-control-include': (payload) => ({ ...(payload as object), screened: true, open: 0 }),
    'dtks-stipulation-guard': () => ({ signOffRequired: false }),
    'dtks-stipulation-apply': (payload) => {
      const { offset } = payload as { offset: number };
      return { offset: offset + 2, applied: Math.min(2, 3 - offset), done: offset + 2 >= 3 };
    },
    'dtks-stipulation-list-regencies': async () => {
      const items = REGENCIES.map(({ regency, province }, i) => ({
        period: PERIOD,
        regency,
        province,
        ...(i % 3 ? { carryFrom: '2026-10' } : {}),
      }));
      const regenciesKey = KEYS.exportList(PERIOD);
      await storage.putObject({ bucket: BUCKET, key: regenciesKey, body: JSON.stringify(items), contentType: '' });
      return { period: PERIOD, regenciesKey, regencies: items, counts: { regencies: items.length } };
    },
    // What a handler returning its whole part record would hand back: the Map keeps only the summary.
    'dtks-stipulation-export-regency': (payload) => {
      const { regency, province } = payload as { regency: string; province: string };
      return { regency, province, records: Number(regency), files: [{ key: 'x', sha256: 'f'.repeat(64) }] };
    },
    'dtks-stipulation-finalise-export': () => ({ manifestKey: KEYS.manifest(PERIOD), records: 1 }),
    'dtks-stipulation-release': (payload) => ({ ...(payload as object), outcome: 'STIPULATED' }),
    'dtks-stipulation-record-period': (payload) => payload,
  });
}

describe('state-machines/stipulation.asl.json at national scale on the local runtime', () => {
  it(`stipulates a period of 4,100 proposals over the 514 regencies, no list in any payload`, async () => {
    const storage = memoryObjects();
    const invoker = stipulationFunctions(storage, 4100);
    const harness = await harnesses.start({
      machines: { Stipulation: await definitionText() },
      invoker,
      objects: storage,
    });
    const executionArn = await harness.start('Stipulation', { period: PERIOD });
    const result = await harness.runtime.waitForStatus(executionArn, undefined, 280_000);
    expect({ status: result.status, error: result.error, cause: result.cause }).toMatchObject({ status: 'SUCCEEDED' });

    // Resolve's plan, FinaliseExport and RecordPeriod get the list's key, never the list; the shards the plan's key.
    expect(invoker.callsTo('dtks-stipulation-resolve-plan')[0]?.payload).toEqual({
      period: PERIOD,
      proposalsKey: KEYS.proposalList(PERIOD),
    });
    const shards = invoker.callsTo('dtks-stipulation-resolve').map((call) => call.payload as { shard: number });
    expect(shards.sort((a, b) => a.shard - b.shard)).toEqual(
      [0, 1, 2, 3].map((shard) => ({ period: PERIOD, shard, shards: 4, planKey: KEYS.resolutionPlan(PERIOD) })),
    );
    expect(invoker.callsTo('dtks-stipulation-resolve-summary')[0]?.payload).toEqual({
      period: PERIOD,
      shards: 4,
      planKey: KEYS.resolutionPlan(PERIOD),
    });
    expect(invoker.callsTo('dtks-stipulation-finalise-export')[0]?.payload).toEqual({
      period: PERIOD,
      carriedForward: false,
      proposalsKey: KEYS.proposalList(PERIOD),
      regenciesKey: KEYS.exportList(PERIOD),
    });
    expect(invoker.callsTo('dtks-stipulation-record-period')[0]?.payload).toMatchObject({
      period: PERIOD,
      proposalsKey: KEYS.proposalList(PERIOD),
      changes: 3,
      applied: 3,
      export: { manifestKey: KEYS.manifest(PERIOD) },
    });

    // Each regency is one child of the export Map, its list item as its whole input (carryFrom included).
    const exports = invoker.callsTo('dtks-stipulation-export-regency').map((call) => call.payload as Json);
    expect(exports).toHaveLength(514);
    expect(exports).toContainEqual({ period: PERIOD, regency: '1101', province: '11' });
    expect(exports).toContainEqual({ period: PERIOD, regency: '1102', province: '11', carryFrom: '2026-10' });
    // Each proposal is one child of the release Map, with the period from this execution (ItemSelector).
    const releases = invoker.callsTo('dtks-stipulation-release').map((call) => call.payload as Json);
    expect(releases).toHaveLength(4100);
    expect(new Set(releases.map((release) => (release as { proposalId: string }).proposalId)).size).toBe(4100);
    expect(releases[0]).toEqual({ period: PERIOD, proposalId: expect.stringMatching(/^P-3371-2026-11-/) });

    const { mapRuns } = harness.runtime.listMapRuns({ executionArn });
    // ResolveShards, CompareShards, ApplyShards, ExportRegencies, ReleaseProposals.
    expect(mapRuns).toHaveLength(5);
    for (const { mapRunArn } of mapRuns) {
      const run = harness.runtime.describeMapRun({ mapRunArn });
      expect(run).toMatchObject({ status: 'SUCCEEDED', toleratedFailurePercentage: 0 });
    }
    // The children's results are in S3, beside the lists.
    const results = [...storage.objects.keys()].filter((key) => key.endsWith('/manifest.json'));
    expect(results.map((key) => key.split('/').slice(1, 4).join('/')).sort()).toEqual([
      `stipulation/${PERIOD}/export-results`,
      `stipulation/${PERIOD}/guard-results`,
      `stipulation/${PERIOD}/release-results`,
      `stipulation/${PERIOD}/resolution`,
    ]);
    expect(
      results.every(
        (key) =>
          key.startsWith(`${BUCKET}/${KEYS.exportResults(PERIOD)}/`) ||
          key.startsWith(`${BUCKET}/${KEYS.releaseResults(PERIOD)}/`) ||
          key.startsWith(`${BUCKET}/${KEYS.resolutionResults(PERIOD)}/`) ||
          key.startsWith(`${BUCKET}/${KEYS.guardResults(PERIOD)}/`),
      ),
    ).toBe(true);

    // No event of the execution's history carries either list: the largest is far below the 256 KiB limit.
    const { events } = harness.runtime.getExecutionHistory({
      executionArn,
      includeExecutionData: true,
      maxResults: 1000,
    });
    const largest = Math.max(...events.map((event) => JSON.stringify(event).length));
    expect(largest).toBeLessThan(48 * 1024);
  }, 300_000);
});
