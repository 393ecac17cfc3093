/**
 * The national projection's model (bench/national.ts measures its inputs): pure arithmetic, no I/O.
 *
 * A stage of the stipulation workflow is a number of Lambda invocations over a number of records, at a
 * measured rate per invocation, with at most `concurrency` of them in flight, and the requests it makes of
 * Step Functions, DynamoDB and S3. Its wall time is the largest of the times each limit allows on its own
 * (the limits are assumed to overlap perfectly, so the projection is the best case for the design); the
 * limit with that time is the stage's binding limit. The stages run one after another (the workflow is a
 * chain), so the month's wall time is their sum and the critical path is every stage.
 */

/** Published quotas (documented defaults; none of them is raised here). */
export interface Quotas {
  /** Step Functions, standard workflows, StateTransition: burst bucket and refill per second. */
  stateTransitionBurst: number;
  stateTransitionsPerSecond: number;
  /** SendTaskSuccess/Failure/Heartbeat: burst and refill per second. */
  sendTaskBurst: number;
  sendTasksPerSecond: number;
  /** Child executions a distributed Map runs at once. */
  distributedMapChildren: number;
  /** Lambda concurrent executions of the account and Region, and the 15-minute limit of an invocation. */
  lambdaConcurrency: number;
  lambdaTimeoutSeconds: number;
  /** DynamoDB on demand: a new table's (or index's) warm throughput, and one partition's limits. */
  tableWriteUnitsPerSecond: number;
  tableReadUnitsPerSecond: number;
  partitionWriteUnitsPerSecond: number;
  partitionReadUnitsPerSecond: number;
  /** S3 per partitioned prefix. */
  s3PutsPerSecondPerPrefix: number;
  s3GetsPerSecondPerPrefix: number;
}

export const DEFAULT_QUOTAS: Quotas = {
  stateTransitionBurst: 800,
  stateTransitionsPerSecond: 500,
  sendTaskBurst: 1500,
  sendTasksPerSecond: 300,
  distributedMapChildren: 10_000,
  lambdaConcurrency: 1000,
  lambdaTimeoutSeconds: 900,
  tableWriteUnitsPerSecond: 4000,
  tableReadUnitsPerSecond: 12_000,
  partitionWriteUnitsPerSecond: 1000,
  partitionReadUnitsPerSecond: 3000,
  s3PutsPerSecondPerPrefix: 3500,
  s3GetsPerSecondPerPrefix: 5500,
};

/** On-demand prices in USD. */
export interface Prices {
  perMillionStateTransitions: number;
  perMillionLambdaRequests: number;
  perLambdaGbSecond: number;
  perMillionWriteRequestUnits: number;
  perMillionReadRequestUnits: number;
  perThousandS3Puts: number;
  perThousandS3Gets: number;
}

/** The DynamoDB traffic of a stage on one table or index (its own warm throughput). */
export interface TableTraffic {
  table: string;
  readUnits: number;
  writeUnits: number;
}

export interface StageInput {
  name: string;
  /** What a record is here (persons, changes, proposals, regencies). */
  unit: string;
  records: number;
  invocations: number;
  /** Invocations in flight at most (a Map's MaxConcurrency; 1 for a single function or a sequential loop). */
  concurrency: number;
  /** Records of the largest single invocation (the one that ends last when all run at once). */
  largestInvocationRecords: number;
  /** Records per second of one invocation, while nothing else binds. */
  recordsPerSecond: number;
  /** Seconds an invocation costs besides its records (start, first requests, the Task's round trip). */
  secondsPerInvocation: number;
  memoryMb: number;
  stateTransitions: number;
  sendTasks: number;
  tables: readonly TableTraffic[];
  s3Puts: number;
  s3Gets: number;
  /** Prefixes the S3 requests spread over (each has its own request rate). */
  s3Prefixes: number;
}

export interface Limit {
  name: string;
  seconds: number;
}

export interface StageProjection {
  name: string;
  unit: string;
  records: number;
  seconds: number;
  binding: Limit;
  limits: Limit[];
  invocations: number;
  lambdaGbSeconds: number;
  /** Seconds of the largest invocation; above the Lambda timeout the stage cannot run as designed. */
  largestInvocationSeconds: number;
  exceedsLambdaTimeout: boolean;
  stateTransitions: number;
  sendTasks: number;
  readUnits: number;
  writeUnits: number;
  s3Puts: number;
  s3Gets: number;
}

