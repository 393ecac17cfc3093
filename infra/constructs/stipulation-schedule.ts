/**
 * The monthly stipulation schedule: EventBridge Scheduler starts the stipulation workflow at 01:00 WIB
 * on the first day of every month (cron(0 1 1 * ? *) in Asia/Jakarta); the workflow derives the closing
 * period itself, so the schedule sends {}. local/scheduler.ts runs the same moment locally.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.ts';

export interface StipulationScheduleProps {
  readonly stipulationWorkflow: sfn.IStateMachine;
  /** Encrypts the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** @default ScheduleExpression.cron({ minute: '0', hour: '1', day: '1' }) in TimeZone.ASIA_JAKARTA */
  readonly schedule?: scheduler.ScheduleExpression;
  /** @default 185 (the Scheduler's maximum) */
  readonly retryAttempts?: number;
  /** @default Duration.hours(24) (the Scheduler's maximum) */
  readonly maxEventAge?: Duration;
}

export class StipulationSchedule extends Construct {
  public readonly schedule: scheduler.Schedule;
  /** Start attempts the Scheduler gave up on: the month was not stipulated (start it by hand with {"period": "YYYY-MM"}). */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: StipulationScheduleProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, 'the stipulation schedule');

    const target = new targets.StepFunctionsStartExecution(props.stipulationWorkflow, {
      input: scheduler.ScheduleTargetInput.fromObject({}),
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 185,
      maxEventAge: props.maxEventAge ?? Duration.hours(24),
    });
    this.schedule = new scheduler.Schedule(this, 'Monthly', {
      description: 'DTKS: monthly stipulation of the closing period (first day of the month, 01:00 WIB)',
      schedule:
        props.schedule ??
        scheduler.ScheduleExpression.cron({ minute: '0', hour: '1', day: '1', timeZone: TimeZone.ASIA_JAKARTA }),
      target,
    });
  }
}
