/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`). cdk-nag's AwsSolutions checks run on every synth as
 * a validation plugin (cdk-nag v3): an unacknowledged finding stops the synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DtksStack } from './stack.ts';

const app = new App();
new DtksStack(app, 'Dtks', {
  description: 'DTKS pipeline: proposals, integrity checks, approvals, monthly stipulation, snapshot exports',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
