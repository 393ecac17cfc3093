/**
 * The national projection of the monthly stipulation:
 *
 *   npx tsx bench/national.ts [--regencies 20] [--persons 1000] [--changed 0.02] [--proposals 3]
 *                             [--changed-regencies 0.5] [--national-changed-regencies 514]
 *
 * 1. Runs the stipulation workflow (state-machines/stipulation.asl.json through the local runtime, the
 *    production handlers, dynalite and the local S3 in their own process) over `--regencies` regencies of
 *    about `--persons` persons each (synthetic/generator.ts; their registry loaded too): a first month with
 *    nothing proposed (every regency exported from the master, the handlers warmed up), then a month in
 *    which `--changed` of all persons change (UBAH, an address) in `--proposals` proposals per changed
 *    regency, the changes in the first `--changed-regencies` share of the regencies, so that the others are
 *    carried forward.
 * 2. Measures, on the second month, per stage: records, the handlers' process CPU seconds and wall seconds
 *    while the stage's functions run, their peak RSS, the Lambda invocations, and the state transitions
 *    counted from the execution histories (GetExecutionHistory of the parent and of every child execution
 *    of the distributed Maps' Map Runs: every *StateEntered event, as Step Functions bills them).
 * 3. Projects the AWS month (bench/national-model.ts) for 289,060,513 persons, 95,006,179 families and 514
 *    regencies with 2% of persons changed, from the quotas and prices below (published; not measured) and
 *    the rates measured here (records per CPU second of one invocation: the handlers run in one process
 *    here, the emulators in another, so the CPU is the handlers', the SDK's and the local runtime's — on
 *    Lambda with 1,769 MB or more, one vCPU).
 *
 * The local wall times are dynalite's (single-threaded, on a shared 2-core machine) and are printed for
 * reference only; the projection uses the CPU rates and the services' published limits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadAreas } from '#core/area.ts';
import type { MasterPerson, ProposalRow } from '#core/proposal.ts';
import { startEmulatorProcess } from '#local/emulator-host.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import { LocalFunctions, localSubstitutions } from '#local/functions.ts';
import { LOCAL_RESOURCES, localEnvironmentVariables, provisionLocal } from '#local/provision.ts';
import { seedMaster } from '#local/seed.ts';
import { loadDefinition } from '#local/sfn/definition.ts';
import { serveStepFunctionsApi } from '#local/sfn/http.ts';
import { StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import { s3ObjectStorage } from '#local/sfn/s3-objects.ts';
import { KEYS } from '#shared/contracts.ts';
import { officialRegencies } from '#shared/regencies.ts';
import { generateWorld } from '#synthetic/generator.ts';
import {
  DEFAULT_QUOTAS,
  type Design,
  type Measurements,
  type MonthProjection,
  type NationalFigures,
  nationalStages,
  type Prices,
  projectMonth,
  type Quotas,
  STAGE_NAMES,
  type StageInput,
  type StageMeasurement,
  type StageName,
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
  'DynamoDB on demand: a new table or GSI sustains 4,000 writes/s and 12,000 reads/s (warm throughput); 1,000 WCU / 3,000 RCU per partition — Amazon DynamoDB developer guide, "Understanding DynamoDB warm throughput" and "Pre-warming a table for on-demand capacity mode"; 40,000 RRU and WRU per table by default ("DynamoDB maximum throughput for on-demand tables", table-level quota) (read 2026-12-02)',
  'S3: 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD per s per partitioned prefix — Amazon S3 user guide, "Best practices design patterns: optimizing Amazon S3 performance" (read 2026-12-02)',
];

/**
 * On-demand prices. No ap-southeast-3 (Jakarta) price was found in the stored pages: these are the US East
 * (N. Virginia) prices, which the pricing pages show as their reference Region. Read 2026-12-02.
 */
