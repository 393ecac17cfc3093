/**
 * DtksFunction: the one way this stack makes a Lambda. Runtime, architecture, bundling, tracing, logs
 * and the Powertools environment are fixed here once; bind helpers grant exactly the named actions on
 * exactly the bound resource and set the handler's environment variable in the same call, so a new
 * function is three lines and cannot forget encryption, logs or least privilege.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FunctionName } from '#shared/contracts.ts';
import { REPOSITORY_ROOT, repositoryPath } from '../repository.ts';
import { acknowledgeWildcard, arnReference, WILDCARD_REASONS } from './acknowledge.ts';
import type { DtksBucket, DtksTable } from './storage.ts';

/** The Lambda runtime of DESIGN.md: nodejs20.x is deprecated, nodejs22.x deprecates in April 2027. */
export const DTKS_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * ESM bundles still meet CommonJS dependencies that call `require`; esbuild's ESM output has none, so
 * the banner creates one (under a private name for the import, so no bundled module can clash with it).
 */
const REQUIRE_BANNER =
  "import { createRequire as __dtksCreateRequire } from 'node:module'; const require = __dtksCreateRequire(import.meta.url);";

export interface DtksFunctionProps {
  /** The folder under functions/: the entry is functions/<name>/handler.ts, exporting `handler`. */
  readonly name: FunctionName;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default 1024 (MB; on arm64 this also buys CPU for parsing and Parquet encoding) */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Extra environment variables; the bind helpers set the table/bucket/secret ones. @default none */
  readonly environment?: Record<string, string>;
  /** @default 'DTKS <name>' */
  readonly description?: string;
}

/**
 * The DynamoDB actions a handler's commands need. IAM authorises TransactWriteItems per item
 * (ConditionCheckItem, PutItem, UpdateItem, DeleteItem) and TransactGetItems as GetItem; BatchWriteItem is
 * its own action (puts and deletes alike). Scan and the stream actions are not offered: no handler scans
 * or reads a stream, and a function that could would list every item of the table.
 */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem';

/**
 * The S3 actions of a binding. Object actions apply to the keys under the prefix; `s3:ListBucket` to the
 * bucket with an `s3:prefix` condition. ListBucket belongs wherever a handler lists, and wherever it reads a
 * key that may be missing: without it S3 answers a missing key with 403 AccessDenied instead of 404
 * NoSuchKey, and openObject could not tell "absent" from "refused". `s3:AbortMultipartUpload` marks a
 * binding written through a multipart upload (@aws-sdk/lib-storage Upload, which aborts on failure).
 */
export type ObjectAction =
  | 's3:GetObject'
  | 's3:GetObjectVersion'
  | 's3:PutObject'
  | 's3:AbortMultipartUpload'
  | 's3:ListBucket';

export type TableAccess = 'read' | 'readWrite';
export type BucketAccess = 'read' | 'write' | 'readWrite';

/** What the legacy `access` names grant: no Scan, no DeleteItem, no batch write. Prefer `actions`. */
const TABLE_ACCESS: Record<TableAccess, readonly TableAction[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
};

const BUCKET_ACCESS: Record<BucketAccess, readonly ObjectAction[]> = {
  read: ['s3:GetObject', 's3:ListBucket'],
  write: ['s3:PutObject', 's3:AbortMultipartUpload'],
  readWrite: ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:AbortMultipartUpload'],
};

export interface BindTableOptions {
  readonly table: DtksTable;
  /** Exactly the actions the handler's commands send to the table itself (`dynamodb:Query` here: on the table, not an index). */
  readonly actions?: readonly TableAction[];
  /** The indexes the handler queries: `dynamodb:Query` on `<table>/index/<name>` of each, nothing else. @default none */
  readonly queryIndexes?: readonly string[];
  /**
   * Limits `actions` to items whose partition key matches one of these patterns (`dynamodb:LeadingKeys`,
   * e.g. `TRACKING#*`): a function sharing the single-table proposals table keeps to its own partitions.
   * @default any item
   */
  readonly leadingKeys?: readonly string[];
  /**
   * @deprecated Name the `actions` (and `queryIndexes`). 'read' = GetItem, BatchGetItem, Query (table and
   * every index); 'readWrite' adds PutItem and UpdateItem.
   */
  readonly access?: TableAccess;
}

export interface BindBucketOptions {
  readonly bucket: DtksBucket;
  /** Exactly the actions the handler's commands need under the prefix. */
  readonly actions?: readonly ObjectAction[];
  /** @deprecated Name the `actions`. 'read' = GetObject + ListBucket; 'write' = PutObject + AbortMultipartUpload. */
  readonly access?: BucketAccess;
  /** Limits the grant to keys under this prefix (e.g. `staging/`). @default the whole bucket */
  readonly prefix?: string;
}

export interface BindSecretOptions {
  readonly secret: secretsmanager.ISecret;
  /** The environment variable that carries the secret's ARN. */
  readonly variable: string;
}

export class DtksFunction extends NodejsFunction {
  /** The function's own log group (retention set, never the account default of "never expire"). */
  public readonly functionLogGroup: logs.LogGroup;
  /** The function's own role: no managed policies; logs, X-Ray and the bound resources only. */
  public readonly executionRole: iam.Role;
  /** The folder name under functions/. */
  public readonly dtksName: FunctionName;

