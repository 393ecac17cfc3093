import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FunctionName } from '#shared/contracts.ts';
import {
  asArray,
  flattenResource,
  type PolicyStatementJson,
  type SynthesisedStack,
  synthesiseStack,
} from './synth-stack.ts';

let synth: SynthesisedStack;
beforeAll(() => {
  synth = synthesiseStack();
});

/** The DynamoDB, S3, KMS, Secrets Manager and Step Functions actions, short: `dynamodb:GetItem` → `GetItem`. */
const ddb = (...actions: string[]) => actions.map((action) => `dynamodb:${action}`);
const s3 = (...actions: string[]) => actions.map((action) => `s3:${action}`);
const kms = (...actions: string[]) => actions.map((action) => `kms:${action}`);

/** Every function: its own log group and X-Ray, nothing more. */
const COMMON: Record<string, string[]> = {
  'logs:own': ['logs:CreateLogStream', 'logs:PutLogEvents'],
  '*': ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
};

/**
 * Exactly what each function may do, per resource, besides COMMON: the actions of the SDK commands its
 * handler sends (functions/shared/README.md lists them per repository method). Resources:
 * `table:<table>[/index/<name>]`, `objects:<bucket>:<key pattern>`, `list:<bucket>:<s3:prefix>` (ListBucket
 * on the bucket, only with that prefix condition), `key:<service>` (the customer-managed key, only through
 * that service: kms:ViaService), `secret:pseudonym-key`, `state-machine:proposal`.
 *
 * ListBucket stands beside every GetObject of a key that may be missing: without it S3 answers a missing
 * key with 403 AccessDenied, not 404 NoSuchKey, and openObject could not tell "absent" from "refused".
 */
