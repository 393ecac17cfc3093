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

/**
 * What each function may touch besides its own log group, X-Ray and the key: tables with their access,
 * object prefixes of a bucket with their access, the pseudonym secret, task responses to the proposal
 * workflow. This table is the "IAM grants per function" of the closing note.
 */
const EXPECTED_GRANTS: Record<FunctionName, string[]> = {
  ingest: [
    'table:proposals:readWrite',
    'objects:proposals:proposals/*:read',
    'objects:proposals:staging/*:write',
    'objects:proposals:reports/*:write',
  ],
  'check-integrity': [
    'table:proposals:readWrite',
    'table:master:read',
    'table:claims:readWrite',
    'table:population:read',
    'objects:proposals:staging/*:readWrite',
    'objects:proposals:reports/*:write',
  ],
  'request-approval': ['table:proposals:readWrite'],
  'await-stipulation': ['table:proposals:readWrite'],
  'record-outcome': ['table:proposals:readWrite', 'table:claims:readWrite', 'objects:proposals:staging/*:read'],
  'stipulation-collect': ['table:proposals:read'],
  'stipulation-resolve': [
    'table:proposals:readWrite',
    'objects:proposals:staging/*:read',
    'objects:proposals:stipulation/*:write',
    'objects:proposals:reports/*:write',
  ],
  'stipulation-apply': ['table:master:readWrite', 'objects:proposals:stipulation/*:read'],
  'stipulation-list-regencies': ['table:master:read', 'objects:proposals:stipulation/*:read'],
  'stipulation-export-regency': [
    'table:master:read',
    'objects:exports:exports/*:write',
    'objects:exports:pseudonymised/*:write',
    'objects:exports:regency-csv/*:write',
    'secret:pseudonym-key',
  ],
  // Reads the part records only (not the Parquet files, which hold NIKs and names); writes the manifest.
  'stipulation-finalise-export': ['objects:exports:exports/period=*/_parts/*:read', 'objects:exports:exports/*:write'],
  'stipulation-release': ['table:proposals:readWrite', 'task-response:proposal-workflow'],
  'stipulation-record-period': ['table:proposals:readWrite'],
  'approvals-api': ['table:proposals:readWrite', 'task-response:proposal-workflow'],
  'load-population': ['table:population:readWrite', 'objects:proposals:reference/population/*:read'],
};

