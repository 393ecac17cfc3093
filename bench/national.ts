/**
 * The national projection of the monthly stipulation:
 *
 *   npx tsx bench/national.ts [--regencies 20] [--persons 1000] [--changed 0.02] [--proposals 3]
 *                             [--changed-regencies 0.5] [--national-changed-regencies 514] [--shards <the stack's>]
 *
 * 1. Reads the design as built: the distributed Maps and their MaxConcurrency from
 *    state-machines/stipulation.asl.json and quality-control.asl.json, the shard count, Apply's write pace,
 *    the export unit size and each table's warm throughput from the synthesised CDK stack. A lever that has
 *    not landed is modelled as the workflow runs without it.
 * 2. Runs the workflows through the local runtime (the production handlers, dynalite and the local S3 in a
 *    process of their own) over `--regencies` regencies of about `--persons` persons each
 *    (synthetic/generator.ts; their registry loaded too): a first month with nothing proposed (every regency
 *    exported from the master, the handlers warmed up), then the quality-control machine for the second
 *    month (off the stipulation's path, as the stack runs it), then a month in which `--changed` of all
 *    persons change (UBAH, an address) in `--proposals` proposals per changed regency, the changes in the
 *    first `--changed-regencies` share of the regencies, so that the others are carried forward; then a third
 *    month of FIT_FACTOR times the changes over the same proposals and shard children, so that the shard
 *    stages' CPU splits into an invocation's own and a record's (fitCost). The measured run uses the stack's
 *    shard count (--shards to change it), so a Resolve child keeps the share of the rows it keeps in AWS.
 * 3. Measures, per stage (the second month; the third for the fit): records, the handlers' process CPU seconds and wall seconds while the stage's
 *    functions run, their peak RSS, the Lambda invocations, the DynamoDB and S3 requests the handlers send,
 *    and the state transitions counted from the execution histories (GetExecutionHistory of the parent and
 *    of every child execution of the distributed Maps' Map Runs: every *StateEntered event, as Step
 *    Functions bills them).
 * 4. Projects the AWS month (bench/national-model.ts) for 289,060,513 persons, 95,006,179 families and 514
 *    regencies with 2% of persons changed, from the quotas and prices below (published; not measured) and
 *    the rates measured here (records per CPU second of one invocation: the handlers run in one process
 *    here, the emulators in another, so the CPU is the handlers', the SDK's and the local runtime's — on
 *    Lambda with 1,769 MB or more, one vCPU).
 *
 * The local wall times are dynalite's (single-threaded, on a shared 2-core machine) and are printed for
 * reference only; the projection uses the CPU rates and the services' published limits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadAreas } from '#core/area.ts';
import type { MasterPerson, ProposalRow } from '#core/proposal.ts';
import { startEmulatorProcess } from '#local/emulator-host.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import { LOCAL_STATE_MACHINES } from '#local/environment.ts';
import { LocalFunctions, localSubstitutions } from '#local/functions.ts';
import { LOCAL_RESOURCES, localEnvironmentVariables, provisionLocal } from '#local/provision.ts';
import { seedMaster } from '#local/seed.ts';
import { loadDefinition } from '#local/sfn/definition.ts';
import { serveStepFunctionsApi } from '#local/sfn/http.ts';
import { StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import { s3ObjectStorage } from '#local/sfn/s3-objects.ts';
import { ENV, FUNCTIONS, type FunctionName, KEYS } from '#shared/contracts.ts';
import { officialRegencies } from '#shared/regencies.ts';
import { generateWorld } from '#synthetic/generator.ts';
import {
  type Capacity,
  costOf,
  DEFAULT_QUOTAS,
  type Design,
  fitCost,
  MEASURED_STAGES,
  type MeasuredStage,
  type Measurements,
  type MonthProjection,
  type NationalFigures,
  nationalStages,
  type Prices,
  projectMonth,
  projectStage,
  QUALITY_CONTROL,
  qualityControlStage,
  type StageMeasurement,
  type StageProjection,
  TABLES,
  TARGET_SECONDS,
  type TableName,
  totalsOf,
  type WarmThroughputs,
  warmThroughputAboveQuota,
  warmThroughputCost,
} from './national-model.ts';

// ---------------------------------------------------------------------------------------------
// Published figures (not measured here).
// ---------------------------------------------------------------------------------------------

/** DTSEN, 23 January 2026 (issue 12). */
const NATION = { persons: 289_060_513, families: 95_006_179, regencies: 514 };
/** Kabupaten Bogor, the most populous regency (about 5.7 million; BPS 2024 estimate, rounded): an assumption. */
const LARGEST_REGENCY_PERSONS = 5_700_000;

const QUOTA_SOURCES = [
  'Step Functions (ap-southeast-3, standard): StateTransition 800 burst / 500 per s refill; SendTaskSuccess/Failure/Heartbeat 1,500 burst / 300 per s; distributed Map 10,000 parallel child executions — AWS Step Functions developer guide, "Step Functions service quotas" (as quoted in issue 12; read 2026-12-02)',
  'Lambda: 1,000 concurrent executions per Region (default), 900 s per invocation — AWS Lambda developer guide, "Lambda quotas" (read 2026-12-02)',
  'DynamoDB on demand: a new table or GSI sustains 4,000 writes/s and 12,000 reads/s (warm throughput) unless pre-warmed; 1,000 WCU / 3,000 RCU per partition; 40,000 RRU and WRU per table by default (table-level quota) — Amazon DynamoDB developer guide, "Understanding DynamoDB warm throughput", "Pre-warming a table for on-demand capacity mode", "Service quotas: throughput default quotas" (read 2026-12-02)',
  'S3: 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD per s per partitioned prefix — Amazon S3 user guide, "Best practices design patterns: optimizing Amazon S3 performance" (read 2026-12-02)',
];

/**
 * On-demand prices. No ap-southeast-3 (Jakarta) price was found in the stored pages: these are the US East
 * (N. Virginia) prices, which the pricing pages show as their reference Region. Read 2026-12-02.
 */
const PRICES: Prices & { source: string; warmSource: string } = {
  perMillionStateTransitions: 25, // aws.amazon.com/step-functions/pricing: $0.025 per 1,000 (US East)
  perMillionLambdaRequests: 0.2, // aws.amazon.com/lambda/pricing: $0.20 per 1M requests (US East)
  perLambdaGbSecond: 0.0000166667, // x86, first tier (US East)
  perMillionWriteRequestUnits: 0.625, // aws.amazon.com/dynamodb/pricing/on-demand (US East, since Nov 2024)
  perMillionReadRequestUnits: 0.125,
  perThousandS3Puts: 0.005, // aws.amazon.com/s3/pricing: S3 Standard PUT/COPY/POST/LIST (US East)
  perThousandS3Gets: 0.0004, // GET/SELECT (US East)
  source:
    'US East (N. Virginia) on-demand prices (no ap-southeast-3 price found in the stored pages; Jakarta is usually higher): Step Functions $0.025/1,000 transitions; Lambda $0.20/1M requests + $0.0000166667/GB-s (x86); DynamoDB $0.625/1M WRU, $0.125/1M RRU; S3 Standard $0.005/1,000 PUT, $0.0004/1,000 GET. Read 2026-12-02. Storage and data transfer not included.',
  warmSource:
    'Warm throughput: "available by default for all tables and secondary indexes at no cost"; raising it (pre-warming) "you will be charged for those requests" — Amazon DynamoDB developer guide, "Understanding DynamoDB warm throughput" (read 2026-12-02), which refers to the DynamoDB pricing page for the figure; no per-unit price for pre-warming was found in the stored pages (docs and pricing pages searched 2026-12-02), so the one-time charge is NOT included in the cost below. It is paid once per raise (warm throughput is never lowered), not monthly.',
};

