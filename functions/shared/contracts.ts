/**
 * The contracts between the state machines (state-machines/*.asl.json), the Lambda handlers
 * (functions/*), the CDK stack (infra/) and the local runtime (local/). Change a shape here and the
 * three must follow; the tests of each side import these types.
 *
 * Each handler's input is a zod schema (`…_INPUT`) that its wrapper, `lambda(schema, fn)` in
 * middleware.ts, parses the event with; the TypeScript type is inferred from it, so the check and the
 * type cannot drift. The schema's description names the input in the ValidationError of a bad payload.
 */
import { z } from 'zod';
import type { GuardTotals } from '#core/guard.ts';
import { PROPOSAL_STATUSES, type ProposalStatus, TERMINAL_STATUSES, type TerminalStatus } from '#core/lifecycle.ts';
import { PERIOD_PATTERN } from '#core/period.ts';
import { TASK_ANSWERS } from '#core/quality-control.ts';
import type { ProposalSource } from '#core/source.ts';
import type { StipulationReturn } from './return-report.ts';

// ---------------------------------------------------------------------------------------------
// Statuses and decisions (DESIGN.md "Contracts")
// ---------------------------------------------------------------------------------------------
// The statuses and their moves live in core/lifecycle.ts; named here too for the payloads below.
export { PROPOSAL_STATUSES, type ProposalStatus, TERMINAL_STATUSES, type TerminalStatus };

export type ApprovalLevel = 'REGENCY' | 'PROVINCE';
export type DecisionKind = 'APPROVE' | 'APPROVE_WITH_EXCLUSIONS' | 'REJECT';

/** One exclusion of an approval: a person (NIK, 16 digits) or a whole family (No. KK, 16 digits). */
export interface Exclusion {
  kind: 'NIK' | 'KK';
  id: string;
  reason: string;
}

/** An approver's decision as the approvals API records it (DECISION#<level>). */
export interface ApprovalDecision {
  decision: DecisionKind;
  level: ApprovalLevel;
  decidedBy: string;
  decidedAt: string;
  note: string;
  exclusions: Exclusion[];
}

/**
 * What SendTaskSuccess carries back to an approval task, and what VerifyDecision hands on: the decision
 * without its exclusions. Task outputs stay in the execution history, readable by anyone with
 * states:GetExecutionHistory, so the excluded NIKs and their reasons stay in the decision record,
 * where the stipulation reads them.
 */
export type TaskAnswer = Omit<ApprovalDecision, 'exclusions'>;

// ---------------------------------------------------------------------------------------------
// Storage layout
// ---------------------------------------------------------------------------------------------
/** The folders of the buckets: every key below is built on one, and IAM grants and lifecycle rules name them. */
const STAGING = 'staging/';
const REPORTS = 'reports/';
const STIPULATION = 'stipulation/';
const PERIODS = 'periods/';
const EXPORTS = 'exports/';
const PSEUDONYMISED = 'pseudonymised/';
const REGENCY_CSV = 'regency-csv/';
/**
 * The upload folder of each source: the regency's deliberation keeps today's proposals/, the ministry's
 * operators write kemensos/ (any regency), the self-registration gatherer alone writes mandiri/.
 */
const UPLOAD_PREFIXES: Readonly<Record<ProposalSource, string>> = {
  MUSDES: 'proposals/',
  KEMENSOS: 'kemensos/',
  MANDIRI: 'mandiri/',
};
/** The return report's folder and file stem: the CSV, its .xlsx form and its summary sit side by side. */
const returnReportStem = (regency: string, proposalId: string) =>
  `${REPORTS}${regency}/${proposalId}/laporan-pengembalian`;
/**
 * The unit of a split regency's export in its file names (EXPORT_UNIT): `-bagian-01` … for the units of a
 * regency exported by NIK range; nothing for a regency exported whole, whose keys are as they always were.
 */
const unitSuffix = (unit?: { part: number }) => (unit ? `-bagian-${String(unit.part).padStart(2, '0')}` : '');

/** A shard's number in a key, two digits at least (shard-07), so that the keys of 64 shards list in order. */
function shardNumber(shard: number): string {
  return String(shard).padStart(2, '0');
}

/**
 * Every S3 key and prefix of the pipeline. The proposals bucket holds uploads, Dukcapil extracts,
 * staged rows, return reports and change sets; the exports bucket the snapshots of each period.
 */