const PRICES: Prices & { source: string } = {
  perMillionStateTransitions: 25, // aws.amazon.com/step-functions/pricing: $0.025 per 1,000 (US East)
  perMillionLambdaRequests: 0.2, // aws.amazon.com/lambda/pricing: $0.20 per 1M requests (US East)
  perLambdaGbSecond: 0.0000166667, // x86, first tier (US East)
  perMillionWriteRequestUnits: 0.625, // aws.amazon.com/dynamodb/pricing/on-demand (US East, since Nov 2024)
  perMillionReadRequestUnits: 0.125,
  perThousandS3Puts: 0.005, // aws.amazon.com/s3/pricing: S3 Standard PUT/COPY/POST/LIST (US East)
  perThousandS3Gets: 0.0004, // GET/SELECT (US East)
  source:
    'US East (N. Virginia) on-demand prices (no ap-southeast-3 price found in the stored pages; Jakarta is usually higher): Step Functions $0.025/1,000 transitions; Lambda $0.20/1M requests + $0.0000166667/GB-s (x86); DynamoDB $0.625/1M WRU, $0.125/1M RRU; S3 Standard $0.005/1,000 PUT, $0.0004/1,000 GET. Read 2026-12-02. Storage and data transfer not included.',
};

/** The design's constants (state-machines/stipulation.asl.json, functions/stipulation-apply). */
const DESIGN: Design = {
  screeningConcurrency: 10,
  exportConcurrency: 40,
  releaseConcurrency: 50,
  applySlice: 20_000,
  applyWriteUnitsPerSecond: 4000,
};
/** Assumed, not measured: a Lambda invocation's own cost besides its records (warm start, the Task round trip). */
const SECONDS_PER_INVOCATION = 0.1;
const MEMORY_MB = 1769;

// ---------------------------------------------------------------------------------------------

const FIRST = '2026-10';
const SECOND = '2026-11';

interface Options {
  regencies: number;
  persons: number;
  changed: number;
  proposals: number;
  changedRegencies: number;
  nationalChangedRegencies: number;
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
  };
}

/** Which stage a function's invocation belongs to (`carryFrom` tells a carried export apart). */
function stageOf(functionName: string, payload: Record<string, unknown>): StageName | undefined {
  switch (functionName) {
    case 'stipulation-collect':
      return 'collect';
    case 'stipulation-resolve':
      return 'resolve';
    case 'quality-control-regencies':
    case 'quality-control-screen':
    case 'quality-control-summarise':
      return 'quality control';
    case 'stipulation-guard':
      return 'guard';
    case 'stipulation-apply':
      return 'apply';
    case 'stipulation-list-regencies':
      return 'export';
    case 'stipulation-export-regency':
      return payload.carryFrom ? 'carry-forward' : 'export';
    case 'stipulation-release':
      return 'release';
    case 'stipulation-finalise-export':
    case 'stipulation-record-period':
      return 'record';
    default:
      return undefined;
  }
}

/** Which stage a state of the workflow (or of a Map's child) belongs to. */
const STATE_STAGE_NAMES: Record<string, StageName> = {
  DetermineClosingPeriod: 'collect',
  CollectApprovedProposals: 'collect',
  WasThePeriodStipulatedBefore: 'collect',
  ResolveConflictsAcrossProposals: 'resolve',
  ListRegenciesToScreen: 'quality control',
  ScreenRegenciesAgainstRegistry: 'quality control',
  ScreenRegency: 'quality control',
  SummariseQualityControl: 'quality control',
  CompareChangesWithMaster: 'guard',
  IsASignOffRequired: 'guard',
  AwaitMinistrySignOff: 'guard',
  VerifyMinistrySignOff: 'guard',
  DidTheMinistrySignOff: 'guard',
  IsThereAnythingToApply: 'apply',
  ApplyChangesToMaster: 'apply',
  IsTheChangeSetApplied: 'apply',
  ListRegencies: 'export',
  ExportRegencies: 'export',
  FinaliseExport: 'record',
  ReleaseProposals: 'release',
  ReleaseProposal: 'release',
  RecordPeriod: 'record',
  PeriodStipulated: 'record',
};

