/**
 * S3 → EventBridge → Step Functions, locally. The local S3 (local/s3) reports each object it creates;
 * production delivers EventBridge "Object Created" events to the proposal workflow through a rule on
 * the proposals bucket and the `proposals/` prefix. This turns one into the other, so the workflow
 * sees exactly the input it gets in the cloud: the key as stored (EventBridge carries it plain, not
 * URL-encoded as S3 notification records do), and the version id when the bucket is versioned.
 */
import { randomUUID } from 'node:crypto';
import { KEYS, STOPPED_EXECUTION_STATUSES } from '#shared/contracts.ts';
import type { ObjectCreated } from './s3/server.ts';
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

export function toObjectCreatedEvent(created: ObjectCreated, region: string): ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT,
    time: created.time,
    region,
    resources: [`arn:aws:s3:::${created.bucket}`],
    detail: {
      version: '0',
      bucket: { name: created.bucket },
      object: {
        key: created.key,
        size: created.size,
        etag: created.etag,
        ...(created.versionId !== undefined ? { 'version-id': created.versionId } : {}),
        sequencer: created.sequencer,
      },
      'request-id': randomUUID(),
      requester: LOCAL_ACCOUNT,
      reason: created.reason,
    },
  };
}

/** The production rule's filter: the proposals bucket, keys under a source's prefix (proposals/, kemensos/, mandiri/). */
export function matchesProposalRule(event: ObjectCreatedEvent, proposalsBucket: string): boolean {
  const { key } = event.detail.object;
  return event.detail.bucket.name === proposalsBucket && KEYS.uploadPrefixes.some((prefix) => key.startsWith(prefix));
}

/** The rule for Dukcapil extracts placed under reference/population/ (KEYS.populationPrefix). */
export function matchesPopulationRule(event: ObjectCreatedEvent, proposalsBucket: string): boolean {
  return event.detail.bucket.name === proposalsBucket && event.detail.object.key.startsWith(KEYS.populationPrefix);
}

/** The rule for Dukcapil delta extracts placed under reference/population-delta/ (KEYS.populationDeltaPrefix). */
export function matchesPopulationDeltaRule(event: ObjectCreatedEvent, proposalsBucket: string): boolean {
  return event.detail.bucket.name === proposalsBucket && event.detail.object.key.startsWith(KEYS.populationDeltaPrefix);
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
