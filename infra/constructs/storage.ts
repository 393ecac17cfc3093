/**
 * Storage: the customer-managed key, the buckets (proposals, exports, access logs) and the DynamoDB
 * tables of functions/shared/contracts.ts (TABLES), each with the protections fixed once: KMS, TLS only,
 * no public access, versioning, point-in-time recovery.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV, KEYS, TABLES } from '#shared/contracts.ts';
import { acknowledge, acknowledgeCdkProvider } from './acknowledge.ts';

/**
 * The warm throughput of the tables the monthly stipulation reads and writes at full rate: the master
 * (ApplyShards writes, CompareShards and the export units read its byRegency index) and the population
 * registry (the quality control's BatchGetItem, the delta loads' writes). A new on-demand table serves
 * 12,000 read and 4,000 write units per second at once and doubles towards its previous peak only over
 * about 30 minutes; a month's work (289 million persons) is over before it has scaled, so it would meet
 * throttling instead of the rate the Map concurrencies are sized for. 40,000 units per second each way is
 * the on-demand per-table maximum of an account by default (no quota raise), and what ExportRegencies'
 * MaxConcurrency and Apply's write pacing are sized to.
 *
 * Cost: warm throughput is free up to the values a table has reached by itself; raising it (pre-warming)
 * is charged once, for the increase, when CloudFormation sets it (DynamoDB pricing, "warm throughput",
 * not among the sources at hand here: confirm the ap-southeast-3 figure before the first deploy). A warm
 * value never decreases and the tables stay on-demand, billed per request: the recurring monthly cost of
 * this setting is $0; the month's reads and writes are billed as requests whether the table is warm or not.
 */
export const MONTHLY_WARM_THROUGHPUT: dynamodb.WarmThroughput = {
  readUnitsPerSecond: 40_000,
  writeUnitsPerSecond: 40_000,
};

export interface DtksBucketProps {
  readonly encryptionKey: kms.IKey;
  /** Where S3 server access logs go; the bucket's own logs land under `<id>/`. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** The handlers' environment variable for this bucket (ENV in contracts.ts). @default none: not bound to functions */
  readonly environmentVariable?: string;
  /** @default false */
  readonly eventBridgeEnabled?: boolean;
  /** Rules in addition to the fixed ones (noncurrent versions, incomplete uploads). @default none */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /** How long a replaced or deleted object version is kept. @default Duration.days(90) */
  readonly noncurrentVersionExpiration?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** A bucket with SSE-KMS (bucket key), TLS only, all public access blocked, versioning and access logs. */
export class DtksBucket extends s3.Bucket {
  public readonly environmentVariable: string;

  constructor(scope: Construct, id: string, props: DtksBucketProps) {
    super(scope, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      eventBridgeEnabled: props.eventBridgeEnabled ?? false,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: `${id}/`,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'ExpireReplacedVersions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        ...(props.lifecycleRules ?? []),
      ],
    });
    this.environmentVariable = props.environmentVariable ?? '';
  }
}

export interface DtksTableIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Units per second the index serves at once (pre-warmed). @default DynamoDB's default for a new index */
  readonly warmThroughput?: dynamodb.WarmThroughput;
}

export interface DtksTableProps {
  readonly encryptionKey: kms.IKey;
  /** The handlers' environment variable for this table (ENV in contracts.ts). */
  readonly environmentVariable: string;
  readonly partitionKey: string;
  /** @default none */
  readonly sortKey?: string;
  /** Sparse global secondary indexes, string keys, projection ALL. @default none */
  readonly indexes?: DtksTableIndex[];
  /** @default none */
  readonly timeToLiveAttribute?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Units per second the table serves at once (pre-warmed). @default DynamoDB's default for a new table */
  readonly warmThroughput?: dynamodb.WarmThroughput;
}

/** An on-demand table with customer-managed KMS encryption, point-in-time recovery and deletion protection. */
export class DtksTable extends dynamodb.Table {
  public readonly environmentVariable: string;
  public readonly indexNames: string[];

  constructor(scope: Construct, id: string, props: DtksTableProps) {
    super(scope, id, {
      partitionKey: { name: props.partitionKey, type: dynamodb.AttributeType.STRING },
      ...(props.sortKey ? { sortKey: { name: props.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.timeToLiveAttribute ? { timeToLiveAttribute: props.timeToLiveAttribute } : {}),
      ...(props.warmThroughput ? { warmThroughput: props.warmThroughput } : {}),
    });
    for (const index of props.indexes ?? []) {
      this.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(index.sortKey ? { sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
        projectionType: dynamodb.ProjectionType.ALL,
        ...(index.warmThroughput ? { warmThroughput: index.warmThroughput } : {}),
      });
    }
    this.environmentVariable = props.environmentVariable;
    this.indexNames = (props.indexes ?? []).map((index) => index.name);
  }
}

export interface StorageProps {
  /** Days the staged rows of a proposal stay in S3 (long enough to inspect a FAILED proposal). @default Duration.days(180) */
  readonly stagingExpiration?: Duration;
  /** Days a period's resolved change set stays in S3. @default Duration.days(400) */
  readonly changeSetExpiration?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class Storage extends Construct {
  /** The customer-managed key of every bucket, table, queue, topic and secret of the stack (rotated yearly). */
  public readonly key: kms.Key;
  public readonly accessLogsBucket: s3.Bucket;
  /** Uploads (proposals/), staged rows (staging/), return reports (reports/), change sets (stipulation/), Dukcapil extracts (reference/population/). */
  public readonly proposalsBucket: DtksBucket;
  /** Snapshot exports: exports/, pseudonymised/, regency-csv/ (KEYS in contracts.ts). */
  public readonly exportsBucket: DtksBucket;
  public readonly masterTable: DtksTable;
  public readonly proposalsTable: DtksTable;
  public readonly claimsTable: DtksTable;
  public readonly populationTable: DtksTable;
  /** Self-registrations (pendaftaran mandiri), by receipt; gathered per regency and month. */
  public readonly registrationsTable: DtksTable;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.key = new kms.Key(this, 'Key', {
      description: 'DTKS: encryption of personal data (NIK, No. KK) at rest',
      enableKeyRotation: true,
      removalPolicy,
    });

    // S3 server access logs can only be delivered to a bucket encrypted with SSE-S3, not SSE-KMS.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      removalPolicy,
      lifecycleRules: [
        { id: 'ExpireAccessLogs', expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) },
      ],
    });
    acknowledge(
      this.accessLogsBucket,
      'S1',
      'This is the access-log bucket itself: logging its own access would deliver logs into a loop.',
    );

