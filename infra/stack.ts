/**
 * The DTKS pipeline stack: storage, the functions with their least-privilege bindings, the two
 * workflows loaded from state-machines/, intake, the approvals API, the monthly schedule, analytics
 * and monitoring. Environment-agnostic and synthesised fully offline (no lookups).
 */
import { Aws, CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { APPLY_TIMEOUT_SECONDS, ENV, type FunctionName, KEYS, TABLES } from '#shared/contracts.ts';
import { exportFileFolders } from '#shared/exports/stray-files.ts';
import { MASTER_LEASE_PK } from '#shared/master-lease.ts';
import { acknowledge, acknowledgeWildcard, arnReference, WILDCARD_REASONS } from './constructs/acknowledge.ts';
import { Analytics } from './constructs/analytics.ts';
import { ApprovalsApi, CONSOLE_SCOPES, cognitoDomainUrl } from './constructs/approvals-api.ts';
import { Console } from './constructs/console.ts';
import { DtksFunction, type ObjectAction, type TableAction } from './constructs/dtks-function.ts';
import { Intake } from './constructs/intake.ts';
import { MandiriSchedule } from './constructs/mandiri-schedule.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { QualityControlWorkflow } from './constructs/quality-control.ts';
import { StipulationSchedule } from './constructs/stipulation-schedule.ts';
import { StoppedProposals } from './constructs/stopped-proposals.ts';
import { MONTHLY_WARM_THROUGHPUT, Storage } from './constructs/storage.ts';
import { Workflow } from './constructs/workflow.ts';

/**
 * ProposalsRepository's steps: transition and update (a conditional UpdateItem; GetItem to tell a retry
 * from a conflict), create, openTask, putDecision and the audit events (PutItem), require (GetItem).
 */
const PROPOSAL_STEPS: readonly TableAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** The stipulation's NIK shards in AWS (STIPULATION_SHARDS): Resolve's, Compare's and Apply's Map items. */
const STIPULATION_SHARDS = 64;

/** Reading a key that may be missing (openObject answers undefined): ListBucket makes S3 say 404, not 403. */
const READ_MAYBE_MISSING: readonly ObjectAction[] = ['s3:GetObject', 's3:ListBucket'];

/** A stream written with @aws-sdk/lib-storage Upload: PutObject and its parts, aborted on failure. */
const STREAMED_WRITE: readonly ObjectAction[] = ['s3:PutObject', 's3:AbortMultipartUpload'];

/** An export written as a stream, or copied from the month before by version (carry-forward.ts). */
const CARRIED_WRITE: readonly ObjectAction[] = [...STREAMED_WRITE, ...READ_MAYBE_MISSING, 's3:GetObjectVersion'];

export interface DtksStackProps extends StackProps {
  /** The built web console, index.html and assets/ (web/build.ts buildConsole): infra/app.ts builds it before the stack. */
  readonly consoleAssets: string;
  /**
   * The user-pool domain's prefix, unique in the region (`<prefix>.auth.<region>.amazoncognito.com`).
   * @default context `dtks:cognitoDomainPrefix`, else `<stack name>-<account id>`
   */
  readonly cognitoDomainPrefix?: string;
  /**
   * A developer's console at `http://localhost:<port>/` against this stack: added to the sign-in URLs and
   * the CORS origins only when asked for. @default context `dtks:consoleLocalhostPort`, else none
   */
  readonly consoleLocalhostPort?: number;
  /** How long an approver has for a regency or province decision before the proposal EXPIRES. @default Duration.days(14) */
  readonly approvalTimeout?: Duration;
}

export class DtksStack extends Stack {
  public readonly storage: Storage;
  /** Every function, by its folder under functions/. */
  public readonly functions: Readonly<Record<FunctionName, DtksFunction>>;
  public readonly proposalWorkflow: Workflow;
  public readonly stipulationWorkflow: Workflow;
  public readonly qualityControlWorkflow: QualityControlWorkflow;
  public readonly intake: Intake;
  public readonly stoppedProposals: StoppedProposals;
  public readonly approvalsApi: ApprovalsApi;
  /** The web console behind CloudFront. */
  public readonly console: Console;
  public readonly schedule: StipulationSchedule;
  /** The self-registration cut-off (mandiri-gather). */
  public readonly mandiriSchedule: MandiriSchedule;
  public readonly analytics: Analytics;
  public readonly monitoring: Monitoring;
  public readonly pseudonymKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DtksStackProps) {
    super(scope, id, props);
    const approvalTimeout = props.approvalTimeout ?? Duration.days(14);
    const storage = new Storage(this, 'Storage');
    this.storage = storage;
    const {
      proposalsTable,
      masterTable,
      claimsTable,
      populationTable,
      registrationsTable,
      proposalsBucket,
      exportsBucket,
    } = storage;

    this.pseudonymKey = new secretsmanager.Secret(this, 'PseudonymKey', {
      description: 'DTKS: HMAC key of the pseudonymised exports (NIK and No. KK hashes)',
      encryptionKey: storage.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledge(
      this.pseudonymKey,
      'SMG4',
      'Rotating the pseudonymising key changes every nik_hash/no_kk_hash and breaks the comparison of periods that general analysts rely on; a new key is a deliberate decision followed by re-exporting every period, not a schedule.',
    );

    // --- the proposal workflow's functions ---
    // Each binding names exactly the actions of the commands its handler sends (functions/shared/README.md,
    // "IAM per function"); test/infra/least-privilege.test.ts holds the same table.
    const ingest = new DtksFunction(this, 'Ingest', { name: 'ingest', timeout: Duration.minutes(5) })
      .bindTable({ table: proposalsTable, actions: PROPOSAL_STEPS })
      .bindBucket({ bucket: proposalsBucket, actions: STREAMED_WRITE, prefix: KEYS.stagingPrefix })
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:PutObject'], prefix: KEYS.reportsPrefix });
    // The upload's own version (GetObject with VersionId), HeadObject without one; a deleted upload is a 404.
    // Under each source's prefix (proposals/, kemensos/, mandiri/): reads only.
    for (const prefix of KEYS.uploadPrefixes) {
      ingest.bindBucket({
        bucket: proposalsBucket,
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
        prefix,
      });
    }
    const checkIntegrity = new DtksFunction(this, 'CheckIntegrity', {
      name: 'check-integrity',
      timeout: Duration.minutes(15),
      memorySize: 2048,
    })
      .bindTable({ table: proposalsTable, actions: PROPOSAL_STEPS })
      // DtksMaster port: findByNik (BatchGetItem), findFamilies and findByIdentity (Query on their indexes).
      .bindTable({
        table: masterTable,
        actions: ['dynamodb:BatchGetItem'],
        queryIndexes: [TABLES.master.familyIndex.name, TABLES.master.identityIndex.name],
      })
      // ClaimRegistry: findClaims (BatchGetItem), take (conditional PutItem); never a delete.
      .bindTable({ table: claimsTable, actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'] })
      .bindTable({ table: populationTable, actions: ['dynamodb:BatchGetItem'] })
      .bindBucket({
        bucket: proposalsBucket,
        actions: [...READ_MAYBE_MISSING, ...STREAMED_WRITE],
        prefix: KEYS.stagingPrefix,
      })
      .bindBucket({ bucket: proposalsBucket, actions: STREAMED_WRITE, prefix: KEYS.reportsPrefix });
    const requestApproval = new DtksFunction(this, 'RequestApproval', { name: 'request-approval' }).bindTable({
      table: proposalsTable,
      actions: PROPOSAL_STEPS,
    });
    // listDecisions: a Query within the proposal's own items.
    const awaitStipulation = new DtksFunction(this, 'AwaitStipulation', { name: 'await-stipulation' }).bindTable({
      table: proposalsTable,
      actions: [...PROPOSAL_STEPS, 'dynamodb:Query'],
    });
    const recordOutcome = new DtksFunction(this, 'RecordOutcome', {
      name: 'record-outcome',
      timeout: Duration.minutes(5),
    })
      .bindTable({ table: proposalsTable, actions: [...PROPOSAL_STEPS, 'dynamodb:Query'] })
      // Releases the proposal's own claims (DeleteItem conditional on proposalId): the stack's one delete.
      .bindTable({ table: claimsTable, actions: ['dynamodb:DeleteItem'] })
      // The accepted rows, absent for a proposal returned at ingest.
      .bindBucket({ bucket: proposalsBucket, actions: READ_MAYBE_MISSING, prefix: KEYS.stagingPrefix });
    // Reads the recorded decision (GetItem) or the proposal's release (GetItem) and closes the answered task
    // (UpdateItem, and PutItem for its audit event). Reads nothing else: not even the task's token.
    const verifyDecision = new DtksFunction(this, 'VerifyDecision', { name: 'verify-decision' }).bindTable({
      table: proposalsTable,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    });

    // --- the stipulation workflow's functions ---
    // The stipulation queue is an index: Collect reads nothing else of the proposals table.
    // The queue index; the period record (GetItem: a stipulated period is refused) and the period's collection
    // (a conditional PutItem, GetItem on a rerun, with a GetItem of each proposal then).
    // The collected list goes to S3 (KEYS.proposalList), where the later steps and the release Map read it.
    // The collection's own list (KEYS.periodProposals), written before its item and read back on a rerun.
    const collect = new DtksFunction(this, 'Collect', { name: 'stipulation-collect' })
      .bindTable({
        table: proposalsTable,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        queryIndexes: [TABLES.proposals.stipulationIndex.name],
      })
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:PutObject'], prefix: KEYS.stipulationPrefix })
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:GetObject', 's3:PutObject'], prefix: KEYS.periodsPrefix });
    // Resolve in three steps, by NIK shard (64): the plan, one invocation per shard (the ResolveShards Map),
    // the summary. The plan reads each proposal (GetItem) and its decisions' exclusions (Query), reads Collect's
    // list and writes the plan and the Map's items (small objects: PutObject).
    const resolvePlan = new DtksFunction(this, 'ResolvePlan', {
      name: 'stipulation-resolve-plan',
      timeout: Duration.minutes(5),
      environment: { [ENV.stipulationShards]: String(STIPULATION_SHARDS) },
    })
      .bindTable({ table: proposalsTable, actions: ['dynamodb:GetItem', 'dynamodb:Query'] })
      .bindBucket({
        bucket: proposalsBucket,
        actions: [...READ_MAYBE_MISSING, 's3:PutObject'],
        prefix: KEYS.stipulationPrefix,
      });
    // One shard: no table at all. Reads the plan and every proposal's accepted rows; writes the shard's change
    // set, its returned rows and its summary (streamed). 1,769 MB is one full vCPU: the scan is one thread.
    const resolve = new DtksFunction(this, 'Resolve', {
      name: 'stipulation-resolve',
      timeout: Duration.minutes(15),
      memorySize: 1769,
    })
      .bindBucket({ bucket: proposalsBucket, actions: READ_MAYBE_MISSING, prefix: KEYS.stagingPrefix })
      .bindBucket({
        bucket: proposalsBucket,
        actions: [...READ_MAYBE_MISSING, ...STREAMED_WRITE],
        prefix: KEYS.stipulationPrefix,
      });
    // The summary: each proposal's counts (UpdateItem; GetItem names a missing proposal), the shards' summaries
    // and returned rows read, the change set summary and the list of shards written (small objects: PutObject);
    // the return reports (streamed) beside each proposal's check report.
    const resolveSummary = new DtksFunction(this, 'ResolveSummary', {
      name: 'stipulation-resolve-summary',
      timeout: Duration.minutes(15),
    })
      .bindTable({ table: proposalsTable, actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] })
      .bindBucket({
        bucket: proposalsBucket,
        actions: [...READ_MAYBE_MISSING, 's3:PutObject'],
        prefix: KEYS.stipulationPrefix,
      })
      .bindBucket({ bucket: proposalsBucket, actions: STREAMED_WRITE, prefix: KEYS.reportsPrefix });
    // The master is never erased: Apply reads records in batches and writes whole records back with
    // BatchWriteItem (puts only), under the execution's master write lease, which each slice renews first
    // (a conditional UpdateItem of LEASE#MASTER; a GetItem names the holder when it is another's).
    // Its share of the master's write throughput: MASTER_WRITE_UNITS (the master's warm throughput; the
    // handler's default is a new on-demand table's 4,000) over the ApplyShards Map's 16 children.
    const apply = new DtksFunction(this, 'Apply', {
      name: 'stipulation-apply',
      // A failed run's lease is kept this long (master-lease.ts coolDown): one home for both.
      timeout: Duration.seconds(APPLY_TIMEOUT_SECONDS),
      environment: {
        [ENV.stipulationShards]: String(STIPULATION_SHARDS),
        [ENV.masterWriteUnits]: String(MONTHLY_WARM_THROUGHPUT.writeUnitsPerSecond),
      },
    })
      .bindTable({ table: masterTable, actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'] })
      .bindTable({
        table: proposalsTable,
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        leadingKeys: [MASTER_LEASE_PK],
      })
      // Reads the change set; writes the moved-from markers (KEYS.movedFromMarker) beside it.
      .bindBucket({
        bucket: proposalsBucket,
        actions: [...READ_MAYBE_MISSING, 's3:PutObject'],
        prefix: KEYS.stipulationPrefix,
      });
    // Reads the change set's summary and the moved-from markers (ListBucket), writes the export Map's items;
    // the month before's period record (GetItem): a regency is carried forward only from a stipulated month.
    const listRegencies = new DtksFunction(this, 'ListRegencies', { name: 'stipulation-list-regencies' })
      .bindTable({ table: masterTable, actions: [], queryIndexes: [TABLES.master.regencyIndex.name] })
      .bindBucket({
        bucket: proposalsBucket,
        actions: [...READ_MAYBE_MISSING, 's3:PutObject'],
        prefix: KEYS.stipulationPrefix,
      })
      .bindTable({ table: proposalsTable, actions: ['dynamodb:GetItem'] })
      // The month before's part records (their units and NIK runs), where a large regency is split: no data.
      .bindBucket({
        bucket: exportsBucket,
        actions: ['s3:GetObject', 's3:ListBucket'],
        prefix: KEYS.exportPartRecords('*'),
      });
    const exportRegency = new DtksFunction(this, 'ExportRegency', {
      name: 'stipulation-export-regency',
      timeout: Duration.minutes(15),
      memorySize: 2048,
    })
      .bindTable({ table: masterTable, actions: [], queryIndexes: [TABLES.master.regencyIndex.name] })
      // Writes the regency's files; a regency carried forward reads the month before's part record and copies
      // its files (CopyObject reads the source by version: GetObjectVersion; HeadObject of a missing one is
      // 404 only with ListBucket). The files it reads are the ones it would write: the same tiers.
      .bindBucket({ bucket: exportsBucket, actions: CARRIED_WRITE, prefix: KEYS.exportsPrefix })
      .bindBucket({ bucket: exportsBucket, actions: CARRIED_WRITE, prefix: KEYS.pseudonymisedPrefix })
      .bindBucket({ bucket: exportsBucket, actions: CARRIED_WRITE, prefix: KEYS.regencyCsvPrefix })
      .bindSecret({ secret: this.pseudonymKey, variable: ENV.pseudonymKeySecretArn });
    // Reads the part records (KEYS.exportPartRecord, under exports/period=<period>/_parts/ of every period) and
    // writes the manifest; never reads the Parquet files, which hold NIKs and names.
    const finaliseExport = new DtksFunction(this, 'FinaliseExport', { name: 'stipulation-finalise-export' })
      .bindBucket({
        bucket: exportsBucket,
        actions: ['s3:GetObject', 's3:ListBucket'],
        prefix: KEYS.exportPartRecords('*'),
      })
      .bindBucket({ bucket: exportsBucket, actions: ['s3:PutObject'], prefix: KEYS.exportsPrefix })
      // The previous period's manifest, whose SHA-256 the new one names (the hash chain): those objects only.
      .bindBucket({ bucket: exportsBucket, actions: ['s3:GetObject'], prefix: KEYS.manifest('*') })
      // The period record: the manifest of a stipulated period is never rewritten.
      .bindTable({ table: proposalsTable, actions: ['dynamodb:GetItem'] })
      // Collect's list of proposals and the export Map's list of regencies, always written before: no listing.
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:GetObject'], prefix: KEYS.stipulationPrefix });
    // A failed run's stray export files, deleted before the manifest (functions/shared/exports/stray-files.ts):
    // the export files' folders listed (the part records' already are), DeleteObject on their key shapes only,
    // never on the quality control's files beside them or the manifest.
    for (const { prefix, deletable } of exportFileFolders('*')) {
      if (prefix !== KEYS.exportPartRecords('*')) {
        finaliseExport.bindBucket({ bucket: exportsBucket, actions: ['s3:ListBucket'], prefix });
      }
      finaliseExport.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:DeleteObject'],
          resources: deletable.map((pattern) => exportsBucket.arnForObjects(pattern)),
        }),
      );
      for (const pattern of deletable) {
        acknowledgeWildcard(
          finaliseExport.executionRole,
          `Resource::${arnReference(exportsBucket)}/${pattern}`,
          WILDCARD_REASONS.objectPrefix,
        );
      }
    }
    // Answers the stipulation tokens (SendTaskSuccess only, granted below) and closes the tasks.
    const release = new DtksFunction(this, 'Release', { name: 'stipulation-release' }).bindTable({
      table: proposalsTable,
      actions: PROPOSAL_STEPS,
    });
    // A conditional PutItem (a recorded period is never rewritten) and GetItem of the record that stands.
    // Reads Collect's list of proposals, always written before: no listing; keeps it for the record
    // (KEYS.periodProposals, PutObject If-None-Match: *), written before the record that names it.
    const recordPeriod = new DtksFunction(this, 'RecordPeriod', { name: 'stipulation-record-period' })
      .bindTable({ table: proposalsTable, actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] })
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:GetObject'], prefix: KEYS.stipulationPrefix })
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:PutObject'], prefix: KEYS.periodsPrefix });

    // The stipulation guard: per shard, reads the shard's changes and the changed persons' records
    // (BatchGetItem, as Apply) and writes its tally beside them; the summary reads the tallies, takes the
    // touched regencies' active persons from the previous period's manifest (its record: GetItem; the
    // manifest: GetObject) or, for a regency no manifest names, a COUNT Query on byRegency, writes its report
    // and reads it back to open the task; the period's GUARD item (PutItem of the task with its token,
    // GetItem, UpdateItem to close it), PERIOD# partitions only: never a proposal's items.
    const guard = new DtksFunction(this, 'Guard', { name: 'stipulation-guard', timeout: Duration.minutes(15) })
      .bindTable({
        table: masterTable,
        actions: ['dynamodb:BatchGetItem'],
        queryIndexes: [TABLES.master.regencyIndex.name],
      })
      .bindBucket({
        bucket: proposalsBucket,
        actions: [...READ_MAYBE_MISSING, 's3:PutObject'],
        prefix: KEYS.stipulationPrefix,
      })
      .bindBucket({ bucket: exportsBucket, actions: ['s3:GetObject'], prefix: KEYS.manifest('*') })
      .bindTable({
        table: proposalsTable,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        leadingKeys: ['PERIOD#*'],
      });

    // The master write lease (functions/shared/master-lease.ts): a conditional PutItem takes it, a GetItem
    // names another holder, a conditional UpdateItem renews it (before each export unit) or cools it down
    // after a failure, a conditional DeleteItem gives it back; LEASE#MASTER only.
    const masterLease = new DtksFunction(this, 'MasterLease', { name: 'stipulation-master-lease' }).bindTable({
      table: proposalsTable,
      actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      leadingKeys: [MASTER_LEASE_PK],
    });

    // --- the quality control (pengendalian kualitas): its own workflow, off the stipulation's critical path ---
    // The regencies with active persons (byRegency), written as the screening Map's items; the period record
    // (GetItem: a stipulated period is refused).
    const qualityControlRegencies = new DtksFunction(this, 'QualityControlRegencies', {
      name: 'quality-control-regencies',
    })
      .bindTable({ table: masterTable, actions: [], queryIndexes: [TABLES.master.regencyIndex.name] })
      // The period's run lease (QUALITY_CONTROL_RUN: conditional UpdateItems, a GetItem to tell busy from superseded).
      .bindTable({
        table: proposalsTable,
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        leadingKeys: ['PERIOD#*'],
      })
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:PutObject'], prefix: KEYS.qualityControlList('*') });
    // Reads the regency's active persons (byRegency), their registry items (BatchGetItem) and, for the families
    // that moved here, their master records (BatchGetItem); writes the tracking entries of the proposals table
    // (TRACKING#<regency> partitions only: the LeadingKeys condition below) and the regency's files.
    const qualityControlScreen = new DtksFunction(this, 'QualityControlScreen', {
      name: 'quality-control-screen',
      timeout: Duration.minutes(15),
      memorySize: 2048,
    })
      .bindTable({
        table: masterTable,
        actions: ['dynamodb:BatchGetItem'],
        queryIndexes: [TABLES.master.regencyIndex.name],
      })
      .bindTable({ table: populationTable, actions: ['dynamodb:BatchGetItem'] })
      .bindBucket({
        bucket: proposalsBucket,
        actions: ['s3:PutObject'],
        prefix: `${KEYS.stipulationPrefix}*/quality-control/`,
      })
      .bindBucket({
        bucket: exportsBucket,
        actions: ['s3:PutObject'],
        prefix: `${KEYS.regencyCsvPrefix}period=*/pelacakan-`,
      })
      .bindBucket({
        bucket: exportsBucket,
        actions: ['s3:PutObject'],
        prefix: `${KEYS.exportsPrefix}period=*/pengendalian-kualitas/`,
      })
      .bindTable({
        table: proposalsTable,
        actions: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        leadingKeys: ['TRACKING#*'],
      })
      // Whether the period's stipulation has started (its record or collection, GetItem): then no file is written.
      .bindTable({ table: proposalsTable, actions: ['dynamodb:GetItem'], leadingKeys: ['PERIOD#*'] });
    // Reads the Map's item list and the regencies' counts, writes the pseudonymised counts and the period's
    // QUALITY_CONTROL item, gives the run's lease back (UpdateItem of QUALITY_CONTROL_RUN).
    const qualityControlSummarise = new DtksFunction(this, 'QualityControlSummarise', {
      name: 'quality-control-summarise',
    })
      .bindBucket({
        bucket: proposalsBucket,
        actions: READ_MAYBE_MISSING,
        prefix: `${KEYS.stipulationPrefix}*/quality-control/`,
      })
      .bindBucket({
        bucket: exportsBucket,
        actions: ['s3:PutObject'],
        prefix: `${KEYS.pseudonymisedPrefix}period=*/pengendalian-kualitas.json`,
      })
      .bindTable({
        table: proposalsTable,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        leadingKeys: ['PERIOD#*'],
      });
    // The stipulation's IncludeQualityControl: the period's QUALITY_CONTROL item (GetItem), or its note that
    // the period was not screened (PutItem).
    const qualityControlInclude = new DtksFunction(this, 'QualityControlInclude', {
      name: 'quality-control-include',
    }).bindTable({
      table: proposalsTable,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      leadingKeys: ['PERIOD#*'],
    });

    // --- outside the workflows ---
    const approvalsHandler = new DtksFunction(this, 'ApprovalsHandler', {
      name: 'approvals-api',
      timeout: Duration.seconds(29),
    })
      // Internet-facing: one proposal's items (GetItem, Query on its pk), the open-task index, decisions,
      // task closes and audit events. No Scan, DeleteItem or batch: it can neither list every task token nor
      // erase the audit trail. SendTaskSuccess is granted by ApprovalsApi.
      .bindTable({
        table: proposalsTable,
        actions: [...PROPOSAL_STEPS, 'dynamodb:Query'],
        // The console's lists: a regency's proposals, a period's (a province's, the ministry's, the board).
        queryIndexes: [
          TABLES.proposals.taskIndex.name,
          TABLES.proposals.regencyIndex.name,
          TABLES.proposals.periodIndex.name,
        ],
      })
      // An approval's exclusions are checked against the proposal's accepted rows: those objects only, never
      // the staged file with the returned rows.
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:GetObject'], prefix: KEYS.acceptedRows('*') })
      // The console: the checked rows beside each report (a missing index is 404, not 403: ListBucket), and the
      // presigned links of the reports, which the browser's GET uses with these credentials.
      .bindBucket({ bucket: proposalsBucket, actions: READ_MAYBE_MISSING, prefix: KEYS.reportsPrefix })
      // A region operator's presigned upload (PutObject, and CreateMultipartUpload, UploadPart and
      // CompleteMultipartUpload, which S3 authorises as PutObject) of the regency's own key, which the
      // handler builds from the caller's claims; no other upload prefix, no read of uploads.
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:PutObject'], prefix: KEYS.uploadPrefixOf('MUSDES') })
      // The stipulated periods (their export folders, the manifests) and presigned links of their files by
      // tier; the handler decides which tier a caller may have.
      .bindBucket({ bucket: exportsBucket, actions: READ_MAYBE_MISSING, prefix: KEYS.exportsPrefix })
      .bindBucket({ bucket: exportsBucket, actions: ['s3:GetObject'], prefix: KEYS.pseudonymisedPrefix })
      .bindBucket({ bucket: exportsBucket, actions: ['s3:GetObject'], prefix: KEYS.regencyCsvPrefix });
    approvalsHandler.addEnvironment(ENV.approvalTimeoutSeconds, String(approvalTimeout.toSeconds()));
    const loadPopulation = new DtksFunction(this, 'LoadPopulation', {
      name: 'load-population',
      timeout: Duration.minutes(15),
    })
      // DynamoPopulationRegistry.put: BatchWriteItem of PutRequests only.
      .bindTable({ table: populationTable, actions: ['dynamodb:BatchWriteItem'] })
      .bindBucket({ bucket: proposalsBucket, actions: READ_MAYBE_MISSING, prefix: KEYS.populationPrefix });
    const loadPopulationDelta = new DtksFunction(this, 'LoadPopulationDelta', {
      name: 'load-population-delta',
      timeout: Duration.minutes(15),
    })
      // DynamoPopulationDeltas: the people (BatchGetItem), one re-read after a conflict and the ledger
      // (GetItem), each person's and the ledger's conditional PutItem. No BatchWriteItem: it takes no condition.
      .bindTable({ table: populationTable, actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'] })
      .bindBucket({ bucket: proposalsBucket, actions: READ_MAYBE_MISSING, prefix: KEYS.populationDeltaPrefix })
      .bindBucket({ bucket: proposalsBucket, actions: ['s3:PutObject'], prefix: KEYS.populationDeltaSummaryPrefix });
    // Public (no sign-in): a new registration (conditional PutItem) and one by its receipt (GetItem); of the
    // proposals table only the `status` of a proposal's META item, the projection its lookup sends.
    const registrationsHandler = new DtksFunction(this, 'RegistrationsHandler', {
      name: 'registrations-api',
      timeout: Duration.seconds(10),
    }).bindTable({ table: registrationsTable, actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] });
    registrationsHandler.addEnvironment(ENV.proposalsTable, proposalsTable.tableName);
    registrationsHandler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [proposalsTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'status'] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
    // The cut-off: a regency's registrations of the period (the gathering index), each marked with its
    // proposal (UpdateItem); the one file per regency and period under mandiri/, the only writer there:
    // written if absent, read back (by version) on a rerun.
    const mandiriGather = new DtksFunction(this, 'MandiriGather', {
      name: 'mandiri-gather',
      timeout: Duration.minutes(15),
    })
      .bindTable({
        table: registrationsTable,
        actions: ['dynamodb:UpdateItem'],
        queryIndexes: [TABLES.registrations.gatheringIndex.name],
      })
      .bindBucket({
        bucket: proposalsBucket,
        actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
        prefix: KEYS.uploadPrefixOf('MANDIRI'),
      });
    // A stopped proposal execution: the proposal's META (GetItem, UpdateItem), its tasks (UpdateItem) and
    // their audit events (PutItem); its own claims (conditional DeleteItem) from the accepted rows.
    const recordStopped = new DtksFunction(this, 'RecordStopped', {
      name: 'record-stopped',
      timeout: Duration.minutes(5),
    })
      .bindTable({ table: proposalsTable, actions: PROPOSAL_STEPS })
      .bindTable({ table: claimsTable, actions: ['dynamodb:DeleteItem'] })
      .bindBucket({ bucket: proposalsBucket, actions: READ_MAYBE_MISSING, prefix: KEYS.stagingPrefix });

    this.functions = {
      ingest,
      'check-integrity': checkIntegrity,
      'request-approval': requestApproval,
      'await-stipulation': awaitStipulation,
      'record-outcome': recordOutcome,
      'verify-decision': verifyDecision,
      'stipulation-collect': collect,
      'stipulation-resolve-plan': resolvePlan,
      'stipulation-resolve': resolve,
      'stipulation-resolve-summary': resolveSummary,
      'stipulation-apply': apply,
      'stipulation-list-regencies': listRegencies,
      'stipulation-export-regency': exportRegency,
      'stipulation-finalise-export': finaliseExport,
      'stipulation-release': release,
      'stipulation-record-period': recordPeriod,
      'stipulation-guard': guard,
      'stipulation-master-lease': masterLease,
      'approvals-api': approvalsHandler,
      'load-population': loadPopulation,
      'load-population-delta': loadPopulationDelta,
      'record-stopped': recordStopped,
      'registrations-api': registrationsHandler,
      'mandiri-gather': mandiriGather,
      'quality-control-regencies': qualityControlRegencies,
      'quality-control-screen': qualityControlScreen,
      'quality-control-summarise': qualityControlSummarise,
      'quality-control-include': qualityControlInclude,
    };

    this.proposalWorkflow = new Workflow(this, 'ProposalWorkflow', {
      definitionFile: 'proposal.asl.json',
      functions: [ingest, checkIntegrity, requestApproval, awaitStipulation, recordOutcome, verifyDecision],
      extraSubstitutions: { ApprovalTimeoutSeconds: String(approvalTimeout.toSeconds()) },
    });
    this.stipulationWorkflow = new Workflow(this, 'StipulationWorkflow', {
      definitionFile: 'stipulation.asl.json',
      functions: [
        collect,
        resolvePlan,
        resolve,
        resolveSummary,
        qualityControlInclude,
        guard,
        masterLease,
        apply,
        listRegencies,
        exportRegency,
        finaliseExport,
        release,
        recordPeriod,
      ],
      // ExportRegencies and ReleaseProposals: items from ListRegencies' and Collect's lists, results beside them;
      // CompareShards and ApplyShards: items from SummariseResolution's list of shards (CompareShards' results).
      distributedMaps: {
        bucket: proposalsBucket,
        itemKeys: [KEYS.resolutionItems('*'), KEYS.exportList('*'), KEYS.proposalList('*'), KEYS.shardList('*')],
        resultPrefixes: [
          `${KEYS.resolutionResults('*')}/`,
          `${KEYS.exportResults('*')}/`,
          `${KEYS.releaseResults('*')}/`,
          `${KEYS.guardResults('*')}/`,
        ],
      },
    });
    // The quality control: screened after each registry load (the loaders start it) and on demand.
    this.qualityControlWorkflow = new QualityControlWorkflow(this, 'QualityControlWorkflow', {
      functions: [qualityControlRegencies, qualityControlScreen, qualityControlSummarise],
      bucket: proposalsBucket,
    });
    this.qualityControlWorkflow.allowStartFrom(loadPopulation);
    this.qualityControlWorkflow.allowStartFrom(loadPopulationDelta);
    // The monthly run releases each waiting proposal's AwaitStipulation task (SendTaskSuccess, nothing else).
    release.allowSendTaskSuccess(this.proposalWorkflow.stateMachine);
    // The ministry's sign-off answers a held run's AwaitMinistrySignOff task (POST /periods/{period}/guard).
    approvalsHandler.allowSendTaskSuccess(this.stipulationWorkflow.stateMachine);
    // The ministry starts (or re-runs) a period's stipulation from the console (POST /stipulations).
    approvalsHandler.allowStartExecution(this.stipulationWorkflow.stateMachine, ENV.stipulationStateMachineArn);

    this.intake = new Intake(this, 'Intake', {
      proposalsBucket,
      proposalWorkflow: this.proposalWorkflow.stateMachine,
      loadPopulationFunction: loadPopulation,
      loadPopulationDeltaFunction: loadPopulationDelta,
      encryptionKey: storage.key,
    });
    this.stoppedProposals = new StoppedProposals(this, 'StoppedProposals', {
      proposalWorkflow: this.proposalWorkflow.stateMachine,
      recordStoppedFunction: recordStopped,
      encryptionKey: storage.key,
    });
    // The console first: its CloudFront origin is the API's CORS origin and the app client's URL.
    const domainPrefix: string =
      props.cognitoDomainPrefix ??
      this.node.tryGetContext('dtks:cognitoDomainPrefix') ??
      Fn.join('-', [this.stackName.toLowerCase(), Aws.ACCOUNT_ID]);
    const signInDomain = cognitoDomainUrl(domainPrefix, Aws.REGION);
    this.console = new Console(this, 'Console', {
      assetsDirectory: props.consoleAssets,
      serverAccessLogsBucket: storage.accessLogsBucket,
      cognitoDomainUrl: signInDomain,
    });
    const localhostPort = props.consoleLocalhostPort ?? this.node.tryGetContext('dtks:consoleLocalhostPort');
    const localhost = localhostPort === undefined ? [] : [`http://localhost:${Number(localhostPort)}`];
    const consoleOrigins = [this.console.origin, ...localhost];
    this.approvalsApi = new ApprovalsApi(this, 'ApprovalsApi', {
      console: {
        urls: [this.console.url, ...localhost.map((origin) => `${origin}/`)],
        origins: consoleOrigins,
        domainPrefix,
      },
      handler: approvalsHandler,
      registrationsHandler,
      proposalWorkflow: this.proposalWorkflow.stateMachine,
    });
    // The presigned URLs of the API name the proposals bucket (uploads, reports) and the exports bucket.
    this.console.deploy({
      apiUrl: this.approvalsApi.httpApi.apiEndpoint,
      cognito: {
        domainUrl: signInDomain,
        clientId: this.approvalsApi.userPoolClient.userPoolClientId,
        scopes: CONSOLE_SCOPES,
      },
      presignedBuckets: [proposalsBucket, exportsBucket],
      origins: consoleOrigins,
    });
    this.schedule = new StipulationSchedule(this, 'StipulationSchedule', {
      stipulationWorkflow: this.stipulationWorkflow.stateMachine,
      encryptionKey: storage.key,
    });
    this.mandiriSchedule = new MandiriSchedule(this, 'MandiriSchedule', {
      gatherFunction: mandiriGather,
      encryptionKey: storage.key,
    });
    this.analytics = new Analytics(this, 'Analytics', {
      exportsBucket,
      encryptionKey: storage.key,
      serverAccessLogsBucket: storage.accessLogsBucket,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      encryptionKey: storage.key,
      workflows: {
        Proposal: this.proposalWorkflow.stateMachine,
        Stipulation: this.stipulationWorkflow.stateMachine,
        QualityControl: this.qualityControlWorkflow.stateMachine,
      },
      functions: Object.values(this.functions),
    });

    // What the dtks command reads on AWS (cli/target.ts): each output's description names its variable.
    new CfnOutput(this, 'ProposalsTableName', { value: proposalsTable.tableName, description: 'PROPOSALS_TABLE' });
    new CfnOutput(this, 'ProposalStateMachineArn', {
      value: this.proposalWorkflow.stateMachine.stateMachineArn,
      description: 'DTKS_PROPOSAL_STATE_MACHINE_ARN',
    });
    new CfnOutput(this, 'StipulationStateMachineArn', {
      value: this.stipulationWorkflow.stateMachine.stateMachineArn,
      description: 'DTKS_STIPULATION_STATE_MACHINE_ARN',
    });
    new CfnOutput(this, 'QualityControlStateMachineArn', {
      value: this.qualityControlWorkflow.stateMachine.stateMachineArn,
      description: 'DTKS_QUALITY_CONTROL_STATE_MACHINE_ARN',
    });
    new CfnOutput(this, 'ProposalsBucketName', { value: proposalsBucket.bucketName });
    new CfnOutput(this, 'ExportsBucketName', { value: exportsBucket.bucketName });
    new CfnOutput(this, 'ApprovalsApiUrl', { value: this.approvalsApi.stage.url });
    new CfnOutput(this, 'UserPoolId', { value: this.approvalsApi.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.approvalsApi.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url });
    new CfnOutput(this, 'SignInDomain', { value: signInDomain });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.workGroup.ref });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });
  }
}