export const KEYS = {
  /**
   * Upload: <prefix>/<regency 4 digits>/<period YYYY-MM>/<file>.csv, the prefix naming the source
   * (UPLOAD_PREFIXES); the intake rule watches the three, and IAM decides who may write under each.
   */
  uploadPrefixes: Object.values(UPLOAD_PREFIXES),
  uploadPrefixOf: (source: ProposalSource) => UPLOAD_PREFIXES[source],
  /** Where a file of a source for a regency and a month goes (functions/shared/uploads.ts parses it back). */
  upload: (source: ProposalSource, regency: string, period: string, fileName: string) =>
    `${UPLOAD_PREFIXES[source]}${regency}/${period}/${fileName}`,
  /** A Dinas Dukcapil extract placed here (re)loads the population registry (an EventBridge rule, load-population). */
  populationPrefix: 'reference/population/',
  /**
   * A Dukcapil delta extract placed here, named `<YYYY-MM-DD>-<seq>.csv`, updates the population registry
   * in place (an EventBridge rule, load-population-delta). Not under populationPrefix: the full load's rule
   * must not take a delta for an extract.
   */
  populationDeltaPrefix: 'reference/population-delta/',
  /**
   * The counts of an applied delta file (JSON, lines but no NIK), in a folder of their own beside the
   * deltas: an object written under the delta prefix would be delivered to the delta rule as a delta.
   */
  populationDeltaSummary: (fileName: string) => `reference/population-delta-summary/${fileName}.json`,
  populationDeltaSummaryPrefix: 'reference/population-delta-summary/',
  /** Staged rows (Ingest, CheckIntegrity): expired by a lifecycle rule. */
  stagingPrefix: STAGING,
  /** Return reports for the region operators. */
  reportsPrefix: REPORTS,
  /** Change sets of the stipulation runs: expired by a lifecycle rule. */
  stipulationPrefix: STIPULATION,
  /** Normalised rows of a proposal as NDJSON (one ProposalRow per line), written by Ingest. */
  stagedRows: (proposalId: string) => `${STAGING}${proposalId}/rows.ndjson`,
  /** The rows that passed the check (NDJSON of ProposalRow), the input of stipulation and of exclusions. */
  acceptedRows: (proposalId: string) => `${STAGING}${proposalId}/accepted.ndjson`,
  /** Return report CSV of PROPOSAL_FORMAT.md, readable by the region operator. */
  returnReport: (regency: string, proposalId: string) => `${returnReportStem(regency, proposalId)}.csv`,
  /** The same report as .xlsx (adapters/xlsx/report-workbook.ts), for spreadsheets that round a NIK read from CSV. */
  returnReportXlsx: (regency: string, proposalId: string) => `${returnReportStem(regency, proposalId)}.xlsx`,
  /** The summary beside the report (core/report.ts summaryCsv; summaryPathOf names it the same in the CLI). */
  returnReportSummary: (regency: string, proposalId: string) =>
    `${returnReportStem(regency, proposalId)}.ringkasan.csv`,
  /**
   * The check's rows for the console, beside the report (functions/shared/review-rows.ts): one compact
   * line per row (line, NIK, No. KK, name, verdict, codes) in input order, and its index of blocks with
   * their byte ranges and counts per verdict and code, so the API serves a page with one ranged GET.
   */
  reviewRows: (regency: string, proposalId: string) => `${REPORTS}${regency}/${proposalId}/baris.ndjson`,
  reviewIndex: (regency: string, proposalId: string) => `${REPORTS}${regency}/${proposalId}/baris.index.json`,
  /** Rows an accepted proposal loses at stipulation, reported to the region next to its check report. */
  stipulationReturn: (regency: string, proposalId: string, period: string) =>
    `${REPORTS}${regency}/${proposalId}/pengembalian-penetapan-${period}.csv`,
  /** The resolved change set of a stipulation period (NDJSON of StipulationChange). */
  changeSet: (period: string) => `${STIPULATION}${period}/changes.ndjson`,
  /** The change set's NIK shard (core/stipulation.ts shardOf): written by one ResolveShards child, one change per NIK. */
  changeSetShard: (period: string, shard: number) =>
    `${STIPULATION}${period}/changes/shard-${shardNumber(shard)}.ndjson`,
  /**
   * The shards with changes (JSON array of ChangeSetShard), the item list of the Compare and Apply Maps,
   * written by ResolveSummary.
   */
  shardList: (period: string) => `${STIPULATION}${period}/shards.json`,
  /**
   * Resolve's plan (ResolutionPlan): the proposals in approval order with their source and exclusions, read
   * once by each ResolveShards child instead of 64 children reading the proposals table.
   */
  resolutionPlan: (period: string) => `${STIPULATION}${period}/resolution/plan.json`,
  /** The ResolveShards Map's items (JSON array of {shard}), written with the plan. */
  resolutionItems: (period: string) => `${STIPULATION}${period}/resolution/items.json`,
  /** Where the ResolveShards distributed Map writes its results (ResultWriter Prefix). */
  resolutionResults: (period: string) => `${STIPULATION}${period}/resolution/results`,
  /** One shard's ResolveShardSummary: its counts per proposal, read by ResolveSummary. */
  resolutionShardSummary: (period: string, shard: number) =>
    `${STIPULATION}${period}/resolution/shard-${shardNumber(shard)}.json`,
  /**
   * One shard's returned rows, of every proposal (NDJSON of ResolutionReturn, in approval and row order): one
   * object per shard, not one per proposal and shard (98,000 PUTs for 1,542 proposals and 64 shards).
   */
  resolutionReturns: (period: string, shard: number) =>
    `${STIPULATION}${period}/resolution/returns-${shardNumber(shard)}.ndjson`,
  /** The ChangeSetSummary Resolve leaves next to the change set, read by the later steps. */
  changeSetSummary: (period: string) => `${STIPULATION}${period}/summary.json`,
  /**
   * An empty object per regency a person of the change set moved out of (or was deactivated out of): Apply
   * writes it before the write that moves them, so ListRegencies counts the regency changed even when a
   * rerun finds the move applied already. The change set itself names only the regency a person goes to.
   */
  movedFromMarker: (period: string, regency: string) => `${STIPULATION}${period}/moved-from/${regency}`,
  movedFromMarkers: (period: string) => `${STIPULATION}${period}/moved-from/`,
  /** The items of the export Map (JSON array of ExportRegencyInput), written by ListRegencies. */
  exportList: (period: string) => `${STIPULATION}${period}/regencies.json`,
  /** The period's proposals (JSON array of {proposalId, regency}), written by Collect, read by Resolve and the release Map. */
  proposalList: (period: string) => `${STIPULATION}${period}/proposals.json`,
  /** A period's kept lists of proposals (functions/shared/proposal-list.ts): never expired, unlike stipulation/. */
  periodsPrefix: PERIODS,
  /**
   * A list of proposals a period's item names (its collection, its record), written once under the SHA-256
   * of its bytes (JSON array of {proposalId, regency}).
   */
  periodProposals: (period: string, sha256: string) => `${PERIODS}${period}/proposals-${sha256}.json`,
  /** Where the ExportRegencies and ReleaseProposals distributed Maps write their results (ResultWriter Prefix). */
  exportResults: (period: string) => `${STIPULATION}${period}/export-results`,
  releaseResults: (period: string) => `${STIPULATION}${period}/release-results`,
  /**
   * The stipulation guard's diff report of one run (GuardReport as JSON: counts per regency, no NIK), beside
   * the change set it describes; one per execution, so the report a sign-off answered is never overwritten.
   */
  guardReport: (period: string, executionName: string) => `${STIPULATION}${period}/guard/${executionName}.json`,
  /**
   * One shard's guard tally of one run (RegencyDiff[] as JSON without the active counts: counts only, no
   * NIK), written by a CompareShards child and merged by CompareChangesWithMaster. Per execution, as the report.
   */
  guardShardTally: (period: string, executionName: string, shard: number) =>
    `${STIPULATION}${period}/guard/${executionName}/shard-${shardNumber(shard)}.json`,
  /** Where the CompareShards distributed Map writes its results (ResultWriter Prefix). */
  guardResults: (period: string) => `${STIPULATION}${period}/guard-results`,
  /** Exports bucket, full tier (ministry operators): Parquet, manifests and part records. */
  exportsPrefix: EXPORTS,
  /** Exports bucket, pseudonymised tier (general analysts). */
  pseudonymisedPrefix: PSEUDONYMISED,
  /** Exports bucket, the Dinas Sosial files per regency. */
  regencyCsvPrefix: REGENCY_CSV,
  /**
   * Parquet per period/province/regency (full tier); a split regency has one per unit in the same folder
   * (`regency-RRRR-bagian-NN.parquet`), which Athena and DuckDB read as one partition like any other.
   */
  exportPart: (period: string, province: string, regency: string, unit?: { part: number }) =>
    `${EXPORTS}period=${period}/province=${province}/regency-${regency}${unitSuffix(unit)}.parquet`,
  /** Pseudonymised tier for general analysts (per unit likewise). */
  pseudonymisedPart: (period: string, province: string, regency: string, unit?: { part: number }) =>
    `${PSEUDONYMISED}period=${period}/province=${province}/regency-${regency}${unitSuffix(unit)}.parquet`,
  /** Per-regency CSV for the Dinas Sosial; a split regency's in parts (`dtks-RRRR-YYYY-MM-bagian-NN.csv`). */
  regencyCsv: (period: string, regency: string, unit?: { part: number }) =>
    `${REGENCY_CSV}period=${period}/dtks-${regency}-${period}${unitSuffix(unit)}.csv`,
  /** The same as an Excel workbook (NIK, No. KK, codes and RT/RW as text cells), beside the CSV. */
  regencyXlsx: (period: string, regency: string, unit?: { part: number }) =>
    `${REGENCY_CSV}period=${period}/dtks-${regency}-${period}${unitSuffix(unit)}.xlsx`,
  /** The snapshot manifest of a period (`*` for the period: the pattern of every manifest). */
  manifest: (period: string) => `${EXPORTS}period=${period}/manifest.json`,
  /**
   * What one regency's export produced (ExportPartRecord as JSON), written by ExportRegency after its
   * files and read back by FinaliseExport: 514 regencies' file lists do not fit Step Functions' 256 KiB
   * payload limit, so they travel through S3. Not data: the Glue tables read only `province=…/` folders
   * (partition projection), `dtks snapshot query` only `.parquet` objects, and Hive-style readers skip
   * `_`-prefixed paths.
   */
  exportPartRecord: (period: string, regency: string, unit?: { part: number }) =>
    `${EXPORTS}period=${period}/_parts/regency-${regency}${unitSuffix(unit)}.json`,
  /** The folder of a period's part records (FinaliseExport lists it). */
  exportPartRecords: (period: string) => `${EXPORTS}period=${period}/_parts/`,
  /**
   * The quality control of a period (core/quality-control.ts): one regency's counts, left by its screening
   * for the summary (the Map result carries only a total per regency, far below the 256 KiB payload limit).
   */
  qualityControlRegency: (period: string, regency: string) =>
    `${STIPULATION}${period}/quality-control/regency-${regency}.json`,
  /** The regency's tracking list (daftar pelacakan) for its Dinas Sosial, beside its DTKS CSV. */
  trackingList: (period: string, regency: string) =>
    `${REGENCY_CSV}period=${period}/pelacakan-${regency}-${period}.csv`,
  /** The same list per person in the full tier of the analyst export (names and NIKs: ministry only). */
  qualityControlFull: (period: string, regency: string) =>
    `${EXPORTS}period=${period}/pengendalian-kualitas/regency-${regency}.csv`,
  /** The period's counts by regency and kind in the pseudonymised tier: counts only, no person. */
  qualityControlCounts: (period: string) => `${PSEUDONYMISED}period=${period}/pengendalian-kualitas.json`,
  /**
   * The items of the quality control's distributed Map (JSON array of QualityControlScreenInput), written by
   * QualityControlRegencies, read by the Map and by QualityControlSummarise.
   */
  qualityControlList: (period: string) => `${STIPULATION}${period}/quality-control/regencies.json`,
  /** The screening Map's ResultWriter prefix (the children's open totals). */
  qualityControlResults: (period: string) => `${STIPULATION}${period}/quality-control/screen-results`,
} as const;

/**
 * DynamoDB tables. All keys are strings. GSIs are sparse: the attribute exists only while the item
 * belongs in the index.
 */