  constructor(scope: Construct, id: string, props: DtksFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    const executionRole = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `DTKS ${props.name}: execution role`,
    });
    super(scope, id, {
      entry: repositoryPath(`functions/${props.name}/handler.ts`),
      handler: 'handler',
      runtime: DTKS_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.minutes(1),
      memorySize: props.memorySize ?? 1024,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role: executionRole,
      description: props.description ?? `DTKS ${props.name}`,
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: repositoryPath('package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: `dtks-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Dtks',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // The handlers log no personal data; sampling debug logs would risk it.
        POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        tsconfig: repositoryPath('tsconfig.json'),
        // Bundle the AWS SDK too: the version the tests ran against is the version deployed.
        externalModules: [],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // core/area.ts reads the Kemendagri area lists from `idn-area-data/` next to the bundle file.
          afterBundling: (inputDir: string, outputDir: string) => [
            `mkdir -p "${outputDir}/idn-area-data"`,
            `cp "${inputDir}/node_modules/idn-area-data/data/"*.csv "${outputDir}/idn-area-data/"`,
          ],
        },
      },
    });
    this.functionLogGroup = logGroup;
    this.executionRole = executionRole;
    this.dtksName = props.name;
    logGroup.grantWrite(executionRole);
    acknowledgeWildcard(executionRole, 'Resource::*', WILDCARD_REASONS.xray);
  }

  /**
   * Grants exactly `actions` on the table and `dynamodb:Query` on each of `queryIndexes`, with kms:Decrypt
   * on the table's key through DynamoDB only, and sets the table's variable.
   */
  bindTable({ table, actions, queryIndexes, access, leadingKeys }: BindTableOptions): this {
    const tableActions = actions ?? (access ? TABLE_ACCESS[access] : undefined);
    if (!tableActions) throw new Error(`bindTable(${table.node.path}): name the actions the handler needs`);
    const indexes = queryIndexes ?? (actions === undefined && access ? table.indexNames : []);
    for (const index of indexes) {
      if (!table.indexNames.includes(index)) {
        throw new Error(
          `bindTable(${table.node.path}): the table has no index ${index} (${table.indexNames.join(', ')})`,
        );
      }
    }
    if (tableActions.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...tableActions],
          resources: [table.tableArn],
          ...(leadingKeys?.length
            ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } } }
            : {}),
        }),
      );
    }
    if (indexes.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
    }
    // DynamoDB decrypts the table key under the caller's identity (once every five minutes per caller),
    // for reads and writes alike; it never needs the caller to encrypt, generate data keys or re-encrypt.
    if (table.encryptionKey) this.grantKeyThrough(table.encryptionKey, 'dynamodb', ['kms:Decrypt']);
    this.addEnvironment(table.environmentVariable, table.tableName);
    return this;
  }

  /**
   * Grants exactly `actions` on the objects under `prefix` (ListBucket: on the bucket, only for that
   * prefix), with the KMS actions S3 needs for SSE-KMS on the bucket's key, through S3 only: Decrypt to read
   * and to complete a multipart upload, GenerateDataKey to write. Sets the bucket's variable.
   */
  bindBucket({ bucket, actions, access, prefix = '' }: BindBucketOptions): this {
    if (!bucket.environmentVariable) {
      throw new Error(`Bucket ${bucket.node.path} has no environment variable: handlers cannot be bound to it`);
    }
    const granted = new Set(actions ?? (access ? BUCKET_ACCESS[access] : []));
    if (granted.size === 0) throw new Error(`bindBucket(${bucket.node.path}): name the actions the handler needs`);
    const objectActions = [...granted].filter((action) => action !== 's3:ListBucket');
    if (objectActions.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({ actions: objectActions, resources: [bucket.arnForObjects(`${prefix}*`)] }),
      );
      acknowledgeWildcard(
        this.executionRole,
        `Resource::${arnReference(bucket)}/${prefix}*`,
        WILDCARD_REASONS.objectPrefix,
      );
    }
    if (granted.has('s3:ListBucket')) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
        }),
      );
    }
    if (bucket.encryptionKey) {
      const keyActions: string[] = [];
      const reads = granted.has('s3:GetObject') || granted.has('s3:GetObjectVersion');
      // A multipart upload's parts are decrypted to complete it (S3's documented requirement for SSE-KMS).
      if (reads || granted.has('s3:AbortMultipartUpload')) keyActions.push('kms:Decrypt');
      if (granted.has('s3:PutObject')) keyActions.push('kms:GenerateDataKey');
      if (keyActions.length > 0) this.grantKeyThrough(bucket.encryptionKey, 's3', keyActions);
    }
    this.addEnvironment(bucket.environmentVariable, bucket.bucketName);
    return this;
  }

  /**
   * Grants GetSecretValue on the secret (all the handler calls) and kms:Decrypt on its key through Secrets
   * Manager only, and sets the variable.
   */
  bindSecret({ secret, variable }: BindSecretOptions): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    if (secret.encryptionKey) this.grantKeyThrough(secret.encryptionKey, 'secretsmanager', ['kms:Decrypt']);
    this.addEnvironment(variable, secret.secretArn);
    return this;
  }

  /**
   * Lets the handler answer the state machine's task tokens with SendTaskSuccess, and nothing else
   * (grantTaskResponse would add SendTaskFailure and SendTaskHeartbeat, which no handler sends).
   */
  allowSendTaskSuccess(stateMachine: sfn.IStateMachine): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachine.stateMachineArn] }),
    );
    return this;
  }

  /**
   * Lets the handler start executions of the state machine and list them (to refuse a second run while one
   * is in progress), and sets `variable` to its ARN: no DescribeExecution, StopExecution or history.
   */
  allowStartExecution(stateMachine: sfn.IStateMachine, variable: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:ListExecutions', 'states:StartExecution'],
        resources: [stateMachine.stateMachineArn],
      }),
    );
    this.addEnvironment(variable, stateMachine.stateMachineArn);
    return this;
  }

  /** The key's actions, usable only in requests that `service` makes on the handler's behalf (kms:ViaService). */
  private grantKeyThrough(key: kms.IKey, service: 'dynamodb' | 's3' | 'secretsmanager', actions: string[]): void {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `${service}.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
