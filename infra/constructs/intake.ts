/**
 * Intake: S3 Object Created events of the proposals bucket → the proposal workflow (uploads under
 * proposals/), → load-population (Dukcapil extracts under reference/population/) and →
 * load-population-delta (Dukcapil delta extracts under reference/population-delta/). Undeliverable
 * events land in an encrypted dead-letter queue. The uploaders' managed policies decide who may claim a
 * source, since the prefix is the source: RegionUploader writes proposals/ (MUSDES), MinistryUploader
 * kemensos/ (KEMENSOS); mandiri/ is written by the gatherer function alone.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { KEYS } from '#shared/contracts.ts';
import { acknowledgeWildcard, arnReference } from './acknowledge.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';

/** The principal tag naming a region operator's regency (4 digits), which RegionUploader limits uploads to. */
export const REGENCY_TAG = 'dtks-regency';

export interface IntakeProps {
  /** The bucket with EventBridge notifications on. */
  readonly proposalsBucket: s3.IBucket;
  readonly proposalWorkflow: sfn.IStateMachine;
  readonly loadPopulationFunction: lambda.IFunction;
  readonly loadPopulationDeltaFunction: lambda.IFunction;
  /** Encrypts the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** @default 185 (EventBridge's maximum) */
  readonly retryAttempts?: number;
  /** @default Duration.hours(24) (EventBridge's maximum) */
  readonly maxEventAge?: Duration;
}

export class Intake extends Construct {
  public readonly proposalUploadedRule: events.Rule;
  public readonly populationExtractRule: events.Rule;
  public readonly populationDeltaRule: events.Rule;
  /** Events EventBridge could not deliver after its retries (inspect and redrive by hand). */
  public readonly deadLetterQueue: sqs.Queue;
  /** For the roles of the regencies' operators: upload under proposals/<their regency>/ (MUSDES) and nothing else. */
  public readonly regionUploaderPolicy: iam.ManagedPolicy;
  /** For the roles of the ministry's operators: upload under kemensos/ (KEMENSOS, any regency) and nothing else. */
  public readonly ministryUploaderPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: IntakeProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 185;
    const maxEventAge = props.maxEventAge ?? Duration.hours(24);

    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, 'the intake rules');
    // EventBridge encrypts what it sends to the KMS-encrypted DLQ with the key.
    props.encryptionKey.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');

    // S3 events are at least once: a repeated event starts a second execution, which the ingest
    // handler's conditional write on (bucket, key, version) ends as DUPLICATE (state-machines/README.md).
    this.proposalUploadedRule = new events.Rule(this, 'ProposalUploaded', {
      description: 'DTKS: a proposal CSV uploaded under proposals/, kemensos/ or mandiri/ starts the proposal workflow',
      eventPattern: objectCreatedPattern(props.proposalsBucket, ...KEYS.uploadPrefixes),
      targets: [
        new targets.SfnStateMachine(props.proposalWorkflow, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts,
          maxEventAge,
        }),
      ],
    });

    const uploader = (id: string, description: string, prefix: string) => {
      const policy = new iam.ManagedPolicy(this, id, {
        description,
        statements: [
          // lib-storage's Upload sends a large file as a multipart upload (PutObject covers its parts) and
          // aborts it on failure. No read: what the CLI reads back of an earlier upload is best effort.
          new iam.PolicyStatement({
            actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
            resources: [props.proposalsBucket.arnForObjects(`${prefix}*`)],
          }),
          // SSE-KMS: S3 asks for a data key to encrypt, and decrypts it to complete a multipart upload.
          new iam.PolicyStatement({
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [props.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
          }),
        ],
      });
      acknowledgeWildcard(
        policy,
        // cdk-nag names a policy variable ${key} as <key> in its finding.
        `Resource::${arnReference(props.proposalsBucket)}/${prefix.replace(/\$\{([^}]+)\}/g, '<$1>')}*`,
        'The uploads of one source: the regency, period and file of an upload to come can only be named by prefix.',
      );
      return policy;
    };
    // A region's operators upload for their own regency only: their role or session carries the principal
    // tag dtks-regency (4 digits). Without the tag the variable does not resolve and the statement matches
    // nothing, so an untagged principal cannot upload at all.
    this.regionUploaderPolicy = uploader(
      'RegionUploader',
      'DTKS regency operators: upload proposals of the village/kelurahan deliberation (MUSDES) under proposals/<their dtks-regency tag>/',
      `${KEYS.uploadPrefixOf('MUSDES')}\${aws:PrincipalTag/${REGENCY_TAG}}/`,
    );
    this.ministryUploaderPolicy = uploader(
      'MinistryUploader',
      'DTKS ministry operators: upload Kemensos proposals (KEMENSOS) for any regency under kemensos/',
      KEYS.uploadPrefixOf('KEMENSOS'),
    );

    this.populationExtractRule = new events.Rule(this, 'PopulationExtractUploaded', {
      description: 'DTKS: a Dukcapil extract placed under reference/population/ is loaded into the population table',
      eventPattern: objectCreatedPattern(props.proposalsBucket, KEYS.populationPrefix),
      targets: [
        new targets.LambdaFunction(props.loadPopulationFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts,
          maxEventAge,
        }),
      ],
    });

    // Its own prefix, not under reference/population/: the full load must never take a delta for an extract.
    // A repeated event finds the file in the delta ledger and changes nothing (load-population-delta).
    this.populationDeltaRule = new events.Rule(this, 'PopulationDeltaUploaded', {
      description:
        'DTKS: a Dukcapil delta extract placed under reference/population-delta/ updates the population table in place',
      eventPattern: objectCreatedPattern(props.proposalsBucket, KEYS.populationDeltaPrefix),
      targets: [
        new targets.LambdaFunction(props.loadPopulationDeltaFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts,
          maxEventAge,
        }),
      ],
    });
  }
}

/** Objects created in the bucket under any of the prefixes (an EventBridge array of matchers is an OR). */
function objectCreatedPattern(bucket: s3.IBucket, ...prefixes: string[]): events.EventPattern {
  return {
    source: ['aws.s3'],
    detailType: ['Object Created'],
    detail: {
      bucket: { name: [bucket.bucketName] },
      object: { key: events.Match.anyOf(...prefixes.map((prefix) => events.Match.prefix(prefix))) },
    },
  };
}
