/**
 * Provisions the local environment's tables and buckets on the emulators, exactly as TABLES of the
 * contracts defines them (keys, sparse GSIs) and as the stack makes the buckets (versioned), so the
 * production repositories run against them unchanged.
 * Idempotent: what exists is kept (a restarted `dtks local up` keeps its data).
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type CORSRule,
  CreateBucketCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type BucketCorsRule, consoleBucketCorsRule } from '#shared/console-cors.ts';
import { ENV, TABLES } from '#shared/contracts.ts';
import { LOCAL_AWS } from './emulators.ts';

export interface LocalEndpoints {
  dynamoEndpoint: string;
  s3Endpoint: string;
  /** The Step Functions API (the local runtime, or a test stub); absent = handlers cannot send task results. */
  sfnEndpoint?: string;
}

export interface LocalResourceNames {
  tables: { master: string; proposals: string; claims: string; population: string; registrations: string };
  buckets: { proposals: string; exports: string };
}

export const LOCAL_RESOURCES: LocalResourceNames = {
  tables: {
    master: 'dtks-master',
    proposals: 'dtks-proposals',
    claims: 'dtks-claims',
    population: 'dtks-population',
    registrations: 'dtks-registrations',
  },
  buckets: { proposals: 'dtks-proposals', exports: 'dtks-exports' },
};

/** The local pseudonymisation key: not a secret, the local environment holds synthetic data only. */
export const LOCAL_PSEUDONYM_KEY = 'dtks-local-pseudonym-key-not-secret';

/** The table definitions of TABLES as CreateTable inputs (on-demand, as in production). */
export function tableDefinitions(names: LocalResourceNames['tables']): CreateTableCommandInput[] {
  const { master, proposals, claims, population, registrations } = TABLES;
  return [
    table(names.master, [master.partitionKey], [master.familyIndex, master.regencyIndex, master.identityIndex]),
    table(
      names.proposals,
      [proposals.partitionKey, proposals.sortKey],
      [proposals.taskIndex, proposals.stipulationIndex, proposals.regencyIndex, proposals.periodIndex],
    ),
    table(names.claims, [claims.partitionKey], []),
    table(names.population, [population.partitionKey], []),
    table(names.registrations, [registrations.partitionKey], [registrations.gatheringIndex]),
  ];
}

interface IndexShape {
  name: string;
  partitionKey: string;
  sortKey: string;
}

function table(name: string, keys: readonly string[], indexes: readonly IndexShape[]): CreateTableCommandInput {
  const attributes = new Set<string>(keys);
  for (const index of indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  const definitions: AttributeDefinition[] = [...attributes].map((attribute) => ({
    AttributeName: attribute,
    AttributeType: 'S',
  }));
  const globalIndexes: GlobalSecondaryIndex[] = indexes.map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: definitions,
    KeySchema: keys.map((key, i) => ({ AttributeName: key, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    ...(globalIndexes.length ? { GlobalSecondaryIndexes: globalIndexes } : {}),
  };
}

/** Creates the missing tables and buckets; existing ones are kept with their data. */
export async function provisionLocal(
  endpoints: Pick<LocalEndpoints, 'dynamoEndpoint' | 's3Endpoint'>,
  names: LocalResourceNames = LOCAL_RESOURCES,
): Promise<void> {
  const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamoEndpoint });
  const s3 = new S3Client({ ...LOCAL_AWS, endpoint: endpoints.s3Endpoint, forcePathStyle: true });
  try {
    const existing = new Set<string>();
    let start: string | undefined;
    do {
      const page = await dynamo.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      for (const name of page.TableNames ?? []) existing.add(name);
      start = page.LastEvaluatedTableName;
    } while (start);
    for (const definition of tableDefinitions(names.tables)) {
      if (existing.has(definition.TableName ?? '')) continue;
      try {
        await dynamo.send(new CreateTableCommand(definition));
      } catch (error) {
        // Two processes provisioning at once: the other one won, which is what we wanted.
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      }
    }
    for (const bucket of new Set(Object.values(names.buckets))) {
      const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        () => true,
        () => false,
      );
      if (!exists) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      // The stack's buckets are versioned (infra/constructs/storage.ts): the local ones are too.
      const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
      if (versioning.Status !== 'Enabled') {
        await s3.send(
          new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
        );
      }
    }
  } finally {
    dynamo.destroy();
    s3.destroy();
  }
}

/** A CORS rule of console-cors.ts in PutBucketCors's terms. */
export function toS3CorsRule(rule: BucketCorsRule): CORSRule {
  return {
    ID: rule.id,
    AllowedHeaders: rule.allowedHeaders,
    AllowedMethods: rule.allowedMethods,
    AllowedOrigins: rule.allowedOrigins,
    ExposeHeaders: rule.exposedHeaders,
    MaxAgeSeconds: rule.maxAgeSeconds,
  };
}

/**
 * The console's CORS rule on the buckets its presigned URLs name (proposals: uploads and return
 * reports; exports: the period files), as the stack sets it (infra/constructs/console.ts). Locally the
 * console is the approvals server's origin, known once that server listens: called after it starts,
 * each start (the port may change), replacing the rule of the last one.
 */
export async function provisionConsoleCors(
  endpoints: Pick<LocalEndpoints, 's3Endpoint'>,
  consoleOrigins: readonly string[],
  names: LocalResourceNames = LOCAL_RESOURCES,
): Promise<void> {
  const s3 = new S3Client({ ...LOCAL_AWS, endpoint: endpoints.s3Endpoint, forcePathStyle: true });
  try {
    const rule = toS3CorsRule(consoleBucketCorsRule(consoleOrigins));
    for (const bucket of new Set([names.buckets.proposals, names.buckets.exports])) {
      await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [rule] } }));
    }
  } finally {
    s3.destroy();
  }
}

/**
 * The environment of in-process handlers: the ENV variables of the contracts with the local names, the
 * SDK's standard per-service endpoint variables, and static local credentials and region.
 */
export function localEnvironmentVariables(
  endpoints: LocalEndpoints,
  names: LocalResourceNames = LOCAL_RESOURCES,
): Record<string, string> {
  const variables: Record<string, string> = {
    [ENV.proposalsTable]: names.tables.proposals,
    [ENV.masterTable]: names.tables.master,
    [ENV.claimsTable]: names.tables.claims,
    [ENV.populationTable]: names.tables.population,
    [ENV.registrationsTable]: names.tables.registrations,
    [ENV.proposalsBucket]: names.buckets.proposals,
    [ENV.exportsBucket]: names.buckets.exports,
    [ENV.pseudonymKey]: LOCAL_PSEUDONYM_KEY,
    [ENV.reportLanguage]: 'id',
    // Few shards locally, so the local tests stay fast (AWS: 64, infra/stack.ts); the results are the same.
    [ENV.stipulationShards]: '4',
    // The local runtime's stipulation machine (local/environment.ts LOCAL_STATE_MACHINES, whose ARN it sets again).
    [ENV.stipulationStateMachineArn]: `arn:aws:states:${LOCAL_AWS.region}:000000000000:stateMachine:dtks-stipulation`,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_DEFAULT_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    // No CloudWatch locally: EMF metric lines would only clutter the console.
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  if (endpoints.sfnEndpoint) variables.AWS_ENDPOINT_URL_SFN = endpoints.sfnEndpoint;
  return variables;
}
