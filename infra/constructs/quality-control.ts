/**
 * QualityControlWorkflow: the quality control (pengendalian kualitas) as a state machine of its own
 * (state-machines/quality-control.asl.json), off the stipulation's critical path: ListRegenciesToScreen
 * writes the regencies to S3, a distributed Map screens one regency per child execution, the summary is
 * left on the period for the stipulation's IncludeQualityControl. Started by the population loaders after
 * each load (allowStartFrom: StartExecution on this state machine and nothing else) and on demand
 * (`dtks quality-control run`, with the stack output DTKS_QUALITY_CONTROL_STATE_MACHINE_ARN).
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV, KEYS } from '#shared/contracts.ts';
import type { DtksFunction } from './dtks-function.ts';
import { Workflow } from './workflow.ts';

export interface QualityControlWorkflowProps {
  /** quality-control-regencies, quality-control-screen, quality-control-summarise. */
  readonly functions: DtksFunction[];
  /** Where the Map's item list is read and its results are written (the proposals bucket). */
  readonly bucket: s3.IBucket;
}

export class QualityControlWorkflow extends Construct {
  public readonly workflow: Workflow;
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: QualityControlWorkflowProps) {
    super(scope, id);
    this.workflow = new Workflow(this, 'Workflow', {
      definitionFile: 'quality-control.asl.json',
      functions: props.functions,
      // ScreenRegencies: items from ListRegenciesToScreen's list, the children's results beside it.
      distributedMaps: {
        bucket: props.bucket,
        itemKeys: [KEYS.qualityControlList('*')],
        resultPrefixes: [`${KEYS.qualityControlResults('*')}/`],
      },
    });
    this.stateMachine = this.workflow.stateMachine;
  }

  /**
   * `fn` starts runs of this state machine (a loader, once the registry is loaded): states:StartExecution on
   * it only — no listing, no other state machine — and its ARN in QUALITY_CONTROL_STATE_MACHINE_ARN.
   */
  allowStartFrom(fn: DtksFunction): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
    );
    fn.addEnvironment(ENV.qualityControlStateMachineArn, this.stateMachine.stateMachineArn);
  }
}
