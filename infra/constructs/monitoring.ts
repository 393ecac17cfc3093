/**
 * Monitoring: alarms on failed and timed-out executions of both workflows and on every function's
 * errors, all notifying one KMS-encrypted SNS topic (subscribe the ministry operators to it).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DtksFunction } from './dtks-function.ts';

export interface MonitoringProps {
  readonly encryptionKey: kms.IKey;
  /** Workflows by a short name (used in alarm names). */
  readonly workflows: Record<string, sfn.IStateMachine>;
  readonly functions: DtksFunction[];
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
}

export class Monitoring extends Construct {
  public readonly alarmTopic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      displayName: 'DTKS pipeline alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // CloudWatch publishes alarm notifications to the KMS-encrypted topic.
    props.encryptionKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey',
    );
    const action = new actions.SnsAction(this.alarmTopic);

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
    };

    for (const [name, stateMachine] of Object.entries(props.workflows)) {
      alarm(
        `${name}ExecutionsFailed`,
        stateMachine.metricFailed({ period, statistic: 'Sum' }),
        `DTKS ${name} workflow: an execution failed (see the execution's error; the proposal or period is marked FAILED or not recorded)`,
      );
      alarm(
        `${name}ExecutionsTimedOut`,
        stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
        `DTKS ${name} workflow: an execution timed out`,
      );
    }
    for (const fn of props.functions) {
      alarm(
        `${pascal(fn.dtksName)}Errors`,
        fn.metricErrors({ period, statistic: 'Sum' }),
        `DTKS ${fn.dtksName}: the function reported errors (retries may have absorbed them; check its log group)`,
      );
    }
  }
}

function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
