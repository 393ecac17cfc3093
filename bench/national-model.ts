/**
 * The national projection's model (bench/national.ts measures its inputs): pure arithmetic, no I/O.
 *
 * A stage of the stipulation workflow is a number of Lambda invocations over a number of records, at a
 * measured rate per invocation, with at most `concurrency` of them in flight (a distributed Map's children),
 * some of them one after another (a child that loops over slices), and the requests it makes of Step
 * Functions, DynamoDB and S3. Its wall time is the largest of the times each limit allows on its own (the
 * limits are assumed to overlap perfectly, so the projection is the best case for the design); the limit
 * with that time is the stage's binding limit. The stages run one after another (the workflow is a chain),
 * so the month's wall time is their sum and the critical path is every stage. The quality control runs in a
 * state machine of its own, earlier in the month: it is projected apart, off the critical path.
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
  /** DynamoDB on demand: the warm throughput of a new table or index (what it serves at once unless pre-warmed). */
  newTableReadUnitsPerSecond: number;
  newTableWriteUnitsPerSecond: number;
  /** The table-level throughput quota of on demand (read and write, each): warm throughput above it is a raise. */
  tableUnitsPerSecondQuota: number;
  /** One partition's limits (a partition key value lives on one partition unless DynamoDB splits it). */
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
  newTableReadUnitsPerSecond: 12_000,
  newTableWriteUnitsPerSecond: 4000,
  tableUnitsPerSecondQuota: 40_000,
  partitionWriteUnitsPerSecond: 1000,
  partitionReadUnitsPerSecond: 3000,
  s3PutsPerSecondPerPrefix: 3500,
  s3GetsPerSecondPerPrefix: 5500,
};

/** The month's target: the stipulation's wall time (issue 12). */
export const TARGET_SECONDS = 15 * 60;

/** On-demand prices in USD. */
export interface Prices {
  perMillionStateTransitions: number;
  perMillionLambdaRequests: number;
  perLambdaGbSecond: number;
  perMillionWriteRequestUnits: number;
  perMillionReadRequestUnits: number;
  perThousandS3Puts: number;
  perThousandS3Gets: number;
  /**
   * Pre-warming: a charge when a table's or index's warm throughput is raised above what it has (once: warm
   * throughput is never lowered). Per unit per second raised; undefined where no published price was found.
   */
  perWarmReadUnit?: number;
  perWarmWriteUnit?: number;
}

/** The tables and indexes the stipulation and the quality control use (each has a warm throughput of its own). */
export const TABLES = [
  'proposals',
  'master',
  'master byRegency',
  'master byFamily',
  'master byIdentity',
  'population',
] as const;
export type TableName = (typeof TABLES)[number];

/** The master's global secondary indexes (projection ALL): every write of an active person writes each. */
export const MASTER_INDEXES = ['master byRegency', 'master byFamily', 'master byIdentity'] as const;

export interface WarmThroughput {
  read: number;
  write: number;
}

/** Each table's warm throughput as the stack sets it; one not named serves a new table's. */
export type WarmThroughputs = Partial<Record<TableName, WarmThroughput>>;

export function warmThroughputOf(table: TableName, warm: WarmThroughputs, quotas: Quotas): WarmThroughput {
  return warm[table] ?? { read: quotas.newTableReadUnitsPerSecond, write: quotas.newTableWriteUnitsPerSecond };
}

/** The DynamoDB traffic of a stage on one table or index. */
export interface TableTraffic {
  table: TableName;
  readUnits: number;
  writeUnits: number;
  /** The traffic on the busiest partition key value (one partition's limits apply), and what that key is. */
  hottestKey?: { readUnits: number; writeUnits: number; what: string };
}

export interface StageInput {
  name: string;
  /** What a record is here (persons, changes, proposals, regencies, rows scanned). */
  unit: string;
  records: number;
  invocations: number;
  /** Invocations in flight at most (a Map's MaxConcurrency; 1 for a single function or a sequential loop). */
  concurrency: number;
  /** The longest chain of invocations one after another (a Map child looping slices; 1 otherwise). */
  chainRecords: number;
  chainInvocations: number;
  /** Records of the largest single invocation (what the Lambda timeout is checked against). */
  largestInvocationRecords: number;
  /** Records per second of one invocation, while nothing else binds. */
  recordsPerSecond: number;
  /** What sets `recordsPerSecond` when it is not the function's CPU (a pace it keeps to), for the limit's name. */
  pacedBy?: string;
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
  /** Bytes the longest chain moves to or from S3 (one invocation's network share bounds it). */
  chainS3Bytes: number;
  /** Requests of note, for the printed counts (BatchWriteItem, BatchGetItem, Query pages, child executions). */
  requests: Readonly<Record<string, number>>;
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
  inFlight: number;
  lambdaGbSeconds: number;
  /** Seconds of the largest invocation; above the Lambda timeout the stage cannot run as designed. */
  largestInvocationSeconds: number;
  exceedsLambdaTimeout: boolean;
  /** The stage alone takes longer than the month's target. */
  exceedsTarget: boolean;
  stateTransitions: number;
  sendTasks: number;
  readUnits: number;
  writeUnits: number;
  s3Puts: number;
  s3Gets: number;
  requests: Readonly<Record<string, number>>;
}

