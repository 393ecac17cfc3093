/**
 * The national projection's model (bench/national-model.ts): the arithmetic the printed table rests on.
 * No timing is measured here; the figures are the model's own.
 */
import { describe, expect, it } from 'vitest';
import {
  type Capacity,
  computeSeconds,
  DEFAULT_QUOTAS,
  type Design,
  exportUnits,
  fitCost,
  MEASURED_STAGES,
  type Measurements,
  type NationalFigures,
  nationalStages,
  type Prices,
  projectMonth,
  projectStage,
  QUALITY_CONTROL,
  qualityControlStage,
  STAGE_NAMES,
  type StageInput,
  TARGET_SECONDS,
  tokenBucketSeconds,
  vcpuShare,
  warmThroughputAboveQuota,
  warmThroughputCost,
} from '../../bench/national-model.ts';

const PRICES: Prices = {
  perMillionStateTransitions: 25,
  perMillionLambdaRequests: 0.2,
  perLambdaGbSecond: 0.0000166667,
  perMillionWriteRequestUnits: 0.625,
  perMillionReadRequestUnits: 0.125,
  perThousandS3Puts: 0.005,
  perThousandS3Gets: 0.0004,
};

const CAPACITY: Capacity = {
  quotas: DEFAULT_QUOTAS,
  warm: {},
  assumptions: { s3BytesPerSecondPerInvocation: 1e9 },
};

function stage(fields: Partial<StageInput> = {}): StageInput {
  return {
    name: 'export units',
    unit: 'persons',
    records: 1_000_000,
    invocations: 100,
    concurrency: 10,
    chainRecords: 10_000,
    chainInvocations: 1,
    largestInvocationRecords: 10_000,
    recordsPerSecond: 1000,
    secondsPerInvocation: 0,
    memoryMb: 1024,
    stateTransitions: 0,
    sendTasks: 0,
    tables: [],
    s3Puts: 0,
    s3Gets: 0,
    s3Prefixes: 1,
    chainS3Bytes: 0,
    requests: {},
    ...fields,
  };
}

/** The design as the lead decided it (64 shards, every lever built, 40,000 warm on the tables the stack warms). */
const BUILT: Design = {
  shards: 64,
  resolveConcurrency: 64,
  qualityControlConcurrency: 100,
  compareConcurrency: 64,
  activeFromManifest: true,
  lease: true,
  applyConcurrency: 64,
  applySlice: 20_000,
  applyWriteUnitsPerSecond: 40_000,
  batchWriteItems: 25,
  exportConcurrency: 200,
  exportUnitMaxPersons: 1_000_000,
  releaseConcurrency: 50,
  proposalTransitionsPerRelease: 4,
  memoryMb: {},
  warm: {
    master: { read: 40_000, write: 40_000 },
    'master byRegency': { read: 40_000, write: 40_000 },
    'master byFamily': { read: 40_000, write: 40_000 },
    'master byIdentity': { read: 40_000, write: 40_000 },
    population: { read: 40_000, write: 40_000 },
  },
};

/** What the workflow was before issue 12's levers: one Resolve, an inline screening, one guard, one apply loop. */
const UNBUILT: Design = {
  shards: 1,
  inlineQualityControlConcurrency: 10,
  qualityControlConcurrency: 10,
  activeFromManifest: false,
  lease: false,
  applySlice: 20_000,
  applyWriteUnitsPerSecond: 4000,
  batchWriteItems: 25,
  exportConcurrency: 40,
  releaseConcurrency: 50,
  proposalTransitionsPerRelease: 4,
  memoryMb: {},
  warm: {},
};

const MEASURED: Measurements = {
  stages: Object.fromEntries(
    MEASURED_STAGES.map((name) => [
      name,
      {
        recordsPerSecond: 10_000,
        transitionsPerItem: 1,
        fixedTransitions: 2,
        peakRssMb: 100,
        secondsPerInvocation: 0,
        secondsPerProposal: 0,
      },
    ]),
  ) as Measurements['stages'],
  masterItemBytes: 700,
  registryItemBytes: 300,
  acceptedRowBytes: 500,
  filesPerRegency: 4,
  secondsPerInvocation: 0,
  memoryMb: 1769,
};