export interface MonthProjection {
  stages: StageProjection[];
  seconds: number;
  /** The stage that takes longest and the limit that binds it. */
  binding: { stage: string; limit: Limit };
  totals: {
    invocations: number;
    lambdaGbSeconds: number;
    stateTransitions: number;
    readUnits: number;
    writeUnits: number;
    s3Puts: number;
    s3Gets: number;
  };
  cost: { stepFunctions: number; lambda: number; dynamodb: number; s3: number; total: number };
}

/** Seconds a token bucket (burst, refill per second) needs to hand out `count` tokens. */
export function tokenBucketSeconds(count: number, burst: number, perSecond: number): number {
  return Math.max(0, count - burst) / perSecond;
}

/**
 * Seconds the invocations need on Lambda: in waves of at most min(concurrency, account concurrency), never
 * less than the largest invocation.
 */
export function computeSeconds(stage: StageInput, quotas: Quotas): number {
  if (stage.invocations === 0) return 0;
  const inFlight = Math.max(1, Math.min(stage.concurrency, stage.invocations, quotas.lambdaConcurrency));
  const busy = stage.records / stage.recordsPerSecond + stage.invocations * stage.secondsPerInvocation;
  const largest = stage.largestInvocationRecords / stage.recordsPerSecond + stage.secondsPerInvocation;
  return Math.max(busy / inFlight, largest);
}

export function projectStage(stage: StageInput, quotas: Quotas): StageProjection {
  const inFlight = Math.min(stage.concurrency, stage.invocations, quotas.lambdaConcurrency);
  const limits: Limit[] = [
    {
      name: `Lambda: ${Math.round(stage.recordsPerSecond).toLocaleString('en')} ${stage.unit}/s per invocation × ${inFlight} in flight (measured rate; MaxConcurrency ${stage.concurrency}, Lambda ${quotas.lambdaConcurrency})`,
      seconds: computeSeconds(stage, quotas),
    },
    {
      name: `Step Functions state transitions (${quotas.stateTransitionBurst} burst, ${quotas.stateTransitionsPerSecond}/s)`,
      seconds: tokenBucketSeconds(
        stage.stateTransitions,
        quotas.stateTransitionBurst,
        quotas.stateTransitionsPerSecond,
      ),
    },
    {
      name: `Step Functions SendTask* (${quotas.sendTaskBurst} burst, ${quotas.sendTasksPerSecond}/s)`,
      seconds: tokenBucketSeconds(stage.sendTasks, quotas.sendTaskBurst, quotas.sendTasksPerSecond),
    },
    ...stage.tables.flatMap((traffic) => [
      {
        name: `DynamoDB ${traffic.table} reads (${quotas.tableReadUnitsPerSecond.toLocaleString('en')} RRU/s warm)`,
        seconds: traffic.readUnits / quotas.tableReadUnitsPerSecond,
      },
      {
        name: `DynamoDB ${traffic.table} writes (${quotas.tableWriteUnitsPerSecond.toLocaleString('en')} WRU/s warm)`,
        seconds: traffic.writeUnits / quotas.tableWriteUnitsPerSecond,
      },
    ]),
    {
      name: `S3 PUT/COPY (${quotas.s3PutsPerSecondPerPrefix.toLocaleString('en')}/s × ${stage.s3Prefixes} prefixes)`,
      seconds: stage.s3Puts / (quotas.s3PutsPerSecondPerPrefix * Math.max(1, stage.s3Prefixes)),
    },
    {
      name: `S3 GET (${quotas.s3GetsPerSecondPerPrefix.toLocaleString('en')}/s × ${stage.s3Prefixes} prefixes)`,
      seconds: stage.s3Gets / (quotas.s3GetsPerSecondPerPrefix * Math.max(1, stage.s3Prefixes)),
    },
  ];
  const binding = largestLimit(limits);
  const largestInvocationSeconds =
    stage.invocations === 0 ? 0 : stage.largestInvocationRecords / stage.recordsPerSecond + stage.secondsPerInvocation;
  const busySeconds =
    stage.invocations === 0
      ? 0
      : stage.records / stage.recordsPerSecond + stage.invocations * stage.secondsPerInvocation;
  return {
    name: stage.name,
    unit: stage.unit,
    records: stage.records,
    seconds: binding.seconds,
    binding,
    limits,
    invocations: stage.invocations,
    lambdaGbSeconds: (busySeconds * stage.memoryMb) / 1024,
    largestInvocationSeconds,
    exceedsLambdaTimeout: largestInvocationSeconds > quotas.lambdaTimeoutSeconds,
    stateTransitions: stage.stateTransitions,
    sendTasks: stage.sendTasks,
    readUnits: sum(stage.tables.map((traffic) => traffic.readUnits)),
    writeUnits: sum(stage.tables.map((traffic) => traffic.writeUnits)),
    s3Puts: stage.s3Puts,
    s3Gets: stage.s3Gets,
  };
}

