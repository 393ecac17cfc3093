/**
 * StoppedProposals: the proposal workflow's executions that end without the workflow recording their
 * proposal — stopped by an operator (ABORTED), past the state machine's timeout (TIMED_OUT), failed with
 * an error no Catch took (FAILED) — reach record-stopped through an EventBridge rule on Step Functions'
 * "Execution Status Change" events, which records the proposal FAILED, closes its tasks and releases its
 * NIK claims. Events EventBridge could not deliver land in an encrypted dead-letter queue; a failing
 * handler shows in its Errors alarm (Monitoring).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { STOPPED_EXECUTION_STATUSES } from '#shared/contracts.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';

export interface StoppedProposalsProps {
  readonly proposalWorkflow: sfn.IStateMachine;
  readonly recordStoppedFunction: lambda.IFunction;
  /** Encrypts the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** @default 185 (EventBridge's maximum) */
  readonly retryAttempts?: number;
  /** @default Duration.hours(24) (EventBridge's maximum) */
  readonly maxEventAge?: Duration;
}

export class StoppedProposals extends Construct {
  public readonly executionStoppedRule: events.Rule;
  /** Status changes EventBridge could not deliver after its retries (inspect and redrive by hand). */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: StoppedProposalsProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, 'the stopped-proposal rule');
    // EventBridge encrypts what it sends to the KMS-encrypted DLQ with the key.
    props.encryptionKey.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');

    // Step Functions sends these events itself (best effort, no CloudTrail needed). A FAILED execution
    // whose proposal RecordFailed already recorded is left alone by the handler; events may repeat.
    this.executionStoppedRule = new events.Rule(this, 'ProposalExecutionStopped', {
      description:
        'DTKS: a proposal workflow execution aborted, timed out or failed without recording its proposal: record it FAILED',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [props.proposalWorkflow.stateMachineArn],
          status: [...STOPPED_EXECUTION_STATUSES],
        },
      },
      targets: [
        new targets.LambdaFunction(props.recordStoppedFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: props.retryAttempts ?? 185,
          maxEventAge: props.maxEventAge ?? Duration.hours(24),
        }),
      ],
    });
  }
}