const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** The function's role policy statements, read from the template. */
function statementsOf(name: FunctionName): PolicyStatementJson[] {
  const role = synth.logicalId(synth.stack.functions[name].executionRole);
  return Object.values(synth.template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

/** Names the resources a function's policy grants, in the vocabulary of EXPECTED_GRANTS. */
function grantsOf(name: FunctionName): { grants: string[]; unexpected: string[] } {
  const { storage } = synth.stack;
  const tables = new Map<string, string>([
    [synth.logicalId(storage.proposalsTable), 'proposals'],
    [synth.logicalId(storage.masterTable), 'master'],
    [synth.logicalId(storage.claimsTable), 'claims'],
    [synth.logicalId(storage.populationTable), 'population'],
  ]);
  const buckets = new Map<string, string>([
    [synth.logicalId(storage.proposalsBucket), 'proposals'],
    [synth.logicalId(storage.exportsBucket), 'exports'],
  ]);
  const own = (construct: IConstruct) => synth.logicalId(construct);
  const tableAccess = new Map<string, Set<string>>();
  const objectAccess = new Map<string, Set<string>>();
  const grants = new Set<string>();
  const unexpected: string[] = [];

  for (const statement of statementsOf(name)) {
    expect(statement.Effect).toBe('Allow');
    const actions = asArray(statement.Action);
    for (const resource of asArray(statement.Resource).map(flattenResource)) {
      const match = /^<([A-Za-z0-9]+)(?:\.Arn)?>(.*)$/.exec(resource);
      const [id, rest] = [match?.[1] ?? '', match?.[2] ?? ''];
      if (resource === '*') {
        if (!actions.every((action) => action.startsWith('xray:'))) unexpected.push(`* for ${actions.join(',')}`);
      } else if (id === own(synth.stack.functions[name].functionLogGroup)) {
        // its own log group
      } else if (id === own(storage.key)) {
        // the customer-managed key, reached only through the grants below
      } else if (tables.has(id) && (rest === '' || rest === '/index/*')) {
        const access = tableAccess.get(id) ?? new Set<string>();
        for (const action of actions) access.add(action);
        tableAccess.set(id, access);
      } else if (buckets.has(id) && rest === '') {
        if (!actions.every((action) => action === 's3:ListBucket')) unexpected.push(`${resource} ${actions}`);
      } else if (buckets.has(id) && rest.startsWith('/')) {
        const key = `${buckets.get(id)}:${rest.slice(1)}`;
        const access = objectAccess.get(key) ?? new Set<string>();
        for (const action of actions) access.add(action);
        objectAccess.set(key, access);
      } else if (id === own(synth.stack.pseudonymKey)) {
        grants.add('secret:pseudonym-key');
      } else if (id === own(synth.stack.proposalWorkflow.stateMachine)) {
        expect(actions.sort()).toEqual([
          'states:SendTaskFailure',
          'states:SendTaskHeartbeat',
          'states:SendTaskSuccess',
        ]);
        grants.add('task-response:proposal-workflow');
      } else {
        unexpected.push(resource);
      }
    }
  }
  for (const [id, actions] of tableAccess) {
    const writes = WRITE_ACTIONS.some((action) => actions.has(action));
    grants.add(`table:${tables.get(id)}:${writes ? 'readWrite' : 'read'}`);
  }
  for (const [key, actions] of objectAccess) {
    const read = actions.has('s3:GetObject');
    const write = actions.has('s3:PutObject');
    grants.add(`objects:${key}:${read && write ? 'readWrite' : read ? 'read' : 'write'}`);
  }
  return { grants: [...grants].sort(), unexpected };
}

describe('least privilege per function', () => {
  it.each(Object.keys(EXPECTED_GRANTS) as FunctionName[])(
    '%s is granted exactly its tables, prefixes and secrets',
    (name) => {
      const { grants, unexpected } = grantsOf(name);
      expect(unexpected).toEqual([]);
      expect(grants).toEqual([...EXPECTED_GRANTS[name]].sort());
    },
  );

  it('gives read-only table bindings no write action', () => {
    const master = synth.logicalId(synth.stack.storage.masterTable);
    const statements = statementsOf('stipulation-export-regency').filter((statement) =>
      asArray(statement.Resource)
        .map(flattenResource)
        .some((resource) => resource.startsWith(`<${master}.Arn>`)),
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of asArray(statement.Action)) expect(WRITE_ACTIONS).not.toContain(action);
    }
  });

  it('scopes ListBucket to the bound prefixes', () => {
    const listings = statementsOf('ingest').filter((statement) => asArray(statement.Action).includes('s3:ListBucket'));
    expect(listings).toEqual([
      expect.objectContaining({ Condition: { StringLike: { 's3:prefix': ['proposals/*'] } } }),
    ]);
  });

  it('lets finalise-export list only the part records of a period, not the exported files', () => {
    const listings = statementsOf('stipulation-finalise-export').filter((statement) =>
      asArray(statement.Action).includes('s3:ListBucket'),
    );
    expect(listings).toEqual([
      expect.objectContaining({ Condition: { StringLike: { 's3:prefix': ['exports/period=*/_parts/*'] } } }),
    ]);
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

  it('acknowledges wildcards only for X-Ray/log delivery, key grants, table indexes and object prefixes', () => {
    const wildcards: string[] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        wildcards.push(...Object.keys(entry.data as Record<string, unknown>).filter((id) => id.includes('IAM5')));
      }
      construct.node.children.forEach(visit);
    };
    visit(synth.stack);
    for (const id of wildcards) {
      expect(id).toMatch(
        /IAM5\[(Resource::\*|Action::kms:(GenerateDataKey|ReEncrypt)\*|Resource::<[A-Za-z0-9]+\.Arn>\/(index\/\*|[a-z/-]*\*|exports\/period=\*\/_parts\/\*))\]$/,
      );
    }
  });
});