    this.proposalsBucket = new DtksBucket(this, 'Proposals', {
      encryptionKey: this.key,
      serverAccessLogsBucket: this.accessLogsBucket,
      environmentVariable: ENV.proposalsBucket,
      // The intake rules (infra/constructs/intake.ts) listen to this bucket's Object Created events.
      eventBridgeEnabled: true,
      removalPolicy,
      // KEYS.stagedRows / acceptedRows and KEYS.changeSet / changeSetSummary: staging/<proposalId>/…, stipulation/<period>/…
      lifecycleRules: [
        {
          id: 'ExpireStagedRows',
          prefix: KEYS.stagingPrefix,
          expiration: props.stagingExpiration ?? Duration.days(180),
        },
        {
          id: 'ExpireChangeSets',
          prefix: KEYS.stipulationPrefix,
          expiration: props.changeSetExpiration ?? Duration.days(400),
        },
      ],
    });
    // eventBridgeEnabled deploys CDK's own notification-configuration custom resource at stack level.
    acknowledgeCdkProvider(
      this,
      'BucketNotificationsHandler',
      'turns on EventBridge notifications for the proposals bucket',
    );
    this.exportsBucket = new DtksBucket(this, 'Exports', {
      encryptionKey: this.key,
      serverAccessLogsBucket: this.accessLogsBucket,
      environmentVariable: ENV.exportsBucket,
      removalPolicy,
    });

    this.masterTable = new DtksTable(this, 'Master', {
      encryptionKey: this.key,
      environmentVariable: ENV.masterTable,
      partitionKey: TABLES.master.partitionKey,
      // Every index takes the apply's writes (an index that throttles holds back the table's writes too);
      // byRegency is also read at full rate, by the export units and the shards' comparison.
      indexes: [
        {
          ...TABLES.master.familyIndex,
          warmThroughput: { writeUnitsPerSecond: MONTHLY_WARM_THROUGHPUT.writeUnitsPerSecond },
        },
        { ...TABLES.master.regencyIndex, warmThroughput: MONTHLY_WARM_THROUGHPUT },
        {
          ...TABLES.master.identityIndex,
          warmThroughput: { writeUnitsPerSecond: MONTHLY_WARM_THROUGHPUT.writeUnitsPerSecond },
        },
      ],
      warmThroughput: MONTHLY_WARM_THROUGHPUT,
      removalPolicy,
    });
    this.proposalsTable = new DtksTable(this, 'ProposalsTable', {
      encryptionKey: this.key,
      environmentVariable: ENV.proposalsTable,
      partitionKey: TABLES.proposals.partitionKey,
      sortKey: TABLES.proposals.sortKey,
      // byPeriod (the console's lists and board) is the one index this version adds: DynamoDB creates at most
      // one global secondary index per table update, so a deployed stack takes no second one in the same change.
      indexes: [
        TABLES.proposals.taskIndex,
        TABLES.proposals.stipulationIndex,
        TABLES.proposals.regencyIndex,
        TABLES.proposals.periodIndex,
      ],
      removalPolicy,
    });
    this.claimsTable = new DtksTable(this, 'Claims', {
      encryptionKey: this.key,
      environmentVariable: ENV.claimsTable,
      partitionKey: TABLES.claims.partitionKey,
      // A claim of a proposal that never reached a terminal state expires instead of blocking the person forever.
      timeToLiveAttribute: 'expiresAt',
      removalPolicy,
    });
    this.populationTable = new DtksTable(this, 'Population', {
      encryptionKey: this.key,
      environmentVariable: ENV.populationTable,
      partitionKey: TABLES.population.partitionKey,
      warmThroughput: MONTHLY_WARM_THROUGHPUT,
      removalPolicy,
    });
    // A table of its own, not items of the proposals table: the public endpoint's role writes here and
    // reads no proposal item but its status.
    this.registrationsTable = new DtksTable(this, 'Registrations', {
      encryptionKey: this.key,
      environmentVariable: ENV.registrationsTable,
      partitionKey: TABLES.registrations.partitionKey,
      indexes: [TABLES.registrations.gatheringIndex],
      removalPolicy,
    });
  }
}