export interface Totals {
  invocations: number;
  lambdaGbSeconds: number;
  stateTransitions: number;
  readUnits: number;
  writeUnits: number;
  s3Puts: number;
  s3Gets: number;
  requests: Record<string, number>;
}

export interface Cost {
  stepFunctions: number;
  lambda: number;
  dynamodb: number;
  s3: number;
  total: number;
}

export interface MonthProjection {
  stages: StageProjection[];
  seconds: number;
  meetsTarget: boolean;
  /** The stage that takes longest and the limit that binds it. */
  binding: { stage: string; limit: Limit };
  totals: Totals;
  cost: Cost;
}

/** What the per-invocation assumptions are (not measured locally). */
export interface Assumptions {
  /** Bytes per second one invocation moves to or from S3. */
  s3BytesPerSecondPerInvocation: number;
}

export interface Capacity {
  quotas: Quotas;
  warm: WarmThroughputs;
  assumptions: Assumptions;
}

/** Seconds a token bucket (burst, refill per second) needs to hand out `count` tokens. */
export function tokenBucketSeconds(count: number, burst: number, perSecond: number): number {
  return Math.max(0, count - burst) / perSecond;
}

/** Invocations in flight: the Map's MaxConcurrency, the items there are, the account's Lambda concurrency. */
export function inFlightOf(stage: StageInput, quotas: Quotas): number {
  return Math.max(1, Math.min(stage.concurrency, stage.invocations, quotas.lambdaConcurrency));
}

/**
 * Seconds the invocations need on Lambda: the work spread over the invocations in flight, never less than
 * the longest chain of invocations one after another.
 */
export function computeSeconds(stage: StageInput, quotas: Quotas): number {
  if (stage.invocations === 0) return 0;
  const busy = stage.records / stage.recordsPerSecond + stage.invocations * stage.secondsPerInvocation;
  const chain = stage.chainRecords / stage.recordsPerSecond + stage.chainInvocations * stage.secondsPerInvocation;
  return Math.max(busy / inFlightOf(stage, quotas), chain);
}

