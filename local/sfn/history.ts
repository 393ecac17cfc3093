/**
 * The execution history: events appended in order (ids counting from 1, each naming the one before),
 * task tokens hidden, and the shape GetExecutionHistory answers with.
 */
import type { Json } from './definition.ts';
import type { ExecutionRecord, HistoryEventRecord } from './store.ts';
import { hideTaskTokens } from './task-tokens.ts';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

/** Appends an event of `type`, with its details under `key` (e.g. taskScheduledEventDetails). */
export function appendEvent(
  record: ExecutionRecord,
  now: number,
  type: string,
  key?: string,
  value?: Record<string, Json>,
): void {
  const previous = record.history.at(-1);
  const details = value && (JSON.parse(hideTaskTokens(JSON.stringify(value))) as Record<string, Json>);
  const event: HistoryEventRecord = {
    id: (previous?.id ?? 0) + 1,
    previousEventId: previous?.id ?? 0,
    timestamp: now,
    type,
    ...(key && details ? { details: { key, value: details } } : {}),
  };
  record.history.push(event);
}

/** An event as GetExecutionHistory shows it; includeExecutionData: false leaves out the data. */
export function historyEvent(event: HistoryEventRecord, withData: boolean): HistoryEvent {
  return {
    id: event.id,
    previousEventId: event.previousEventId,
    timestamp: new Date(event.timestamp),
    type: event.type,
    ...(event.details
      ? { [event.details.key]: withData ? event.details.value : withoutData(event.details.value) }
      : {}),
  };
}

/** includeExecutionData: false leaves out inputs, outputs, parameters and causes. */
function withoutData(details: Record<string, Json>): Record<string, Json> {
  const hidden = new Set(['input', 'output', 'parameters', 'cause']);
  return Object.fromEntries(Object.entries(details).filter(([key]) => !hidden.has(key)));
}
