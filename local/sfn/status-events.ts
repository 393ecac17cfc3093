/**
 * The EventBridge event Step Functions sends when an execution of a standard workflow changes status
 * (developer guide, "EventBridge (CloudWatch Events) for Step Functions execution status changes"): one
 * per change, RUNNING when it starts and then its closing status. AWS delivers these events on a best
 * effort basis, and so does the local runtime: an event is handed over once, after the status is on disk.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionRecord, ExecutionStatus } from './store.ts';

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': typeof EXECUTION_STATUS_CHANGE;
  source: 'aws.states';
  account: string;
  /** ISO-8601 to the second, as EventBridge writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    /** Epoch milliseconds. */
    startDate: number;
    stopDate: number | null;
    input: string | null;
    output: string | null;
    inputDetails: { included: boolean };
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
}

// EventBridge takes events of up to 256 KB: Step Functions leaves out an input and output whose escaped
// size together exceeds 248 KB (the output when it alone does), and says so in inputDetails/outputDetails.
const MAX_ESCAPED_PAYLOAD = 248 * 1024;

export function executionStatusChange(
  record: ExecutionRecord,
  at: { now: number; region: string; account: string },
): ExecutionStatusChangeEvent {
  const escaped = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(JSON.stringify(text)));
  const outputIncluded = escaped(record.output) <= MAX_ESCAPED_PAYLOAD;
  const inputIncluded = escaped(record.input) + (outputIncluded ? escaped(record.output) : 0) <= MAX_ESCAPED_PAYLOAD;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account: at.account,
    time: new Date(at.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: at.region,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.stopDate ?? null,
      input: inputIncluded ? record.input : null,
      output: record.output !== undefined && outputIncluded ? record.output : null,
      inputDetails: { included: inputIncluded },
      outputDetails: record.output !== undefined ? { included: outputIncluded } : null,
      error: record.error ?? null,
      cause: record.cause ?? null,
    },
  };
}

/**
 * Hands every status change to the subscriber, once (best effort, as on AWS: not persisted, not retried).
 * A subscriber that throws does not disturb the execution; the lost event is logged.
 */
export class StatusChangeAnnouncer {
  private readonly subscriber: ((event: ExecutionStatusChangeEvent) => void) | undefined;
  private readonly region: string;
  private readonly account: string;
  private readonly log: (message: string) => void;

  constructor(options: {
    onStatusChange: ((event: ExecutionStatusChangeEvent) => void) | undefined;
    region: string;
    account: string;
    log: (message: string) => void;
  }) {
    this.subscriber = options.onStatusChange;
    this.region = options.region;
    this.account = options.account;
    this.log = options.log;
  }

  announce(record: ExecutionRecord, now: number): void {
    if (!this.subscriber) return;
    try {
      this.subscriber(executionStatusChange(record, { now, region: this.region, account: this.account }));
    } catch (error) {
      this.log(
        `The status change of ${record.executionArn} was not delivered: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
