/**
 * The self-registration cut-off: EventBridge Scheduler invokes mandiri-gather at 00:00 WIB on the cut-off
 * day of every month (cron(0 0 <day> * ? *) in Asia/Jakarta), with {}: the function gathers the period
 * whose cut-off has passed (core/registration.ts gatheringPeriod), so a retried or late invocation still
 * gathers the right month, and a rerun writes nothing new. local/scheduler.ts runs the same moment locally.
 */
import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_CUTOFF_DAY } from '#core/registration.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';

export interface MandiriScheduleProps {
  readonly gatherFunction: lambda.IFunction;
  /** Encrypts the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** The cut-off day of the month (1–28), the same the functions read as MANDIRI_CUTOFF_DAY. @default 25 */
  readonly cutoffDay?: number;
  /** @default 185 (the Scheduler's maximum) */
  readonly retryAttempts?: number;
  /** @default Duration.hours(24) (the Scheduler's maximum) */
  readonly maxEventAge?: Duration;
}

export class MandiriSchedule extends Construct {
  public readonly schedule: scheduler.Schedule;
  /** Invocations the Scheduler gave up on: gather by hand with {"period": "YYYY-MM"}. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: MandiriScheduleProps) {
    super(scope, id);
    const day = props.cutoffDay ?? DEFAULT_CUTOFF_DAY;
    if (!Number.isInteger(day) || day < 1 || day > 28) throw new Error(`cutoffDay must be 1–28, got ${day}`);
    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, 'the self-registration cut-off');
    // A role of its own that may invoke the function itself (unqualified) and nothing else: the library's
    // LambdaInvoke target grants every version and alias too (<arn>:*), which the schedule never calls.
    const role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.gatherFunction.functionArn] }),
    );
    // What the Scheduler sends to the dead-letter queue, encrypted with the stack's key: named actions, no wildcards.
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    const deadLetterArn = this.deadLetterQueue.queueArn;
    const target: scheduler.IScheduleTarget = {
      bind: () => ({
        arn: props.gatherFunction.functionArn,
        role,
        input: scheduler.ScheduleTargetInput.fromObject({}),
        deadLetterConfig: { arn: deadLetterArn },
        retryPolicy: {
          maximumRetryAttempts: props.retryAttempts ?? 185,
          maximumEventAgeInSeconds: (props.maxEventAge ?? Duration.hours(24)).toSeconds(),
        },
      }),
    };
    this.schedule = new scheduler.Schedule(this, 'Cutoff', {
      description: `DTKS: gathers the month's self-registrations into MANDIRI proposals (day ${day}, 00:00 WIB)`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: '0',
        hour: '0',
        day: String(day),
        timeZone: TimeZone.ASIA_JAKARTA,
      }),
      target,
    });
  }
}
