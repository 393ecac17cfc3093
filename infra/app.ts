/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`). cdk-nag's AwsSolutions checks run on every synth as
 * a validation plugin (cdk-nag v3): an unacknowledged finding stops the synth.
 *
 * The web console is built from source first (web/build.ts, minified) into a temporary folder, which the
 * stack deploys to its bucket: no build output is committed, and synth stays synchronous.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildConsole } from '../web/build.ts';
import { DtksStack } from './stack.ts';

const consoleAssets = mkdtempSync(join(tmpdir(), 'dtks-console-'));
await buildConsole({ outdir: consoleAssets, minify: true });

const app = new App();
new DtksStack(app, 'Dtks', {
  description: 'DTKS pipeline: proposals, integrity checks, approvals, monthly stipulation, snapshot exports',
  consoleAssets,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