/** Assumed, not measured: a Lambda invocation's own cost besides its records (warm start, the Task round trip). */
const SECONDS_PER_INVOCATION = 0.1;
const MEMORY_MB = 1769;
/** Assumed, not measured: what one invocation moves to or from S3 per second (within the Region). */
const S3_BYTES_PER_SECOND_PER_INVOCATION = 80e6;
/** Changes per apply invocation: the apply handler's APPLY_SLICE_CHANGES default (functions/stipulation-apply). */
const APPLY_SLICE_CHANGES = 20_000;
/** DynamoDB's BatchWriteItem takes at most 25 items a request (what Apply sends). */
const BATCH_WRITE_ITEMS = 25;

// ---------------------------------------------------------------------------------------------

const FIRST = '2026-10';
const SECOND = '2026-11';
/** A third month, FIT_FACTOR times the second's changes over the same proposals and shards: the fit's other point. */
const THIRD = '2026-12';
const FIT_FACTOR = 8;
/**
 * The proposal workflow's states after its AwaitStipulation task is released (VerifyStipulationRelease,
 * WasAnythingStipulated, RecordStipulated, Stipulated: proposal.asl.json), the same account's transitions.
 */
const PROPOSAL_TRANSITIONS_PER_RELEASE = 4;
const STIPULATION_ASL = new URL('../state-machines/stipulation.asl.json', import.meta.url);
const QUALITY_CONTROL_ASL = new URL('../state-machines/quality-control.asl.json', import.meta.url);

interface Options {
  regencies: number;
  persons: number;
  changed: number;
  proposals: number;
  changedRegencies: number;
  nationalChangedRegencies: number;
  /** NIK shards of the measured run: the stack's by default, so a Resolve child keeps the share it keeps in AWS. */
  shards?: number;
}

function options(): Options {
  const args = process.argv.slice(2);
  const value = (name: string, fallback: number) => {
    const at = args.indexOf(`--${name}`);
    if (at < 0) return fallback;
    const parsed = Number(args[at + 1]);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} needs a number`);
    return parsed;
  };
  return {
    regencies: value('regencies', 20),
    persons: value('persons', 1000),
    changed: value('changed', 0.02),
    proposals: value('proposals', 3),
    changedRegencies: value('changed-regencies', 0.5),
    nationalChangedRegencies: value('national-changed-regencies', NATION.regencies),
    ...(args.includes('--shards') ? { shards: value('shards', 4) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The design as built.
// ---------------------------------------------------------------------------------------------

interface AslState {
  Type: string;
  MaxConcurrency?: number;
  Label?: string;
  Arguments?: { FunctionName?: string; Payload?: unknown };
  Parameters?: { FunctionName?: string };
  ItemProcessor?: { ProcessorConfig?: { Mode?: string }; States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
}

interface Asl {
  States: Record<string, AslState>;
}

function readAsl(url: URL): Asl | undefined {
  const path = fileURLToPath(url);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Asl) : undefined;
}

/** The function a Task state invokes (its ${…FunctionArn} placeholder), by FUNCTIONS' placeholders. */
function functionOf(state: AslState): FunctionName | undefined {
  const arn = state.Arguments?.FunctionName ?? state.Parameters?.FunctionName;
  if (typeof arn !== 'string') return undefined;
  const placeholder = /\$\{(\w+)\}/.exec(arn)?.[1];
  const entry = Object.entries(FUNCTIONS).find(([, value]) => value.placeholder === placeholder);
  return entry?.[0] as FunctionName | undefined;
}

function mapChildren(state: AslState): Record<string, AslState> {
  return state.ItemProcessor?.States ?? state.Iterator?.States ?? {};
}

/** A Map's MaxConcurrency when it is distributed (undefined when the state is absent or inline). */
function distributedConcurrency(asl: Asl, name: string): number | undefined {
  const state = asl.States[name];
  if (state?.Type !== 'Map' || state.ItemProcessor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') return undefined;
  return state.MaxConcurrency;
}

/** What the CDK stack sets: function environment values and each table's (and index's) warm throughput. */
interface StackFigures {
  environment: Record<string, string>;
  /** Each function's MemorySize, by FUNCTIONS name (its POWERTOOLS_SERVICE_NAME is dtks-<name>). */
  memory: Partial<Record<FunctionName, number>>;
  warm: WarmThroughputs;
  note?: string;
}

async function stackFigures(): Promise<StackFigures> {
  try {
    const { synthesiseStack } = await import('../test/infra/synth-stack.ts');
    const { template } = synthesiseStack();
    const environment: Record<string, string> = {};
    const memory: Partial<Record<FunctionName, number>> = {};
    for (const resource of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const variables = (resource.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
      const service = String(variables.POWERTOOLS_SERVICE_NAME ?? '').replace(/^dtks-/, '');
      if (service in FUNCTIONS && typeof resource.Properties?.MemorySize === 'number') {
        memory[service as FunctionName] = resource.Properties.MemorySize;
      }
      for (const [name, value] of Object.entries(variables)) {
        if (typeof value === 'string') environment[name] = value;
      }
    }
    const warm: WarmThroughputs = {};
    const set = (table: TableName, value: unknown) => {
      const throughput = value as { ReadUnitsPerSecond?: number; WriteUnitsPerSecond?: number } | undefined;
      if (throughput?.ReadUnitsPerSecond || throughput?.WriteUnitsPerSecond) {
        warm[table] = {
          read: throughput.ReadUnitsPerSecond ?? DEFAULT_QUOTAS.newTableReadUnitsPerSecond,
          write: throughput.WriteUnitsPerSecond ?? DEFAULT_QUOTAS.newTableWriteUnitsPerSecond,
        };
      }
    };
    for (const [id, resource] of Object.entries(template.findResources('AWS::DynamoDB::Table'))) {
      const properties = resource.Properties ?? {};
      const indexes = (properties.GlobalSecondaryIndexes ?? []) as { IndexName: string; WarmThroughput?: unknown }[];
      const isMaster = indexes.some((index) => index.IndexName === 'byIdentity');
      const table: TableName | undefined = isMaster
        ? 'master'
        : id.includes('Population')
          ? 'population'
          : id.includes('Proposals')
            ? 'proposals'
            : undefined;
      if (!table) continue;
      set(table, properties.WarmThroughput);
      if (isMaster) {
        for (const index of indexes) {
          const name = `master ${index.IndexName}`;
          if ((TABLES as readonly string[]).includes(name)) set(name as TableName, index.WarmThroughput);
        }
      }
    }
    return { environment, memory, warm };
  } catch (error) {
    return {
      environment: {},
      memory: {},
      warm: {},
      note: `the stack did not synthesise (${(error as Error).message.split('\n')[0]}): shard count, write pace and warm throughput taken as a new table's defaults`,
    };
  }
}

interface DesignAsBuilt {
  design: Omit<Design, 'activeFromManifest'>;
  /** What was read where, for the printout. */
  notes: string[];
}

