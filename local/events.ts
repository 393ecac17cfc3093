/**
 * S3 → EventBridge → Step Functions, locally. s3rver reports object-created events in the S3
 * notification shape; production delivers EventBridge "Object Created" events to the proposal
 * workflow through a rule on the proposals bucket and the `proposals/` prefix. This turns one into
 * the other, so the workflow sees exactly the input it gets in the cloud.
 */
import { randomUUID } from 'node:crypto';
import type { S3rverEventRecord } from 's3rver';
import { KEYS, STOPPED_EXECUTION_STATUSES } from '#shared/contracts.ts';
import { EXECUTION_STATUS_CHANGE, type ExecutionStatusChangeEvent } from './sfn/status-events.ts';

export const LOCAL_ACCOUNT = '000000000000';

/** The EventBridge event for an S3 object created (the shape the production rule delivers). */
export interface ObjectCreatedEvent {
  version: '0';
  id: string;
  'detail-type': 'Object Created';
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    version: '0';
    bucket: { name: string };
    object: { key: string; size?: number; etag?: string; sequencer?: string; 'version-id'?: string };
    'request-id': string;
    requester: string;
    reason: 'PutObject' | 'CompleteMultipartUpload' | 'CopyObject' | 'PostObject';
  };
}

const REASONS: Record<string, ObjectCreatedEvent['detail']['reason']> = {
  Put: 'PutObject',
  Post: 'PostObject',
  Copy: 'CopyObject',
  CompleteMultipartUpload: 'CompleteMultipartUpload',
};

export function toObjectCreatedEvent(record: S3rverEventRecord, region: string): ObjectCreatedEvent | undefined {
  if (!record.eventName.startsWith('ObjectCreated:')) return undefined;
  const { bucket, object } = record.s3;
  const reason = record.eventName.slice('ObjectCreated:'.length);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT,
    time: record.eventTime,
    region,
    resources: [`arn:aws:s3:::${bucket.name}`],
    detail: {
      version: '0',
      bucket: { name: bucket.name },
      // S3 notification records URL-encode the key (spaces as '+'); EventBridge events carry it plain.
      object: {
        key: decodeURIComponent(object.key.replace(/\+/g, ' ')),
        size: object.size,
        etag: object.eTag,
        sequencer: object.sequencer,
      },
      'request-id': randomUUID(),
      requester: LOCAL_ACCOUNT,
      reason: REASONS[reason] ?? 'PutObject',
    },
  };
}

/** The production rule's filter: the proposals bucket, keys under proposals/. */
export function matchesProposalRule(event: ObjectCreatedEvent, proposalsBucket: string): boolean {
  return event.detail.bucket.name === proposalsBucket && event.detail.object.key.startsWith(KEYS.uploadPrefix);
}

/** The rule for Dukcapil extracts placed under reference/population/. */
export const POPULATION_PREFIX = 'reference/population/';

export function matchesPopulationRule(event: ObjectCreatedEvent, proposalsBucket: string): boolean {
  return event.detail.bucket.name === proposalsBucket && event.detail.object.key.startsWith(POPULATION_PREFIX);
}

/**
 * The production rule on the proposal workflow's status changes (infra/constructs/stopped-proposals.ts):
 * an execution of the proposal state machine that was ABORTED, TIMED_OUT or FAILED goes to record-stopped.
 */
export function matchesStoppedProposalRule(
  event: ExecutionStatusChangeEvent,
  proposalStateMachineArn: string,
): boolean {
  return (
    event.source === 'aws.states' &&
    event['detail-type'] === EXECUTION_STATUS_CHANGE &&
    event.detail.stateMachineArn === proposalStateMachineArn &&
    (STOPPED_EXECUTION_STATUSES as readonly string[]).includes(event.detail.status)
  );
}
