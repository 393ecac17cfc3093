/**
 * Analytics: a Glue database with two tables over the monthly Parquet exports — the full tier
 * (exports/, for authorised ministry analysts) and the pseudonymised tier (pseudonymised/, NIK and
 * No. KK as keyed hashes, no names or street addresses, for general analysts) — with partition
 * projection on period and province, and an Athena workgroup that enforces SSE-KMS query results.
 * The tables' columns and types come from the snapshot schema the export writes (core/snapshot.ts), so
 * the catalogue cannot drift from the files. Two managed policies say what each tier's readers may fetch
 * (what `dtks snapshot query --tier …` reads): attach them to the analysts' roles or permission sets.
 */
import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  athenaColumns,
  FULL_SNAPSHOT_COLUMNS,
  PSEUDONYMISED_SNAPSHOT_COLUMNS,
  SNAPSHOT_PARTITION_KEYS,
  type SnapshotColumn,
} from '#core/snapshot.ts';
import { KEYS } from '#shared/contracts.ts';
import { repositoryPath } from '../repository.ts';
import { acknowledgeWildcard, arnReference } from './acknowledge.ts';
import { DtksBucket } from './storage.ts';

/** The current province codes (2 digits) of the Kemendagri list shipped by idn-area-data: the values of `province`. */
export function provinceCodes(): string[] {
  const csv = readFileSync(repositoryPath('node_modules/idn-area-data/data/provinces.csv'), 'utf8');
  return csv
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(',')[0]?.trim() ?? '')
    .filter((code) => /^\d{2}$/.test(code));
}

export interface AnalyticsProps {
  readonly exportsBucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  readonly serverAccessLogsBucket: s3.IBucket;
  /** @default 'dtks' */
  readonly databaseName?: string;
  /** The first period the projection offers. @default '2024-01' */
  readonly firstPeriod?: string;
  /** How long Athena query results are kept. @default Duration.days(30) */
  readonly resultsExpiration?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class Analytics extends Construct {
  public readonly database: glue.CfnDatabase;
  public readonly snapshotTable: glue.CfnTable;
  public readonly pseudonymisedTable: glue.CfnTable;
  public readonly resultsBucket: DtksBucket;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly databaseName: string;
  /** General analysts: the pseudonymised tier and the manifests, nothing of the full tier. */
  public readonly pseudonymisedReaderPolicy: iam.ManagedPolicy;
  /** Units entitled to personal data (the ministry): the full tier, its manifests included. */
  public readonly fullReaderPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.databaseName = props.databaseName ?? 'dtks';

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'DTKS monthly snapshot exports' },
    });

    const table = (tableId: string, name: string, prefix: string, columns: readonly SnapshotColumn[]) => {
      const location = `s3://${props.exportsBucket.bucketName}/${prefix}`;
      const created = new glue.CfnTable(this, tableId, {
        catalogId: account,
        databaseName: this.databaseName,
        tableInput: {
          name,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'parquet',
            // Partition projection: Athena computes the partitions, no crawler and no MSCK REPAIR.
            'projection.enabled': 'true',
            'projection.period.type': 'date',
            'projection.period.format': 'yyyy-MM',
            'projection.period.range': `${props.firstPeriod ?? '2024-01'},NOW`,
            'projection.period.interval': '1',
            'projection.period.interval.unit': 'MONTHS',
            'projection.province.type': 'enum',
            'projection.province.values': provinceCodes().join(','),
            // The manifest (exports/period=…/manifest.json) sits above the province folders and is never read as data.
            'storage.location.template': `${location}period=\${period}/province=\${province}/`,
          },
          partitionKeys: SNAPSHOT_PARTITION_KEYS.map(({ name, type, comment }) => ({ name, type, comment })),
          storageDescriptor: {
            location,
            columns: athenaColumns(columns),
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          },
        },
      });
      created.addResourceDependency(this.database);
      return created;
    };
    // KEYS.exportPart / KEYS.pseudonymisedPart in contracts.ts: <tier>/period=YYYY-MM/province=PP/regency-RRRR.parquet,
    // or regency-RRRR-bagian-NN.parquet per unit of a large regency: every file of the folder is the partition's.
    this.snapshotTable = table('SnapshotTable', 'snapshot', KEYS.exportsPrefix, FULL_SNAPSHOT_COLUMNS);
    this.pseudonymisedTable = table(
      'PseudonymisedTable',
      'snapshot_pseudonymised',
      KEYS.pseudonymisedPrefix,
      PSEUDONYMISED_SNAPSHOT_COLUMNS,
    );

    // KEYS.manifest: exports/period=<period>/manifest.json (counts and checksums, no persons).
    const manifests = KEYS.manifest('*');
    const reader = (id: string, description: string, prefix: string, extra: readonly string[]) => {
      const objects = [prefix, ...extra].map((path) => props.exportsBucket.arnForObjects(path));
      const policy = new iam.ManagedPolicy(this, id, {
        description,
        statements: [
          new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects }),
          // Listing limited to the tier's own keys: how the CLI finds a period's files and the latest period.
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [props.exportsBucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': [prefix] } },
          }),
          // SSE-KMS objects are decrypted by S3 on the reader's behalf; the key serves nothing else to them.
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [props.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
          }),
        ],
      });
      for (const path of [prefix, ...extra]) {
        acknowledgeWildcard(
          policy,
          `Resource::${arnReference(props.exportsBucket)}/${path}`,
          'The objects of one export tier (or every period’s manifest): keys of periods not yet exported can only be named by prefix or pattern.',
        );
      }
      return policy;
    };
    this.pseudonymisedReaderPolicy = reader(
      'PseudonymisedReader',
      'DTKS general analysts: the pseudonymised (k-anonymous) snapshot tier and the period manifests',
      `${KEYS.pseudonymisedPrefix}*`,
      [manifests],
    );
    this.fullReaderPolicy = reader(
      'FullReader',
      'DTKS units entitled to personal data: the full snapshot tier (names, NIK) and its manifests',
      `${KEYS.exportsPrefix}*`,
      [],
    );

    this.resultsBucket = new DtksBucket(this, 'QueryResults', {
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      noncurrentVersionExpiration: Duration.days(1),
      lifecycleRules: [{ id: 'ExpireQueryResults', expiration: props.resultsExpiration ?? Duration.days(30) }],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.databaseName,
      description: 'DTKS analysts: query results encrypted with the DTKS key, settings enforced',
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        // A runaway query over every period stops at 100 GB scanned.
        bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/athena/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
        },
      },
    });
  }
}