export function projectStage(stage: StageInput, capacity: Capacity): StageProjection {
  const { quotas, warm, assumptions } = capacity;
  const inFlight = stage.invocations === 0 ? 0 : inFlightOf(stage, quotas);
  const limits: Limit[] = [
    {
      name: `${stage.pacedBy ?? 'Lambda'}: ${fmt(Math.round(stage.recordsPerSecond))} ${stage.unit}/s per invocation × ${inFlight} in flight (MaxConcurrency ${stage.concurrency}, Lambda ${fmt(quotas.lambdaConcurrency)})`,
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
    ...stage.tables.flatMap((traffic) => {
      const throughput = warmThroughputOf(traffic.table, warm, quotas);
      const limits: Limit[] = [
        {
          name: `DynamoDB ${traffic.table} reads (${fmt(throughput.read)} RRU/s warm)`,
          seconds: traffic.readUnits / throughput.read,
        },
        {
          name: `DynamoDB ${traffic.table} writes (${fmt(throughput.write)} WRU/s warm)`,
          seconds: traffic.writeUnits / throughput.write,
        },
      ];
      if (traffic.hottestKey) {
        limits.push(
          {
            name: `DynamoDB ${traffic.table} one partition's reads (${traffic.hottestKey.what}, ${fmt(quotas.partitionReadUnitsPerSecond)} RRU/s)`,
            seconds: traffic.hottestKey.readUnits / quotas.partitionReadUnitsPerSecond,
          },
          {
            name: `DynamoDB ${traffic.table} one partition's writes (${traffic.hottestKey.what}, ${fmt(quotas.partitionWriteUnitsPerSecond)} WRU/s)`,
            seconds: traffic.hottestKey.writeUnits / quotas.partitionWriteUnitsPerSecond,
          },
        );
      }
      return limits;
    }),
    {
      name: `S3 PUT/COPY (${fmt(quotas.s3PutsPerSecondPerPrefix)}/s × ${stage.s3Prefixes} prefixes)`,
      seconds: stage.s3Puts / (quotas.s3PutsPerSecondPerPrefix * Math.max(1, stage.s3Prefixes)),
    },
    {
      name: `S3 GET (${fmt(quotas.s3GetsPerSecondPerPrefix)}/s × ${stage.s3Prefixes} prefixes)`,
      seconds: stage.s3Gets / (quotas.s3GetsPerSecondPerPrefix * Math.max(1, stage.s3Prefixes)),
    },
    {
      name: `S3 transfer of the longest invocation chain (${Math.round(assumptions.s3BytesPerSecondPerInvocation / 1e6)} MB/s per invocation, assumed)`,
      seconds: stage.chainS3Bytes / assumptions.s3BytesPerSecondPerInvocation,
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
    inFlight,
    lambdaGbSeconds: (busySeconds * stage.memoryMb) / 1024,
    largestInvocationSeconds,
    exceedsLambdaTimeout: largestInvocationSeconds > quotas.lambdaTimeoutSeconds,
    exceedsTarget: binding.seconds > TARGET_SECONDS,
    stateTransitions: stage.stateTransitions,
    sendTasks: stage.sendTasks,
    readUnits: sum(stage.tables.map((traffic) => traffic.readUnits)),
    writeUnits: sum(stage.tables.map((traffic) => traffic.writeUnits)),
    s3Puts: stage.s3Puts,
    s3Gets: stage.s3Gets,
    requests: stage.requests,
  };
}

/** The limit that takes longest (the first of equals). */
export function largestLimit(limits: readonly Limit[]): Limit {
  const [first, ...rest] = limits;
  if (!first) throw new Error('no limits');
  return rest.reduce((largest, limit) => (limit.seconds > largest.seconds ? limit : largest), first);
}

export function projectMonth(stages: readonly StageInput[], capacity: Capacity, prices: Prices): MonthProjection {
  const projected = stages.map((stage) => projectStage(stage, capacity));
  const slowest = projected.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const seconds = sum(projected.map((stage) => stage.seconds));
  const totals = totalsOf(projected);
  return {
    stages: projected,
    seconds,
    meetsTarget: seconds <= TARGET_SECONDS,
    binding: { stage: slowest.name, limit: slowest.binding },
    totals,
    cost: costOf(totals, prices),
  };
}

export function totalsOf(stages: readonly StageProjection[]): Totals {
  const requests: Record<string, number> = {};
  for (const stage of stages) {
    for (const [name, count] of Object.entries(stage.requests)) requests[name] = (requests[name] ?? 0) + count;
  }
  return {
    invocations: sum(stages.map((stage) => stage.invocations)),
    lambdaGbSeconds: sum(stages.map((stage) => stage.lambdaGbSeconds)),
    stateTransitions: sum(stages.map((stage) => stage.stateTransitions)),
    readUnits: sum(stages.map((stage) => stage.readUnits)),
    writeUnits: sum(stages.map((stage) => stage.writeUnits)),
    s3Puts: sum(stages.map((stage) => stage.s3Puts)),
    s3Gets: sum(stages.map((stage) => stage.s3Gets)),
    requests,
  };
}

export function costOf(totals: Totals, prices: Prices): Cost {
  const stepFunctions = (totals.stateTransitions / 1e6) * prices.perMillionStateTransitions;
  const lambda =
    (totals.invocations / 1e6) * prices.perMillionLambdaRequests + totals.lambdaGbSeconds * prices.perLambdaGbSecond;
  const dynamodb =
    (totals.readUnits / 1e6) * prices.perMillionReadRequestUnits +
    (totals.writeUnits / 1e6) * prices.perMillionWriteRequestUnits;
  const s3 = (totals.s3Puts / 1000) * prices.perThousandS3Puts + (totals.s3Gets / 1000) * prices.perThousandS3Gets;
  return { stepFunctions, lambda, dynamodb, s3, total: stepFunctions + lambda + dynamodb + s3 };
}

/**
 * The one-time charge of raising the tables' warm throughput above a new table's (undefined where the price is
 * not known). Warm throughput is never lowered, so a month pays it once, not monthly.
 */
export function warmThroughputCost(warm: WarmThroughputs, quotas: Quotas, prices: Prices): number | undefined {
  if (prices.perWarmReadUnit === undefined || prices.perWarmWriteUnit === undefined) return undefined;
  let cost = 0;
  for (const throughput of Object.values(warm)) {
    if (!throughput) continue;
    cost += Math.max(0, throughput.read - quotas.newTableReadUnitsPerSecond) * prices.perWarmReadUnit;
    cost += Math.max(0, throughput.write - quotas.newTableWriteUnitsPerSecond) * prices.perWarmWriteUnit;
  }
  return cost;
}

/** The tables whose warm throughput the stack sets above the on-demand table-level quota (that would be a raise). */
export function warmThroughputAboveQuota(warm: WarmThroughputs, quotas: Quotas): TableName[] {
  return TABLES.filter((table) => {
    const throughput = warm[table];
    return (
      throughput !== undefined &&
      (throughput.read > quotas.tableUnitsPerSecondQuota || throughput.write > quotas.tableUnitsPerSecondQuota)
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The stipulation workflow at national scale: its stages built from the national figures, the
// design as built (read from the ASL and the stack by bench/national.ts) and the rates measured locally.
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
  /** Persons of the largest regency (the hottest partition key of byRegency, the longest screening). */
  largestRegencyPersons: number;
}

/**
 * The design as built: what stipulation.asl.json, quality-control.asl.json and the stack say. A lever that
 * did not land is absent (undefined or false), and the stage is modelled as the workflow runs it without it.
 */
export interface Design {
  /** NIK shards of the change set (the stack's stipulationShards). */
  shards: number;
  /** ResolveShards' MaxConcurrency; undefined: Resolve is one invocation over every change. */
  resolveConcurrency?: number;
  /** The quality control inside the stipulation (an inline Map of this MaxConcurrency); undefined: its own machine. */
  inlineQualityControlConcurrency?: number;
  /** The quality-control machine's Map MaxConcurrency (its own machine, or the inline Map). */
  qualityControlConcurrency: number;
  /** CompareShards' MaxConcurrency; undefined: the guard compares every change in one invocation. */
  compareConcurrency?: number;
  /** The guard takes each regency's active persons from the previous manifest (no COUNT query per regency). */
  activeFromManifest: boolean;
  /** The master write lease is taken and released (two states; it changes no rate). */
  lease: boolean;
  /** ApplyShards' MaxConcurrency; undefined: one loop of slices, one after another. */
  applyConcurrency?: number;
  /** Changes per apply invocation (a slice). */
  applySlice: number;
  /** Write units per second Apply paces itself to: in total, shared by the children in flight (write-throttle). */
  applyWriteUnitsPerSecond: number;
  /** Items per BatchWriteItem request (DynamoDB takes at most 25). */
  batchWriteItems: number;
  exportConcurrency: number;
  /** Persons of an export unit at most (a larger regency is split by NIK range); undefined: one unit per regency. */
  exportUnitMaxPersons?: number;
  releaseConcurrency: number;
  /** State transitions a released proposal's own workflow takes after SendTaskSuccess (same account quota). */
  proposalTransitionsPerRelease: number;
  /** Each stage's Lambda memory as the stack sets it (its largest function's); absent: Measurements.memoryMb. */
  memoryMb: Partial<Record<MeasuredStage, number>>;
  warm: WarmThroughputs;
}

/** Lambda allocates CPU in proportion to memory: 1,769 MB is one vCPU (a single-threaded handler gains no more). */
export const ONE_VCPU_MB = 1769;

/** The share of one vCPU a function of `memoryMb` has: what its measured rate per CPU second is multiplied by. */
export function vcpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / ONE_VCPU_MB);
}

/** Per stage, measured by bench/national.ts on the scaled-down run. */
export interface StageMeasurement {
  /** Records per second of one invocation: records per CPU second of the handlers' process. */
  recordsPerSecond: number;
  /** State transitions per item (a Map child, a loop's slice). */
  transitionsPerItem: number;
  /** State transitions of the stage that do not grow with the items (its fixed states). */
  fixedTransitions: number;
  peakRssMb: number;
  /**
   * CPU seconds an invocation costs whatever its records (start, SDK set-up, its fixed requests), fitted from
   * two measured months of different sizes; 0 where not fitted (then `recordsPerSecond` carries it).
   */
  secondsPerInvocation: number;
  /** CPU seconds per proposal an invocation reads (a Resolve child GETs every proposal's rows); 0 elsewhere. */
  secondsPerProposal: number;
}

/** The stipulation's stages, in the order a month runs them (the critical path). */
export const STAGE_NAMES = [
  'collect',
  'plan resolution',
  'resolve shards',
  'summarise resolution',
  'include QC',
  'compare shards',
  'guard summary',
  'lease',
  'apply shards',
  'export units',
  'carry-forward',
  'finalise',
  'release',
  'record',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** The quality control's own state machine: measured like a stage, projected apart (off the critical path). */
export const QUALITY_CONTROL = 'quality control';
export const MEASURED_STAGES = [...STAGE_NAMES, QUALITY_CONTROL] as const;
export type MeasuredStage = (typeof MEASURED_STAGES)[number];

export interface Measurements {
  stages: Record<MeasuredStage, StageMeasurement>;
  /** Bytes of a master item (base table and each index, projection ALL). */
  masterItemBytes: number;
  /** Bytes of a population (registry) item. */
  registryItemBytes: number;
  /** Bytes of an accepted proposal row (the NDJSON Resolve reads). */
  acceptedRowBytes: number;
  /** Files written per exported unit, files copied per carried regency. */
  filesPerRegency: number;
  /** Seconds an invocation costs besides its records on Lambda (assumed, not measured locally). */
  secondsPerInvocation: number;
  memoryMb: number;
}

/** A stage's invocations, records and CPU seconds in one measured month. */
export interface CostSample {
  invocations: number;
  records: number;
  cpuSeconds: number;
}

/**
 * CPU = invocations × a + records × b, from two months of as many invocations and different records: b the
 * cost of a record, a an invocation's own (start, SDK set-up, its fixed requests), which a scaled-down run
 * (a few dozen records an invocation) cannot otherwise tell from the records'. Undefined when the months
 * cannot tell them apart (other invocation counts, equal records, noise making a or b negative).
 */
export function fitCost(
  small: CostSample,
  large: CostSample,
): { recordsPerSecond: number; secondsPerInvocation: number } | undefined {
  if (small.invocations === 0 || small.invocations !== large.invocations || large.records <= small.records) {
    return undefined;
  }
  const perRecord = (large.cpuSeconds - small.cpuSeconds) / (large.records - small.records);
  const perInvocation = (small.cpuSeconds - perRecord * small.records) / small.invocations;
  if (perRecord <= 0 || perInvocation < 0) return undefined;
  return { recordsPerSecond: 1 / perRecord, secondsPerInvocation: perInvocation };
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

/** Query pages of 1 MB over `items` items of `bytes`. */
export function queryPages(items: number, bytes: number): number {
  return Math.ceil((items * bytes) / 1_048_576);
}

/** Export units: one per regency, and as many more as the persons above the unit size need (an upper bound). */
export function exportUnits(regencies: number, persons: number, unitMaxPersons: number | undefined): number {
  if (regencies === 0) return 0;
  return unitMaxPersons === undefined ? regencies : regencies + Math.ceil(persons / unitMaxPersons);
}

export function nationalStages(national: NationalFigures, design: Design, measured: Measurements): StageInput[] {
  const changes = Math.round(national.persons * national.changedShare);
  const carried = national.regencies - national.changedRegencies;
  const personsPerRegency = national.persons / national.regencies;
  const exportedPersons = Math.round(personsPerRegency * national.changedRegencies);
  const m = measured.stages;
  const master = measured.masterItemBytes;
  const base = {
    secondsPerInvocation: measured.secondsPerInvocation,
    memoryMb: measured.memoryMb,
    sendTasks: 0,
    chainInvocations: 1,
    chainS3Bytes: 0,
    requests: {},
  };
  const transitions = (stage: MeasuredStage, items: number) =>
    Math.round(m[stage].fixedTransitions + m[stage].transitionsPerItem * items);
  const memoryOf = (stage: MeasuredStage) => design.memoryMb[stage] ?? measured.memoryMb;
  /** One invocation's rate on its Lambda: the measured rate per CPU second × its share of a vCPU. */
  const rate = (stage: MeasuredStage) => m[stage].recordsPerSecond * vcpuShare(memoryOf(stage));
  /** The Task's round trip (assumed) and the invocation's own fixed CPU (fitted), on its share of a vCPU. */
  const perInvocation = (stage: MeasuredStage) =>
    measured.secondsPerInvocation +
    (m[stage].secondsPerInvocation + m[stage].secondsPerProposal * national.proposals) / vcpuShare(memoryOf(stage));
  /** One invocation over `records` (a Task that is not a fan-out). */
  const single = (stage: StageName, unit: string, records: number) => ({
    ...base,
    secondsPerInvocation: perInvocation(stage),
    memoryMb: memoryOf(stage),
    name: stage,
    unit,
    records,
    invocations: 1,
    concurrency: 1,
    chainRecords: records,
    largestInvocationRecords: records,
    recordsPerSecond: rate(stage),
    stateTransitions: transitions(stage, 0),
  });
  // NIK shards by FNV-1a spread the changes evenly (some 90,000 a shard nationally, a spread of a few hundred).
  const shards = design.shards;
  const perShard = Math.ceil(changes / shards);
  const largestRegencyShare = national.largestRegencyPersons / national.persons;
  const largestRegencyChanges = Math.ceil(changes * largestRegencyShare);
  const masterWrites = writeUnits(changes, master);
  const units = exportUnits(national.changedRegencies, exportedPersons, design.exportUnitMaxPersons);
  const largestUnit = Math.min(national.largestRegencyPersons, design.exportUnitMaxPersons ?? Number.POSITIVE_INFINITY);

  const resolve: StageInput =
    design.resolveConcurrency === undefined
      ? {
          ...single('resolve shards', 'rows', changes),
          s3Puts: Math.ceil((changes * master) / 8e6) + 1,
          s3Gets: national.proposals + 1,
          s3Prefixes: 1,
          chainS3Bytes: changes * measured.acceptedRowBytes,
          tables: [],
        }
      : {
          ...base,
          secondsPerInvocation: perInvocation('resolve shards'),
          memoryMb: memoryOf('resolve shards'),
          name: 'resolve shards',
          // Every child scans every proposal's accepted rows and keeps its shard's: rows scanned.
          unit: 'rows scanned',
          records: changes * shards,
          invocations: shards,
          concurrency: design.resolveConcurrency,
          chainRecords: changes,
          largestInvocationRecords: changes,
          recordsPerSecond: rate('resolve shards'),
          stateTransitions: transitions('resolve shards', shards),
          tables: [],
          // Each child: GET of every proposal's rows (a prefix per proposal), PUT of its shard's change set and tally.
          s3Gets: shards * national.proposals,
          s3Puts: shards * 2,
          s3Prefixes: national.proposals,
          chainS3Bytes: changes * measured.acceptedRowBytes,
          requests: { 'child executions': shards },
        };

  const inlineQualityControl = design.inlineQualityControlConcurrency;
  const includeQualityControl: StageInput =
    inlineQualityControl === undefined
      ? { ...single('include QC', 'regencies', national.regencies), tables: [], s3Puts: 1, s3Gets: 1, s3Prefixes: 1 }
      : // Not off the path yet: the stipulation screens every person itself (an inline Map).
        { ...qualityControlStage(national, design, measured, inlineQualityControl), name: 'include QC' };

  const compare: StageInput =
    design.compareConcurrency === undefined
      ? {
          ...single('compare shards', 'changes', changes),
          tables: [{ table: 'master', readUnits: itemReadUnits(changes, master), writeUnits: 0 }],
          s3Puts: 1,
          s3Gets: 1,
          s3Prefixes: 1,
          requests: { BatchGetItem: Math.ceil(changes / 100) },
        }
      : {
          ...base,
          secondsPerInvocation: perInvocation('compare shards'),
          memoryMb: memoryOf('compare shards'),
          name: 'compare shards',
          unit: 'changes',
          records: changes,
          invocations: shards,
          concurrency: design.compareConcurrency,
          chainRecords: perShard,
          largestInvocationRecords: perShard,
          recordsPerSecond: rate('compare shards'),
          stateTransitions: transitions('compare shards', shards),
          // Every changed person's master record (BatchGetItem, 100 a request), keyed by NIK: spread.
          tables: [{ table: 'master', readUnits: itemReadUnits(changes, master), writeUnits: 0 }],
          s3Gets: shards,
          s3Puts: shards,
          s3Prefixes: 1,
          chainS3Bytes: perShard * master,
          requests: { BatchGetItem: Math.ceil(changes / 100), 'child executions': shards },
        };

  // Without the previous manifest's counts, a COUNT query per touched regency reads its whole index entries.
  const countQueries: TableTraffic[] = design.activeFromManifest
    ? []
    : [
        {
          table: 'master byRegency',
          readUnits: queryReadUnits(exportedPersons, master),
          writeUnits: 0,
          hottestKey: {
            readUnits: queryReadUnits(national.largestRegencyPersons, master),
            writeUnits: 0,
            what: 'the largest regency',
          },
        },
      ];
  const guard: StageInput = {
    ...single('guard summary', 'regencies', national.changedRegencies),
    tables: countQueries,
    s3Puts: 1,
    s3Gets: shards + 1,
    s3Prefixes: 1,
    requests: design.activeFromManifest ? {} : { 'Query pages (COUNT)': queryPages(exportedPersons, master) },
  };

  const lease: StageInput = {
    ...single('lease', 'leases', 1),
    invocations: design.lease ? 2 : 0,
    tables: design.lease ? [{ table: 'master', readUnits: 0, writeUnits: 2 }] : [],
    s3Puts: 0,
    s3Gets: 0,
    s3Prefixes: 1,
  };

  // Apply: each change writes the master and, projection ALL, each of its indexes once more.
  const applyTables: TableTraffic[] = [
    { table: 'master', readUnits: itemReadUnits(changes, master), writeUnits: masterWrites },
    ...MASTER_INDEXES.map((table) => ({
      table,
      readUnits: 0,
      writeUnits: masterWrites,
      // byRegency's key is the regency: the largest regency's changes land on one key.
      ...(table === 'master byRegency'
        ? {
            hottestKey: {
              readUnits: 0,
              writeUnits: writeUnits(largestRegencyChanges, master),
              what: 'the largest regency',
            },
          }
        : {}),
    })),
  ];
  const applyChildren = design.applyConcurrency === undefined ? 1 : Math.min(shards, design.applyConcurrency);
  const applyChain = design.applyConcurrency === undefined ? changes : perShard;
  const slicesPerChain = Math.max(1, Math.ceil(applyChain / design.applySlice));
  const applyInvocations = design.applyConcurrency === undefined ? slicesPerChain : shards * slicesPerChain;
  // One invocation's pace: its CPU, or its share of the write throughput (write-throttle), whichever is slower.
  const applyShare = design.applyWriteUnitsPerSecond / applyChildren;
  const applyPace = applyShare / Math.ceil(master / 1024);
  const apply: StageInput = {
    ...base,
    secondsPerInvocation: perInvocation('apply shards'),
    memoryMb: memoryOf('apply shards'),
    name: 'apply shards',
    unit: 'changes',
    records: changes,
    invocations: applyInvocations,
    concurrency: applyChildren,
    chainRecords: applyChain,
    chainInvocations: slicesPerChain,
    largestInvocationRecords: Math.min(applyChain, design.applySlice),
    recordsPerSecond: Math.min(rate('apply shards'), applyPace),
    ...(applyPace < rate('apply shards')
      ? { pacedBy: `Apply's write pace (${fmt(design.applyWriteUnitsPerSecond)} WRU/s shared by ${applyChildren})` }
      : {}),
    stateTransitions: transitions('apply shards', applyInvocations),
    tables: applyTables,
    s3Puts: 0,
    s3Gets: applyInvocations,
    s3Prefixes: 1,
    chainS3Bytes: applyChain * master,
    requests: {
      BatchWriteItem: Math.ceil(changes / design.batchWriteItems),
      BatchGetItem: Math.ceil(changes / 100),
      ...(design.applyConcurrency === undefined ? {} : { 'child executions': shards }),
    },
  };

  const exportStage: StageInput = {
    ...base,
    secondsPerInvocation: perInvocation('export units'),
    memoryMb: memoryOf('export units'),
    name: 'export units',
    unit: 'persons',
    records: exportedPersons,
    invocations: units,
    concurrency: Math.min(design.exportConcurrency, DEFAULT_QUOTAS.distributedMapChildren),
    chainRecords: units > 0 ? largestUnit : 0,
    largestInvocationRecords: units > 0 ? largestUnit : 0,
    recordsPerSecond: rate('export units'),
    stateTransitions: transitions('export units', units),
    // Every exported person read through byRegency; a large regency's units all query its one key.
    tables: [
      {
        table: 'master byRegency',
        readUnits: queryReadUnits(exportedPersons, master),
        writeUnits: 0,
        hottestKey: {
          readUnits: units > 0 ? queryReadUnits(national.largestRegencyPersons, master) : 0,
          writeUnits: 0,
          what: 'the largest regency',
        },
      },
    ],
    // Multipart uploads of 8 MB parts (about three times the master's bytes over the tiers) and the unit's record.
    s3Puts: Math.ceil((exportedPersons * master * 3) / 8e6) + units * (measured.filesPerRegency * 2 + 1),
    s3Gets: units,
    s3Prefixes: 3,
    chainS3Bytes: units > 0 ? largestUnit * master * 3 : 0,
    requests: { 'Query pages': queryPages(exportedPersons, master), 'child executions': units },
  };

  const carryForward: StageInput = {
    ...base,
    secondsPerInvocation: perInvocation('carry-forward'),
    memoryMb: memoryOf('carry-forward'),
    name: 'carry-forward',
    unit: 'regencies',
    records: carried,
    invocations: carried,
    concurrency: Math.min(design.exportConcurrency, DEFAULT_QUOTAS.distributedMapChildren),
    chainRecords: carried > 0 ? 1 : 0,
    largestInvocationRecords: carried > 0 ? 1 : 0,
    recordsPerSecond: rate('carry-forward'),
    stateTransitions: transitions('carry-forward', carried),
    tables: [],
    // HeadObject + CopyObject per file, the unit's record.
    s3Puts: carried * (measured.filesPerRegency + 1),
    s3Gets: carried * (measured.filesPerRegency + 1),
    s3Prefixes: 3,
    requests: { 'child executions': carried },
  };

  const finalise: StageInput = {
    ...single('finalise', 'units', units + carried),
    tables: [],
    s3Puts: 2,
    s3Gets: units + carried + 1,
    s3Prefixes: 1,
  };

  const release: StageInput = {
    ...base,
    secondsPerInvocation: perInvocation('release'),
    memoryMb: memoryOf('release'),
    name: 'release',
    unit: 'proposals',
    records: national.proposals,
    invocations: national.proposals,
    concurrency: design.releaseConcurrency,
    chainRecords: 1,
    largestInvocationRecords: 1,
    recordsPerSecond: rate('release'),
    // The Map's children, and each released proposal's own workflow going on to its end (the same quota).
    stateTransitions:
      transitions('release', national.proposals) + national.proposals * design.proposalTransitionsPerRelease,
    sendTasks: national.proposals,
    // The proposal, its release decision, the queue keys removed, the audit entry.
    tables: [{ table: 'proposals', readUnits: national.proposals * 2, writeUnits: national.proposals * 4 }],
    s3Puts: 1,
    s3Gets: 1,
    s3Prefixes: 1,
    requests: { 'child executions': national.proposals, SendTaskSuccess: national.proposals },
  };

  const record: StageInput = {
    ...single('record', 'periods', 1),
    tables: [{ table: 'proposals', readUnits: 10, writeUnits: 10 }],
    s3Puts: 1,
    s3Gets: 1,
    s3Prefixes: 1,
  };

  // Without ResolveShards, the one Resolve plans, resolves and summarises: no step of its own for either.
  const sharded = design.resolveConcurrency !== undefined;
  const plan: StageInput = {
    ...single('plan resolution', 'proposals', national.proposals),
    invocations: sharded ? 1 : 0,
    // Each proposal's record and its exclusions, read once; the plan and the Map's items written to S3.
    tables: sharded ? [{ table: 'proposals', readUnits: national.proposals * 1.5, writeUnits: 0 }] : [],
    s3Puts: sharded ? 2 : 0,
    s3Gets: sharded ? 1 : 0,
    s3Prefixes: 1,
  };

  const summarise: StageInput = {
    ...single('summarise resolution', 'proposals', national.proposals),
    invocations: sharded ? 1 : 0,
    // Each proposal's decision and record; the shards' list for the Maps after it.
    tables: [{ table: 'proposals', readUnits: national.proposals * 2, writeUnits: national.proposals * 2 }],
    s3Puts: 2,
    s3Gets: shards,
    s3Prefixes: 1,
  };

  const collect: StageInput = {
    ...single('collect', 'proposals', national.proposals),
    // The queue's Query and the collection's list in S3.
    tables: [{ table: 'proposals', readUnits: queryReadUnits(national.proposals, 400), writeUnits: 400 }],
    s3Puts: 1,
    s3Gets: 0,
    s3Prefixes: 1,
  };

  const stages: Record<StageName, StageInput> = {
    collect,
    'plan resolution': plan,
    'resolve shards': resolve,
    'summarise resolution': summarise,
    'include QC': includeQualityControl,
    'compare shards': compare,
    'guard summary': guard,
    lease,
    'apply shards': apply,
    'export units': exportStage,
    'carry-forward': carryForward,
    finalise,
    release,
    record,
  };
  return STAGE_NAMES.map((name) => stages[name]);
}

/**
 * The quality control: every active person read through byRegency and looked up in the registry, a regency
 * per invocation. Its own state machine (off the stipulation's path) unless `inlineConcurrency` says the
 * stipulation still screens inline.
 */
export function qualityControlStage(
  national: NationalFigures,
  design: Design,
  measured: Measurements,
  concurrency = design.qualityControlConcurrency,
): StageInput {
  const m = measured.stages[QUALITY_CONTROL];
  const master = measured.masterItemBytes;
  const memory = design.memoryMb[QUALITY_CONTROL] ?? measured.memoryMb;
  return {
    name: QUALITY_CONTROL,
    unit: 'persons',
    records: national.persons,
    invocations: national.regencies + 2,
    concurrency,
    chainRecords: national.largestRegencyPersons,
    chainInvocations: 1,
    largestInvocationRecords: national.largestRegencyPersons,
    recordsPerSecond: m.recordsPerSecond * vcpuShare(memory),
    secondsPerInvocation: measured.secondsPerInvocation + m.secondsPerInvocation / vcpuShare(memory),
    memoryMb: memory,
    stateTransitions: Math.round(m.fixedTransitions + m.transitionsPerItem * national.regencies),
    sendTasks: 0,
    tables: [
      {
        table: 'master byRegency',
        readUnits: queryReadUnits(national.persons, master),
        writeUnits: 0,
        hottestKey: {
          readUnits: queryReadUnits(national.largestRegencyPersons, master),
          writeUnits: 0,
          what: 'the largest regency',
        },
      },
      {
        table: 'population',
        readUnits: itemReadUnits(national.persons, measured.registryItemBytes),
        writeUnits: 0,
      },
    ],
    s3Puts: national.regencies * 3 + 2,
    s3Gets: 0,
    s3Prefixes: 3,
    chainS3Bytes: 0,
    requests: {
      'Query pages': queryPages(national.persons, master),
      BatchGetItem: Math.ceil(national.persons / 100),
    },
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function fmt(value: number): string {
  return value.toLocaleString('en');
}