/** The limit that takes longest (the first of equals). */
export function largestLimit(limits: readonly Limit[]): Limit {
  const [first, ...rest] = limits;
  if (!first) throw new Error('no limits');
  return rest.reduce((largest, limit) => (limit.seconds > largest.seconds ? limit : largest), first);
}

export function projectMonth(stages: readonly StageInput[], quotas: Quotas, prices: Prices): MonthProjection {
  const projected = stages.map((stage) => projectStage(stage, quotas));
  const slowest = projected.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const totals = {
    invocations: sum(projected.map((stage) => stage.invocations)),
    lambdaGbSeconds: sum(projected.map((stage) => stage.lambdaGbSeconds)),
    stateTransitions: sum(projected.map((stage) => stage.stateTransitions)),
    readUnits: sum(projected.map((stage) => stage.readUnits)),
    writeUnits: sum(projected.map((stage) => stage.writeUnits)),
    s3Puts: sum(projected.map((stage) => stage.s3Puts)),
    s3Gets: sum(projected.map((stage) => stage.s3Gets)),
  };
  const stepFunctions = (totals.stateTransitions / 1e6) * prices.perMillionStateTransitions;
  const lambda =
    (totals.invocations / 1e6) * prices.perMillionLambdaRequests + totals.lambdaGbSeconds * prices.perLambdaGbSecond;
  const dynamodb =
    (totals.readUnits / 1e6) * prices.perMillionReadRequestUnits +
    (totals.writeUnits / 1e6) * prices.perMillionWriteRequestUnits;
  const s3 = (totals.s3Puts / 1000) * prices.perThousandS3Puts + (totals.s3Gets / 1000) * prices.perThousandS3Gets;
  return {
    stages: projected,
    seconds: sum(projected.map((stage) => stage.seconds)),
    binding: { stage: slowest.name, limit: slowest.binding },
    totals,
    cost: { stepFunctions, lambda, dynamodb, s3, total: stepFunctions + lambda + dynamodb + s3 },
  };
}

// ---------------------------------------------------------------------------------------------
// The stipulation workflow at national scale: its stages built from the national figures, the
// design's constants (read from the ASL and the handlers) and the rates measured locally.
// ---------------------------------------------------------------------------------------------

export interface NationalFigures {
  persons: number;
  families: number;
  regencies: number;
  /** Share of persons changed in the month. */
  changedShare: number;
  /** Regencies with at least one applied change (re-exported); the others are carried forward. */
  changedRegencies: number;
  proposals: number;
  /** Persons of the largest regency (the longest export and screening). */
  largestRegencyPersons: number;
}

/** What the design fixes (stipulation.asl.json, the handlers). */
export interface Design {
  screeningConcurrency: number;
  exportConcurrency: number;
  releaseConcurrency: number;
  /** Changes per apply slice (one invocation each, one after another). */
  applySlice: number;
  /** Write units per second one apply invocation paces itself to (write-throttle.ts). */
  applyWriteUnitsPerSecond: number;
}

/** Per stage, measured by bench/national.ts on the scaled-down run. */
export interface StageMeasurement {
  /** Records per second of one invocation: records per CPU second of the handlers' process. */
  recordsPerSecond: number;
  /** State transitions per record (parent and child executions). */
  transitionsPerRecord: number;
  /** State transitions of the stage that do not grow with the records (its fixed states). */
  fixedTransitions: number;
  peakRssMb: number;
}