async function designAsBuilt(): Promise<DesignAsBuilt> {
  const stipulation = readAsl(STIPULATION_ASL) as Asl;
  const qualityControl = readAsl(QUALITY_CONTROL_ASL);
  const stack = await stackFigures();
  const notes: string[] = [];
  if (stack.note) notes.push(stack.note);
  const number = (variable: string, fallback: number, what: string) => {
    const value = Number(stack.environment[variable]);
    if (Number.isFinite(value) && value > 0) return value;
    notes.push(`${variable} not set in the stack: ${what} ${fmt(fallback)}`);
    return fallback;
  };
  const inlineScreening = stipulation.States.ScreenRegenciesAgainstRegistry;
  const qualityControlMap = qualityControl
    ? Object.values(qualityControl.States).find((state) => state.Type === 'Map')
    : undefined;
  const design: Omit<Design, 'activeFromManifest'> = {
    shards: number(ENV.stipulationShards, 64, "the design's shard count"),
    resolveConcurrency: distributedConcurrency(stipulation, 'ResolveShards'),
    ...(inlineScreening?.Type === 'Map'
      ? { inlineQualityControlConcurrency: inlineScreening.MaxConcurrency ?? 40 }
      : {}),
    qualityControlConcurrency: qualityControlMap?.MaxConcurrency ?? inlineScreening?.MaxConcurrency ?? 1,
    compareConcurrency: distributedConcurrency(stipulation, 'CompareShards'),
    lease: 'TakeMasterWriteLease' in stipulation.States,
    applyConcurrency: distributedConcurrency(stipulation, 'ApplyShards'),
    applySlice: number('APPLY_SLICE_CHANGES', APPLY_SLICE_CHANGES, "the apply handler's default slice"),
    applyWriteUnitsPerSecond: number(ENV.masterWriteUnits, 4000, "the config's default (a new table's)"),
    batchWriteItems: BATCH_WRITE_ITEMS,
    exportConcurrency: stipulation.States.ExportRegencies?.MaxConcurrency ?? 1,
    exportUnitMaxPersons: await exportUnitMaxPersons(stack),
    releaseConcurrency: stipulation.States.ReleaseProposals?.MaxConcurrency ?? 1,
    proposalTransitionsPerRelease: PROPOSAL_TRANSITIONS_PER_RELEASE,
    memoryMb: stageMemory(stack.memory),
    warm: stack.warm,
  };
  for (const [lever, built] of [
    ['ResolveShards (distributed Map over NIK shards)', design.resolveConcurrency !== undefined],
    [
      'the quality control off the critical path (IncludeQualityControl)',
      design.inlineQualityControlConcurrency === undefined,
    ],
    ['CompareShards (distributed Map)', design.compareConcurrency !== undefined],
    ['the master write lease', design.lease],
    ['ApplyShards (distributed Map)', design.applyConcurrency !== undefined],
    ['export units (NIK ranges of large regencies)', design.exportUnitMaxPersons !== undefined],
    ['warm throughput in the stack', Object.keys(design.warm).length > 0],
  ] as const) {
    if (!built) notes.push(`NOT BUILT: ${lever} — modelled as the workflow runs without it`);
  }
  return { design, notes };
}

/** A stage's memory: its largest function's (the one that does the stage's work). */
function stageMemory(memory: Partial<Record<FunctionName, number>>): Partial<Record<MeasuredStage, number>> {
  const stages: Partial<Record<MeasuredStage, number>> = {};
  for (const [name, megabytes] of Object.entries(memory) as [FunctionName, number][]) {
    for (const inMap of [false, true]) {
      const stage = stageOfFunction(name, {}, inMap);
      if (stage) stages[stage] = Math.max(stages[stage] ?? 0, megabytes);
    }
  }
  return stages;
}

/** EXPORT_UNIT_MAX_PERSONS as the stack sets it, or the config's default where export units exist. */
async function exportUnitMaxPersons(stack: StackFigures): Promise<number | undefined> {
  const set = Number(stack.environment[ENV.exportUnitMaxPersons]);
  if (Number.isFinite(set) && set > 0) return set;
  const snapshot = (await import('#core/snapshot.ts')) as { DEFAULT_EXPORT_UNIT_MAX_PERSONS?: number };
  return snapshot.DEFAULT_EXPORT_UNIT_MAX_PERSONS;
}

// ---------------------------------------------------------------------------------------------
// Which stage a function and a state belong to.
// ---------------------------------------------------------------------------------------------

/** The stage of a function's invocation (the guard's action tells a shard's comparison from the summary). */
function stageOfFunction(
  name: FunctionName,
  payload: Record<string, unknown>,
  inMap: boolean,
): MeasuredStage | undefined {
  switch (name) {
    case 'stipulation-collect':
      return 'collect';
    case 'stipulation-resolve':
      return 'resolve shards';
    case 'quality-control-regencies':
    case 'quality-control-screen':
    case 'quality-control-summarise':
      return QUALITY_CONTROL;
    case 'stipulation-guard':
      return inMap || payload.action === 'COMPARE_SHARD' ? 'compare shards' : 'guard summary';
    case 'stipulation-apply':
      return 'apply shards';
    case 'stipulation-list-regencies':
      return 'export units';
    case 'stipulation-export-regency':
      return payload.carryFrom ? 'carry-forward' : 'export units';
    case 'stipulation-finalise-export':
      return 'finalise';
    case 'stipulation-release':
      return 'release';
    case 'stipulation-record-period':
      return 'record';
    default:
      // The functions the levers add (named by the helpers building them).
      if (name.includes('resolve-plan')) return 'plan resolution';
      if (name.includes('resolve-summar')) return 'summarise resolution';
      if (name.includes('quality-control-include')) return 'include QC';
      if (name.includes('lease')) return 'lease';
      return undefined;
  }
}

/**
 * Each state of a definition → its stage: a Task by the function it invokes, a Map by its children's, any
 * other state (Pass, Choice, Wait, Fail, Succeed) by the Task before it in the definition (the one whose
 * outcome it decides), or the first Task's if it comes before them all.
 */
function stateStages(asl: Asl, fallback: MeasuredStage): Map<string, MeasuredStage> {
  const stages = new Map<string, MeasuredStage>();
  const stageOfState = (state: AslState, inMap: boolean): MeasuredStage | undefined => {
    if (state.Type === 'Task') {
      const name = functionOf(state);
      return name ? stageOfFunction(name, {}, inMap) : undefined;
    }
    if (state.Type === 'Map') {
      for (const child of Object.values(mapChildren(state))) {
        const stage = stageOfState(child, true);
        if (stage) return stage;
      }
    }
    return undefined;
  };
  const walk = (states: Record<string, AslState>, inMap: boolean, before: MeasuredStage | undefined) => {
    const entries = Object.entries(states);
    let current = before ?? entries.map(([, state]) => stageOfState(state, inMap)).find(Boolean) ?? fallback;
    for (const [name, state] of entries) {
      current = stageOfState(state, inMap) ?? current;
      stages.set(name, current);
      if (state.Type === 'Map') {
        stages.set(state.Label ?? name, current);
        walk(mapChildren(state), true, current);
      }
    }
  };
  walk(asl.States, false, undefined);
  return stages;
}

// ---------------------------------------------------------------------------------------------
// Measuring.
// ---------------------------------------------------------------------------------------------

interface StageRun {
  records: number;
  /** What transitions scale with: the children of the stage's Map Runs. */
  items: number;
  invocations: number;
  cpuMs: number;
  wallMs: number;
  peakRss: number;
  transitions: number;
  itemTransitions: number;
  /** SDK commands the handlers sent while the stage ran (DynamoDB and S3), by name. */
  requests: Record<string, number>;
}