export const TABLES = {
  /** The DTKS master: one item per person ever stipulated (deactivated persons stay, status INACTIVE). */
  master: {
    partitionKey: 'nik',
    /** Active members of a family. */
    familyIndex: { name: 'byFamily', partitionKey: 'activeNoKk', sortKey: 'nik' },
    /** Active persons of a regency (4 digits), for exports. */
    regencyIndex: { name: 'byRegency', partitionKey: 'activeRegency', sortKey: 'nik' },
    /** Active persons by identity key (normalised name|birth date|village), POSSIBLE_DUPLICATE_PERSON. */
    identityIndex: { name: 'byIdentity', partitionKey: 'activeIdentity', sortKey: 'nik' },
  },
  /**
   * Proposals, single-table: pk = PROPOSAL#<id>; sk = META (the proposal), TASK#REGENCY / TASK#PROVINCE
   * (approval tasks with their token), EVENT#<iso time>#<seq> (audit events). Periods: pk = PERIOD#<YYYY-MM>, sk = META (the stipulated period, written once)
   * and COLLECTION (the proposals its first run collected).
   */
  proposals: {
    partitionKey: 'pk',
    sortKey: 'sk',
    /** Open approval tasks by scope: taskScope = REGENCY#3371 | PROVINCE#33, sorted by creation time. */
    taskIndex: { name: 'byTaskScope', partitionKey: 'taskScope', sortKey: 'createdAt' },
    /** Proposals waiting for stipulation: stipulationQueue = AWAITING, sorted by `<approvedAt>#<id>` (earlier approval wins). */
    stipulationIndex: { name: 'byStipulationQueue', partitionKey: 'stipulationQueue', sortKey: 'approvedOrder' },
    /** All proposals of a regency, newest first: regency = 3371, sort receivedAt. */
    regencyIndex: { name: 'byRegency', partitionKey: 'regency', sortKey: 'receivedAt' },
    /**
     * All proposals of a period, newest first (the console's lists of a province or the ministry, the board):
     * period = 2026-11, sort receivedAt. Tasks and period records carry a period but no receivedAt: not here.
     */
    periodIndex: { name: 'byPeriod', partitionKey: 'period', sortKey: 'receivedAt' },
  },
  /** NIK claims of pending proposals: pk nik; one person, one pending family (conditional writes). */
  claims: { partitionKey: 'nik' },
  /**
   * The population registry reference (Dukcapil extract): pk nik. The delta feed stamps each person it
   * changes (deltaStamp) and keeps its ledger of applied files here too, under pk DELTA_FILE#<hash>.
   */
  population: { partitionKey: 'nik' },
  /**
   * Self-registrations (pendaftaran mandiri): pk receipt. Gathering index: gathering = `<regency>#<period>`,
   * sorted by receivedAt, what the gatherer reads at the cut-off (functions/shared/registrations-repository.ts).
   */
  registrations: {
    partitionKey: 'receipt',
    gatheringIndex: { name: 'byGathering', partitionKey: 'gathering', sortKey: 'receivedAt' },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Fields the payloads share
// ---------------------------------------------------------------------------------------------
const ID = z.string().min(1);
/** A stipulation period (bulan penetapan), core/period.ts. */
export const PERIOD = z.string().regex(PERIOD_PATTERN, 'periode harus berbentuk YYYY-MM');
export const REGENCY = z.string().regex(/^\d{4}$/, 'kode kabupaten/kota harus 4 angka');
export const PROVINCE = z.string().regex(/^\d{2}$/, 'kode provinsi harus 2 angka');
const COUNT = z.number().int().nonnegative();
export const PROPOSAL_REFS = z.array(z.object({ proposalId: ID, regency: z.string() }));

// ---------------------------------------------------------------------------------------------
// Handler payloads of the proposal workflow (state-machines/proposal.asl.json)
// ---------------------------------------------------------------------------------------------
/** Ingest: the workflow passes the S3 object of the EventBridge "Object Created" event. */
export const INGEST_INPUT = z
  .object({
    bucket: ID,
    key: ID,
    versionId: ID.optional(),
    etag: ID.optional(),
    size: z.number().optional(),
    executionId: ID,
  })
  .describe('Masukan Ingest');
export type IngestInput = z.infer<typeof INGEST_INPUT>;
export type IngestOutput =
  | { outcome: 'DUPLICATE'; proposalId: string }
  | { outcome: 'RETURNED'; proposalId: string; reason: string }
  | { outcome: 'INGESTED'; proposalId: string; regency: string; province: string; period: string; rows: number };

export const CHECK_INTEGRITY_INPUT = z.object({ proposalId: ID }).describe('Masukan CheckIntegrity');
export type CheckIntegrityInput = z.infer<typeof CHECK_INTEGRITY_INPUT>;
export interface CheckIntegrityOutput {
  proposalId: string;
  rows: number;
  accepted: number;
  returned: number;
  withWarnings: number;
  codes: Record<string, number>;
  reportKey: string;
}

/** RequestApproval runs as lambda:invoke.waitForTaskToken; the token is stored, never logged. */
export const REQUEST_APPROVAL_INPUT = z
  .object({ proposalId: ID, level: z.enum(['REGENCY', 'PROVINCE'] satisfies ApprovalLevel[]), taskToken: ID })
  .describe('Masukan RequestApproval');
export type RequestApprovalInput = z.infer<typeof REQUEST_APPROVAL_INPUT>;

/** AwaitStipulation registers the proposal in the stipulation queue with its token. */
export const AWAIT_STIPULATION_INPUT = z.object({ proposalId: ID, taskToken: ID }).describe('Masukan AwaitStipulation');
export type AwaitStipulationInput = z.infer<typeof AWAIT_STIPULATION_INPUT>;
/** What the stipulation run sends back to a waiting proposal. */
export interface StipulationRelease {
  outcome: 'STIPULATED' | 'RETURNED';
  period: string;
  applied: number;
  returnedRows: number;
}

/**
 * VerifyDecision runs after every waitForTaskToken state: `received` is the task's output as Step
 * Functions got it (anything a SendTaskSuccess carried). The handler answers with the decision the
 * approvals API recorded for the level (an ApprovalDecision), or for STIPULATION the StipulationRelease
 * that stipulation-release recorded, and fails with DecisionNotRecordedError when there is none or the
 * output differs from it.
 */
export const VERIFY_DECISION_INPUT = z
  .object({
    proposalId: ID,
    level: z.enum(['REGENCY', 'PROVINCE', 'STIPULATION'] satisfies (ApprovalLevel | 'STIPULATION')[]),
    // Never quoted in an error: it is whatever the sender of SendTaskSuccess chose to put there.
    received: z.unknown(),
  })
  .describe('Masukan VerifyDecision');
export type VerifyDecisionInput = z.infer<typeof VERIFY_DECISION_INPUT>;

/** RecordOutcome: the terminal states of a proposal (releases its claims unless STIPULATED). */
export const RECORD_OUTCOME_INPUT = z
  .object({
    proposalId: ID,
    status: z.enum(TERMINAL_STATUSES),
    /** null (JSONata's answer when the workflow has none) or absent: the status's default reason. */
    reason: z.string().min(1).nullish().catch(undefined),
    /** The Catch output ({Error, Cause}) when status is FAILED or EXPIRED. */
    error: z.object({ Error: z.string().nullish(), Cause: z.string().nullish() }).nullish(),
    /** With EXPIRED: the level that timed out and its TimeoutSeconds, to check the period really passed. */
    expiry: z.object({ level: z.enum(['REGENCY', 'PROVINCE']), timeoutSeconds: z.number().int().positive() }).nullish(),
  })
  .describe('Masukan RecordOutcome');
export type RecordOutcomeInput = z.input<typeof RECORD_OUTCOME_INPUT>;
/**
 * RecordStopped: the EventBridge "Step Functions Execution Status Change" event of a proposal execution
 * that ended without recording its proposal (StopExecution, the execution's timeout, a failure no Catch
 * took). The rule (infra) and the local environment deliver only these statuses.
 */
export const STOPPED_EXECUTION_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
export type StoppedExecutionStatus = (typeof STOPPED_EXECUTION_STATUSES)[number];
export interface ExecutionStatusChangeEvent {
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  detail: {
    executionArn: string;
    stateMachineArn: string;
    status: string;
    /** The execution input (the S3 Object Created event); null when it was left out of the event. */
    input?: string | null;
    inputDetails?: { included: boolean } | null;
    error?: string | null;
    cause?: string | null;
  };
}
/** What RecordStopped reads of that event: any status arrives here, the handler ignores the others. */
export const RECORD_STOPPED_INPUT = z
  .object({
    detail: z.object({
      executionArn: ID,
      status: z.string(),
      input: z.string().nullish(),
      error: z.string().nullish(),
      cause: z.string().nullish(),
    }),
  })
  .describe('Masukan RecordStopped');

/**
 * LoadPopulation: the EventBridge S3 "Object Created" event of an extract under
 * KEYS.populationPrefix, or a direct {bucket, key} invocation; either becomes the {bucket, key} loaded.
 */
export const LOAD_POPULATION_INPUT = z
  .union(
    [
      z
        .object({
          'detail-type': z.literal('Object Created'),
          detail: z.object({ bucket: z.object({ name: ID }), object: z.object({ key: ID }) }),
        })
        .transform(({ detail }) => ({ bucket: detail.bucket.name, key: detail.object.key })),
      z.object({ bucket: ID, key: ID }),
    ],
    { error: 'harus berupa event S3 Object Created atau {bucket, key}' },
  )
  .describe('Masukan LoadPopulation');
export type LoadPopulationEvent = z.input<typeof LOAD_POPULATION_INPUT>;
export const LOAD_POPULATION_DELTA_INPUT = LOAD_POPULATION_INPUT.describe('Masukan LoadPopulationDelta');
/** What a delta load did, per `perubahan` (core/population-delta.ts); lines are named, never NIKs. */
export interface PopulationDeltaCounts {
  /** The change was made. */
  applied: number;
  /** Nothing to change: the person is already so, or this file's line was applied by an earlier delivery. */
  unchanged: number;
  /** A later file changed the person already: this older line is not applied. */
  superseded: number;
  /** The NIK is unknown to the registry (any change but LAHIR), or not 16 digits. */
  skipped: number;
}
export interface LoadPopulationDeltaOutput {
  bucket: string;
  key: string;
  /** The file's order (YYYY-MM-DD#seq): files are applied in this order. */
  order: string;
  lines: number;
  counts: Record<'LAHIR' | 'MENINGGAL' | 'PINDAH' | 'NONAKTIF' | 'AKTIF' | 'UBAH', PopulationDeltaCounts>;
  /** The skipped lines (at most 1,000, the first ones) with why: NIK_NOT_FOUND or NIK_FORMAT. */
  skippedLines: { line: number; code: 'NIK_NOT_FOUND' | 'NIK_FORMAT' }[];
  /** Where the summary was written (KEYS.populationDeltaSummary). */
  summaryKey: string;
  /** True when this file (bucket, key, version, ETag) was applied before: nothing was read or written again. */
  duplicate: boolean;
}
/**
 * MandiriGather: the schedule sends {} at the cut-off (the period whose cut-off has passed is gathered);
 * the CLI and tests name the period, and may name one regency.
 */
export const MANDIRI_GATHER_INPUT = z
  .object({ period: PERIOD.optional(), regency: REGENCY.optional() })
  .describe('Masukan MandiriGather');
export type MandiriGatherInput = z.input<typeof MANDIRI_GATHER_INPUT>;
/** One regency's gathered proposal: where it was written and the proposal it becomes. */
export interface MandiriGathered {
  regency: string;
  key: string;
  proposalId: string;
  registrations: number;
  rows: number;
  /** False when the file was written by an earlier run: nothing new was written. */
  written: boolean;
}
export interface MandiriGatherOutput {
  period: string;
  gathered: MandiriGathered[];
}
export interface RecordDecisionInput {
  proposalId: string;
  decision: ApprovalDecision;
}

// ---------------------------------------------------------------------------------------------
// Handler payloads of the stipulation workflow (state-machines/stipulation.asl.json)
// ---------------------------------------------------------------------------------------------
export const COLLECT_INPUT = z.object({ period: PERIOD }).describe('Masukan Collect');
export type CollectInput = z.infer<typeof COLLECT_INPUT>;
/**
 * The collected proposals travel through S3, not the payload (a period may hold any number of them): the
 * list (JSON array of {proposalId, regency}, KEYS.proposalList) is where Resolve, the release Map's
 * ItemReader, FinaliseExport and RecordPeriod read it.
 */
export interface CollectOutput {
  period: string;
  /** Bucket and key of the list (named also when the period was stipulated already, and nothing written). */
  proposalsBucket: string;
  proposalsKey: string;
  proposalCount: number;
  /** Set when the period was stipulated already (its record's time): nothing is collected, the run ends refused. */
  stipulatedAt?: string;
}
/** A list of proposals given inline (`proposals`, a test or an operator) or by its key in S3 (`proposalsKey`). */
const PROPOSALS_INLINE_OR_BY_KEY = {
  proposals: PROPOSAL_REFS.optional(),
  /** KEYS.proposalList in the proposals bucket, as CollectOutput names it. */
  proposalsKey: ID.optional(),
};
const oneProposalList = {
  check: (input: { proposals?: unknown; proposalsKey?: unknown }) =>
    (input.proposals === undefined) !== (input.proposalsKey === undefined),
  message: { path: ['proposalsKey'], message: 'berikan tepat satu dari proposals atau proposalsKey' },
};
/**
 * Resolve runs in three steps so that it scales with the nation: the plan (the proposals in approval
 * order with their source and exclusions, KEYS.resolutionPlan), one child of the ResolveShards Map per NIK
 * shard (each reads every proposal's accepted rows and keeps its own shard's), and the summary that joins
 * the shards' counts and returned rows.
 */
export const RESOLVE_PLAN_INPUT = z
  .object({ period: PERIOD, ...PROPOSALS_INLINE_OR_BY_KEY })
  .refine(oneProposalList.check, oneProposalList.message)
  .describe('Masukan ResolvePlan');
export type ResolvePlanInput = z.infer<typeof RESOLVE_PLAN_INPUT>;
export interface ResolvePlanOutput {
  period: string;
  planKey: string;
  /** The ResolveShards Map's items (KEYS.resolutionItems): one {shard} per shard, 0 to shards - 1. */
  itemsKey: string;
  shards: number;
  proposalCount: number;
}
/** A proposal of the plan, in approval order: all a shard needs to resolve its rows. */
export interface PlannedProposal {
  proposalId: string;
  regency: string;
  source: ProposalSource;
  exclusions: Exclusion[];
}
export interface ResolutionPlan {
  period: string;
  proposals: PlannedProposal[];
}
const SHARD_COUNT = z.number().int().positive().max(1024);
export const RESOLVE_SHARD_INPUT = z
  .object({ period: PERIOD, shard: COUNT, shards: SHARD_COUNT, planKey: ID })
  .refine((input) => input.shard < input.shards, { path: ['shard'], message: 'harus kurang dari shards' })
  .describe('Masukan ResolveShard');
export type ResolveShardInput = z.infer<typeof RESOLVE_SHARD_INPUT>;
/** One proposal's counts in one shard (or, summed, in the period). */
export interface ResolvedCounts {
  changes: number;
  conflicts: number;
  excluded: number;
}
/** What one shard resolved (KEYS.resolutionShardSummary): only proposals with a row in the shard are named. */
export interface ResolveShardSummary {
  period: string;
  shard: number;
  changeSetKey: string;
  changes: number;
  returnedRows: number;
  /** KEYS.resolutionReturns, when the shard returned a row. */
  returnsKey?: string;
  proposals: Record<string, ResolvedCounts>;
  /** Regencies (4 digits) with at least one change in the shard. */
  regencies: string[];
}
/** A row a shard returned (KEYS.resolutionReturns): the return report's entry, with its proposal. */
export type ResolutionReturn = StipulationReturn & { proposalId: string };
export type ResolveShardOutput = Pick<ResolveShardSummary, 'period' | 'shard' | 'changes' | 'returnedRows'>;
export const RESOLVE_SUMMARY_INPUT = z
  .object({ period: PERIOD, shards: SHARD_COUNT, planKey: ID })
  .describe('Masukan ResolveSummary');
export type ResolveSummaryInput = z.infer<typeof RESOLVE_SUMMARY_INPUT>;
/** A shard with changes: an item of the Compare and Apply Maps (KEYS.shardList). */
export interface ChangeSetShard {
  shard: number;
  changeSetKey: string;
  changes: number;
}
export interface ResolveOutput {
  period: string;
  changes: number;
  returnedRows: number;
  /** KEYS.shardList: the shards with changes, each with its change set (KEYS.changeSetShard). */
  shardsKey: string;
}
/**
 * Apply runs per NIK shard (a child of the ApplyShards distributed Map), in a loop of bounded slices so
 * that a Lambda never meets its 15-minute limit, under the execution's master write lease.
 */
export const APPLY_INPUT = z
  .object({
    period: PERIOD,
    /** The stipulation execution: the holder of the master write lease (functions/shared/master-lease.ts). */
    executionId: ID,
    shard: COUNT,
    /** The shard's change set (KEYS.changeSetShard). */
    changeSetKey: ID,
    /** Byte offset into the change set (NDJSON) where this slice starts: 0 for the first. */
    offset: COUNT,
  })
  .describe('Masukan Apply');
export type ApplyInput = z.infer<typeof APPLY_INPUT>;
export interface ApplyOutput {
  period: string;
  executionId: string;
  shard: number;
  changeSetKey: string;
  /** Byte offset where the next slice starts. */
  offset: number;
  done: boolean;
  applied: number;
}
/**
 * The stipulation-apply function's timeout (infra/stack.ts), the longest a slice can go on writing after its
 * run failed: a failed run's master write lease is kept that long (functions/shared/master-lease.ts coolDown).
 */
export const APPLY_TIMEOUT_SECONDS = 15 * 60;
/**
 * The master write lease (functions/stipulation-master-lease): TAKE before ApplyShards, RENEW before each
 * export unit, RELEASE after FinaliseExport, RELEASE_AFTER_FAILURE on the failure path (cools it down).
 */
export const MASTER_LEASE_INPUT = z
  .object({
    action: z.enum(['TAKE', 'RENEW', 'RELEASE', 'RELEASE_AFTER_FAILURE']),
    period: PERIOD,
    executionId: ID,
  })
  .describe('Masukan izin tulis master');
export type MasterLeaseInput = z.infer<typeof MASTER_LEASE_INPUT>;
export const LIST_REGENCIES_INPUT = z.object({ period: PERIOD }).describe('Masukan ListRegencies');
export type ListRegenciesInput = z.infer<typeof LIST_REGENCIES_INPUT>;
export interface ListRegenciesOutput {
  period: string;
  /** The export Map's items, also written to S3 at `regenciesKey` (KEYS.exportList). */
  regencies: ExportRegencyInput[];
  regenciesKey: string;
  /**
   * Regencies to export, those exported from the master (changed) and those carried forward, and the
   * export units they come to (the Map's items: more than the regencies when a large one is split).
   */
  counts: { regencies: number; changed: number; carried: number; units: number };
}
/**
 * One unit of a regency exported by NIK range: a regency whose previous export held more than
 * EXPORT_UNIT_MAX_PERSONS persons is exported as `parts` units, so that no invocation comes near Lambda's
 * 15 minutes (Kabupaten Bogor, ~5.7 million persons, is ~16 minutes whole). Unit `part` holds the active
 * persons with fromNik <= nik < toNik on the byRegency index (sort key nik); the first unit has no fromNik,
 * the last no toNik, and each unit's toNik is the next one's fromNik: together exactly the regency, once.
 */
export const EXPORT_UNIT = z
  .object({
    part: z.number().int().min(1),
    parts: z.number().int().min(2),
    fromNik: z
      .string()
      .regex(/^\d{16}$/)
      .optional(),
    toNik: z
      .string()
      .regex(/^\d{16}$/)
      .optional(),
  })
  .refine(
    ({ part, parts, fromNik, toNik }) =>
      part <= parts &&
      (part === 1) === (fromNik === undefined) &&
      (part === parts) === (toNik === undefined) &&
      (fromNik === undefined || toNik === undefined || fromNik < toNik),
    { message: 'bagian ekspor tidak utuh: bagian pertama tanpa fromNik, terakhir tanpa toNik, fromNik < toNik' },
  );
export type ExportUnit = z.infer<typeof EXPORT_UNIT>;
export const EXPORT_REGENCY_INPUT = z
  .object({
    period: PERIOD,
    regency: REGENCY,
    province: PROVINCE,
    /**
     * Set by ListRegencies for a regency no applied change touched in the period, when the previous period
     * is stipulated: its files are carried forward from that period by server-side copy (carry-forward.ts)
     * instead of being read from the master again. Absent: the regency is exported from the master.
     */
    carryFrom: PERIOD.optional(),
    /** Set for one NIK range of a regency exported in units (EXPORT_UNIT); absent: the whole regency. */
    unit: EXPORT_UNIT.optional(),
  })
  .refine((input) => input.regency.startsWith(input.province), {
    path: ['regency'],
    message: 'kabupaten/kota tidak termasuk provinsi ini',
  })
  .describe('Masukan ExportRegency');
export type ExportRegencyInput = z.infer<typeof EXPORT_REGENCY_INPUT>;
/** One file of a regency's export, with what the manifest lists of it. */
export interface ExportFile {
  key: string;
  sha256: string;
  bytes: number;
  records: number;
  tier: 'full' | 'pseudonymised' | 'csv' | 'xlsx';
  /** Pseudonymised files: the k they were written with and the rows suppressed or withheld (core/anonymity.ts). */
  anonymity?: { k: number; suppressed: number; withheld: number };
}
/**
 * The record of one regency's export (structurally core's SnapshotPart, with its period), stored at
 * KEYS.exportPartRecord. Never in a state payload: it grows with the files.
 */
export interface ExportPartRecord {
  period: string;
  regency: string;
  province: string;
  records: number;
  files: ExportFile[];
  /**
   * The snapshot format the files were written in (SNAPSHOT_FORMAT of regency-export.ts); absent on a part
   * written before formats were numbered, which is never carried forward.
   */
  format?: number;
  /**
   * A carried part: the previous period whose files were copied (same bytes, same checksums), and the
   * period whose export wrote those bytes (the files' `periode` column and Parquet metadata name it).
   */
  carriedFrom?: string;
  writtenIn?: string;
  /** The unit of a regency exported in units (EXPORT_UNIT); absent on a regency exported whole. */
  unit?: ExportUnit;
  /**
   * The part's persons in NIK order as runs of at most EXPORT_UNIT_MAX_PERSONS / 2: each run's first NIK and
   * its persons (summing to `records`). The next period's ListRegencies splits the regency at run starts
   * (core/snapshot.ts planExportUnits). Absent on parts written before units: such a regency is one unit.
   */
  runs?: { nik: string; persons: number }[];
}
/**
 * What ExportRegency returns to the Map: a summary of a few dozen bytes, so that the Map result for the
 * 514 regencies of Indonesia stays far below the 256 KiB payload limit. The files are in the part record.
 */
/** What ExportRegency returns and the Map collects; FinaliseExport validates its input with it. */
export const EXPORT_REGENCY_OUTPUT = z.object({
  regency: REGENCY,
  province: PROVINCE,
  records: COUNT,
  /** The unit exported, for a regency exported in units: FinaliseExport reads that unit's part record. */
  unit: z.object({ part: z.number().int().min(1), parts: z.number().int().min(2) }).optional(),
});
export type ExportRegencyOutput = z.infer<typeof EXPORT_REGENCY_OUTPUT>;
/**
 * The regencies exported: inline (`regencies`, with the counts each export reported) or the export Map's
 * item list in S3 (`regenciesKey`, KEYS.exportList, as ListRegencies wrote it); FinaliseExport reads their
 * part records from S3. The proposals likewise, inline or by key.
 */
export const FINALISE_EXPORT_INPUT = z
  .object({
    period: PERIOD,
    carriedForward: z.boolean(),
    ...PROPOSALS_INLINE_OR_BY_KEY,
    regencies: z.array(EXPORT_REGENCY_OUTPUT).optional(),
    regenciesKey: ID.optional(),
  })
  .refine(oneProposalList.check, oneProposalList.message)
  .refine((input) => (input.regencies === undefined) !== (input.regenciesKey === undefined), {
    path: ['regenciesKey'],
    message: 'berikan tepat satu dari regencies atau regenciesKey',
  })
  .describe('Masukan FinaliseExport');
export type FinaliseExportInput = z.infer<typeof FINALISE_EXPORT_INPUT>;
export const RELEASE_INPUT = z.object({ period: PERIOD, proposalId: ID }).describe('Masukan Release');
export type ReleaseInput = z.infer<typeof RELEASE_INPUT>;
/** RecordPeriod: the state machine passes what it has gathered; every count is optional. */
export const RECORD_PERIOD_INPUT = z
  .object({
    period: PERIOD,
    /** The stipulation execution (a retried RecordPeriod of the same run is not a rerun). */
    executionId: ID.optional(),
    carriedForward: z.boolean().optional(),
    proposals: PROPOSAL_REFS.default([]),
    /** The period's proposals by their list in S3 (CollectOutput), in place of `proposals`. */
    proposalsKey: ID.optional(),
    changes: COUNT.optional(),
    applied: COUNT.optional(),
    returnedRows: COUNT.optional(),
    records: COUNT.optional(),
    manifestKey: z.string().optional(),
    /** FinaliseExport's output, as the stipulation workflow passes it. */
    export: z
      .object({
        manifestKey: z.string().optional(),
        records: COUNT.optional(),
        /** The manifest's SHA-256 as written (the hash chain; dtks snapshot verify). */
        manifestSha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      })
      .nullish(),
  })
  .describe('Masukan RecordPeriod');
export type RecordPeriodInput = z.input<typeof RECORD_PERIOD_INPUT>;
/**
 * The stipulation guard (functions/stipulation-guard, rules in core/guard.ts): three steps of one function.
 * COMPARE writes the diff report of the change set against the master and says whether a sign-off is
 * required; REQUEST_SIGN_OFF runs as lambda:invoke.waitForTaskToken and stores the token (never logged,
 * never shown); VERIFY_SIGN_OFF reads back the sign-off the approvals API recorded for this execution and
 * answers with it, never with what the task output claims.
 */
export const GUARD_INPUT = z
  .discriminatedUnion('action', [
    /** One NIK shard (a CompareShards child): its tally goes to KEYS.guardShardTally. */
    z.object({ action: z.literal('COMPARE_SHARD'), period: PERIOD, executionId: ID, shard: COUNT, changeSetKey: ID }),
    /** The summary: the shards' tallies merged (the shards of KEYS.shardList), the verdict and the report. */
    z.object({ action: z.literal('COMPARE'), period: PERIOD, executionId: ID, shardsKey: ID }),
    z.object({
      action: z.literal('REQUEST_SIGN_OFF'),
      period: PERIOD,
      executionId: ID,
      reportKey: ID,
      taskToken: ID,
    }),
    // Never quoted in an error: it is whatever the sender of SendTaskSuccess chose to put there.
    z.object({ action: z.literal('VERIFY_SIGN_OFF'), period: PERIOD, executionId: ID, received: z.unknown() }),
  ])
  .describe('Masukan StipulationGuard');
export type GuardInput = z.infer<typeof GUARD_INPUT>;
/** The guard's verdict, as COMPARE returns it to the workflow and the guard record keeps it (no NIK). */
export interface GuardVerdictSummary {
  period: string;
  executionId: string;
  reportKey: string;
  /** SHA-256 of the report's bytes: what a sign-off answered. */
  reportSha256: string;
  signOffRequired: boolean;
  /** Why, in Bahasa Indonesia (core/guard.ts describeBreach): at most MAX_GUARD_BREACHES_SHOWN, then a count. */
  breaches: string[];
  totals: GuardTotals;
  thresholds: { regencyShare: number; nationalDeactivations: number };
}
export const MAX_GUARD_BREACHES_SHOWN = 20;
export type GuardDecisionKind = 'APPROVE' | 'HOLD';
/** The ministry's answer to a held stipulation, recorded by the approvals API before it answers the task. */
export interface GuardSignOff {
  decision: GuardDecisionKind;
  period: string;
  /** The stipulation execution whose guard task it answered: a rerun asks again. */
  executionId: string;
  decidedBy: string;
  decidedAt: string;
  note: string;
  /** SHA-256 of the diff report the ministry answered. */
  reportSha256: string;
}
/** The body of POST /periods/{period}/guard (the approvals API, ministry only). */
export const GUARD_DECISION_REQUEST = z
  .object({
    decision: z.enum(['APPROVE', 'HOLD'] satisfies GuardDecisionKind[]),
    // Who, when and why: the why is required both ways.
    note: z.string().trim().min(1, 'alasan wajib diisi').max(2000),
  })
  .describe('Keputusan penjagaan penetapan');
export type GuardDecisionRequest = z.input<typeof GUARD_DECISION_REQUEST>;

/** The summary Resolve leaves next to the change set (KEYS.changeSetSummary), read by the later steps. */
export interface ChangeSetSummary {
  period: string;
  proposals: { proposalId: string; regency: string }[];
  changes: number;
  returnedRows: number;
  /** Regencies (4 digits) with at least one change in the period. */
  regencies: string[];
}

// ---------------------------------------------------------------------------------------------
// The quality control (pengendalian kualitas): its own workflow (state-machines/quality-control.asl.json), core/quality-control.ts
// ---------------------------------------------------------------------------------------------
/**
 * The workflow names its run (execution id and StartTime) so that runs of a period never overlap and the
 * newest is the one that screens (functions/shared/quality-control-runs.ts); without them (a direct
 * invocation) the list is simply written.
 */
const QUALITY_CONTROL_RUN = { executionId: z.string().min(1), startedAt: z.string().min(1) };
export const QUALITY_CONTROL_REGENCIES_INPUT = z
  .object({ period: PERIOD, ...QUALITY_CONTROL_RUN })
  .partial({ executionId: true, startedAt: true })
  .describe('Masukan QualityControlRegencies');
export interface QualityControlRegenciesOutput {
  period: string;
  /** A newer run of the period was started: this one ends without screening (the newer one screens). */
  superseded: boolean;
  /** The Map's items in the proposals bucket (KEYS.qualityControlList): the regencies with active persons. */
  regenciesBucket: string;
  regenciesKey: string;
  /** How many regencies the list holds. */
  regencies: number;
}
export const QUALITY_CONTROL_SCREEN_INPUT = z
  .object({ period: PERIOD, regency: REGENCY })
  .describe('Masukan QualityControlScreen');
export type QualityControlScreenInput = z.infer<typeof QUALITY_CONTROL_SCREEN_INPUT>;
/** What one screening returns to the Map: its open total; the counts by kind wait in S3 (KEYS.qualityControlRegency). */
export const QUALITY_CONTROL_SCREEN_OUTPUT = z.object({ regency: REGENCY, open: COUNT });
export type QualityControlScreenOutput = z.infer<typeof QUALITY_CONTROL_SCREEN_OUTPUT>;
/** The regencies come from the Map's item list in S3 (KEYS.qualityControlList), not from its results. */
export const QUALITY_CONTROL_SUMMARISE_INPUT = z
  .object({ period: PERIOD, regenciesKey: z.string().min(1), executionId: z.string().min(1).optional() })
  .describe('Masukan QualityControlSummarise');
/** After a failed run: its run lease given back, so that the next run of the period need not wait it out. */
export const QUALITY_CONTROL_RELEASE_INPUT = z
  .object({ period: PERIOD, executionId: z.string().min(1), release: z.literal(true) })
  .describe('Masukan QualityControlSummarise (pelepasan)');
/** The stipulation's IncludeQualityControl: the period it closes. */
export const QUALITY_CONTROL_INCLUDE_INPUT = z.object({ period: PERIOD }).describe('Masukan IncludeQualityControl');
/** What the stipulation takes of the period's quality control: whether it was screened, and its open total. */
export interface QualityControlIncluded {
  period: string;
  screened: boolean;
  /** When the quality control workflow summarised the period (absent when it was not screened). */
  screenedAt?: string;
  regencies: number;
  open: number;
  /** Files the period's manifest will list (FinaliseExport reads them from the period's summary). */
  files: number;
}
/** The query of GET /tracking: the regency's list, open entries only unless `resolved=true`. */
export const TRACKING_QUERY = z
  .object({ regency: REGENCY, resolved: z.enum(['true', 'false']).default('false') })
  .describe('Permintaan daftar pelacakan');
/** The body of POST /tracking/{taskId}/answer: one of the answers of the task's side (core TASK_ANSWERS). */
export const TRACKING_ANSWER_REQUEST = z
  .object({
    answer: z.enum([...TASK_ANSWERS.ORIGIN, ...TASK_ANSWERS.DESTINATION]),
    note: z.string().trim().max(2000).default(''),
  })
  .superRefine((body, context) => {
    // The registry is wrong, or the family is not here: the Dinas Sosial says why (accountability).
    if ((body.answer === 'DUKCAPIL_KELIRU' || body.answer === 'TIDAK_DITEMUKAN') && body.note === '') {
      context.addIssue({ code: 'custom', path: ['note'], message: 'keterangan wajib diisi untuk jawaban ini' });
    }
  })
  .describe('Jawaban tugas pelacakan');

// ---------------------------------------------------------------------------------------------
// Functions and their configuration
// ---------------------------------------------------------------------------------------------
/**
 * Environment variables the handlers read (validated at cold start in functions/shared/config.ts).
 * Locally the SDK's standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_SFN
 * point the same clients at the emulators and the local Step Functions runtime.
 */
export const ENV = {
  proposalsTable: 'PROPOSALS_TABLE',
  masterTable: 'MASTER_TABLE',
  claimsTable: 'CLAIMS_TABLE',
  populationTable: 'POPULATION_TABLE',
  registrationsTable: 'REGISTRATIONS_TABLE',
  /** Day of the month (1–28, default 25) at 00:00 WIB from which a self-registration joins the next month. */
  mandiriCutoffDay: 'MANDIRI_CUTOFF_DAY',
  proposalsBucket: 'PROPOSALS_BUCKET',
  exportsBucket: 'EXPORTS_BUCKET',
  /** AWS: Secrets Manager secret holding the key of the pseudonymising HMAC. */
  pseudonymKeySecretArn: 'PSEUDONYM_KEY_SECRET_ARN',
  /** Local only: the HMAC key itself (the local environment has no Secrets Manager). */
  pseudonymKey: 'PSEUDONYM_KEY',
  /** Message language of return reports: id (default) or en. */
  reportLanguage: 'REPORT_LANGUAGE',
  /** k of the pseudonymised tier's k-anonymity (core/anonymity.ts): an integer ≥ 2, default 5. */
  anonymityK: 'ANONYMITY_K',
  /** The stipulation guard: a regency's deactivations above this share of its active persons (0–1, default 0.05). */
  guardRegencyShare: 'GUARD_REGENCY_SHARE',
  /** The stipulation guard: national deactivations above this count (default 100,000). */
  guardNationalDeactivations: 'GUARD_NATIONAL_DEACTIVATIONS',
  /**
   * The master table's write throughput in write units per second that stipulation-apply may use: the CDK
   * stack sets the table's warm throughput; default 4,000 (what a new on-demand table takes at first).
   */
  masterWriteUnits: 'MASTER_WRITE_UNITS',
  /** The stipulation state machine the approvals API starts for the ministry (POST /stipulations). */
  stipulationStateMachineArn: 'STIPULATION_STATE_MACHINE_ARN',
  /** The quality control state machine the population loaders start once the registry is loaded (optional). */
  qualityControlStateMachineArn: 'QUALITY_CONTROL_STATE_MACHINE_ARN',
  /** The approval tasks' TimeoutSeconds (the ASL's ApprovalTimeoutSeconds), for each task's expiresAt in GET /tasks. */
  approvalTimeoutSeconds: 'APPROVAL_TIMEOUT_SECONDS',
  /** The stipulation's NIK shards (core/stipulation.ts shardOf): 64 in AWS, 4 locally; results are the same for any count. */
  stipulationShards: 'STIPULATION_SHARDS',
  /**
   * A regency whose previous export held more persons than this is exported in units by NIK range
   * (EXPORT_UNIT; default 1,000,000, core/snapshot.ts DEFAULT_EXPORT_UNIT_MAX_PERSONS). Tests set it small.
   */
  exportUnitMaxPersons: 'EXPORT_UNIT_MAX_PERSONS',
} as const;

/**
 * Every Lambda: folder under functions/ (entry functions/<name>/handler.ts, export `handler`) and the
 * placeholder the state machines use for its ARN.
 */
export const FUNCTIONS = {
  ingest: { placeholder: 'IngestFunctionArn' },
  'check-integrity': { placeholder: 'CheckIntegrityFunctionArn' },
  'request-approval': { placeholder: 'RequestApprovalFunctionArn' },
  'await-stipulation': { placeholder: 'AwaitStipulationFunctionArn' },
  'record-outcome': { placeholder: 'RecordOutcomeFunctionArn' },
  'verify-decision': { placeholder: 'VerifyDecisionFunctionArn' },
  'stipulation-collect': { placeholder: 'CollectFunctionArn' },
  /** Resolve: the plan, one NIK shard (a ResolveShards child), the summary (RESOLVE_*). */
  'stipulation-resolve-plan': { placeholder: 'ResolvePlanFunctionArn' },
  'stipulation-resolve': { placeholder: 'ResolveFunctionArn' },
  'stipulation-resolve-summary': { placeholder: 'ResolveSummaryFunctionArn' },
  'stipulation-apply': { placeholder: 'ApplyFunctionArn' },
  'stipulation-list-regencies': { placeholder: 'ListRegenciesFunctionArn' },
  'stipulation-export-regency': { placeholder: 'ExportRegencyFunctionArn' },
  'stipulation-finalise-export': { placeholder: 'FinaliseExportFunctionArn' },
  'stipulation-release': { placeholder: 'ReleaseFunctionArn' },
  'stipulation-record-period': { placeholder: 'RecordPeriodFunctionArn' },
  /** The stipulation guard: compare with the master, wait for a ministry sign-off, verify it (GUARD_INPUT). */
  'stipulation-guard': { placeholder: 'GuardFunctionArn' },
  /** The master write lease: TakeMasterWriteLease before ApplyShards, ReleaseMasterWriteLease after FinaliseExport (MASTER_LEASE_INPUT). */
  'stipulation-master-lease': { placeholder: 'MasterLeaseFunctionArn' },
  /** The quality control: the regencies to screen, one regency's screening, the period's summary (QUALITY_CONTROL_*). */
  'quality-control-regencies': { placeholder: 'QualityControlRegenciesFunctionArn' },
  'quality-control-screen': { placeholder: 'QualityControlScreenFunctionArn' },
  'quality-control-summarise': { placeholder: 'QualityControlSummariseFunctionArn' },
  /** The stipulation's IncludeQualityControl: the period's results, or a plain record that it was not screened. */
  'quality-control-include': { placeholder: 'QualityControlIncludeFunctionArn' },
  /** Not in a state machine: behind the approvals HTTP API. */
  'approvals-api': { placeholder: null },
  /** Not in a state machine: loads a Dukcapil extract placed under reference/population/ into the population table. */
  'load-population': { placeholder: null },
  /** Not in a state machine: applies a Dukcapil delta extract placed under reference/population-delta/. */
  'load-population-delta': { placeholder: null },
  /** Not in a state machine: records FAILED the proposal of a stopped execution (EventBridge status change rule). */
  'record-stopped': { placeholder: null },
  /** Not in a state machine: the public self-registration endpoint (REGISTRATION_ROUTES, no sign-in). */
  'registrations-api': { placeholder: null },
  /** Not in a state machine: gathers a month's self-registrations into one MANDIRI proposal per regency (a schedule). */
  'mandiri-gather': { placeholder: null },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

/** Approver identity as carried by the JWT (Cognito custom attributes) or a local user. */
export type Role = 'region_operator' | 'regency_approver' | 'province_approver' | 'ministry_operator' | 'analyst';
export interface Principal {
  username: string;
  role: Role;
  /** Regency code (4 digits) for region operators and regency approvers, province (2 digits) for province approvers. */
  area: string;
}
export const CLAIM_NAMES = { role: 'custom:role', area: 'custom:area', username: 'cognito:username' } as const;

/**
 * The routes of the approvals HTTP API, declared once: the handler dispatches on their route keys,
 * infra/constructs/approvals-api.ts declares them in API Gateway and local/approvals-server.ts matches
 * requests against them.
 */
export const APPROVAL_ROUTES = {
  /** My open approval tasks. */
  listTasks: { method: 'GET', path: '/tasks' },
  /** A proposal's check summary, status and audit trail. */
  viewProposal: { method: 'GET', path: '/proposals/{proposalId}' },
  /** Approve, approve with exclusions, or reject (body: DECISION_REQUEST). */
  decide: { method: 'POST', path: '/proposals/{proposalId}/decision' },
  /** The ministry signs off (APPROVE) or holds (HOLD) a stipulation the guard stopped (body: GUARD_DECISION_REQUEST). */
  guard: { method: 'POST', path: '/periods/{period}/guard' },
  // The web console's routes (issue 9); their queries and bodies are the CONSOLE_* schemas below.
  /** Who I am: username, role, area and its name. */
  me: { method: 'GET', path: '/me' },
  /** Proposals by regency, period and status, newest first, paginated (PROPOSALS_QUERY). */
  listProposals: { method: 'GET', path: '/proposals' },
  /** A proposal's checked rows, paged and filtered by code, verdict and search (ROWS_QUERY). */
  proposalRows: { method: 'GET', path: '/proposals/{proposalId}/rows' },
  /** A short-lived link to the proposal's return report (REPORT_QUERY), audited. */
  proposalReport: { method: 'GET', path: '/proposals/{proposalId}/report' },
  /** A region operator's presigned upload of a proposal file (UPLOAD_REQUEST): one PUT, or multipart parts. */
  createUpload: { method: 'POST', path: '/uploads' },
  /** Completes a multipart upload (UPLOAD_COMPLETE_REQUEST). */
  completeUpload: { method: 'POST', path: '/uploads/complete' },
  /** The ministry's board of a period: proposals per regency by status, and the stipulation runs (BOARD_QUERY). */
  board: { method: 'GET', path: '/board' },
  /** The stipulated periods. */
  listPeriods: { method: 'GET', path: '/periods' },
  /** A stipulated period's manifest and the files the caller's tier may have. */
  viewPeriod: { method: 'GET', path: '/periods/{period}' },
  /** A short-lived link to one file of the period's manifest (DOWNLOAD_REQUEST), by tier, audited. */
  periodDownload: { method: 'POST', path: '/periods/{period}/downloads' },
  /** Starts (or re-runs) a period's stipulation (STIPULATION_REQUEST): the ministry only. */
  startStipulation: { method: 'POST', path: '/stipulations' },
  /** A regency's tracking list of the quality control (TRACKING_QUERY): its regency and the ministry only. */
  listTracking: { method: 'GET', path: '/tracking' },
  /** A moved family's task with its pair (the origin's task and the destination's notice): those two regencies and the ministry. */
  viewTracking: { method: 'GET', path: '/tracking/{taskId}' },
  /** The answer of the regency whose task it is (body: TRACKING_ANSWER_REQUEST). */
  answerTracking: { method: 'POST', path: '/tracking/{taskId}/answer' },
} as const satisfies Record<string, { method: 'GET' | 'POST'; path: `/${string}` }>;
export type ApprovalRoute = keyof typeof APPROVAL_ROUTES;

/**
 * The public routes of self-registration (pendaftaran mandiri), declared once like APPROVAL_ROUTES: on
 * the same HTTP API but without the JWT authorizer, throttled, and handled by registrations-api.
 */
export const REGISTRATION_ROUTES = {
  /** Register one family (body: REGISTRATION_REQUEST, at most MAX_REGISTRATION_BYTES); answers a receipt. */
  register: { method: 'POST', path: '/registrations' },
  /** A registration's status, by receipt and the NIK of one of its members (`?nik=`). */
  lookup: { method: 'GET', path: '/registrations/{receipt}' },
} as const satisfies Record<string, { method: 'GET' | 'POST'; path: `/${string}` }>;
export type RegistrationRoute = keyof typeof REGISTRATION_ROUTES;

/** API Gateway's route key of a route, `<METHOD> <path>`: what the event's `routeKey` carries. */
export function routeKeyOf(route: ApprovalRoute): string {
  const { method, path } = APPROVAL_ROUTES[route];
  return `${method} ${path}`;
}

/** The route key of a public registration route. */
export function registrationRouteKeyOf(route: RegistrationRoute): string {
  const { method, path } = REGISTRATION_ROUTES[route];
  return `${method} ${path}`;
}

/** The registration route whose key an event carries; undefined for any other. */
export function registrationRouteOf(routeKey: string): RegistrationRoute | undefined {
  return (Object.keys(REGISTRATION_ROUTES) as RegistrationRoute[]).find(
    (route) => registrationRouteKeyOf(route) === routeKey,
  );
}

/** The route whose key an event carries; undefined for any other. */
export function approvalRouteOf(routeKey: string): ApprovalRoute | undefined {
  return (Object.keys(APPROVAL_ROUTES) as ApprovalRoute[]).find((route) => routeKeyOf(route) === routeKey);
}

/**
 * The most an approval's exclusions may take, as JSON in UTF-8. A decision is recorded in one DynamoDB
 * item (400 KB), sent back to the waiting task (SendTaskSuccess takes 256 KiB of output) and handed on
 * by VerifyDecision (256 KiB per state): 200 KiB leaves room for the rest of the decision (a note of up
 * to 2,000 characters). 10,000 exclusions with long reasons would pass the count and fail all three.
 */
export const MAX_EXCLUSIONS_BYTES = 200 * 1024;

/** The body of POST /proposals/{proposalId}/decision (the approvals API). */
export const DECISION_REQUEST = z
  .object({
    decision: z.enum(['APPROVE', 'APPROVE_WITH_EXCLUSIONS', 'REJECT'] satisfies DecisionKind[]),
    note: z.string().trim().max(2000).default(''),
    exclusions: z
      .array(
        z.object({
          kind: z.enum(['NIK', 'KK'] satisfies Exclusion['kind'][]),
          id: z.string().regex(/^\d{16}$/, 'harus 16 angka'),
          reason: z.string().trim().min(1, 'alasan wajib diisi').max(500),
        }),
      )
      .max(10_000)
      .default([]),
  })
  .superRefine((body, context) => {
    if (body.decision === 'APPROVE_WITH_EXCLUSIONS' && body.exclusions.length === 0) {
      context.addIssue({ code: 'custom', path: ['exclusions'], message: 'minimal satu pengecualian' });
    }
    if (body.decision !== 'APPROVE_WITH_EXCLUSIONS' && body.exclusions.length > 0) {
      context.addIssue({ code: 'custom', path: ['exclusions'], message: 'hanya untuk APPROVE_WITH_EXCLUSIONS' });
    }
    // Every decision is recorded with its why: a rejection must say it.
    if (body.decision === 'REJECT' && body.note === '') {
      context.addIssue({ code: 'custom', path: ['note'], message: 'alasan penolakan wajib diisi' });
    }
    const bytes = new TextEncoder().encode(JSON.stringify(body.exclusions)).length;
    if (bytes > MAX_EXCLUSIONS_BYTES) {
      context.addIssue({
        code: 'custom',
        path: ['exclusions'],
        message:
          `terlalu besar untuk dicatat (${bytes.toLocaleString('id-ID')} bita, batasnya ` +
          `${MAX_EXCLUSIONS_BYTES.toLocaleString('id-ID')} bita): persingkat alasannya, atau kecualikan ` +
          'satu keluarga sekaligus dengan No. KK alih-alih tiap NIK',
      });
    }
  })
  .describe('Keputusan');
export type DecisionRequest = z.input<typeof DECISION_REQUEST>;

// ---------------------------------------------------------------------------------------------
// The web console's queries and bodies (issue 9; the routes above, functions/approvals-api)
// ---------------------------------------------------------------------------------------------
/** A page of a list: `limit` (default 50, at most 200) and the opaque `next` cursor of the page before. */
const PAGE = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  next: z.string().min(1).max(2048).optional(),
};
/** GET /proposals: a province's or the ministry's list names a period or a regency (the indexes it reads). */
export const PROPOSALS_QUERY = z
  .object({
    period: PERIOD.optional(),
    status: z.enum(PROPOSAL_STATUSES).optional(),
    regency: REGENCY.optional(),
    ...PAGE,
  })
  .describe('Parameter daftar usulan');
/** `hasil` of the return report (core/report.ts ACCEPTED / RETURNED). */
export const VERDICTS = ['DITERIMA', 'DIKEMBALIKAN'] as const;
export type Verdict = (typeof VERDICTS)[number];
/** GET /proposals/{proposalId}/rows: `q` is a NIK or No. KK prefix (digits) or part of a name. */
export const ROWS_QUERY = z
  .object({
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'kode hasil tidak dikenal')
      .optional(),
    verdict: z.enum(VERDICTS).optional(),
    q: z.string().trim().min(1).max(100).optional(),
    ...PAGE,
  })
  .describe('Parameter baris usulan');
export const REPORT_QUERY = z.object({ format: z.enum(['csv', 'xlsx']).default('csv') }).describe('Parameter laporan');
/** A file name the intake accepts under an upload prefix: one path segment, a .csv (PROPOSAL_FORMAT.md). */
const UPLOAD_FILE_NAME = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.csv$/i, 'nama berkas harus berakhiran .csv, tanpa garis miring atau spasi');
/** The most a proposal file may be (5 GiB: S3's single-object limit for a multipart of this part size). */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;
/** Above this a browser upload is multipart, in parts of UPLOAD_PART_BYTES (the last one smaller). */
export const SINGLE_UPLOAD_MAX_BYTES = 64 * 1024 ** 2;
export const UPLOAD_PART_BYTES = 16 * 1024 ** 2;
/**
 * POST /uploads. With `uploadId` (of a multipart upload this request started), fresh links for the parts
 * `partNumbers` (all when absent): a link lives PRESIGN_SECONDS, a large file on a slow line takes longer.
 */
export const UPLOAD_REQUEST = z
  .object({
    period: PERIOD,
    fileName: UPLOAD_FILE_NAME,
    size: z.number().int().min(1).max(MAX_UPLOAD_BYTES),
    uploadId: z.string().min(1).max(1024).optional(),
    partNumbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(10_000).optional(),
  })
  .describe('Permintaan unggah');
export const UPLOAD_COMPLETE_REQUEST = z
  .object({
    key: z.string().min(1).max(1024),
    uploadId: z.string().min(1).max(1024),
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) }))
      .min(1)
      .max(10_000),
  })
  .describe('Penyelesaian unggah');
export const BOARD_QUERY = z.object({ period: PERIOD }).describe('Parameter papan');
export const DOWNLOAD_REQUEST = z.object({ key: z.string().min(1).max(1024) }).describe('Permintaan unduhan');
export const STIPULATION_REQUEST = z.object({ period: PERIOD }).describe('Permintaan penetapan');