/** The stipulation's stages, in the order a month runs them. */
export const STAGE_NAMES = [
  'collect',
  'resolve',
  'quality control',
  'guard',
  'apply',
  'export',
  'carry-forward',
  'release',
  'record',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface Measurements {
  stages: Record<StageName, StageMeasurement>;
  /** Bytes of a master item (base table and the byRegency index, projection ALL). */
  masterItemBytes: number;
  /** Bytes of a population (registry) item. */
  registryItemBytes: number;
  /** Files written per exported regency, files copied per carried regency. */
  filesPerRegency: number;
  /** Seconds an invocation costs besides its records on Lambda (assumed, not measured locally). */
  secondsPerInvocation: number;
  memoryMb: number;
}

/** Read units of an eventually consistent read of `items` items of `bytes` each, one at a time (GetItem, BatchGetItem). */
export function itemReadUnits(items: number, bytes: number): number {
  return items * Math.ceil(bytes / 4096) * 0.5;
}

/** Read units of an eventually consistent Query over `items` items of `bytes` (summed, then rounded per 4 KB). */
export function queryReadUnits(items: number, bytes: number): number {
  return Math.ceil((items * bytes) / 4096) * 0.5;
}

export function writeUnits(items: number, bytes: number): number {
  return items * Math.ceil(bytes / 1024);
}

export function nationalStages(national: NationalFigures, design: Design, measured: Measurements): StageInput[] {
  const changes = Math.round(national.persons * national.changedShare);
  const carried = national.regencies - national.changedRegencies;
  const personsPerRegency = national.persons / national.regencies;
  const exportedPersons = Math.round(personsPerRegency * national.changedRegencies);
  const m = measured.stages;
  const base = { secondsPerInvocation: measured.secondsPerInvocation, memoryMb: measured.memoryMb, sendTasks: 0 };
  const transitions = (stage: StageName, records: number) =>
    Math.round(m[stage].fixedTransitions + m[stage].transitionsPerRecord * records);
  const master = measured.masterItemBytes;
  const slices = Math.max(1, Math.ceil(changes / design.applySlice));
  return [
    {
      ...base,
      name: 'collect',
      unit: 'proposals',
      records: national.proposals,
      invocations: 1,
      concurrency: 1,
      largestInvocationRecords: national.proposals,
      recordsPerSecond: m.collect.recordsPerSecond,
      stateTransitions: transitions('collect', national.proposals),
      // The queue's Query and the collection item.
      tables: [{ table: 'proposals', readUnits: queryReadUnits(national.proposals, 400), writeUnits: 400 }],
      s3Puts: 1,
      s3Gets: 0,
      s3Prefixes: 1,
    },
    {
      ...base,
      name: 'resolve',
      unit: 'changes',
      records: changes,
      invocations: 1,
      concurrency: 1,
      largestInvocationRecords: changes,
      recordsPerSecond: m.resolve.recordsPerSecond,
      stateTransitions: transitions('resolve', changes),
      // Each proposal's decision and record.
      tables: [{ table: 'proposals', readUnits: national.proposals * 2, writeUnits: national.proposals * 2 }],
      // The accepted rows of every proposal; the change set in 8 MB parts.
      s3Puts: Math.ceil((changes * master) / 8e6) + 1,
      s3Gets: national.proposals + 1,
      s3Prefixes: 1,
    },
    {
      ...base,
      name: 'quality control',
      unit: 'persons',
      records: national.persons,
      invocations: national.regencies + 2,
      concurrency: design.screeningConcurrency,
      largestInvocationRecords: national.largestRegencyPersons,
      recordsPerSecond: m['quality control'].recordsPerSecond,
      stateTransitions: transitions('quality control', national.regencies),
      tables: [
        // Every active person read from the byRegency index and looked up in the registry, once each.
        { table: 'master byRegency', readUnits: queryReadUnits(national.persons, master), writeUnits: 0 },
        {
          table: 'population',
          readUnits: itemReadUnits(national.persons, measured.registryItemBytes),
          writeUnits: 0,
        },
      ],
      s3Puts: national.regencies * 3 + 2,
      s3Gets: 0,
      s3Prefixes: 3,
    },
    {
      ...base,
      name: 'guard',
      unit: 'changes',
      records: changes,
      invocations: 1,
      concurrency: 1,
      largestInvocationRecords: changes,
      recordsPerSecond: m.guard.recordsPerSecond,
      stateTransitions: transitions('guard', changes),
      // Every changed person's master record, and a COUNT query per touched regency (its index entries).
      tables: [
        { table: 'master', readUnits: itemReadUnits(changes, master), writeUnits: 0 },
        {
          table: 'master byRegency',
          readUnits: queryReadUnits(exportedPersons, master),
          writeUnits: 0,
        },
      ],
      s3Puts: 1,
      s3Gets: 1,
      s3Prefixes: 1,
    },
    {
      ...base,
      name: 'apply',
      unit: 'changes',
      records: changes,
      invocations: slices,
      // The slices run one after another (ApplyChangesToMaster ↔ IsTheChangeSetApplied).
      concurrency: 1,
      largestInvocationRecords: Math.min(changes, design.applySlice),
      // One slice's own pace, or the CPU's, whichever is slower.
      recordsPerSecond: Math.min(m.apply.recordsPerSecond, design.applyWriteUnitsPerSecond / Math.ceil(master / 1024)),
      stateTransitions: transitions('apply', changes),
      tables: [
        { table: 'master', readUnits: itemReadUnits(changes, master), writeUnits: writeUnits(changes, master) },
        // Projection ALL: the index takes the same write again.
        { table: 'master byRegency', readUnits: 0, writeUnits: writeUnits(changes, master) },
      ],
      s3Puts: 0,
      s3Gets: slices,
      s3Prefixes: 1,
    },
    {
      ...base,
      name: 'export',
      unit: 'persons',
      records: exportedPersons,
      invocations: national.changedRegencies,
      concurrency: Math.min(design.exportConcurrency, DEFAULT_QUOTAS.distributedMapChildren),
      largestInvocationRecords: national.changedRegencies > 0 ? national.largestRegencyPersons : 0,
      recordsPerSecond: m.export.recordsPerSecond,
      stateTransitions: transitions('export', national.changedRegencies),
      tables: [{ table: 'master byRegency', readUnits: queryReadUnits(exportedPersons, master), writeUnits: 0 }],
      // Multipart uploads of 8 MB parts (about three times the master's bytes over the tiers) and the part record.
      s3Puts:
        Math.ceil((exportedPersons * master * 3) / 8e6) +
        national.changedRegencies * (measured.filesPerRegency * 2 + 1),
      s3Gets: national.changedRegencies,
      s3Prefixes: 3,
    },
    {
      ...base,
      name: 'carry-forward',
      unit: 'regencies',
      records: carried,
      invocations: carried,
      concurrency: Math.min(design.exportConcurrency, DEFAULT_QUOTAS.distributedMapChildren),
      largestInvocationRecords: carried > 0 ? 1 : 0,
      recordsPerSecond: m['carry-forward'].recordsPerSecond,
      stateTransitions: transitions('carry-forward', carried),
      tables: [],
      // HeadObject + CopyObject per file, the part record.
      s3Puts: carried * (measured.filesPerRegency + 1),
      s3Gets: carried * (measured.filesPerRegency + 1),
      s3Prefixes: 3,
    },
    {
      ...base,
      name: 'release',
      unit: 'proposals',
      records: national.proposals,
      invocations: national.proposals,
      concurrency: design.releaseConcurrency,
      largestInvocationRecords: 1,
      recordsPerSecond: m.release.recordsPerSecond,
      stateTransitions: transitions('release', national.proposals),
      sendTasks: national.proposals,
      // The proposal, its release decision, the queue keys removed, the audit entry.
      tables: [{ table: 'proposals', readUnits: national.proposals * 2, writeUnits: national.proposals * 4 }],
      s3Puts: 1,
      s3Gets: 1,
      s3Prefixes: 1,
    },
    {
      ...base,
      name: 'record',
      unit: 'regencies',
      records: national.regencies,
      invocations: 2,
      concurrency: 1,
      largestInvocationRecords: national.regencies,
      recordsPerSecond: m.record.recordsPerSecond,
      stateTransitions: transitions('record', national.regencies),
      // FinaliseExport reads every part record and writes the manifest; RecordPeriod the period record.
      tables: [{ table: 'proposals', readUnits: 10, writeUnits: 10 }],
      s3Puts: 2,
      s3Gets: national.regencies + 2,
      s3Prefixes: 1,
    },
  ];
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
