/**
 * The national projection's model (bench/national-model.ts): the arithmetic the printed table rests on.
 * No timing is measured here; the figures are the model's own.
 */
import { describe, expect, it } from 'vitest';
import {
  computeSeconds,
  DEFAULT_QUOTAS,
  type Design,
  type Measurements,
  nationalStages,
  type Prices,
  projectMonth,
  projectStage,
  STAGE_NAMES,
  type StageInput,
  tokenBucketSeconds,
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

function stage(fields: Partial<StageInput> = {}): StageInput {
  return {
    name: 'export',
    unit: 'persons',
    records: 1_000_000,
    invocations: 100,
    concurrency: 10,
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
    ...fields,
  };
}

describe('the national projection model', () => {
  it('names as binding the limit that takes longest', () => {
    const projected = projectStage(
      stage({
        // Lambda: 1,000,000 / 1,000 / 10 = 100 s; writes: 800,000 / 4,000 = 200 s; transitions: (3,300 - 800) / 500 = 5 s.
        tables: [{ table: 'master', readUnits: 0, writeUnits: 800_000 }],
        stateTransitions: 3300,
      }),
      DEFAULT_QUOTAS,
    );
    expect(projected.binding.name).toContain('DynamoDB master writes');
    expect(projected.seconds).toBe(200);
    expect(Math.max(...projected.limits.map((limit) => limit.seconds))).toBe(projected.seconds);
    expect(projected.limits.find((limit) => limit.name.startsWith('Step Functions state'))?.seconds).toBe(5);
  });

  it('scales a stage bounded by Lambda concurrency with the concurrency, down to its largest invocation', () => {
    const wide = stage({ records: 10_000_000, invocations: 4000, concurrency: 4000, largestInvocationRecords: 2500 });
    // 10,000 s of work: 1,000 at a time (the account's default) → 10 s; with 500 → 20 s.
    expect(computeSeconds(wide, DEFAULT_QUOTAS)).toBe(10);
    expect(computeSeconds(wide, { ...DEFAULT_QUOTAS, lambdaConcurrency: 500 })).toBe(20);
    // Unbounded concurrency cannot go below the largest invocation (2.5 s).
    expect(computeSeconds(wide, { ...DEFAULT_QUOTAS, lambdaConcurrency: 1_000_000 })).toBe(2.5);
    expect(projectStage(wide, DEFAULT_QUOTAS).binding.name).toMatch(/^Lambda/);
  });

  it('spends the token bucket burst before the refill rate', () => {
    expect(tokenBucketSeconds(800, 800, 500)).toBe(0);
    expect(tokenBucketSeconds(1800, 800, 500)).toBe(2);
  });

  it('flags an invocation longer than Lambda allows', () => {
    const single = projectStage(
      stage({ invocations: 1, concurrency: 1, records: 2_000_000, largestInvocationRecords: 2_000_000 }),
      DEFAULT_QUOTAS,
    );
    expect(single.largestInvocationSeconds).toBe(2000);
    expect(single.exceedsLambdaTimeout).toBe(true);
  });

  it('adds the stages up, names the slowest one and prices the requests', () => {
    const month = projectMonth(
      [
        stage({ name: 'a', records: 100_000, stateTransitions: 1_000_000 }),
        stage({ name: 'b', tables: [{ table: 'master', readUnits: 2_000_000, writeUnits: 1_000_000 }] }),
      ],
      DEFAULT_QUOTAS,
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

  it('builds the national stages from the design and the measurements', () => {
    const design: Design = {
      screeningConcurrency: 10,
      exportConcurrency: 40,
      releaseConcurrency: 50,
      applySlice: 20_000,
      applyWriteUnitsPerSecond: 4000,
    };
    const measured: Measurements = {
      stages: Object.fromEntries(
        STAGE_NAMES.map((name) => [
          name,
          { recordsPerSecond: 10_000, transitionsPerRecord: 1, fixedTransitions: 2, peakRssMb: 100 },
        ]),
      ) as Measurements['stages'],
      masterItemBytes: 700,
      registryItemBytes: 300,
      filesPerRegency: 4,
      secondsPerInvocation: 0,
      memoryMb: 1769,
    };
    const stages = nationalStages(
      {
        persons: 1_000_000,
        families: 250_000,
        regencies: 10,
        changedShare: 0.02,
        changedRegencies: 4,
        proposals: 30,
        largestRegencyPersons: 200_000,
      },
      design,
      measured,
    );
    const byName = new Map(stages.map((each) => [each.name, each]));
    const apply = byName.get('apply') as StageInput;
    expect(apply.records).toBe(20_000);
    expect(apply.invocations).toBe(1);
    // One slice paces itself to 4,000 write units/s, one unit per item of 700 bytes.
    expect(apply.recordsPerSecond).toBe(4000);
    expect(byName.get('export')?.records).toBe(400_000);
    expect(byName.get('export')?.invocations).toBe(4);
    expect(byName.get('carry-forward')?.invocations).toBe(6);
    expect(byName.get('release')?.sendTasks).toBe(30);
    // Every person screened: one registry read each (0.5 RRU, eventually consistent, under 4 KB).
    const screening = byName.get('quality control') as StageInput;
    expect(screening.tables.find((traffic) => traffic.table === 'population')?.readUnits).toBe(500_000);
  });
});
