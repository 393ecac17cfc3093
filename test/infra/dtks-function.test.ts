import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtksFunction } from '../../infra/constructs/dtks-function.ts';
import { DtksBucket, Storage } from '../../infra/constructs/storage.ts';

/**
 * Bundles one real handler with esbuild (no Docker) through DtksFunction, from a foreign working
 * directory, and inspects what Lambda would receive.
 */
let outdir: string;
let bundleDir: string;
let template: Template;
const workingDirectory = process.cwd();

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'dtks-bundle-'));
  // The entry and the lock file must resolve from the module's location, not from where cdk runs.
  process.chdir(tmpdir());
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'BundleProbe');
    const fn = new DtksFunction(stack, 'RecordPeriod', { name: 'stipulation-record-period' });
    template = Template.fromStack(stack);
    app.synth();
    bundleDir = join(outdir, (fn.node.findChild('Code') as Asset).assetPath);
  } finally {
    process.chdir(workingDirectory);
  }
}, 180_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('DtksFunction bundling', () => {
  it('emits an ESM bundle whose first statement creates `require` for CommonJS dependencies', () => {
    const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as __dtksCreateRequire } from 'node:module';")).toBe(true);
    expect(bundle).toContain('const require = __dtksCreateRequire(import.meta.url);');
  });

  it('loads as an ES module on Node and exports the handler', () => {
    const probe = `const m = await import(${JSON.stringify(join(bundleDir, 'index.mjs'))}); console.log(typeof m.handler);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
      env: {
        ...process.env,
        PROPOSALS_TABLE: 'dtks-proposals',
        PROPOSALS_BUCKET: 'dtks-proposals',
        AWS_REGION: 'ap-southeast-3',
      },
      encoding: 'utf8',
    });
    expect(output.trim()).toBe('function');
  });

  it('ships a source map next to the bundle', () => {
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
  });

  it('ships the idn-area-data CSVs in idn-area-data/ beside the bundle file', () => {
    const shipped = readdirSync(join(bundleDir, 'idn-area-data')).sort();
    expect(shipped).toEqual(
      expect.arrayContaining(['districts.csv', 'provinces.csv', 'regencies.csv', 'villages.csv']),
    );
    const provinces = readFileSync(join(bundleDir, 'idn-area-data', 'provinces.csv'), 'utf8');
    expect(provinces).toContain('JAWA TENGAH');
  });

  it('configures nodejs24.x on arm64 with active tracing and the ESM handler', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Timeout: 60,
      MemorySize: 1024,
    });
  });

  it('gives the function its own log group with a retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });
});

describe('DtksFunction bind helpers', () => {
  const unbundled = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'BindProbe');

  it('sets the table and bucket variables of the contracts in the same call as the grant', () => {
    const stack = unbundled();
    const storage = new Storage(stack, 'Storage');
    new DtksFunction(stack, 'Probe', { name: 'stipulation-list-regencies' })
      .bindTable({ table: storage.masterTable, access: 'read' })
      .bindBucket({ bucket: storage.proposalsBucket, access: 'read', prefix: 'stipulation/' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MASTER_TABLE: { Ref: Match.stringLikeRegexp('^StorageMaster') },
          PROPOSALS_BUCKET: { Ref: Match.stringLikeRegexp('^StorageProposals') },
        }),
      },
    });
  });

  /** The Probe function's statements as `actions → resources [condition]` lines, its log group and X-Ray left out. */
  function statementsOf(stack: Stack): string[] {
    const template = Template.fromStack(stack);
    // Intrinsics become text (`<LogicalId>`, joined parts) wherever they sit, conditions included.
    const flatten = (value: unknown): unknown => {
      if (typeof value !== 'object' || value === null) return value;
      if (Array.isArray(value)) return value.map(flatten);
      const node = value as Record<string, unknown>;
      if ('Ref' in node) return `<${String(node.Ref)}>`;
      if ('Fn::GetAtt' in node) return `<${(node['Fn::GetAtt'] as string[])[0]}>`;
      if ('Fn::Join' in node) return (node['Fn::Join'] as [string, unknown[]])[1].map(flatten).join('');
      return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, flatten(inner)]));
    };
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('ProbeRole'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[])
      .map((statement) => {
        const actions = ([] as string[]).concat(statement.Action as string | string[]);
        const resources = ([] as unknown[]).concat(flatten(statement.Resource));
        const condition = statement.Condition ? ` ${JSON.stringify(flatten(statement.Condition))}` : '';
        return `${actions.join(',')} → ${resources.join(' ')}${condition}`
          .replace(/<StorageMaster[A-Z0-9]+>/g, '<master>')
          .replace(/<StorageProposals[A-Z0-9]+>/g, '<bucket>')
          .replace(/<StorageKey[A-Z0-9]+>/g, '<key>');
      })
      .filter((line) => !line.startsWith('xray:') && !line.startsWith('logs:'));
  }

  const viaService = (service: string) =>
    JSON.stringify({ StringEquals: { 'kms:ViaService': `${service}.<AWS::Region>.amazonaws.com` } });

  it('grants a table exactly the named actions, Query on the named indexes, and Decrypt through DynamoDB only', () => {
    const stack = unbundled();
    const storage = new Storage(stack, 'Storage');
    new DtksFunction(stack, 'Probe', { name: 'stipulation-apply' }).bindTable({
      table: storage.masterTable,
      actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
      queryIndexes: ['byRegency'],
    });
    expect(statementsOf(stack)).toEqual([
      'dynamodb:BatchGetItem,dynamodb:PutItem → <master>',
      'dynamodb:Query → <master>/index/byRegency',
      `kms:Decrypt → <key> ${viaService('dynamodb')}`,
    ]);
  });

  it('refuses an index the table does not have, and a table binding without actions', () => {
    const stack = unbundled();
    const storage = new Storage(stack, 'Storage');
    const fn = new DtksFunction(stack, 'Probe', { name: 'stipulation-apply' });
    expect(() => fn.bindTable({ table: storage.masterTable, actions: [], queryIndexes: ['byName'] })).toThrow(
      /no index byName/,
    );
    expect(() => fn.bindTable({ table: storage.masterTable })).toThrow(/name the actions/);
  });

  it('keeps the legacy access names, without Scan, DeleteItem, batch writes or streams', () => {
    const stack = unbundled();
    const storage = new Storage(stack, 'Storage');
    new DtksFunction(stack, 'Probe', { name: 'stipulation-apply' }).bindTable({
      table: storage.masterTable,
      access: 'readWrite',
    });
    expect(statementsOf(stack)).toEqual([
      'dynamodb:GetItem,dynamodb:BatchGetItem,dynamodb:Query,dynamodb:PutItem,dynamodb:UpdateItem → <master>',
      'dynamodb:Query → <master>/index/byFamily <master>/index/byRegency <master>/index/byIdentity',
      `kms:Decrypt → <key> ${viaService('dynamodb')}`,
    ]);
  });

  it('grants objects the named actions under the prefix, ListBucket for that prefix only, and the key through S3', () => {
    const stack = unbundled();
    const storage = new Storage(stack, 'Storage');
    new DtksFunction(stack, 'Probe', { name: 'ingest' })
      .bindBucket({ bucket: storage.proposalsBucket, actions: ['s3:GetObject', 's3:ListBucket'], prefix: 'staging/' })
      .bindBucket({ bucket: storage.proposalsBucket, actions: ['s3:PutObject'], prefix: 'reports/' });
    expect(statementsOf(stack)).toEqual([
      's3:GetObject → <bucket>/staging/*',
      `s3:ListBucket → <bucket> ${JSON.stringify({ StringLike: { 's3:prefix': ['staging/*'] } })}`,
      `kms:Decrypt → <key> ${viaService('s3')}`,
      's3:PutObject → <bucket>/reports/*',
      // A single PutObject needs a data key, not Decrypt (only a multipart upload's completion does).
      `kms:GenerateDataKey → <key> ${viaService('s3')}`,
    ]);
  });

  it('reads a secret with GetSecretValue only and answers task tokens with SendTaskSuccess only', () => {
    const stack = unbundled();
    const storage = new Storage(stack, 'Storage');
    const secret = new secretsmanager.Secret(stack, 'Secret', { encryptionKey: storage.key });
    const machine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
    });
    new DtksFunction(stack, 'Probe', { name: 'stipulation-release' })
      .bindSecret({ secret, variable: 'SECRET_ARN' })
      .allowSendTaskSuccess(machine);
    const probe = statementsOf(stack);
    expect(probe).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^secretsmanager:GetSecretValue → <Secret[A-Z0-9]+>$/),
        `kms:Decrypt → <key> ${viaService('secretsmanager')}`,
        expect.stringMatching(/^states:SendTaskSuccess → <Machine[A-Z0-9]+>$/),
      ]),
    );
    expect(probe.join('\n')).not.toMatch(/DescribeSecret|SendTaskFailure|SendTaskHeartbeat/);
  });

  it('refuses to bind a bucket that handlers have no variable for', () => {
    const stack = unbundled();
    const storage = new Storage(stack, 'Storage');
    const results = new DtksBucket(stack, 'QueryResults', {
      encryptionKey: storage.key,
      serverAccessLogsBucket: storage.accessLogsBucket,
    });
    const fn = new DtksFunction(stack, 'Probe', { name: 'stipulation-list-regencies' });
    expect(() => fn.bindBucket({ bucket: results, access: 'read' })).toThrow(/no environment variable/);
  });
});
