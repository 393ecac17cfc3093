/**
 * The contracts between the state machines (state-machines/*.asl.json), the Lambda handlers
 * (functions/*), the CDK stack (infra/) and the local runtime (local/). Change a shape here and the
 * three must follow; the tests of each side import these types.
 */
import { PROPOSAL_STATUSES, type ProposalStatus, TERMINAL_STATUSES, type TerminalStatus } from '#core/lifecycle.ts';

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

/** What SendTaskSuccess carries back to an approval task (the output of the waitForTaskToken state). */
export interface ApprovalDecision {
  decision: DecisionKind;
  level: ApprovalLevel;
  decidedBy: string;
  decidedAt: string;
  note: string;
  exclusions: Exclusion[];
}

// ---------------------------------------------------------------------------------------------
// Storage layout
// ---------------------------------------------------------------------------------------------
/** S3 keys. The proposals bucket holds uploads, staged rows and return reports. */
export const KEYS = {
  /** Upload: proposals/<regency 4 digits>/<period YYYY-MM>/<file>.csv — the EventBridge rule watches this prefix. */
  uploadPrefix: 'proposals/',
  /** Normalised rows of a proposal as NDJSON (one ProposalRow per line), written by Ingest. */
  stagedRows: (proposalId: string) => `staging/${proposalId}/rows.ndjson`,
  /** Return report CSV of PROPOSAL_FORMAT.md, readable by the region operator. */
  returnReport: (regency: string, proposalId: string) => `reports/${regency}/${proposalId}/laporan-pengembalian.csv`,
  /** The resolved change set of a stipulation period (NDJSON of StipulationChange). */
  changeSet: (period: string) => `stipulation/${period}/changes.ndjson`,
  /** Exports bucket: Parquet per period/province/regency (full tier). */
  exportPart: (period: string, province: string, regency: string) =>
    `exports/period=${period}/province=${province}/regency-${regency}.parquet`,
  /** Pseudonymised tier for general analysts. */
  pseudonymisedPart: (period: string, province: string, regency: string) =>
    `pseudonymised/period=${period}/province=${province}/regency-${regency}.parquet`,
  /** Per-regency CSV for the Dinas Sosial. */
  regencyCsv: (period: string, regency: string) => `regency-csv/period=${period}/dtks-${regency}-${period}.csv`,
  /** The same as an Excel workbook (NIK, No. KK, codes and RT/RW as text cells), beside the CSV. */
  regencyXlsx: (period: string, regency: string) => `regency-csv/period=${period}/dtks-${regency}-${period}.xlsx`,
  manifest: (period: string) => `exports/period=${period}/manifest.json`,
  /**
   * What one regency's export produced (ExportPartRecord as JSON), written by ExportRegency after its
   * files and read back by FinaliseExport: 514 regencies' file lists do not fit Step Functions' 256 KiB
   * payload limit, so they travel through S3. Not data: the Glue tables read only `province=…/` folders
   * (partition projection), `dtks snapshot query` only `.parquet` objects, and Hive-style readers skip
   * `_`-prefixed paths.
   */
  exportPartRecord: (period: string, regency: string) => `exports/period=${period}/_parts/regency-${regency}.json`,
  /** The folder of a period's part records (FinaliseExport lists it). */
  exportPartRecords: (period: string) => `exports/period=${period}/_parts/`,
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
  },
  /** NIK claims of pending proposals: pk nik; one person, one pending family (conditional writes). */
  claims: { partitionKey: 'nik' },
  /** The population registry reference (Dukcapil extract): pk nik. */
  population: { partitionKey: 'nik' },
} as const;

// ---------------------------------------------------------------------------------------------
// Handler payloads of the proposal workflow (state-machines/proposal.asl.json)
// ---------------------------------------------------------------------------------------------
/** Ingest: the workflow passes the S3 object of the EventBridge "Object Created" event. */
export interface IngestInput {
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  size?: number;
  executionId: string;
}
export type IngestOutput =
  | { outcome: 'DUPLICATE'; proposalId: string }
  | { outcome: 'RETURNED'; proposalId: string; reason: string }
  | { outcome: 'INGESTED'; proposalId: string; regency: string; province: string; period: string; rows: number };

