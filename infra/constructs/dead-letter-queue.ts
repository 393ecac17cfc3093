/**
 * The dead-letter queue of an event source (the intake rules, the stipulation schedule): KMS-encrypted
 * with the stack's key, TLS only, kept 14 days. cdk-nag's SQS3 (a queue without its own dead-letter
 * queue) is acknowledged on it: a dead-letter queue of a dead-letter queue adds nothing.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './acknowledge.ts';

/** `of` completes the acknowledgement: "This queue is itself the dead-letter queue of <of>; …". */
export function deadLetterQueue(scope: Construct, encryptionKey: kms.IKey, of: string): sqs.Queue {
  const queue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: encryptionKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(
    queue,
    'SQS3',
    `This queue is itself the dead-letter queue of ${of}; a dead-letter queue of a dead-letter queue adds nothing.`,
  );
  return queue;
}
