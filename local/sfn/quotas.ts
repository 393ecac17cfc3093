/**
 * The Step Functions quotas the runtime enforces ("Step Functions service quotas"): 256 KiB for an
 * execution input, a state's input/output/result and a state's assigned variables; 25,000 events in
 * the history of a standard execution.
 */
import type { Json } from './definition.ts';
import { StatesError } from './errors.ts';

export const MAX_PAYLOAD_BYTES = 262_144;
export const MAX_HISTORY_EVENTS = 25_000;

/** States.DataLimitExceeded, which States.ALL does not catch, for a value past 256 KiB. */
export function checkPayloadSize(value: Json, what: string): void {
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > MAX_PAYLOAD_BYTES) {
    throw new StatesError('States.DataLimitExceeded', `${what} is ${size} bytes; Step Functions allows 262144`);
  }
}