export interface CheckIntegrityInput {
  proposalId: string;
}
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
export interface RequestApprovalInput {
  proposalId: string;
  level: ApprovalLevel;
  taskToken: string;
}

/** AwaitStipulation registers the proposal in the stipulation queue with its token. */
export interface AwaitStipulationInput {
  proposalId: string;
  taskToken: string;
}
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
export interface VerifyDecisionInput {
  proposalId: string;
  level: ApprovalLevel | 'STIPULATION';
  received: unknown;
}

/** RecordOutcome: the terminal states of a proposal (releases its claims unless STIPULATED). */
export interface RecordOutcomeInput {
  proposalId: string;
  status: TerminalStatus;
  /** null (JSONata's answer when the workflow has none) or absent: the status's default reason. */
  reason?: string | null;
  /** The Catch output ({Error, Cause}) when status is FAILED or EXPIRED. */
  error?: { Error?: string; Cause?: string };
}
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
export interface RecordDecisionInput {
  proposalId: string;
  decision: ApprovalDecision;
}

// ---------------------------------------------------------------------------------------------
// Handler payloads of the stipulation workflow (state-machines/stipulation.asl.json)
// ---------------------------------------------------------------------------------------------
export interface CollectInput {
  period: string;
}
export interface CollectOutput {
  period: string;
  proposals: { proposalId: string; regency: string }[];
  /** Set when the period was stipulated already (its record's time): nothing is collected, the run ends refused. */
  stipulatedAt?: string;
}
export interface ResolveInput {
  period: string;
  proposals: { proposalId: string; regency: string }[];
}
export interface ResolveOutput {
  period: string;
  changeSetKey: string;
  changes: number;
  returnedRows: number;
}
/** Apply runs in a loop of bounded slices so that a Lambda never meets its 15-minute limit. */
export interface ApplyInput {
  period: string;
  changeSetKey: string;
  /** Byte offset into the change set (NDJSON) where this slice starts: 0 for the first. */
  offset: number;
}
export interface ApplyOutput {
  period: string;
  changeSetKey: string;
  /** Byte offset where the next slice starts. */
  offset: number;
  done: boolean;
  applied: number;
}
export interface ListRegenciesInput {
  period: string;
}
export interface ListRegenciesOutput {
  period: string;
  regencies: { regency: string; province: string }[];
}
export interface ExportRegencyInput {
  period: string;
  regency: string;
  province: string;
}
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
}
/**
 * What ExportRegency returns to the Map: a summary of a few dozen bytes, so that the Map result for the
 * 514 regencies of Indonesia stays far below the 256 KiB payload limit. The files are in the part record.
 */
export interface ExportRegencyOutput {
  regency: string;
  province: string;
  records: number;
}
/** `regencies` is the ExportRegencies Map result; FinaliseExport reads their part records from S3. */
export interface FinaliseExportInput {
  period: string;
  carriedForward: boolean;
  proposals: { proposalId: string; regency: string }[];
  regencies: ExportRegencyOutput[];
}
export interface ReleaseInput {
  period: string;
  proposalId: string;
}

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
  'stipulation-resolve': { placeholder: 'ResolveFunctionArn' },
  'stipulation-apply': { placeholder: 'ApplyFunctionArn' },
  'stipulation-list-regencies': { placeholder: 'ListRegenciesFunctionArn' },
  'stipulation-export-regency': { placeholder: 'ExportRegencyFunctionArn' },
  'stipulation-finalise-export': { placeholder: 'FinaliseExportFunctionArn' },
  'stipulation-release': { placeholder: 'ReleaseFunctionArn' },
  'stipulation-record-period': { placeholder: 'RecordPeriodFunctionArn' },
  /** Not in a state machine: behind the approvals HTTP API. */
  'approvals-api': { placeholder: null },
  /** Not in a state machine: loads a Dukcapil extract placed under reference/population/ into the population table. */
  'load-population': { placeholder: null },
  /** Not in a state machine: records FAILED the proposal of a stopped execution (EventBridge status change rule). */
  'record-stopped': { placeholder: null },
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