const EXPECTED: Record<FunctionName, Record<string, string[]>> = {
  // The cut-off: a regency's registrations by the gathering index, each marked (UpdateItem); its one file per
  // regency and period under mandiri/ (written if absent, read back by version on a rerun). Nothing else of
  // the bucket: no other source's prefix, no staging, no reports.
  'mandiri-gather': {
    'table:registrations': ddb('UpdateItem'),
    'table:registrations/index/byGathering': ddb('Query'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:mandiri/*': s3('GetObject', 'GetObjectVersion', 'PutObject'),
    'list:proposals:mandiri/*': s3('ListBucket'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  // Public, no sign-in: a registration's conditional PutItem and its GetItem by receipt; of the proposals
  // table a GetItem limited to the status attribute (asserted with its condition below). No Query, no
  // UpdateItem: it can list no registration and change none.
  'registrations-api': {
    'table:registrations': ddb('GetItem', 'PutItem'),
    'table:proposals': ddb('GetItem'),
    'key:dynamodb': kms('Decrypt'),
  },
  ingest: {
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
    // The upload's own version (GetObject with VersionId) and, without one, HeadObject, under each
    // source's prefix (MUSDES, KEMENSOS, MANDIRI): reads only, the writers are the uploaders' own.
    'objects:proposals:proposals/*': s3('GetObject', 'GetObjectVersion'),
    'list:proposals:proposals/*': s3('ListBucket'),
    'objects:proposals:kemensos/*': s3('GetObject', 'GetObjectVersion'),
    'list:proposals:kemensos/*': s3('ListBucket'),
    'objects:proposals:mandiri/*': s3('GetObject', 'GetObjectVersion'),
    'list:proposals:mandiri/*': s3('ListBucket'),
    // Staged rows stream through a multipart upload (aborted for a file that cannot be read); the
    // file-level report is one PutObject.
    'objects:proposals:staging/*': s3('PutObject', 'AbortMultipartUpload'),
    'objects:proposals:reports/*': s3('PutObject'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  'check-integrity': {
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'table:master': ddb('BatchGetItem'),
    'table:master/index/byFamily': ddb('Query'),
    'table:master/index/byIdentity': ddb('Query'),
    'table:claims': ddb('BatchGetItem', 'PutItem'),
    'table:population': ddb('BatchGetItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:staging/*': s3('GetObject', 'PutObject', 'AbortMultipartUpload'),
    'list:proposals:staging/*': s3('ListBucket'),
    'objects:proposals:reports/*': s3('PutObject', 'AbortMultipartUpload'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  'request-approval': {
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
  },
  'await-stipulation': {
    'table:proposals': ddb('GetItem', 'PutItem', 'Query', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
  },
  'record-outcome': {
    'table:proposals': ddb('GetItem', 'PutItem', 'Query', 'UpdateItem'),
    // Its own claims only (a conditional DeleteItem): with record-stopped, the only deletes of the stack.
    'table:claims': ddb('DeleteItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:staging/*': s3('GetObject'),
    'list:proposals:staging/*': s3('ListBucket'),
    'key:s3': kms('Decrypt'),
  },
  // Reads the recorded decision or release and closes the answered task: never a token, never a query.
  'verify-decision': {
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
  },
  // A stopped proposal execution: the proposal FAILED (GetItem, UpdateItem, PutItem), its tasks closed,
  // its own claims released (DeleteItem) from its accepted rows.
  'record-stopped': {
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'table:claims': ddb('DeleteItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:staging/*': s3('GetObject'),
    'list:proposals:staging/*': s3('ListBucket'),
    'key:s3': kms('Decrypt'),
  },
  'stipulation-collect': {
    // The period record (a stipulated period is refused) and the period's collection, fixed by its first run.
    'table:proposals': ddb('GetItem', 'PutItem'),
    'table:proposals/index/byStipulationQueue': ddb('Query'),
    'key:dynamodb': kms('Decrypt'),
    // The collected list (KEYS.proposalList), which the later steps and the release Map read.
    'objects:proposals:stipulation/*': s3('PutObject'),
    // The collection's list (KEYS.periodProposals), written once, read back on a rerun.
    'objects:proposals:periods/*': s3('GetObject', 'PutObject'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  // Resolve by NIK shard: the plan (each proposal and its exclusions; Collect's list read, the plan written).
  'stipulation-resolve-plan': {
    'table:proposals': ddb('GetItem', 'Query'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:stipulation/*': s3('GetObject', 'PutObject'),
    'list:proposals:stipulation/*': s3('ListBucket'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  // One shard: no table; every proposal's accepted rows read, the shard's change set, returned rows and summary written.
  'stipulation-resolve': {
    'objects:proposals:staging/*': s3('GetObject'),
    'list:proposals:staging/*': s3('ListBucket'),
    'objects:proposals:stipulation/*': s3('AbortMultipartUpload', 'GetObject', 'PutObject'),
    'list:proposals:stipulation/*': s3('ListBucket'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  // The summary: each proposal's counts, the shards' objects read, the summaries and the return reports written.
  'stipulation-resolve-summary': {
    'table:proposals': ddb('GetItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:stipulation/*': s3('GetObject', 'PutObject'),
    'list:proposals:stipulation/*': s3('ListBucket'),
    'objects:proposals:reports/*': s3('PutObject', 'AbortMultipartUpload'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  'stipulation-apply': {
    // Whole records written back with BatchWriteItem (puts only: IAM cannot tell a batch's puts from its
    // deletes, so the handler's putRecords is the one writer and sends PutRequests alone) after a
    // BatchGetItem, under the master write lease; never UpdateItem or DeleteItem on the master.
    'table:master': ddb('BatchGetItem', 'BatchWriteItem'),
    // Renews the execution's lease before each slice (conditional UpdateItem; GetItem names another holder).
    'table:proposals': ddb('GetItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
    // Reads the change set; writes the moved-from markers beside it.
    'objects:proposals:stipulation/*': s3('GetObject', 'PutObject'),
    'list:proposals:stipulation/*': s3('ListBucket'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  'stipulation-list-regencies': {
    'table:master/index/byRegency': ddb('Query'),
    // The month before's period record: a regency is carried forward only from a stipulated month.
    'table:proposals': ddb('GetItem'),
    'key:dynamodb': kms('Decrypt'),
    // The change set's summary and the moved-from markers; writes the export Map's items.
    'objects:proposals:stipulation/*': s3('GetObject', 'PutObject'),
    'list:proposals:stipulation/*': s3('ListBucket'),
    // The month before's part records (export units and NIK runs): no data file.
    'objects:exports:exports/period=*/_parts/*': s3('GetObject'),
    'list:exports:exports/period=*/_parts/*': s3('ListBucket'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  'stipulation-export-regency': {
    'table:master/index/byRegency': ddb('Query'),
    'key:dynamodb': kms('Decrypt'),
    // Its own tiers, written, or copied from the month before by version (HeadObject, CopyObject, the part
    // record): the same files it would write; ListBucket so that a missing one is 404, not 403.
    'objects:exports:exports/*': s3('AbortMultipartUpload', 'GetObject', 'GetObjectVersion', 'PutObject'),
    'list:exports:exports/*': s3('ListBucket'),
    'objects:exports:pseudonymised/*': s3('AbortMultipartUpload', 'GetObject', 'GetObjectVersion', 'PutObject'),
    'list:exports:pseudonymised/*': s3('ListBucket'),
    'objects:exports:regency-csv/*': s3('AbortMultipartUpload', 'GetObject', 'GetObjectVersion', 'PutObject'),
    'list:exports:regency-csv/*': s3('ListBucket'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
    'secret:pseudonym-key': ['secretsmanager:GetSecretValue'],
    'key:secretsmanager': kms('Decrypt'),
  },
  // Reads the part records only (not the Parquet files, which hold NIKs and names); writes the manifest.
  'stipulation-finalise-export': {
    'objects:exports:exports/period=*/_parts/*': s3('GetObject'),
    'list:exports:exports/period=*/_parts/*': s3('ListBucket'),
    // A failed run's stray export files (a rerun's manifest does not list them): the export files' folders
    // listed, and DeleteObject on the export files' key shapes only, never the quality control's files.
    'list:exports:exports/period=*/province=*': s3('ListBucket'),
    'list:exports:pseudonymised/period=*/province=*': s3('ListBucket'),
    'list:exports:regency-csv/period=*/dtks-*': s3('ListBucket'),
    'objects:exports:exports/period=*/province=*/regency-*.parquet': s3('DeleteObject'),
    'objects:exports:pseudonymised/period=*/province=*/regency-*.parquet': s3('DeleteObject'),
    'objects:exports:regency-csv/period=*/dtks-*-*.csv': s3('DeleteObject'),
    'objects:exports:regency-csv/period=*/dtks-*-*.xlsx': s3('DeleteObject'),
    'objects:exports:exports/period=*/_parts/regency-*.json': s3('DeleteObject'),
    'objects:exports:exports/*': s3('PutObject'),
    // The previous period's manifest, whose SHA-256 the new one names (the hash chain).
    'objects:exports:exports/period=*/manifest.json*': s3('GetObject'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
    // The period record: a stipulated period's manifest is never rewritten.
    'table:proposals': ddb('GetItem'),
    'key:dynamodb': kms('Decrypt'),
    // Collect's list of proposals and ListRegencies' list of regencies (no listing: both always written).
    'objects:proposals:stipulation/*': s3('GetObject'),
  },
  'stipulation-release': {
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
    'state-machine:proposal': ['states:SendTaskSuccess'],
  },
  // The guard: the change set and its report under stipulation/ (the report read back, maybe missing), the
  // changed persons' records and the regencies' active counts; the period's GUARD item (PERIOD# partitions,
  // asserted below). No Scan, no write to the master.
  'stipulation-guard': {
    'table:master': ddb('BatchGetItem'),
    // Only for a touched regency that no previous manifest names.
    'table:master/index/byRegency': ddb('Query'),
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:stipulation/*': s3('GetObject', 'PutObject'),
    'list:proposals:stipulation/*': s3('ListBucket'),
    // The previous stipulated period's manifest (its records per regency): the manifests only, no data.
    'objects:exports:exports/period=*/manifest.json*': s3('GetObject'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  // The master write lease (LEASE#MASTER only): taken with a conditional PutItem, its holder read (GetItem),
  // renewed before each export unit or kept after a failure (UpdateItem), given back with a DeleteItem, each
  // conditional on the execution holding it.
  'stipulation-master-lease': {
    'table:proposals': ddb('DeleteItem', 'GetItem', 'PutItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
  },
  'stipulation-record-period': {
    // Written once (a conditional PutItem), the standing record read back on a conflict.
    'table:proposals': ddb('GetItem', 'PutItem'),
    'key:dynamodb': kms('Decrypt'),
    // Collect's list of proposals, kept for the record (KEYS.periodProposals), written once.
    'objects:proposals:stipulation/*': s3('GetObject'),
    'objects:proposals:periods/*': s3('PutObject'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
  // The quality control workflow's first step: the regencies with active persons (byRegency, Limit 1 each), the
  // period record (a stipulated period is refused) and the Map's item list.
  'quality-control-regencies': {
    'table:master/index/byRegency': ddb('Query'),
    'table:proposals': ddb('GetItem', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:stipulation/*/quality-control/regencies.json*': s3('PutObject'),
    'key:s3': kms('GenerateDataKey'),
  },
  // One regency's screening: its active persons (byRegency), their registry items and the master records of
  // the families moved in (BatchGetItem); the tracking entries (TRACKING#* partitions only, asserted below:
  // no proposal item, no task token); its counts and its two lists. No delete, no batch write.
  'quality-control-screen': {
    'table:master': ddb('BatchGetItem'),
    'table:master/index/byRegency': ddb('Query'),
    'table:population': ddb('BatchGetItem'),
    'table:proposals': ddb('GetItem', 'PutItem', 'Query', 'UpdateItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:stipulation/*/quality-control/*': s3('PutObject'),
    'objects:exports:regency-csv/period=*/pelacakan-*': s3('PutObject'),
    'objects:exports:exports/period=*/pengendalian-kualitas/*': s3('PutObject'),
    'key:s3': kms('GenerateDataKey'),
  },
  // The period's counts: the regencies' counts read, the pseudonymised counts and PERIOD#* written, the run's lease given back.
  'quality-control-summarise': {
    'objects:proposals:stipulation/*/quality-control/*': s3('GetObject'),
    'list:proposals:stipulation/*/quality-control/*': s3('ListBucket'),
    'objects:exports:pseudonymised/period=*/pengendalian-kualitas.json*': s3('PutObject'),
    'table:proposals': ddb('GetItem', 'PutItem', 'UpdateItem'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
    'key:dynamodb': kms('Decrypt'),
  },
  // The stipulation's IncludeQualityControl: the period's QUALITY_CONTROL item read, or its "not screened" note.
  'quality-control-include': {
    'table:proposals': ddb('GetItem', 'PutItem'),
    'key:dynamodb': kms('Decrypt'),
  },
  // Internet-facing: reads one proposal's items and the open-task index, writes decisions, task closes and
  // audit events. No Scan, no DeleteItem, no batch: it cannot list every token nor erase the audit trail.
  'approvals-api': {
    'table:proposals': ddb('GetItem', 'PutItem', 'Query', 'UpdateItem'),
    'table:proposals/index/byTaskScope': ddb('Query'),
    // The console's lists and board: a regency's proposals, a period's.
    'table:proposals/index/byRegency': ddb('Query'),
    'table:proposals/index/byPeriod': ddb('Query'),
    'key:dynamodb': kms('Decrypt'),
    // An approval's exclusions are checked against the accepted rows: those objects only.
    'objects:proposals:staging/*/accepted.ndjson*': s3('GetObject'),
    // The console: the checked rows beside each report and presigned links of the reports.
    'objects:proposals:reports/*': s3('GetObject'),
    'list:proposals:reports/*': s3('ListBucket'),
    // Presigned uploads of a region operator's own proposals/<regency>/ key (multipart is PutObject to S3).
    'objects:proposals:proposals/*': s3('PutObject'),
    // The stipulated periods, their manifests and presigned links of their files, by tier.
    'objects:exports:exports/*': s3('GetObject'),
    'list:exports:exports/*': s3('ListBucket'),
    'objects:exports:pseudonymised/*': s3('GetObject'),
    'objects:exports:regency-csv/*': s3('GetObject'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
    'state-machine:proposal': ['states:SendTaskSuccess'],
    // The ministry's sign-off of a run the stipulation guard holds (POST /periods/{period}/guard); starting a
    // period's run from the console, refused while one is listed as running (POST /stipulations).
    'state-machine:stipulation': ['states:ListExecutions', 'states:SendTaskSuccess', 'states:StartExecution'],
  },
  // Once loaded, the quality control's run of the open period: StartExecution on that state machine only.
  'load-population': {
    'state-machine:quality-control': ['states:StartExecution'],
    'table:population': ddb('BatchWriteItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:reference/population/*': s3('GetObject'),
    'list:proposals:reference/population/*': s3('ListBucket'),
    'key:s3': kms('Decrypt'),
  },
  // Each person's write is a conditional PutItem (BatchWriteItem takes no condition); no delete, no Scan.
  'load-population-delta': {
    'state-machine:quality-control': ['states:StartExecution'],
    'table:population': ddb('BatchGetItem', 'GetItem', 'PutItem'),
    'key:dynamodb': kms('Decrypt'),
    'objects:proposals:reference/population-delta/*': s3('GetObject'),
    'list:proposals:reference/population-delta/*': s3('ListBucket'),
    'objects:proposals:reference/population-delta-summary/*': s3('PutObject'),
    'key:s3': kms('Decrypt', 'GenerateDataKey'),
  },
};

/** The function's role policy statements, read from the template. */
function statementsOf(name: FunctionName): PolicyStatementJson[] {
  const role = synth.logicalId(synth.stack.functions[name].executionRole);
  return Object.values(synth.template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

/** `dynamodb.<AWS::Region>.amazonaws.com` → `dynamodb`: the service a kms:ViaService condition names. */
function viaService(condition: unknown): string | undefined {
  const value = (condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals?.['kms:ViaService'];
  if (value === undefined) return undefined;
  return /^([a-z0-9-]+)\./.exec(flattenResource(value))?.[1];
}

/** The s3:prefix a ListBucket statement is limited to, or '' when it is not. */
function listPrefix(condition: unknown): string {
  const prefixes = (condition as { StringLike?: Record<string, string[]> } | undefined)?.StringLike?.['s3:prefix'];
  return prefixes ? prefixes.join('|') : '';
}

/** Every resource a function's policy names, in the vocabulary of EXPECTED, with the actions allowed on it. */
function grantsOf(name: FunctionName): Record<string, string[]> {
  const { storage } = synth.stack;
  const fn = synth.stack.functions[name];
  const tables = new Map<string, string>([
    [synth.logicalId(storage.proposalsTable), 'proposals'],
    [synth.logicalId(storage.masterTable), 'master'],
    [synth.logicalId(storage.claimsTable), 'claims'],
    [synth.logicalId(storage.populationTable), 'population'],
    [synth.logicalId(storage.registrationsTable), 'registrations'],
  ]);
  const buckets = new Map<string, string>([
    [synth.logicalId(storage.proposalsBucket), 'proposals'],
    [synth.logicalId(storage.exportsBucket), 'exports'],
  ]);
  const grants = new Map<string, Set<string>>();
  const add = (resource: string, actions: string[]) => {
    const set = grants.get(resource) ?? new Set<string>();
    for (const action of actions) set.add(action);
    grants.set(resource, set);
  };

  for (const statement of statementsOf(name)) {
    expect(statement.Effect).toBe('Allow');
    const actions = asArray(statement.Action);
    for (const resource of asArray(statement.Resource).map(flattenResource)) {
      const match = /^<([A-Za-z0-9]+)(?:\.Arn)?>(.*)$/.exec(resource);
      const [id, rest] = [match?.[1] ?? '', match?.[2] ?? ''];
      if (resource === '*') add('*', actions);
      else if (id === synth.logicalId(fn.functionLogGroup) && rest === '') add('logs:own', actions);
      else if (id === synth.logicalId(storage.key) && rest === '') {
        add(`key:${viaService(statement.Condition) ?? 'direct'}`, actions);
      } else if (tables.has(id)) add(`table:${tables.get(id)}${rest}`, actions);
      else if (buckets.has(id) && rest === '')
        add(`list:${buckets.get(id)}:${listPrefix(statement.Condition)}`, actions);
      else if (buckets.has(id) && rest.startsWith('/')) add(`objects:${buckets.get(id)}:${rest.slice(1)}`, actions);
      else if (id === synth.logicalId(synth.stack.pseudonymKey) && rest === '') add('secret:pseudonym-key', actions);
      else if (id === synth.logicalId(synth.stack.proposalWorkflow.stateMachine) && rest === '') {
        add('state-machine:proposal', actions);
      } else if (id === synth.logicalId(synth.stack.stipulationWorkflow.stateMachine) && rest === '') {
        add('state-machine:stipulation', actions);
      } else if (id === synth.logicalId(synth.stack.qualityControlWorkflow.stateMachine) && rest === '') {
        add('state-machine:quality-control', actions);
      } else add(`unexpected:${resource}`, actions);
    }
  }
  return Object.fromEntries([...grants].map(([resource, actions]) => [resource, [...actions].sort()]).sort());
}

const sortedGrants = (grants: Record<string, string[]>) =>
  Object.fromEntries(
    Object.entries(grants)
      .map(([resource, actions]) => [resource, [...actions].sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/** Every action of every function role, with the function and resource, for the stack-wide rules below. */
function everyGrant(): { name: FunctionName; resource: string; action: string }[] {
  return (Object.keys(synth.stack.functions) as FunctionName[]).flatMap((name) =>
    Object.entries(grantsOf(name)).flatMap(([resource, actions]) =>
      actions.map((action) => ({ name, resource, action })),
    ),
  );
}

describe('the public registrations function', () => {
  it('reads of the proposals table only the status of a proposal item (dynamodb:Attributes)', () => {
    const onProposals = statementsOf('registrations-api').filter((statement) =>
      asArray(statement.Resource)
        .map(flattenResource)
        .some((resource) => resource === `<${synth.logicalId(synth.stack.storage.proposalsTable)}.Arn>`),
    );
    expect(onProposals).toHaveLength(1);
    expect(onProposals[0]?.Action).toBe('dynamodb:GetItem');
    expect(onProposals[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'status'] },
      StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    });
  });
});

describe('least privilege per function', () => {
  it('has an expected grant table for every function of the stack', () => {
    expect(Object.keys(synth.stack.functions).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED) as FunctionName[])(
    '%s is granted exactly the actions its handler calls, on exactly its resources',
    (name) => {
      expect(grantsOf(name)).toEqual(sortedGrants({ ...COMMON, ...EXPECTED[name] }));
    },
  );

  it('gives no function a Scan, a stream read, a table description or a wildcard action', () => {
    const refused = everyGrant().filter(
      ({ action }) =>
        action === 'dynamodb:Scan' ||
        action === 'dynamodb:GetRecords' ||
        action === 'dynamodb:GetShardIterator' ||
        action === 'dynamodb:DescribeTable' ||
        action.includes('*'),
    );
    expect(refused).toEqual([]);
  });

  it('lets no function delete from the master, and only stipulation-apply batch-write whole records', () => {
    const onMaster = everyGrant().filter(({ resource }) => resource.startsWith('table:master'));
    const writes = onMaster.filter(({ action }) =>
      ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'].includes(action),
    );
    expect(writes.map(({ name, action }) => `${name} ${action}`)).toEqual([
      'stipulation-apply dynamodb:BatchWriteItem',
    ]);
    expect(grantsOf('stipulation-apply')['table:master']).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem']);
  });

  it('gives the internet-facing approvals API no Scan, DeleteItem or batch on any table', () => {
    const grants = grantsOf('approvals-api');
    const forbidden = ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem'];
    for (const [resource, actions] of Object.entries(grants)) {
      expect(
        actions.filter((action) => forbidden.includes(action)),
        resource,
      ).toEqual([]);
    }
  });

  it('gives DeleteItem only on the claims table, to the two functions that end a proposal, and on the master write lease', () => {
    const deletes = everyGrant().filter(({ action }) => action === 'dynamodb:DeleteItem');
    expect(deletes.map(({ name, resource }) => `${name} ${resource}`).sort()).toEqual([
      'record-outcome table:claims',
      'record-stopped table:claims',
      'stipulation-master-lease table:proposals',
    ]);
  });

  it('answers task tokens with SendTaskSuccess only, from stipulation-release and the approvals API, which alone starts a stipulation (the loaders start only the quality control)', () => {
    const responses = everyGrant().filter(({ action }) => action.startsWith('states:'));
    expect(responses.map(({ name, resource, action }) => `${name} ${resource} ${action}`).sort()).toEqual([
      'approvals-api state-machine:proposal states:SendTaskSuccess',
      // The ministry starts a period's run from the console, refused while one is running (ListExecutions).
      'approvals-api state-machine:stipulation states:ListExecutions',
      // The ministry's sign-off of a run the stipulation guard holds.
      'approvals-api state-machine:stipulation states:SendTaskSuccess',
      'approvals-api state-machine:stipulation states:StartExecution',
      // The population loaders start the quality control once the registry is loaded: nothing else of it.
      'load-population state-machine:quality-control states:StartExecution',
      'load-population-delta state-machine:quality-control states:StartExecution',
      'stipulation-release state-machine:proposal states:SendTaskSuccess',
    ]);
  });

  it('uses the key only through DynamoDB, S3 and Secrets Manager, never directly and never to re-encrypt', () => {
    const keyGrants = everyGrant().filter(({ resource }) => resource.startsWith('key:'));
    expect(keyGrants.length).toBeGreaterThan(0);
    for (const { name, resource, action } of keyGrants) {
      expect(['key:dynamodb', 'key:s3', 'key:secretsmanager'], `${name} ${resource}`).toContain(resource);
      expect(['kms:Decrypt', 'kms:GenerateDataKey'], `${name} ${action}`).toContain(action);
    }
  });

  it('scopes ListBucket to the bound prefixes', () => {
    const listings = statementsOf('ingest').filter((statement) => asArray(statement.Action).includes('s3:ListBucket'));
    expect(listings).toEqual([
      expect.objectContaining({ Condition: { StringLike: { 's3:prefix': ['proposals/*'] } } }),
      expect.objectContaining({ Condition: { StringLike: { 's3:prefix': ['kemensos/*'] } } }),
      expect.objectContaining({ Condition: { StringLike: { 's3:prefix': ['mandiri/*'] } } }),
    ]);
  });

  it("lets finalise-export list only the part records and the export files' folders, not the bucket", () => {
    const listings = statementsOf('stipulation-finalise-export').filter((statement) =>
      asArray(statement.Action).includes('s3:ListBucket'),
    );
    expect(listings.map((statement) => statement.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['exports/period=*/_parts/*'] } },
      { StringLike: { 's3:prefix': ['exports/period=*/province=*'] } },
      { StringLike: { 's3:prefix': ['pseudonymised/period=*/province=*'] } },
      { StringLike: { 's3:prefix': ['regency-csv/period=*/dtks-*'] } },
    ]);
  });

  it('lets only finalise-export delete objects, and only the export files by their key shapes', () => {
    const deletes = everyGrant().filter(({ action }) => action.startsWith('s3:Delete'));
    expect(deletes.map(({ name, resource, action }) => `${name} ${resource} ${action}`).sort()).toEqual([
      'stipulation-finalise-export objects:exports:exports/period=*/_parts/regency-*.json s3:DeleteObject',
      'stipulation-finalise-export objects:exports:exports/period=*/province=*/regency-*.parquet s3:DeleteObject',
      'stipulation-finalise-export objects:exports:pseudonymised/period=*/province=*/regency-*.parquet s3:DeleteObject',
      'stipulation-finalise-export objects:exports:regency-csv/period=*/dtks-*-*.csv s3:DeleteObject',
      'stipulation-finalise-export objects:exports:regency-csv/period=*/dtks-*-*.xlsx s3:DeleteObject',
    ]);
    // None of them reaches the quality control's files or the manifest beside the exports.
    const patterns = deletes.map(({ resource }) => resource.replace('objects:exports:', ''));
    const matches = (pattern: string, key: string) =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`).test(key);
    const allowing = (key: string) => patterns.filter((pattern) => matches(pattern, key));
    for (const key of [
      'exports/period=2027-05/province=32/regency-3201-bagian-01.parquet',
      'pseudonymised/period=2027-05/province=32/regency-3201.parquet',
      'regency-csv/period=2027-05/dtks-3201-2027-05-bagian-02.xlsx',
      'exports/period=2027-05/_parts/regency-3201.json',
    ]) {
      expect(allowing(key), key).toHaveLength(1);
    }
    for (const key of [
      'regency-csv/period=2027-05/pelacakan-3201-2027-05.csv',
      'exports/period=2027-05/pengendalian-kualitas/regency-3201.csv',
      'pseudonymised/period=2027-05/pengendalian-kualitas.json',
      'exports/period=2027-05/manifest.json',
    ]) {
      expect(allowing(key), key).toEqual([]);
    }
  });

  it('keeps the quality control to its own partitions of the proposals table (dynamodb:LeadingKeys)', () => {
    const onProposals = (name: FunctionName) =>
      statementsOf(name).filter((statement) => flattenResource(statement.Resource).includes('ProposalsTable'));
    // Its tracking entries, and a GetItem of the period (has its stipulation started?): no proposal item.
    expect(onProposals('quality-control-screen').map((statement) => statement.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TRACKING#*'] } },
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PERIOD#*'] } },
    ]);
    for (const name of ['quality-control-regencies', 'quality-control-summarise', 'quality-control-include'] as const) {
      expect(onProposals(name).map((statement) => statement.Condition)).toEqual([
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PERIOD#*'] } },
      ]);
    }
    // The stipulation guard's task and its token live on the period: it can read or write no proposal's items.
    expect(onProposals('stipulation-guard').map((statement) => statement.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PERIOD#*'] } },
    ]);
    // The master write lease is one item: its function, and Apply's renewal, reach nothing else of the table.
    for (const name of ['stipulation-master-lease', 'stipulation-apply'] as const) {
      expect(onProposals(name).map((statement) => statement.Condition)).toEqual([
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LEASE#MASTER'] } },
      ]);
    }
  });

  it('attaches no AWS managed policy to any function role', () => {
    for (const fn of Object.values(synth.stack.functions)) {
      const role = synth.template.findResources('AWS::IAM::Role')[synth.logicalId(fn.executionRole)];
      expect(role?.Properties.ManagedPolicyArns, fn.dtksName).toBeUndefined();
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(synth.stack);
    const findings = report.violations.map(
      (violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acknowledgements: { id: string; reason: string }[] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          // CDK records its own acknowledgements (CloudFormation-Validate::...) in the same metadata.
          if (!id.includes('AwsSolutions-')) continue;
          acknowledgements.push({ id, reason: typeof reason === 'string' ? reason : JSON.stringify(reason) });
        }
      }
      construct.node.children.forEach(visit);
    };
    visit(synth.stack);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledgements) {
      expect(id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(reason.length, id).toBeGreaterThan(60);
    }
  });

  it('acknowledges wildcards only for X-Ray/log delivery and object prefixes', () => {
    const wildcards: string[] = [];
    const deploymentActions: string[] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        const ids = Object.keys(entry.data as Record<string, unknown>).filter((id) => id.includes('IAM5'));
        // CDK's BucketDeployment provider (the console's files, copied while CloudFormation deploys) is granted
        // CDK's own action groups; none of our functions is.
        const deployment = construct.node.scopes.some((scope) =>
          scope.node.id.startsWith('Custom::CDKBucketDeployment'),
        );
        for (const id of ids) {
          if (deployment && (id.includes('IAM5[Action::') || id.includes(':s3:::cdk-'))) deploymentActions.push(id);
          else wildcards.push(id);
        }
      }
      construct.node.children.forEach(visit);
    };
    visit(synth.stack);
    expect(deploymentActions.sort()).toEqual(
      [
        ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map(
          (action) => `Annotation::AwsSolutions-IAM5[Action::${action}]`,
        ),
        // The CDK bootstrap's assets bucket, where the console's zipped files wait for the deployment.
        'Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      ].sort(),
    );
    // Object key patterns of one bucket (a prefix, or the same file of every period; a prefix may name the
    // caller's own regency through its principal tag) and Resource "*" for X-Ray and log delivery, and a state
    // machine's own child executions (its distributed Maps'); never an action wildcard (kms:*…) nor a table's
    // index/*.
    const ownExecutions =
      /IAM5\[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<[A-Za-z0-9]+\.Name>\/\*\]$/;
    for (const id of wildcards) {
      if (ownExecutions.test(id)) continue;
      expect(id).toMatch(
        /IAM5\[(Resource::\*|Resource::<[A-Za-z0-9]+\.Arn>\/(?!index\/)(?:[A-Za-z0-9_.=/-]|<aws:PrincipalTag\/[a-z-]+>)*\*[A-Za-z0-9_.=/*-]*)\]$/,
      );
    }
  });
});