/** Times the invocations of each stage: CPU and wall while at least one of its functions runs, peak RSS. */
class StageMeter {
  readonly runs = new Map<MeasuredStage, StageRun>(MEASURED_STAGES.map((stage) => [stage, emptyRun()]));
  private readonly active = new Map<MeasuredStage, { count: number; cpu: number; wall: number }>();
  private enabled = false;
  private readonly sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    for (const stage of this.active.keys()) {
      const run = this.runs.get(stage) as StageRun;
      run.peakRss = Math.max(run.peakRss, rss);
    }
  }, 50);

  enable(): void {
    this.enabled = true;
  }

  /** A request sent by a handler: counted against the stage that runs (the workflow runs one at a time). */
  request(name: string): void {
    if (!this.enabled) return;
    for (const stage of this.active.keys()) {
      const run = this.runs.get(stage) as StageRun;
      run.requests[name] = (run.requests[name] ?? 0) + 1;
    }
  }

  async around<T>(stage: MeasuredStage | undefined, call: () => Promise<T>): Promise<T> {
    if (!this.enabled || !stage) return call();
    const run = this.runs.get(stage) as StageRun;
    run.invocations++;
    let open = this.active.get(stage);
    if (!open) {
      open = { count: 0, cpu: cpuMs(), wall: performance.now() };
      this.active.set(stage, open);
    }
    open.count++;
    try {
      return await call();
    } finally {
      open.count--;
      run.peakRss = Math.max(run.peakRss, process.memoryUsage().rss);
      if (open.count === 0) {
        run.cpuMs += cpuMs() - open.cpu;
        run.wallMs += performance.now() - open.wall;
        this.active.delete(stage);
      }
    }
  }

  stop(): void {
    clearInterval(this.sampler);
  }
}

function emptyRun(): StageRun {
  return {
    records: 0,
    items: 0,
    invocations: 0,
    cpuMs: 0,
    wallMs: 0,
    peakRss: 0,
    transitions: 0,
    itemTransitions: 0,
    requests: {},
  };
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Counts the handlers' SDK commands (the shared clients of functions/shared/clients.ts) by name. */
async function countRequests(meter: () => StageMeter): Promise<void> {
  const { dynamo, s3 } = await import('#shared/clients.ts');
  const counter =
    (service: string) =>
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown> }) => {
      const command = (context.commandName ?? 'Command').replace(/Command$/, '');
      meter().request(`${service} ${command}${args.input.Select === 'COUNT' ? ' (COUNT)' : ''}`);
      return next(args);
    };
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types differ per client; this one only counts.
  dynamo.middlewareStack.add(counter('DynamoDB') as any, { step: 'initialize', name: 'nationalBenchCount' });
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  s3.middlewareStack.add(counter('S3') as any, { step: 'initialize', name: 'nationalBenchCount' });
}