const NATION: NationalFigures = {
  persons: 64_000_000,
  families: 16_000_000,
  regencies: 100,
  changedShare: 0.02,
  changedRegencies: 100,
  proposals: 300,
  largestRegencyPersons: 2_000_000,
};

function byName(stages: readonly StageInput[]): Map<string, StageInput> {
  return new Map(stages.map((each) => [each.name, each]));
}

describe('the national projection model', () => {
  it('names as binding the limit that takes longest', () => {
    const projected = projectStage(
      stage({
        // Lambda: 1,000,000 / 1,000 / 10 = 100 s; writes: 800,000 / 4,000 (a new table) = 200 s;
        // transitions: (3,300 - 800) / 500 = 5 s.
        tables: [{ table: 'master', readUnits: 0, writeUnits: 800_000 }],
        stateTransitions: 3300,
      }),
      CAPACITY,
    );
    expect(projected.binding.name).toContain('DynamoDB master writes (4,000 WRU/s warm)');
    expect(projected.seconds).toBe(200);
    expect(Math.max(...projected.limits.map((limit) => limit.seconds))).toBe(projected.seconds);
    expect(projected.limits.find((limit) => limit.name.startsWith('Step Functions state'))?.seconds).toBe(5);
  });

  it("takes a table's warm throughput from the stack, a new table's where it sets none", () => {
    const traffic = stage({ tables: [{ table: 'master', readUnits: 0, writeUnits: 800_000 }] });
    const warmed = projectStage(traffic, { ...CAPACITY, warm: { master: { read: 40_000, write: 40_000 } } });
    // 800,000 / 40,000 = 20 s: the Lambda limit (100 s) binds now.
    expect(warmed.limits.find((limit) => limit.name.includes('master writes'))?.seconds).toBe(20);
    expect(warmed.binding.name).toMatch(/^Lambda/);
  });

  it("binds on one partition's limit when one key takes the traffic", () => {
    const projected = projectStage(
      stage({
        records: 1000,
        tables: [
          {
            table: 'master byRegency',
            readUnits: 0,
            writeUnits: 400_000,
            hottestKey: { readUnits: 0, writeUnits: 300_000, what: 'the largest regency' },
          },
        ],
      }),
      { ...CAPACITY, warm: { 'master byRegency': { read: 40_000, write: 40_000 } } },
    );
    // The index: 400,000 / 40,000 = 10 s; its hottest key: 300,000 / 1,000 = 300 s.
    expect(projected.binding.name).toContain("one partition's writes (the largest regency");
    expect(projected.seconds).toBe(300);
  });

  it('scales a stage bounded by Lambda concurrency with the concurrency, down to its longest chain', () => {
    const wide = stage({ records: 10_000_000, invocations: 4000, concurrency: 4000, chainRecords: 2500 });
    // 10,000 s of work: 1,000 at a time (the account's default) → 10 s; with 500 → 20 s.
    expect(computeSeconds(wide, DEFAULT_QUOTAS)).toBe(10);
    expect(computeSeconds(wide, { ...DEFAULT_QUOTAS, lambdaConcurrency: 500 })).toBe(20);
    // Unbounded concurrency cannot go below the longest chain (2.5 s).
    expect(computeSeconds(wide, { ...DEFAULT_QUOTAS, lambdaConcurrency: 1_000_000 })).toBe(2.5);
    expect(projectStage(wide, CAPACITY).binding.name).toMatch(/^Lambda/);
  });

  it('counts a looping child as one chain: its slices one after another', () => {
    // 64 children at once over 64 × 100,000 records, each looping 5 slices of 20,000 at 1,000/s and 1 s a slice.
    const looped = stage({
      records: 6_400_000,
      invocations: 320,
      concurrency: 64,
      chainRecords: 100_000,
      chainInvocations: 5,
      largestInvocationRecords: 20_000,
      secondsPerInvocation: 1,
    });
    expect(computeSeconds(looped, DEFAULT_QUOTAS)).toBe(105);
    // Each slice takes 21 s: far below Lambda's 15 minutes, although the chain takes 105 s.
    expect(projectStage(looped, CAPACITY).largestInvocationSeconds).toBe(21);
  });

  it('spends the token bucket burst before the refill rate', () => {
    expect(tokenBucketSeconds(800, 800, 500)).toBe(0);
    expect(tokenBucketSeconds(1800, 800, 500)).toBe(2);
  });

  it('flags an invocation longer than Lambda allows', () => {
    const single = projectStage(
      stage({
        invocations: 1,
        concurrency: 1,
        records: 2_000_000,
        chainRecords: 2_000_000,
        largestInvocationRecords: 2_000_000,
      }),
      CAPACITY,
    );
    expect(single.largestInvocationSeconds).toBe(2000);
    expect(single.exceedsLambdaTimeout).toBe(true);
  });

  it('flags a stage above the 15-minute target, and a month above it', () => {
    // 1,000,000 records at 1,000/s, 1 in flight: 1,000 s > 900 s.
    const slow = stage({ name: 'apply shards', invocations: 50, concurrency: 1, chainRecords: 20_000 });
    const fast = stage({ name: 'collect' });
    expect(projectStage(slow, CAPACITY).exceedsTarget).toBe(true);
    expect(projectStage(fast, CAPACITY).exceedsTarget).toBe(false);
    const month = projectMonth([fast, slow], CAPACITY, PRICES);
    expect(month.seconds).toBe(1100);
    expect(month.seconds > TARGET_SECONDS).toBe(true);
    expect(month.meetsTarget).toBe(false);
    expect(month.binding.stage).toBe('apply shards');
  });

  it('adds the stages up, names the slowest one and prices the requests', () => {
    const month = projectMonth(
      [
        stage({ name: 'a', records: 100_000, stateTransitions: 1_000_000 }),
        stage({ name: 'b', tables: [{ table: 'master', readUnits: 2_000_000, writeUnits: 1_000_000 }] }),
      ],
      CAPACITY,
      PRICES,
    );
    // a: max(100,000 / 1,000 / 10 = 10 s, (1,000,000 - 800) / 500 = 1,998.4 s); b: max(100 s, 250 s, 166.7 s).
    expect(month.stages.map((each) => each.seconds)).toEqual([1998.4, 250]);
    expect(month.seconds).toBeCloseTo(2248.4, 6);
    expect(month.binding.stage).toBe('a');
    expect(month.cost.stepFunctions).toBeCloseTo(25, 6);
    expect(month.cost.dynamodb).toBeCloseTo(2 * 0.125 + 0.625, 6);
    expect(month.totals.invocations).toBe(200);
  });

  it('prices the warm throughput raised above a new table once, and says when no price is known', () => {
    const warm = { master: { read: 40_000, write: 40_000 } };
    expect(warmThroughputCost(warm, DEFAULT_QUOTAS, PRICES)).toBeUndefined();
    // (40,000 - 12,000) reads × 0.001 + (40,000 - 4,000) writes × 0.002.
    expect(
      warmThroughputCost(warm, DEFAULT_QUOTAS, { ...PRICES, perWarmReadUnit: 0.001, perWarmWriteUnit: 0.002 }),
    ).toBeCloseTo(28 + 72, 6);
    expect(warmThroughputAboveQuota(warm, DEFAULT_QUOTAS)).toEqual([]);
    expect(warmThroughputAboveQuota({ population: { read: 80_000, write: 1 } }, DEFAULT_QUOTAS)).toEqual([
      'population',
    ]);
  });

  it("splits an invocation's own CPU from its records' from two months of the same invocations", () => {
    // 64 invocations of 50 ms each, and 0.1 ms a record: 1,000 and 4,000 records.
    const fitted = fitCost(
      { invocations: 64, records: 1000, cpuSeconds: 64 * 0.05 + 1000 * 0.0001 },
      { invocations: 64, records: 4000, cpuSeconds: 64 * 0.05 + 4000 * 0.0001 },
    );
    expect(fitted?.recordsPerSecond).toBeCloseTo(10_000, 6);
    expect(fitted?.secondsPerInvocation).toBeCloseTo(0.05, 9);
    // Other invocation counts, or noise that makes a cost negative: no fit.
    expect(
      fitCost({ invocations: 4, records: 10, cpuSeconds: 1 }, { invocations: 8, records: 40, cpuSeconds: 2 }),
    ).toBe(undefined);
    expect(
      fitCost({ invocations: 4, records: 10, cpuSeconds: 2 }, { invocations: 4, records: 40, cpuSeconds: 1 }),
    ).toBeUndefined();
  });

  it('splits a large regency into export units (an upper bound: one per regency and one per full unit)', () => {
    expect(exportUnits(514, 289_000_000, undefined)).toBe(514);
    expect(exportUnits(514, 289_000_000, 1_000_000)).toBe(803);
    expect(exportUnits(0, 0, 1_000_000)).toBe(0);
  });

  it('builds the stipulation of the design as built: its stages in order, each bound by what binds it', () => {
    const stages = nationalStages(NATION, BUILT, MEASURED);
    expect(stages.map((each) => each.name)).toEqual([...STAGE_NAMES]);
    const named = byName(stages);
    const capacity: Capacity = { ...CAPACITY, warm: BUILT.warm };
    const projected = new Map(stages.map((each) => [each.name, projectStage(each, capacity)]));
    // 1,280,000 changes; 64 shards of 20,000.
    const resolve = named.get('resolve shards') as StageInput;
    // Every child scans every row: 64 × 1,280,000 rows; the longest chain one child's scan (128 s at 10,000/s).
    expect(resolve.records).toBe(64 * 1_280_000);
    expect(resolve.invocations).toBe(64);
    expect(resolve.s3Gets).toBe(64 * 300);
    expect(projected.get('resolve shards')?.seconds).toBe(128);
    expect(projected.get('resolve shards')?.binding.name).toMatch(/^Lambda/);

    // Apply: 64 children share 40,000 WRU/s: 625 each, one WRU per 700-byte change, slower than the CPU.
    const apply = named.get('apply shards') as StageInput;
    expect(apply.recordsPerSecond).toBe(625);
    expect(apply.pacedBy).toBe("Apply's write pace (40,000 WRU/s shared by 64)");
    expect(apply.chainRecords).toBe(20_000);
    expect(apply.requests.BatchWriteItem).toBe(1_280_000 / 25);
    // The master and its three indexes each take every change once.
    expect(apply.tables.map((traffic) => [traffic.table, traffic.writeUnits])).toEqual([
      ['master', 1_280_000],
      ['master byRegency', 1_280_000],
      ['master byFamily', 1_280_000],
      ['master byIdentity', 1_280_000],
    ]);
    // 20,000 / 625 = 32 s; each table 1,280,000 / 40,000 = 32 s; the largest regency (1/32 of the changes,
    // 40,000) on one byRegency key: 40 s at 1,000 WRU/s. The key binds.
    expect(projected.get('apply shards')?.seconds).toBe(40);
    expect(projected.get('apply shards')?.binding.name).toContain("byRegency one partition's writes");

    // Export: 100 regencies + 64 units of 1,000,000 at most; every person read through byRegency:
    // 64,000,000 × 700 B / 4 KB × 0.5 = 5,468,750 RRU at 40,000/s = 136.7 s.
    const exported = named.get('export units') as StageInput;
    expect(exported.invocations).toBe(164);
    expect(exported.chainRecords).toBe(1_000_000);
    expect(projected.get('export units')?.binding.name).toContain('byRegency reads (40,000 RRU/s warm)');
    expect(projected.get('export units')?.seconds).toBeCloseTo(5_468_750 / 40_000, 6);
    expect(named.get('carry-forward')?.invocations).toBe(0);
    expect(named.get('release')?.sendTasks).toBe(300);
    // The guard takes its counts from the previous manifest: no COUNT query, no table traffic.
    expect(named.get('guard summary')?.tables).toEqual([]);
    // The quality control is no stage of the stipulation here: including its results is one small read.
    expect(named.get('include QC')?.records).toBe(100);
    expect(named.get('include QC')?.tables).toEqual([]);
  });

  it("adds an invocation's fitted fixed cost, a Resolve child's per proposal it reads, and the released proposals' own transitions", () => {
    const fitted: Measurements = {
      ...MEASURED,
      secondsPerInvocation: 0.1,
      stages: {
        ...MEASURED.stages,
        'resolve shards': {
          ...MEASURED.stages['resolve shards'],
          secondsPerInvocation: 0.5,
          secondsPerProposal: 0.002,
        },
        'apply shards': { ...MEASURED.stages['apply shards'], secondsPerInvocation: 0.05 },
      },
    };
    const named = byName(nationalStages(NATION, BUILT, fitted));
    // 0.1 s round trip + 0.5 s + 300 proposals × 2 ms.
    expect(named.get('resolve shards')?.secondsPerInvocation).toBeCloseTo(1.2, 9);
    expect(named.get('apply shards')?.secondsPerInvocation).toBeCloseTo(0.15, 9);
    expect(named.get('collect')?.secondsPerInvocation).toBeCloseTo(0.1, 9);
    // 2 fixed + 1 per child for 300 children, and 4 per proposal of the proposal workflow.
    expect(named.get('release')?.stateTransitions).toBe(2 + 300 + 300 * 4);
  });

  it("runs a function at its memory's share of a vCPU (1,769 MB is one): its rate and its fixed cost scale with it", () => {
    const half: Design = { ...BUILT, memoryMb: { 'export units': 1769 / 2, 'apply shards': 4096 } };
    const fitted: Measurements = {
      ...MEASURED,
      stages: { ...MEASURED.stages, 'export units': { ...MEASURED.stages['export units'], secondsPerInvocation: 0.2 } },
    };
    const named = byName(nationalStages(NATION, half, fitted));
    expect(vcpuShare(1024)).toBeCloseTo(1024 / 1769, 9);
    expect(vcpuShare(4096)).toBe(1);
    expect(named.get('export units')?.recordsPerSecond).toBe(5000);
    expect(named.get('export units')?.secondsPerInvocation).toBeCloseTo(0.4, 9);
    expect(named.get('export units')?.memoryMb).toBe(1769 / 2);
    // Above one vCPU a single-threaded handler is no faster: still 10,000 a second (the pace binds Apply first).
    expect(named.get('apply shards')?.memoryMb).toBe(4096);
    expect(named.get('compare shards')?.recordsPerSecond).toBe(10_000);
  });

  it('projects the quality control apart, on its own machine: every person screened once', () => {
    const screening = qualityControlStage(NATION, BUILT, MEASURED);
    expect(screening.name).toBe(QUALITY_CONTROL);
    expect(screening.concurrency).toBe(100);
    // One registry read each (0.5 RRU, eventually consistent, under 4 KB): 32,000,000 RRU at 40,000/s = 800 s.
    expect(screening.tables.find((traffic) => traffic.table === 'population')?.readUnits).toBe(32_000_000);
    const projected = projectStage(screening, { ...CAPACITY, warm: BUILT.warm });
    expect(projected.binding.name).toContain('population reads');
    expect(projected.seconds).toBe(800);
  });

  it('models a lever that did not land as the workflow runs without it', () => {
    const stages = byName(nationalStages(NATION, UNBUILT, MEASURED));
    // One Resolve over every change; one guard with a COUNT query per regency; one apply loop at 4,000 WRU/s.
    expect(stages.get('resolve shards')?.invocations).toBe(1);
    expect(stages.get('resolve shards')?.chainRecords).toBe(1_280_000);
    expect(stages.get('compare shards')?.invocations).toBe(1);
    expect(stages.get('guard summary')?.tables.map((traffic) => traffic.table)).toEqual(['master byRegency']);
    expect(stages.get('lease')?.invocations).toBe(0);
    const apply = stages.get('apply shards') as StageInput;
    expect(apply.concurrency).toBe(1);
    expect(apply.invocations).toBe(64);
    expect(apply.chainInvocations).toBe(64);
    expect(apply.recordsPerSecond).toBe(4000);
    // The screening is on the stipulation's path: every person, in an inline Map of 10.
    const screening = stages.get('include QC') as StageInput;
    expect(screening.records).toBe(64_000_000);
    expect(screening.concurrency).toBe(10);
    const month = projectMonth([...stages.values()], CAPACITY, PRICES);
    expect(month.meetsTarget).toBe(false);
    expect(month.stages.find((each) => each.name === 'include QC')?.exceedsTarget).toBe(true);
  });
});
