/**
 * The DTKS pipeline stack: storage, the functions with their least-privilege bindings, the two
 * workflows loaded from state-machines/, intake, the approvals API, the monthly schedule, analytics
 * and monitoring. Environment-agnostic and synthesised fully offline (no lookups).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ENV, type FunctionName, KEYS } from '#shared/contracts.ts';
import { acknowledge } from './constructs/acknowledge.ts';
import { Analytics } from './constructs/analytics.ts';
import { ApprovalsApi } from './constructs/approvals-api.ts';
import { DtksFunction } from './constructs/dtks-function.ts';
import { Intake, POPULATION_PREFIX } from './constructs/intake.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { StipulationSchedule } from './constructs/stipulation-schedule.ts';
import { Storage } from './constructs/storage.ts';
import { Workflow } from './constructs/workflow.ts';

/** S3 prefixes of the proposals bucket (KEYS in contracts.ts). */
const PREFIX = {
  uploads: KEYS.uploadPrefix,
  staging: 'staging/',
  reports: 'reports/',
  stipulation: 'stipulation/',
} as const;

export interface DtksStackProps extends StackProps {
  /** How long an approver has for a regency or province decision before the proposal EXPIRES. @default Duration.days(14) */
  readonly approvalTimeout?: Duration;
}

export class DtksStack extends Stack {
  public readonly storage: Storage;
  /** Every function, by its folder under functions/. */
  public readonly functions: Readonly<Record<FunctionName, DtksFunction>>;
  public readonly proposalWorkflow: Workflow;
  public readonly stipulationWorkflow: Workflow;
  public readonly intake: Intake;
  public readonly approvalsApi: ApprovalsApi;
  public readonly schedule: StipulationSchedule;
  public readonly analytics: Analytics;
  public readonly monitoring: Monitoring;
  public readonly pseudonymKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DtksStackProps = {}) {
    super(scope, id, props);
    const approvalTimeout = props.approvalTimeout ?? Duration.days(14);
    const storage = new Storage(this, 'Storage');
    this.storage = storage;
    const { proposalsTable, masterTable, claimsTable, populationTable, proposalsBucket, exportsBucket } = storage;

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
    const ingest = new DtksFunction(this, 'Ingest', { name: 'ingest', timeout: Duration.minutes(5) })
      .bindTable({ table: proposalsTable, access: 'readWrite' })
      .bindBucket({ bucket: proposalsBucket, access: 'read', prefix: PREFIX.uploads })
      .bindBucket({ bucket: proposalsBucket, access: 'write', prefix: PREFIX.staging })
      .bindBucket({ bucket: proposalsBucket, access: 'write', prefix: PREFIX.reports });
    const checkIntegrity = new DtksFunction(this, 'CheckIntegrity', {
      name: 'check-integrity',
      timeout: Duration.minutes(15),
      memorySize: 2048,
    })
      .bindTable({ table: proposalsTable, access: 'readWrite' })
      .bindTable({ table: masterTable, access: 'read' })
      .bindTable({ table: claimsTable, access: 'readWrite' })
      .bindTable({ table: populationTable, access: 'read' })
      .bindBucket({ bucket: proposalsBucket, access: 'readWrite', prefix: PREFIX.staging })
      .bindBucket({ bucket: proposalsBucket, access: 'write', prefix: PREFIX.reports });
    const requestApproval = new DtksFunction(this, 'RequestApproval', { name: 'request-approval' }).bindTable({
      table: proposalsTable,
      access: 'readWrite',
    });
    const awaitStipulation = new DtksFunction(this, 'AwaitStipulation', { name: 'await-stipulation' }).bindTable({
      table: proposalsTable,
      access: 'readWrite',
    });
    const recordOutcome = new DtksFunction(this, 'RecordOutcome', {
      name: 'record-outcome',
      timeout: Duration.minutes(5),
    })
      .bindTable({ table: proposalsTable, access: 'readWrite' })
      .bindTable({ table: claimsTable, access: 'readWrite' })
      .bindBucket({ bucket: proposalsBucket, access: 'read', prefix: PREFIX.staging });

    // --- the stipulation workflow's functions ---
    const collect = new DtksFunction(this, 'Collect', { name: 'stipulation-collect' }).bindTable({
      table: proposalsTable,
      access: 'read',
    });
    const resolve = new DtksFunction(this, 'Resolve', {
      name: 'stipulation-resolve',
      timeout: Duration.minutes(15),
      memorySize: 3008,
    })
      .bindTable({ table: proposalsTable, access: 'readWrite' })
      .bindBucket({ bucket: proposalsBucket, access: 'read', prefix: PREFIX.staging })
      .bindBucket({ bucket: proposalsBucket, access: 'write', prefix: PREFIX.stipulation })
      .bindBucket({ bucket: proposalsBucket, access: 'write', prefix: PREFIX.reports });
    const apply = new DtksFunction(this, 'Apply', { name: 'stipulation-apply', timeout: Duration.minutes(15) })
      .bindTable({ table: masterTable, access: 'readWrite' })
      .bindBucket({ bucket: proposalsBucket, access: 'read', prefix: PREFIX.stipulation });
    const listRegencies = new DtksFunction(this, 'ListRegencies', { name: 'stipulation-list-regencies' })
      .bindTable({ table: masterTable, access: 'read' })
      .bindBucket({ bucket: proposalsBucket, access: 'read', prefix: PREFIX.stipulation });
    const exportRegency = new DtksFunction(this, 'ExportRegency', {
      name: 'stipulation-export-regency',
      timeout: Duration.minutes(15),
      memorySize: 2048,
    })
      .bindTable({ table: masterTable, access: 'read' })
      .bindBucket({ bucket: exportsBucket, access: 'write', prefix: 'exports/' })
      .bindBucket({ bucket: exportsBucket, access: 'write', prefix: 'pseudonymised/' })
      .bindBucket({ bucket: exportsBucket, access: 'write', prefix: 'regency-csv/' })
      .bindSecret({ secret: this.pseudonymKey, variable: ENV.pseudonymKeySecretArn });
    // Reads the part records (KEYS.exportPartRecord, under exports/period=<period>/_parts/ of every period) and
    // writes the manifest; never reads the Parquet files, which hold NIKs and names.
    const finaliseExport = new DtksFunction(this, 'FinaliseExport', { name: 'stipulation-finalise-export' })
      .bindBucket({ bucket: exportsBucket, access: 'read', prefix: KEYS.exportPartRecords('*') })
      .bindBucket({ bucket: exportsBucket, access: 'write', prefix: 'exports/' });
    const release = new DtksFunction(this, 'Release', { name: 'stipulation-release' }).bindTable({
      table: proposalsTable,
      access: 'readWrite',
    });
    const recordPeriod = new DtksFunction(this, 'RecordPeriod', { name: 'stipulation-record-period' }).bindTable({
      table: proposalsTable,
      access: 'readWrite',
    });

    // --- outside the workflows ---
    const approvalsHandler = new DtksFunction(this, 'ApprovalsHandler', {
      name: 'approvals-api',
      timeout: Duration.seconds(29),
    }).bindTable({
      table: proposalsTable,
      access: 'readWrite',
    });
    const loadPopulation = new DtksFunction(this, 'LoadPopulation', {
      name: 'load-population',
      timeout: Duration.minutes(15),
    })
      .bindTable({ table: populationTable, access: 'readWrite' })
      .bindBucket({ bucket: proposalsBucket, access: 'read', prefix: POPULATION_PREFIX });

    this.functions = {
      ingest,
      'check-integrity': checkIntegrity,
      'request-approval': requestApproval,
      'await-stipulation': awaitStipulation,
      'record-outcome': recordOutcome,
      'stipulation-collect': collect,
      'stipulation-resolve': resolve,
      'stipulation-apply': apply,
      'stipulation-list-regencies': listRegencies,
      'stipulation-export-regency': exportRegency,
      'stipulation-finalise-export': finaliseExport,
      'stipulation-release': release,
      'stipulation-record-period': recordPeriod,
      'approvals-api': approvalsHandler,
      'load-population': loadPopulation,
    };

    this.proposalWorkflow = new Workflow(this, 'ProposalWorkflow', {
      definitionFile: 'proposal.asl.json',
      functions: [ingest, checkIntegrity, requestApproval, awaitStipulation, recordOutcome],
      extraSubstitutions: { ApprovalTimeoutSeconds: String(approvalTimeout.toSeconds()) },
    });
    this.stipulationWorkflow = new Workflow(this, 'StipulationWorkflow', {
      definitionFile: 'stipulation.asl.json',
      functions: [collect, resolve, apply, listRegencies, exportRegency, finaliseExport, release, recordPeriod],
    });
    // The monthly run releases each waiting proposal's AwaitStipulation task.
    this.proposalWorkflow.stateMachine.grantTaskResponse(release);

    this.intake = new Intake(this, 'Intake', {
      proposalsBucket,
      proposalWorkflow: this.proposalWorkflow.stateMachine,
      loadPopulationFunction: loadPopulation,
      encryptionKey: storage.key,
    });
    this.approvalsApi = new ApprovalsApi(this, 'ApprovalsApi', {
      handler: approvalsHandler,
      proposalWorkflow: this.proposalWorkflow.stateMachine,
    });
    this.schedule = new StipulationSchedule(this, 'StipulationSchedule', {
      stipulationWorkflow: this.stipulationWorkflow.stateMachine,
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
    new CfnOutput(this, 'ProposalsBucketName', { value: proposalsBucket.bucketName });
    new CfnOutput(this, 'ExportsBucketName', { value: exportsBucket.bucketName });
    new CfnOutput(this, 'ApprovalsApiUrl', { value: this.approvalsApi.stage.url });
    new CfnOutput(this, 'UserPoolId', { value: this.approvalsApi.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.approvalsApi.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.workGroup.ref });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });
  }
}