async function main(): Promise<void> {
  const opts = options();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
  const { loadavg } = await import('node:os');
  console.log(
    `node ${process.version}, ${new Date().toISOString()}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `scaled-down run: ${opts.regencies} regencies × ~${opts.persons} persons, ${opts.changed * 100}% of persons changed ` +
      `in ${Math.round(opts.changedRegencies * 100)}% of the regencies, ${opts.proposals} proposals per changed regency`,
  );
  const built = await designAsBuilt();
  const stipulationAsl = readAsl(STIPULATION_ASL) as Asl;
  const qualityControlAsl = readAsl(QUALITY_CONTROL_ASL);

  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-national-'));
  const emulators = await startEmulatorProcess({ dataDir: join(dataDir, 'emulators') });
  const functions = new LocalFunctions();
  // One meter per measured month (the second, then the third for the fit).
  let meter = new StageMeter();
  let runtime: StepFunctionsRuntime | undefined;
  let api: Awaited<ReturnType<typeof serveStepFunctionsApi>> | undefined;
  const runtimeS3 = new S3Client({ ...LOCAL_AWS, endpoint: emulators.s3Endpoint, forcePathStyle: true });
  try {
    await provisionLocal(emulators, LOCAL_RESOURCES);
    const exportRecords = new Map<MeasuredStage, number>();
    const personsOf = new Map<string, number>();
    const machines = [
      {
        name: LOCAL_STATE_MACHINES.stipulation,
        definition: await loadDefinition(STIPULATION_ASL, localSubstitutions()),
      },
      ...(qualityControlAsl
        ? [
            {
              name: LOCAL_STATE_MACHINES['quality-control'],
              definition: await loadDefinition(QUALITY_CONTROL_ASL, localSubstitutions()),
            },
          ]
        : []),
    ];
    runtime = await StepFunctionsRuntime.start({
      dataDir: join(dataDir, 'stepfunctions'),
      machines,
      objects: s3ObjectStorage(runtimeS3),
      invoker: {
        invoke: async (functionArn, payload) => {
          const name = functions.resolve(functionArn);
          const input = (payload ?? {}) as Record<string, unknown>;
          const stage = stageOfFunction(name, input, false);
          if (!stage) console.warn(`(a function of no stage: ${name})`);
          const output = (await meter.around(stage, () => functions.invoke(functionArn, payload))) as Record<
            string,
            unknown
          >;
          // An export's records are what it read from the master; a carried unit counts once.
          if (stage === 'export units' && name === 'stipulation-export-regency') {
            const records =
              typeof output?.records === 'number' ? output.records : (personsOf.get(String(input.regency)) ?? 0);
            exportRecords.set(stage, (exportRecords.get(stage) ?? 0) + records);
          }
          return output;
        },
      },
    });
    api = await serveStepFunctionsApi(runtime);
    Object.assign(process.env, localEnvironmentVariables({ ...emulators, sfnEndpoint: api.endpoint }, LOCAL_RESOURCES));
    process.env[ENV.stipulationStateMachineArn] = runtime.stateMachineArn(LOCAL_STATE_MACHINES.stipulation);
    process.env[ENV.qualityControlStateMachineArn] = runtime.stateMachineArn(LOCAL_STATE_MACHINES['quality-control']);
    // The stack's shard count (not the local 4): each Resolve child scans every row and keeps 1/shards of them,
    // so its rate per row scanned depends on the count.
    const localShards = opts.shards ?? built.design.shards;
    process.env[ENV.stipulationShards] = String(localShards);
    console.log(`measured with ${localShards} NIK shards (STIPULATION_SHARDS)`);
    await countRequests(() => meter);

    // The master and the registry of every regency (not timed beyond the log line).
    const regencies = officialRegencies().slice(0, opts.regencies);
    const changedRegencies = regencies.slice(0, Math.max(1, Math.round(regencies.length * opts.changedRegencies)));
    const seeded = performance.now();
    const { DynamoPopulationRegistry } = await import('#shared/population-repository.ts');
    const { documents } = await import('#shared/clients.ts');
    const population = new DynamoPopulationRegistry(documents, LOCAL_RESOURCES.tables.population);
    const masterOf = new Map<string, MasterPerson[]>();
    for (const [index, regency] of regencies.entries()) {
      const world = generateWorld({
        regency,
        families: Math.max(1, Math.round(opts.persons / 4)),
        defectRate: 0,
        seed: index + 1,
        areas: loadAreas(),
      });
      const master: MasterPerson[] = [];
      for (const batch of world.batches(250)) {
        await population.put(batch.population, 8);
        master.push(...batch.master);
      }
      await seedMaster([master], '2026-09', LOCAL_RESOURCES.tables.master);
      masterOf.set(regency, master);
      personsOf.set(regency, master.length);
    }
    const totalPersons = [...masterOf.values()].reduce((sum, master) => sum + master.length, 0);
    console.log(
      `seeded ${totalPersons.toLocaleString('en')} persons (master and registry) in ${seconds(performance.now() - seeded)}`,
    );

    // Month 1: nothing proposed; every regency exported from the master (and every handler loaded).
    const first = await execute(runtime, LOCAL_STATE_MACHINES.stipulation, { period: FIRST });
    console.log(`${FIRST}: ${first.status} in ${seconds(first.ms)} (warm-up: every regency exported from the master)`);
    if (first.status !== 'SUCCEEDED') throw new Error(`${FIRST}: ${first.error} ${first.cause}`);

    // Month 2: the changes, queued as province-approved proposals with their accepted rows staged.
    const changes = Math.round(totalPersons * opts.changed);
    const queued = await queueProposals(SECOND, changedRegencies, masterOf, changes, opts.proposals);
    // Only the measured month's exports (month 1's were every regency's).
    exportRecords.clear();
    meter.enable();
    // The quality control of month 2, on its own machine, before the stipulation (as the stack starts it after
    // the registry is loaded); the stipulation then only includes its results.
    let qualityControl: Awaited<ReturnType<typeof execute>> | undefined;
    if (qualityControlAsl) {
      qualityControl = await execute(runtime, LOCAL_STATE_MACHINES['quality-control'], { period: SECOND });
      console.log(
        `quality control ${SECOND}: ${qualityControl.status} in ${seconds(qualityControl.ms)} (its own machine)`,
      );
      if (qualityControl.status !== 'SUCCEEDED') {
        throw new Error(`quality control ${SECOND}: ${qualityControl.error} ${qualityControl.cause}`);
      }
    }
    const second = await execute(runtime, LOCAL_STATE_MACHINES.stipulation, { period: SECOND });
    meter.stop();
    console.log(
      `${SECOND}: ${second.status} in ${seconds(second.ms)} (${queued.rows} changes in ${queued.ids.length} proposals, ` +
        `${changedRegencies.length} regencies changed, ${regencies.length - changedRegencies.length} carried forward)`,
    );
    if (second.status !== 'SUCCEEDED') throw new Error(`${SECOND}: ${second.error} ${second.cause}`);
    const runs = meter.runs;
    setRecords(
      runs,
      queued,
      regencies.length,
      changedRegencies.length,
      totalPersons,
      exportRecords.get('export units') ?? 0,
    );
    // State transitions from the histories: the executions', and every Map Run's children.
    countTransitions(runtime, second.executionArn, stateStages(stipulationAsl, 'collect'), runs);
    if (qualityControl && qualityControlAsl) {
      countTransitions(runtime, qualityControl.executionArn, stateStages(qualityControlAsl, QUALITY_CONTROL), runs);
    }

    // Month 3: FIT_FACTOR times the changes over the same proposals, regencies and shards (its quality control
    // run first, unmeasured). The shard stages' CPU of the two months splits into a cost per invocation and a
    // cost per record, which the scaled-down run alone cannot tell apart (a child here has a few dozen records,
    // in AWS some 90,000).
    exportRecords.clear();
    meter = new StageMeter();
    const queuedThird = await queueProposals(THIRD, changedRegencies, masterOf, changes * FIT_FACTOR, opts.proposals);
    if (qualityControlAsl) await execute(runtime, LOCAL_STATE_MACHINES['quality-control'], { period: THIRD });
    meter.enable();
    const third = await execute(runtime, LOCAL_STATE_MACHINES.stipulation, { period: THIRD });
    meter.stop();
    console.log(`${THIRD}: ${third.status} in ${seconds(third.ms)} (${queuedThird.rows} changes, for the fit)`);
    if (third.status !== 'SUCCEEDED') throw new Error(`${THIRD}: ${third.error} ${third.cause}`);
    const runsThird = meter.runs;
    setRecords(
      runsThird,
      queuedThird,
      regencies.length,
      changedRegencies.length,
      totalPersons,
      exportRecords.get('export units') ?? 0,
    );

    const measurements = measurementsFrom(
      runs,
      runsThird,
      await itemSizes(),
      queued.bytes / Math.max(1, queued.rows),
      queued.ids.length,
    );
    const run = (stage: MeasuredStage) => runs.get(stage) as StageRun;
    // The guard counted a regency's active persons with a COUNT query, or took them from the previous manifest.
    const countQueries =
      requestsMatching(run('guard summary'), '(COUNT)') + requestsMatching(run('compare shards'), '(COUNT)');
    const design: Design = { ...built.design, activeFromManifest: countQueries === 0 };
    if (!design.activeFromManifest) {
      built.notes.push(
        `NOT BUILT: the guard's active persons from the previous manifest — it sent ${countQueries} COUNT queries in the measured month`,
      );
    }
    printMeasured(runs, measurements);
    const national: NationalFigures = {
      ...NATION,
      changedShare: 0.02,
      changedRegencies: Math.min(NATION.regencies, opts.nationalChangedRegencies),
      proposals: Math.round((queued.ids.length / changedRegencies.length) * NATION.regencies),
      largestRegencyPersons: LARGEST_REGENCY_PERSONS,
    };
    const capacity: Capacity = {
      quotas: DEFAULT_QUOTAS,
      warm: design.warm,
      assumptions: { s3BytesPerSecondPerInvocation: S3_BYTES_PER_SECOND_PER_INVOCATION },
    };
    printDesign(design, built.notes);
    const projection = projectMonth(nationalStages(national, design, measurements), capacity, PRICES);
    printProjection(national, projection);
    printLevers(national, design, measurements, capacity, projection);
    const screening = projectStage(qualityControlStage(national, design, measurements), capacity);
    printQualityControl(screening, design);
    printSources(design);
    printReadmeTable(projection, screening, measurements, [
      ...stateStages(stipulationAsl, 'collect'),
      ...(qualityControlAsl ? stateStages(qualityControlAsl, QUALITY_CONTROL) : []),
    ]);
  } finally {
    meter.stop();
    await runtime?.stop();
    await api?.close();
    runtimeS3.destroy();
    await emulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Records per stage: what each stage goes over, known from what was queued (the Resolve children each scan
 * every accepted row; the guard and Apply every change); the exports' from what they read.
 */
function setRecords(
  runs: Map<MeasuredStage, StageRun>,
  queued: Queued,
  regencies: number,
  changedRegencies: number,
  persons: number,
  exported: number,
): void {
  const run = (stage: MeasuredStage) => runs.get(stage) as StageRun;
  const resolveScans = Math.max(1, run('resolve shards').invocations);
  const recordsOf: Record<MeasuredStage, number> = {
    collect: queued.ids.length,
    'plan resolution': queued.ids.length,
    'resolve shards': queued.rows * resolveScans,
    'summarise resolution': queued.ids.length,
    'include QC': regencies,
    'compare shards': queued.rows,
    'guard summary': changedRegencies,
    lease: 1,
    'apply shards': queued.rows,
    'export units': exported,
    'carry-forward': run('carry-forward').invocations,
    finalise: regencies,
    release: queued.ids.length,
    record: 1,
    [QUALITY_CONTROL]: persons,
  };
  for (const stage of MEASURED_STAGES) run(stage).records = recordsOf[stage];
}

function requestsMatching(run: StageRun, fragment: string): number {
  return Object.entries(run.requests)
    .filter(([name]) => name.includes(fragment))
    .reduce((total, [, count]) => total + count, 0);
}

interface Queued {
  ids: string[];
  /** Accepted rows staged (one change each) and their bytes as NDJSON. */
  rows: number;
  bytes: number;
}

async function queueProposals(
  period: string,
  regencies: readonly string[],
  masterOf: ReadonlyMap<string, MasterPerson[]>,
  changes: number,
  perRegency: number,
): Promise<Queued> {
  const { batchWrite } = await import('#shared/batch-writer.ts');
  const { documents, s3 } = await import('#shared/clients.ts');
  const { ProposalsRepository } = await import('#shared/proposals-repository.ts');
  const { META, proposalPk } = await import('#shared/proposals-table.ts');
  const { proposalRecord } = await import('../test/support/proposals.ts');
  const ids: string[] = [];
  const items = [];
  let rowCount = 0;
  let bytes = 0;
  const perChangedRegency = Math.ceil(changes / regencies.length);
  let left = changes;
  for (const regency of regencies) {
    const persons = (masterOf.get(regency) ?? []).slice(0, Math.min(left, perChangedRegency));
    left -= persons.length;
    for (let p = 0; p < perRegency; p++) {
      const proposalId = `${regency}-${period}-national${String(p).padStart(10, '0')}`;
      const rows: ProposalRow[] = persons
        .filter((_, i) => i % perRegency === p)
        .map((person, i) => ({ ...person, line: i + 2, aksi: 'UBAH', alasan: '', alamat: `${person.alamat} (baru)` }));
      const body = rows.map((row) => `${JSON.stringify(row)}\n`).join('');
      rowCount += rows.length;
      bytes += Buffer.byteLength(body);
      await s3.send(
        new PutObjectCommand({
          Bucket: LOCAL_RESOURCES.buckets.proposals,
          Key: KEYS.acceptedRows(proposalId),
          Body: body,
        }),
      );
      const [year, month] = period.split('-').map(Number) as [number, number];
      const approvedAt = new Date(Date.UTC(year, month - 1, 20) + ids.length * 1000).toISOString();
      items.push({
        PutRequest: {
          Item: {
            pk: proposalPk(proposalId),
            sk: META,
            ...proposalRecord(proposalId, {
              status: 'AWAITING_STIPULATION',
              period,
              regency,
              province: regency.slice(0, 2),
              key: `proposals/${regency}/${period}/${proposalId}.csv`,
            }),
            ...ProposalsRepository.stipulationQueueAttributes(proposalId, approvedAt),
          },
        },
      });
      ids.push(proposalId);
    }
  }
  await batchWrite(documents, LOCAL_RESOURCES.tables.proposals, items);
  return { ids, rows: rowCount, bytes };
}

async function execute(runtime: StepFunctionsRuntime, machine: string, input: Record<string, unknown>) {
  const started = performance.now();
  const { executionArn } = await runtime.startExecution({
    stateMachineArn: runtime.stateMachineArn(machine),
    input: JSON.stringify(input),
  });
  for (;;) {
    const description = runtime.describeExecution({ executionArn });
    if (description.status !== 'RUNNING') return { ...description, executionArn, ms: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every *StateEntered event of an execution, by state name. */
function statesEntered(runtime: StepFunctionsRuntime, executionArn: string): string[] {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = runtime.getExecutionHistory({
      executionArn,
      includeExecutionData: false,
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    for (const event of page.events as { type: string; stateEnteredEventDetails?: { name: string } }[]) {
      if (event.type.endsWith('StateEntered')) names.push(event.stateEnteredEventDetails?.name ?? '?');
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

/**
 * The transitions of an execution and of its Map Runs' children, by stage. A child counts as one item of the
 * stage of its Map (a carried export's child as carry-forward's).
 */
function countTransitions(
  runtime: StepFunctionsRuntime,
  executionArn: string,
  stages: ReadonlyMap<string, MeasuredStage>,
  runs: Map<MeasuredStage, StageRun>,
): void {
  const unmapped = new Set<string>();
  for (const name of statesEntered(runtime, executionArn)) {
    const stage = stages.get(name);
    if (stage) (runs.get(stage) as StageRun).transitions++;
    else unmapped.add(name);
  }
  for (const mapRun of runtime.listMapRuns({ executionArn }).mapRuns) {
    // arn:…:mapRun:<machine>/<label>:<id>
    const label = mapRun.mapRunArn.split(':mapRun:')[1]?.split(':')[0]?.split('/').pop() ?? '';
    let nextToken: string | undefined;
    do {
      const page = runtime.listExecutions({
        mapRunArn: mapRun.mapRunArn,
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      });
      for (const child of page.executions) {
        let stage = stages.get(label);
        if (stage === 'export units') {
          const input = runtime.describeExecution({ executionArn: child.executionArn }).input ?? '{}';
          if ((JSON.parse(input) as { carryFrom?: string }).carryFrom) stage = 'carry-forward';
        }
        if (!stage) {
          unmapped.add(label);
          continue;
        }
        const run = runs.get(stage) as StageRun;
        const entered = statesEntered(runtime, child.executionArn).length;
        run.items++;
        run.transitions += entered;
        run.itemTransitions += entered;
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  if (unmapped.size > 0) console.warn(`(states of no stage: ${[...unmapped].join(', ')})`);
}

/** Bytes of a master item and of a registry item, as DynamoDB sizes them (attribute names + values). */
async function itemSizes(): Promise<{ master: number; registry: number }> {
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const { documents } = await import('#shared/clients.ts');
  const size = async (table: string) => {
    const { Items = [] } = await documents.send(new ScanCommand({ TableName: table, Limit: 200 }));
    const bytes = Items.map((item) =>
      Object.entries(item).reduce((sum, [name, value]) => sum + name.length + String(value ?? '').length, 0),
    );
    return Math.round(bytes.reduce((a, b) => a + b, 0) / Math.max(1, bytes.length));
  };
  return { master: await size(LOCAL_RESOURCES.tables.master), registry: await size(LOCAL_RESOURCES.tables.population) };
}

/** The shard stages: as many invocations in both months, their records FIT_FACTOR times more in the third. */
const FITTED: readonly MeasuredStage[] = ['resolve shards', 'compare shards', 'apply shards'];

function measurementsFrom(
  runs: Map<MeasuredStage, StageRun>,
  runsThird: Map<MeasuredStage, StageRun>,
  sizes: { master: number; registry: number },
  acceptedRowBytes: number,
  proposals: number,
): Measurements {
  const stages = {} as Record<MeasuredStage, StageMeasurement>;
  for (const stage of MEASURED_STAGES) {
    const run = runs.get(stage) as StageRun;
    const third = runsThird.get(stage) as StageRun;
    const fitted = FITTED.includes(stage)
      ? fitCost(
          { invocations: run.invocations, records: run.records, cpuSeconds: run.cpuMs / 1000 },
          { invocations: third.invocations, records: third.records, cpuSeconds: third.cpuMs / 1000 },
        )
      : undefined;
    // Without a fit: the records per CPU second of the month with the most records a invocation (a shard
    // stage's third; its own cost then charged per record, the conservative side).
    const lumpedOf = (each: StageRun) => (each.cpuMs > 0 && each.records > 0 ? each.records / (each.cpuMs / 1000) : 0);
    const lumped = (FITTED.includes(stage) ? lumpedOf(third) : 0) || lumpedOf(run) || 1e6;
    if (FITTED.includes(stage) && !fitted) {
      console.warn(
        `(${stage}: the two months did not fit a cost per invocation and per record; its lumped rate is used)`,
      );
    }
    // A Resolve child's own cost is mostly its GETs of every proposal's rows: per proposal, so that it grows
    // with the nation's proposals.
    const perProposal = stage === 'resolve shards' && fitted ? fitted.secondsPerInvocation / Math.max(1, proposals) : 0;
    stages[stage] = {
      recordsPerSecond: fitted?.recordsPerSecond ?? lumped,
      transitionsPerItem: run.items > 0 ? run.itemTransitions / run.items : 0,
      fixedTransitions: run.transitions - run.itemTransitions,
      peakRssMb: run.peakRss / 1024 / 1024,
      secondsPerInvocation: stage === 'resolve shards' ? 0 : (fitted?.secondsPerInvocation ?? 0),
      secondsPerProposal: perProposal,
    };
  }
  return {
    stages,
    masterItemBytes: sizes.master,
    registryItemBytes: sizes.registry,
    acceptedRowBytes: Math.round(acceptedRowBytes),
    filesPerRegency: 4,
    secondsPerInvocation: SECONDS_PER_INVOCATION,
    memoryMb: MEMORY_MB,
  };
}

function printMeasured(runs: Map<MeasuredStage, StageRun>, measured: Measurements): void {
  console.log("\nMeasured here (the second month; local wall times are the emulators', for reference only):");
  console.log(
    table(
      [
        'stage',
        'records',
        'invocations',
        'CPU s',
        'local wall s',
        'records/CPU-s',
        'peak RSS MiB',
        'transitions',
        'per item',
        'fitted: records/CPU-s + CPU ms/invocation',
        'requests sent',
      ],
      MEASURED_STAGES.map((stage) => {
        const run = runs.get(stage) as StageRun;
        const m = measured.stages[stage];
        return [
          stage,
          fmt(run.records),
          fmt(run.invocations),
          (run.cpuMs / 1000).toFixed(1),
          (run.wallMs / 1000).toFixed(1),
          run.invocations && run.cpuMs > 0 ? fmt(Math.round(run.records / (run.cpuMs / 1000))) : '-',
          m.peakRssMb.toFixed(0),
          fmt(run.transitions),
          run.items ? (run.itemTransitions / run.items).toFixed(2) : '-',
          m.secondsPerInvocation > 0 || m.secondsPerProposal > 0
            ? `${fmt(Math.round(m.recordsPerSecond))} + ${(m.secondsPerInvocation * 1000).toFixed(1)}${m.secondsPerProposal > 0 ? ` (${(m.secondsPerProposal * 1000).toFixed(2)} per proposal)` : ''}`
            : '-',
          Object.entries(run.requests)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, count]) => `${name} ${count}`)
            .join(', '),
        ];
      }),
    ),
  );
  console.log(
    `master item ~${measured.masterItemBytes} B, registry item ~${measured.registryItemBytes} B, accepted row ~${measured.acceptedRowBytes} B`,
  );
}

function printDesign(design: Design, notes: readonly string[]): void {
  console.log('\nThe design as built (stipulation.asl.json, quality-control.asl.json, the synthesised stack):');
  console.log(
    `  shards ${design.shards}; MaxConcurrency: ResolveShards ${design.resolveConcurrency ?? '— (one Resolve)'}, ` +
      `CompareShards ${design.compareConcurrency ?? '— (one guard)'}, ApplyShards ${design.applyConcurrency ?? '— (one loop)'}, ` +
      `ExportRegencies ${design.exportConcurrency}, ReleaseProposals ${design.releaseConcurrency}, quality control ${design.qualityControlConcurrency}` +
      `${design.inlineQualityControlConcurrency === undefined ? ' (its own machine)' : ' (INLINE in the stipulation)'}`,
  );
  console.log(
    `  Apply: slices of ${fmt(design.applySlice)} changes, BatchWriteItem of ${design.batchWriteItems}, ` +
      `${fmt(design.applyWriteUnitsPerSecond)} WRU/s shared by the children in flight; lease ${design.lease ? 'yes' : 'no'}; ` +
      `guard's active persons ${design.activeFromManifest ? 'from the previous manifest' : 'by COUNT query'}; ` +
      `export units ${design.exportUnitMaxPersons === undefined ? 'none (a regency per invocation)' : `of at most ${fmt(design.exportUnitMaxPersons)} persons`}`,
  );
  console.log(
    `  warm throughput: ${TABLES.map((table) => {
      const warm = design.warm[table];
      return `${table} ${warm ? `${fmt(warm.read)} RRU/${fmt(warm.write)} WRU` : 'a new table’s (12,000/4,000)'}`;
    }).join('; ')}`,
  );
  console.log(
    `  Lambda memory (the stack's; 1,769 MB is one vCPU, a measured rate per CPU-s runs at its share): ${Object.entries(
      design.memoryMb,
    )
      .map(([stage, megabytes]) => `${stage} ${megabytes} MB`)
      .join(', ')}`,
  );
  const above = warmThroughputAboveQuota(design.warm, DEFAULT_QUOTAS);
  if (above.length > 0)
    console.log(`  (!) warm throughput above the 40,000 table quota (a raise): ${above.join(', ')}`);
  for (const note of notes) console.log(`  - ${note}`);
}

function printProjection(national: NationalFigures, projection: MonthProjection): void {
  console.log(
    `\nProjected AWS month: ${fmt(national.persons)} persons, ${fmt(national.families)} families, ` +
      `${national.regencies} regencies, ${national.changedShare * 100}% of persons changed ` +
      `(${fmt(Math.round(national.persons * national.changedShare))} changes), ${national.changedRegencies} regencies ` +
      `re-exported, ${national.regencies - national.changedRegencies} carried forward, ${fmt(national.proposals)} proposals`,
  );
  console.log(stageTable(projection.stages));
  for (const stage of projection.stages.filter((each) => each.exceedsLambdaTimeout)) {
    console.log(
      `(!) ${stage.name}: its largest invocation would take ${duration(stage.largestInvocationSeconds)}, above Lambda's 15 minutes`,
    );
  }
  for (const stage of projection.stages.filter((each) => each.exceedsTarget)) {
    console.log(`(>15) ${stage.name}: ${duration(stage.seconds)} alone, above the month's 15 minutes`);
  }
  const t = projection.totals;
  console.log(
    `\nCritical path: every stage, one after another (the workflow is a chain; the ministry's sign-off wait, when the guard asks for one, is not counted): ${projection.stages
      .filter((s) => s.seconds > 0)
      .map((s) => `${s.name} ${duration(s.seconds)}`)
      .join(' → ')}`,
  );
  console.log(
    `Projected wall time: ${duration(projection.seconds)} (target ${duration(TARGET_SECONDS)}: ${projection.meetsTarget ? `met, ${duration(TARGET_SECONDS - projection.seconds)} to spare` : `MISSED by ${duration(projection.seconds - TARGET_SECONDS)}`})`,
  );
  console.log(
    `Binding limit: ${projection.binding.stage}, ${projection.binding.limit.name} (${duration(projection.binding.limit.seconds)})`,
  );
  const peak = Math.max(...projection.stages.map((stage) => stage.inFlight));
  console.log(
    `Requests: ${fmt(t.invocations)} Lambda invocations (at most ${peak} in flight, of Lambda's ${fmt(DEFAULT_QUOTAS.lambdaConcurrency)}), ${fmt(Math.round(t.lambdaGbSeconds))} GB-s, ` +
      `${fmt(t.stateTransitions)} state transitions, ${fmt(Math.round(t.readUnits))} RRU, ${fmt(Math.round(t.writeUnits))} WRU, ` +
      `${fmt(t.s3Puts)} S3 PUT/COPY, ${fmt(t.s3Gets)} S3 GET/HEAD; ${Object.entries(t.requests)
        .map(([name, count]) => `${fmt(count)} ${name}`)
        .join(', ')}`,
  );
  printCost('Monthly cost (USD, requests only)', projection.cost);
}

/**
 * What the ASL alone could still change (MaxConcurrency, no quota raised): for each Map, the concurrency at
 * which its Lambda time falls to its next limit, and the month with it, cumulatively. Not built: printed so
 * that the table says how far the design as built is from the target and why.
 */
function printLevers(
  national: NationalFigures,
  design: Design,
  measured: Measurements,
  capacity: Capacity,
  built: MonthProjection,
): void {
  const maps = [
    ['exportConcurrency', 'export units', 'ExportRegencies'],
    ['compareConcurrency', 'compare shards', 'CompareShards'],
    ['applyConcurrency', 'apply shards', 'ApplyShards'],
  ] as const;
  let current = design;
  let month = built;
  const lines: string[] = [];
  for (const [field, stageName, state] of maps) {
    const before = current[field];
    if (before === undefined) continue;
    // The smallest MaxConcurrency (to the account's 1,000) at which the stage is no longer bound by Lambda.
    let best = before;
    for (let concurrency = before; concurrency <= DEFAULT_QUOTAS.lambdaConcurrency; concurrency++) {
      const trial = { ...current, [field]: concurrency };
      const stage = projectMonth(nationalStages(national, trial, measured), capacity, PRICES).stages.find(
        (each) => each.name === stageName,
      );
      best = concurrency;
      if (!stage?.binding.name.startsWith('Lambda')) break;
    }
    if (best === before) continue;
    const next = projectMonth(nationalStages(national, { ...current, [field]: best }, measured), capacity, PRICES);
    // A Map whose children only share a pace (Apply's writes) gains nothing from more of them.
    if (next.seconds >= month.seconds * 0.99) continue;
    current = { ...current, [field]: best };
    month = next;
    const stage = month.stages.find((each) => each.name === stageName);
    lines.push(
      `  ${state} MaxConcurrency ${before} → ${best}: ${stageName} ${duration(stage?.seconds ?? 0)} (${stage?.binding.name}); month ${duration(month.seconds)}`,
    );
  }
  if (lines.length === 0) return;
  console.log('\nWhat the ASL alone could still change (MaxConcurrency only, no quota raised; NOT built, cumulative):');
  for (const line of lines) console.log(line);
  console.log(
    `  → month ${duration(month.seconds)} (target ${month.meetsTarget ? 'met' : 'missed'}), bound by ${month.binding.stage}: ${month.binding.limit.name}`,
  );
}

function printQualityControl(screening: StageProjection, design: Design): void {
  const where =
    design.inlineQualityControlConcurrency === undefined
      ? 'its own state machine, OFF the critical path (run after the registry is loaded, before the stipulation)'
      : 'INLINE in the stipulation (its row above is the same screening)';
  console.log(`\nQuality control (${where}):`);
  console.log(stageTable([screening]));
  console.log(
    `  wall ${duration(screening.seconds)}, bound by ${screening.binding.name}; ${fmt(screening.invocations)} invocations, ` +
      `${fmt(Math.round(screening.readUnits))} RRU${screening.exceedsLambdaTimeout ? `; (!) its largest invocation ${duration(screening.largestInvocationSeconds)}` : ''}`,
  );
  printCost('  its monthly cost (USD)', costOf(totalsOf([screening]), PRICES));
}

function printCost(title: string, cost: ReturnType<typeof costOf>): void {
  console.log(
    `${title}: Step Functions ${cost.stepFunctions.toFixed(2)}, Lambda ${cost.lambda.toFixed(2)}, DynamoDB ${cost.dynamodb.toFixed(2)}, ` +
      `S3 ${cost.s3.toFixed(2)}; total ${cost.total.toFixed(2)}`,
  );
}

function printSources(design: Design): void {
  console.log(`\nPrices: ${PRICES.source}`);
  const warm = warmThroughputCost(design.warm, DEFAULT_QUOTAS, PRICES);
  console.log(`${PRICES.warmSource}${warm === undefined ? '' : ` One-time: $${warm.toFixed(2)}.`}`);
  console.log('Quotas (published defaults, none raised):');
  for (const source of QUOTA_SOURCES) console.log(`  - ${source}`);
  console.log(
    `Assumed: ${SECONDS_PER_INVOCATION} s per invocation besides its records (the Task's round trip), each function's memory as the stack sets it (a measured rate per CPU-s runs at memory / 1,769 MB of a vCPU, at most one), ${S3_BYTES_PER_SECOND_PER_INVOCATION / 1e6} MB/s of S3 per invocation, the largest regency ${fmt(LARGEST_REGENCY_PERSONS)} persons (one byRegency key: one partition's 3,000 RRU / 1,000 WRU per s), changes spread evenly over the persons, export units an upper bound (one per regency plus one per full unit), proposals per regency as in the scaled-down run; every limit of a stage overlaps perfectly with the others (a best case).`,
  );
}

/** The table of state-machines/README.md's "National projection", in Markdown. */
function printReadmeTable(
  projection: MonthProjection,
  screening: StageProjection,
  measured: Measurements,
  states: readonly [string, MeasuredStage][],
): void {
  const statesOf = (stage: MeasuredStage) =>
    [...new Set(states.filter(([, each]) => each === stage).map(([name]) => name))].join(', ') || '—';
  const row = (stage: StageProjection, name: MeasuredStage) => {
    const m = measured.stages[name];
    const rate = `${fmt(Math.round(m.recordsPerSecond))} ${stage.unit}/CPU-s${
      m.secondsPerInvocation > 0 ? ` + ${(m.secondsPerInvocation * 1000).toFixed(0)} ms/inv.` : ''
    }${m.secondsPerProposal > 0 ? ` + ${(m.secondsPerProposal * 1000).toFixed(1)} ms/proposal` : ''}, ${m.peakRssMb.toFixed(0)} MiB`;
    return [
      name,
      statesOf(name),
      stage.invocations === 0 ? '—' : rate,
      `${fmt(stage.records)} ${stage.unit}, ${fmt(stage.invocations)} inv., ${stage.inFlight} in flight`,
      duration(stage.seconds) + (stage.exceedsLambdaTimeout ? ' (!)' : '') + (stage.exceedsTarget ? ' (>15)' : ''),
      stage.invocations === 0 ? '— (not in the workflow as built)' : stage.binding.name,
    ];
  };
  console.log('\nREADME table (Markdown):\n');
  console.log(
    table(
      ['stage', 'states', 'measured here', 'projected national', 'wall', 'binding limit'],
      [
        ...projection.stages.map((stage) => row(stage, stage.name as MeasuredStage)),
        [
          '**month**',
          '',
          '',
          '',
          `**${duration(projection.seconds)}**`,
          `**${projection.binding.stage}: ${projection.binding.limit.name}**`,
        ],
        row(screening, QUALITY_CONTROL),
      ],
    ),
  );
}

function stageTable(stages: readonly StageProjection[]): string {
  return table(
    [
      'stage',
      'records',
      'wall',
      'binding limit',
      'invocations',
      'GB-s',
      'transitions',
      'RRU',
      'WRU',
      'S3 PUT',
      'S3 GET',
    ],
    stages.map((stage) => [
      stage.name,
      `${fmt(stage.records)} ${stage.unit}`,
      duration(stage.seconds) + (stage.exceedsLambdaTimeout ? ' (!)' : '') + (stage.exceedsTarget ? ' (>15)' : ''),
      stage.invocations === 0 ? '— (not in the workflow as built)' : stage.binding.name,
      fmt(stage.invocations),
      fmt(Math.round(stage.lambdaGbSeconds)),
      fmt(stage.stateTransitions),
      fmt(Math.round(stage.readUnits)),
      fmt(Math.round(stage.writeUnits)),
      fmt(stage.s3Puts),
      fmt(stage.s3Gets),
    ]),
  );
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function fmt(value: number): string {
  return value.toLocaleString('en');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function duration(secondsValue: number): string {
  if (secondsValue < 90) return `${secondsValue.toFixed(1)} s`;
  if (secondsValue < 5400) return `${(secondsValue / 60).toFixed(1)} min`;
  return `${(secondsValue / 3600).toFixed(2)} h`;
}

await main();
