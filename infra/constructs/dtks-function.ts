/**
 * DtksFunction: the one way this stack makes a Lambda. Runtime, architecture, bundling, tracing, logs
 * and the Powertools environment are fixed here once; bind helpers grant least privilege and set the
 * handler's environment variable in the same call, so a new function is three lines and cannot forget
 * encryption, logs or least privilege.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
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

export type TableAccess = 'read' | 'readWrite';
export type BucketAccess = 'read' | 'write' | 'readWrite';

export interface BindTableOptions {
  readonly table: DtksTable;
  readonly access: TableAccess;
}

export interface BindBucketOptions {
  readonly bucket: DtksBucket;
  readonly access: BucketAccess;
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

  /** Grants read or read/write on the table and its indexes (and its key) and sets its variable. */
  bindTable({ table, access }: BindTableOptions): this {
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    this.addEnvironment(table.environmentVariable, table.tableName);
    if (table.indexNames.length > 0) {
      acknowledgeWildcard(
        this.executionRole,
        `Resource::${arnReference(table)}/index/*`,
        WILDCARD_REASONS.tableIndexes,
      );
    }
    if (access === 'readWrite') this.acknowledgeKeyWildcards();
    return this;
  }

  /**
   * Grants object access under `prefix` only: read = GetObject and a prefix-scoped ListBucket; write =
   * PutObject and AbortMultipartUpload; with the KMS actions S3 needs for SSE-KMS on the bucket's key
   * (GenerateDataKey to write, Decrypt to read and to complete multipart uploads). Sets the variable.
   */
  bindBucket({ bucket, access, prefix = '' }: BindBucketOptions): this {
    if (!bucket.environmentVariable) {
      throw new Error(`Bucket ${bucket.node.path} has no environment variable: handlers cannot be bound to it`);
    }
    const objects = bucket.arnForObjects(`${prefix}*`);
    if (access !== 'write') {
      iam.Grant.addToPrincipal({
        grantee: this,
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resourceArns: [objects],
      });
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
        }),
      );
    }
    if (access !== 'read') {
      iam.Grant.addToPrincipal({
        grantee: this,
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resourceArns: [objects],
      });
    }
    bucket.encryptionKey?.grant(
      this,
      ...(access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey']),
    );
    this.addEnvironment(bucket.environmentVariable, bucket.bucketName);
    acknowledgeWildcard(
      this.executionRole,
      `Resource::${arnReference(bucket)}/${prefix}*`,
      WILDCARD_REASONS.objectPrefix,
    );
    return this;
  }

  /** Grants GetSecretValue on the secret (and Decrypt on its key through Secrets Manager) and sets its variable. */
  bindSecret({ secret, variable }: BindSecretOptions): this {
    secret.grantRead(this);
    this.addEnvironment(variable, secret.secretArn);
    return this;
  }

  private acknowledgeKeyWildcards(): void {
    acknowledgeWildcard(this.executionRole, 'Action::kms:GenerateDataKey*', WILDCARD_REASONS.kmsGenerateDataKey);
    acknowledgeWildcard(this.executionRole, 'Action::kms:ReEncrypt*', WILDCARD_REASONS.kmsReEncrypt);
  }
}