interface StageRun {
  records: number;
  /** The unit transitions scale with (regencies screened/exported/carried, proposals released, changes). */
  items: number;
  invocations: number;
  cpuMs: number;
  wallMs: number;
  peakRss: number;
  transitions: number;
  itemTransitions: number;
}

/** Times the invocations of each stage: CPU and wall while at least one of its functions runs, peak RSS. */
class StageMeter {
  readonly runs = new Map<StageName, StageRun>(STAGE_NAMES.map((stage) => [stage, emptyRun()]));
  private readonly active = new Map<StageName, { count: number; cpu: number; wall: number }>();
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

  async around<T>(stage: StageName | undefined, call: () => Promise<T>): Promise<T> {
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
  return { records: 0, items: 0, invocations: 0, cpuMs: 0, wallMs: 0, peakRss: 0, transitions: 0, itemTransitions: 0 };
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
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

  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-national-'));
  const emulators = await startEmulatorProcess({ dataDir: join(dataDir, 'emulators') });
  const functions = new LocalFunctions();
  const meter = new StageMeter();
  let runtime: StepFunctionsRuntime | undefined;
  let api: Awaited<ReturnType<typeof serveStepFunctionsApi>> | undefined;
  const runtimeS3 = new S3Client({ ...LOCAL_AWS, endpoint: emulators.s3Endpoint, forcePathStyle: true });
  try {
    await provisionLocal(emulators, LOCAL_RESOURCES);
    // What each invocation did, for the records of its stage.
    const records = new Map<StageName, number>();
    const items = new Map<StageName, number>();
    const count = (stage: StageName, recordsDone: number, itemsDone: number) => {
      records.set(stage, (records.get(stage) ?? 0) + recordsDone);
      items.set(stage, (items.get(stage) ?? 0) + itemsDone);
    };
    const personsOf = new Map<string, number>();
    runtime = await StepFunctionsRuntime.start({
      dataDir: join(dataDir, 'stepfunctions'),
      machines: [
        {
          name: 'stipulation',
          definition: await loadDefinition(
            new URL('../state-machines/stipulation.asl.json', import.meta.url),
            localSubstitutions(),
          ),
        },
      ],
      objects: s3ObjectStorage(runtimeS3),
      invoker: {
        invoke: async (functionArn, payload) => {
          const name = functions.resolve(functionArn);
          const input = (payload ?? {}) as Record<string, unknown>;
          const stage = stageOf(name, input);
          const output = (await meter.around(stage, () => functions.invoke(functionArn, payload))) as Record<
            string,
            unknown
          >;
          if (stage) tally(stage, name, input, output ?? {}, count, personsOf);
          return output;
        },
      },
    });
    api = await serveStepFunctionsApi(runtime);
    Object.assign(process.env, localEnvironmentVariables({ ...emulators, sfnEndpoint: api.endpoint }, LOCAL_RESOURCES));

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
    const first = await stipulate(runtime, FIRST);
    console.log(`${FIRST}: ${first.status} in ${seconds(first.ms)} (warm-up: every regency exported from the master)`);
    if (first.status !== 'SUCCEEDED') throw new Error(`${FIRST}: ${first.error} ${first.cause}`);

    // Month 2: the changes, queued as province-approved proposals with their accepted rows staged.
    const changes = Math.round(totalPersons * opts.changed);
    const proposalIds = await queueProposals(changedRegencies, masterOf, changes, opts.proposals);
    records.clear();
    items.clear();
    meter.enable();
    const second = await stipulate(runtime, SECOND);
    meter.stop();
    console.log(
      `${SECOND}: ${second.status} in ${seconds(second.ms)} (${changes} changes in ${proposalIds.length} proposals, ` +
        `${changedRegencies.length} regencies changed, ${regencies.length - changedRegencies.length} carried forward)`,
    );
    if (second.status !== 'SUCCEEDED') throw new Error(`${SECOND}: ${second.error} ${second.cause}`);

    // State transitions from the histories: the parent's, and every Map Run's children.
    const runs = meter.runs;
    for (const stage of STAGE_NAMES) {
      const run = runs.get(stage) as StageRun;
      run.records = records.get(stage) ?? 0;
      run.items = items.get(stage) ?? 0;
    }
    // The guard compares and Apply applies every change (Resolve's count); FinaliseExport and RecordPeriod go
    // over every regency.
    (runs.get('guard') as StageRun).records = records.get('resolve') ?? 0;
    (runs.get('record') as StageRun).records = regencies.length;
    (runs.get('apply') as StageRun).records = records.get('resolve') ?? 0;
    countTransitions(runtime, second.executionArn, runs);

    const measurements = measurementsFrom(runs, await itemSizes());
    printMeasured(runs, measurements);
    const national: NationalFigures = {
      ...NATION,
      changedShare: 0.02,
      changedRegencies: Math.min(NATION.regencies, opts.nationalChangedRegencies),
      proposals: Math.round((proposalIds.length / changedRegencies.length) * NATION.regencies),
      largestRegencyPersons: LARGEST_REGENCY_PERSONS,
    };
    const stages = nationalStages(national, DESIGN, measurements);
    const projection = projectMonth(stages, DEFAULT_QUOTAS, PRICES);
    printProjection(national, projection);
    printLevers(national, stages);
  } finally {
    meter.stop();
    await runtime?.stop();
    await api?.close();
    runtimeS3.destroy();
    await emulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Adds an invocation's records (and items, what its transitions scale with) to its stage. */
function tally(
  stage: StageName,
  name: string,
  input: Record<string, unknown>,
  output: Record<string, unknown>,
  count: (stage: StageName, records: number, items: number) => void,
  personsOf: ReadonlyMap<string, number>,
): void {
  const number = (value: unknown) => (typeof value === 'number' ? value : 0);
  const done: Record<string, () => [number, number]> = {
    'stipulation-collect': () => [number(output.proposalCount), 0],
    'stipulation-resolve': () => [number(output.changes), 0],
    'quality-control-screen': () => [personsOf.get(String(input.regency)) ?? 0, 1],
    // A slice's changes are counted from the change set (Resolve's count) once the loop is done.
    'stipulation-apply': () => [0, 1],
    'stipulation-export-regency': () => (stage === 'carry-forward' ? [1, 1] : [number(output.records), 1]),
    'stipulation-release': () => [1, 1],
  };
  const [records, items] = done[name]?.() ?? [0, 0];
  count(stage, records, items);
}

async function queueProposals(
  regencies: readonly string[],
  masterOf: ReadonlyMap<string, MasterPerson[]>,
  changes: number,
  perRegency: number,
): Promise<string[]> {
  const { batchWrite } = await import('#shared/batch-writer.ts');
  const { documents, s3 } = await import('#shared/clients.ts');
  const { ProposalsRepository } = await import('#shared/proposals-repository.ts');
  const { META, proposalPk } = await import('#shared/proposals-table.ts');
  const { proposalRecord } = await import('../test/support/proposals.ts');
  const ids: string[] = [];
  const items = [];
  const perChangedRegency = Math.ceil(changes / regencies.length);
  let left = changes;
  for (const regency of regencies) {
    const persons = (masterOf.get(regency) ?? []).slice(0, Math.min(left, perChangedRegency));
    left -= persons.length;
    for (let p = 0; p < perRegency; p++) {
      const proposalId = `${regency}-${SECOND}-national${String(p).padStart(10, '0')}`;
      const rows: ProposalRow[] = persons
        .filter((_, i) => i % perRegency === p)
        .map((person, i) => ({ ...person, line: i + 2, aksi: 'UBAH', alasan: '', alamat: `${person.alamat} (baru)` }));
      await s3.send(
        new PutObjectCommand({
          Bucket: LOCAL_RESOURCES.buckets.proposals,
          Key: KEYS.acceptedRows(proposalId),
          Body: rows.map((row) => `${JSON.stringify(row)}\n`).join(''),
        }),
      );
      const approvedAt = new Date(Date.UTC(2026, 10, 20) + ids.length * 1000).toISOString();
      items.push({
        PutRequest: {
          Item: {
            pk: proposalPk(proposalId),
            sk: META,
            ...proposalRecord(proposalId, {
              status: 'AWAITING_STIPULATION',
              period: SECOND,
              regency,
              province: regency.slice(0, 2),
              key: `proposals/${regency}/${SECOND}/${proposalId}.csv`,
            }),
            ...ProposalsRepository.stipulationQueueAttributes(proposalId, approvedAt),
          },
        },
      });
      ids.push(proposalId);
    }
  }
  await batchWrite(documents, LOCAL_RESOURCES.tables.proposals, items);
  return ids;
}

async function stipulate(runtime: StepFunctionsRuntime, period: string) {
  const started = performance.now();
  const { executionArn } = await runtime.startExecution({
    stateMachineArn: runtime.stateMachineArn('stipulation'),
    input: JSON.stringify({ period }),
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

function countTransitions(runtime: StepFunctionsRuntime, executionArn: string, runs: Map<StageName, StageRun>): void {
  const add = (stage: StageName, perItem: boolean) => {
    const run = runs.get(stage) as StageRun;
    run.transitions++;
    if (perItem) run.itemTransitions++;
  };
  // The states entered once per item of a stage (the inline Map's iterations, the apply loop).
  const perItemStates = new Set(['ScreenRegency', 'ApplyChangesToMaster', 'IsTheChangeSetApplied']);
  for (const name of statesEntered(runtime, executionArn)) {
    const stage = STATE_STAGE_NAMES[name];
    if (stage) add(stage, perItemStates.has(name));
  }
  for (const mapRun of runtime.listMapRuns({ executionArn }).mapRuns) {
    let nextToken: string | undefined;
    do {
      const page = runtime.listExecutions({
        mapRunArn: mapRun.mapRunArn,
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      });
      for (const child of page.executions) {
        const entered = statesEntered(runtime, child.executionArn);
        let stage: StageName = mapRun.mapRunArn.includes('/ReleaseProposal:') ? 'release' : 'export';
        if (stage === 'export') {
          const input = runtime.describeExecution({ executionArn: child.executionArn }).input ?? '{}';
          if ((JSON.parse(input) as { carryFrom?: string }).carryFrom) stage = 'carry-forward';
        }
        for (const _ of entered) add(stage, true);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
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

function measurementsFrom(runs: Map<StageName, StageRun>, sizes: { master: number; registry: number }): Measurements {
  const stages = {} as Record<StageName, StageMeasurement>;
  for (const stage of STAGE_NAMES) {
    const run = runs.get(stage) as StageRun;
    stages[stage] = {
      recordsPerSecond: run.cpuMs > 0 && run.records > 0 ? run.records / (run.cpuMs / 1000) : 1,
      transitionsPerRecord: run.items > 0 ? run.itemTransitions / run.items : 0,
      fixedTransitions: run.transitions - run.itemTransitions,
      peakRssMb: run.peakRss / 1024 / 1024,
    };
  }
  // The apply loop's transitions scale with the slices, not the changes: two a slice (ApplyChangesToMaster,
  // IsTheChangeSetApplied); the scaled-down month fits one slice.
  const apply = runs.get('apply') as StageRun;
  const slices = Math.max(1, apply.invocations);
  stages.apply.transitionsPerRecord = apply.itemTransitions / slices / DESIGN.applySlice;
  return {
    stages,
    masterItemBytes: sizes.master,
    registryItemBytes: sizes.registry,
    filesPerRegency: 4,
    secondsPerInvocation: SECONDS_PER_INVOCATION,
    memoryMb: MEMORY_MB,
  };
}

function printMeasured(runs: Map<StageName, StageRun>, measured: Measurements): void {
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
      ],
      STAGE_NAMES.map((stage) => {
        const run = runs.get(stage) as StageRun;
        const m = measured.stages[stage];
        return [
          stage,
          fmt(run.records),
          fmt(run.invocations),
          (run.cpuMs / 1000).toFixed(1),
          (run.wallMs / 1000).toFixed(1),
          fmt(Math.round(m.recordsPerSecond)),
          m.peakRssMb.toFixed(0),
          fmt(run.transitions),
          run.items ? (run.itemTransitions / run.items).toFixed(stage === 'apply' ? 5 : 2) : '-',
        ];
      }),
    ),
  );
  console.log(`master item ~${measured.masterItemBytes} B, registry item ~${measured.registryItemBytes} B`);
}

function printProjection(national: NationalFigures, projection: MonthProjection): void {
  console.log(
    `\nProjected AWS month: ${fmt(national.persons)} persons, ${fmt(national.families)} families, ` +
      `${national.regencies} regencies, ${national.changedShare * 100}% of persons changed ` +
      `(${fmt(Math.round(national.persons * national.changedShare))} changes), ${national.changedRegencies} regencies ` +
      `re-exported, ${national.regencies - national.changedRegencies} carried forward, ${fmt(national.proposals)} proposals`,
  );
  console.log(
    table(
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
      projection.stages.map((stage) => [
        stage.name,
        `${fmt(stage.records)} ${stage.unit}`,
        duration(stage.seconds) + (stage.exceedsLambdaTimeout ? ' (!)' : ''),
        stage.binding.name,
        fmt(stage.invocations),
        fmt(Math.round(stage.lambdaGbSeconds)),
        fmt(stage.stateTransitions),
        fmt(Math.round(stage.readUnits)),
        fmt(Math.round(stage.writeUnits)),
        fmt(stage.s3Puts),
        fmt(stage.s3Gets),
      ]),
    ),
  );
  for (const stage of projection.stages.filter((each) => each.exceedsLambdaTimeout)) {
    console.log(
      `(!) ${stage.name}: its largest invocation would take ${duration(stage.largestInvocationSeconds)}, above Lambda's 15 minutes`,
    );
  }
  const t = projection.totals;
  console.log(
    `\nCritical path: every stage, one after another (the workflow is a chain): ${projection.stages.map((s) => `${s.name} ${duration(s.seconds)}`).join(' → ')}`,
  );
  console.log(
    `Projected wall time: ${duration(projection.seconds)} (target 15 min: ${projection.seconds <= 900 ? 'met' : `missed by ${duration(projection.seconds - 900)}`})`,
  );
  console.log(
    `Binding limit: ${projection.binding.stage}, ${projection.binding.limit.name} (${duration(projection.binding.limit.seconds)})`,
  );
  console.log(
    `Requests: ${fmt(t.invocations)} Lambda invocations, ${fmt(Math.round(t.lambdaGbSeconds))} GB-s, ${fmt(t.stateTransitions)} state transitions, ` +
      `${fmt(Math.round(t.readUnits))} RRU, ${fmt(Math.round(t.writeUnits))} WRU, ${fmt(t.s3Puts)} S3 PUT/COPY, ${fmt(t.s3Gets)} S3 GET/HEAD`,
  );
  const c = projection.cost;
  console.log(
    `Monthly cost (USD): Step Functions ${c.stepFunctions.toFixed(2)}, Lambda ${c.lambda.toFixed(2)}, DynamoDB ${c.dynamodb.toFixed(2)}, ` +
      `S3 ${c.s3.toFixed(2)}; total ${c.total.toFixed(2)}`,
  );
  console.log(`\nPrices: ${PRICES.source}`);
  console.log('Quotas (published defaults, none raised):');
  for (const source of QUOTA_SOURCES) console.log(`  - ${source}`);
  console.log(
    `Assumed: ${SECONDS_PER_INVOCATION} s per invocation besides its records, ${MEMORY_MB} MB (one vCPU), the largest regency ${fmt(LARGEST_REGENCY_PERSONS)} persons, proposals per regency as in the scaled-down run; every limit of a stage overlaps perfectly with the others (a best case).`,
  );
}

/**
 * What would change it: the same model with one design change after another (cumulative), each named. None
 * of them is built; none raises a quota (40,000 is DynamoDB's default table-level quota for on-demand).
 */
function printLevers(national: NationalFigures, stages: readonly StageInput[]): void {
  const changes = Math.round(national.persons * national.changedShare);
  const largestShare = national.largestRegencyPersons / national.persons;
  const levers: { name: string; quotas?: Partial<Quotas>; change?: (stage: StageInput) => StageInput | undefined }[] = [
    {
      name: "pre-warm the master, its byRegency index and the population table to 40,000 RRU/WRU per second (UpdateTable WarmThroughput, paid; DynamoDB's default table-level quota, not raised)",
      quotas: { tableReadUnitsPerSecond: 40_000, tableWriteUnitsPerSecond: 40_000 },
    },
    {
      name: 'fan every per-regency stage out to 500 at once (distributed Maps; MaxConcurrency 500 < Lambda 1,000), and run Resolve, the guard and Apply per regency (a distributed Map of 514) instead of one function or one sequential loop',
      change: (stage) => {
        if (['quality control', 'export', 'carry-forward'].includes(stage.name)) return { ...stage, concurrency: 500 };
        if (['resolve', 'guard', 'apply'].includes(stage.name)) {
          return {
            ...stage,
            invocations: national.regencies,
            concurrency: 500,
            largestInvocationRecords: Math.ceil(changes * largestShare),
          };
        }
        return stage;
      },
    },
    {
      name: 'split the work below the regency (by district: about 7,300 districts, the largest some 300,000 persons), so that no invocation is longer than a district',
      change: (stage) => {
        if (!['quality control', 'export', 'resolve', 'guard', 'apply'].includes(stage.name)) return stage;
        const parts = 7300;
        const largest = 300_000 / national.largestRegencyPersons;
        return {
          ...stage,
          invocations: Math.max(stage.invocations, parts),
          largestInvocationRecords: Math.ceil(stage.largestInvocationRecords * largest),
        };
      },
    },
    {
      name: "take the quality control out of the stipulation's critical path (it deactivates nobody: screen during the month, on the registry's delta)",
      change: (stage) => (stage.name === 'quality control' ? undefined : stage),
    },
    {
      name: "let the guard take each regency's active persons from the previous period's manifest (its records per regency) instead of a COUNT query, which reads the regency's whole index",
      change: (stage) =>
        stage.name === 'guard'
          ? { ...stage, tables: stage.tables.filter((traffic) => traffic.table !== 'master byRegency') }
          : stage,
    },
  ];
  console.log('\nWhat would change it (the same model, one design change after another, cumulative; none built):');
  let quotas: Quotas = DEFAULT_QUOTAS;
  let current: StageInput[] = [...stages];
  for (const [index, lever] of levers.entries()) {
    quotas = { ...quotas, ...lever.quotas };
    const change = lever.change;
    if (change) current = current.flatMap((stage) => change(stage) ?? []);
    const month = projectMonth(current, quotas, PRICES);
    console.log(
      `  ${index + 1}. ${lever.name}: ${duration(month.seconds)}, bound by ${month.binding.stage} — ${month.binding.limit.name} (${duration(month.binding.limit.seconds)})`,
    );
  }
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
