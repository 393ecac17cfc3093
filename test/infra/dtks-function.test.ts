import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
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
      env: { ...process.env, PROPOSALS_TABLE: 'dtks-proposals', AWS_REGION: 'ap-southeast-3' },
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
