/**
 * Batched DynamoDB writes and reads with the retries the API asks for: BatchWriteItem takes at most 25
 * items and BatchGetItem at most 100 keys per call, and either may hand back part of the batch
 * (UnprocessedItems/UnprocessedKeys) under throttling; those are retried with exponential backoff and
 * jitter, and a batch still incomplete after the last attempt is a TransientError (the step is retried).
 * Conditional writes, which BatchWriteItem cannot take, go 100 per TransactWriteItems (conditionalWrites).
 */
import type { AttributeValue, CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { forEachConcurrently } from './concurrency.ts';
import { TransientError } from './errors.ts';
import { isThrottling, type WriteThrottle } from './write-throttle.ts';

/** BatchWriteItem: at most 25 put/delete requests per call. */
export const WRITE_BATCH_LIMIT = 25;
/** BatchGetItem: at most 100 keys per call. */
export const GET_BATCH_LIMIT = 100;
/** TransactWriteItems: at most 100 actions per call. */
export const TRANSACTION_LIMIT = 100;

const MAX_ATTEMPTS = 8;

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A shared pace for batchWrite (write-throttle.ts): each call first takes the write units of its items
 * (`unitsOf`, 1 per request by default); a throttled call (refused, or items handed back) halves the pace
 * and waits with jitter instead of the plain backoff, and the throttled refusal is retried, not thrown.
 */
export interface BatchWritePace {
  throttle: WriteThrottle;
  unitsOf?: (request: WriteRequest) => number;
}

/** Writes the requests in batches of 25, retrying unprocessed items (at `pace`, when given). */
export async function batchWrite(
  documents: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  pace?: BatchWritePace,
): Promise<void> {
  for (let i = 0; i < requests.length; i += WRITE_BATCH_LIMIT) {
    let pending = requests.slice(i, i + WRITE_BATCH_LIMIT) as WriteRequest[];
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt === MAX_ATTEMPTS) {
        throw new TransientError(
          `${pending.length} penulisan ke ${tableName} belum diproses setelah ${attempt} percobaan`,
        );
      }
      if (!pace) {
        if (attempt) await backoff(attempt);
        const result = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = (result.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
        continue;
      }
      const { throttle, unitsOf = () => 1 } = pace;
      await throttle.take(pending.reduce((units, request) => units + unitsOf(request), 0));
      try {
        const result = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        const unprocessed = (result.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
        if (unprocessed.length) await throttle.throttled(attempt);
        else throttle.succeeded();
        pending = unprocessed;
      } catch (error) {
        if (!isThrottling(error)) throw error;
        await throttle.throttled(attempt);
      }
    }
  }
}

/**
 * Gets the items of these keys (any number; sent 100 at a time, in parallel up to `concurrency`),
 * retrying unprocessed keys. Missing items are simply absent from the result.
 */
export async function batchGet<T>(
  documents: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  options: { projection?: readonly string[]; concurrency?: number } = {},
): Promise<T[]> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += GET_BATCH_LIMIT) chunks.push(keys.slice(i, i + GET_BATCH_LIMIT));
  const projection = options.projection?.length
    ? {
        ProjectionExpression: options.projection.map((_, i) => `#p${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(options.projection.map((name, i) => [`#p${i}`, name])),
      }
    : {};
  const items: T[] = [];
  await forEachConcurrently(chunks, options.concurrency ?? 8, async (chunk) => {
    let pending = chunk;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt === MAX_ATTEMPTS) {
        throw new TransientError(
          `${pending.length} pembacaan dari ${tableName} belum diproses setelah ${attempt} percobaan`,
        );
      }
      if (attempt) await backoff(attempt);
      const result = await documents.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...projection } } }),
      );
      for (const item of result.Responses?.[tableName] ?? []) items.push(item as T);
      pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  });
  return items;
}

/** A conditional Put or Delete of one item (the document client's form of a TransactWriteItems action). */
export type ConditionalWrite =
  | { Put: NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Put']> }
  | { Delete: NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Delete']> };

/** Cancellation codes of actions that were not tried for their own sake: sent again (after a pause). */
const TRY_AGAIN = new Set(['None', 'TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/**
 * Conditional writes, each of its own item and each decided on its own, exactly as one conditional
 * PutItem or DeleteItem each would be: sent up to 100 per TransactWriteItems (one request instead of a
 * hundred), and when a transaction is cancelled, the actions whose condition failed are set aside and
 * the others sent again. Returns, by the action's position, those whose condition failed, with the item
 * as it was then (ReturnValuesOnConditionCheckFailure ALL_OLD, in DynamoDB's attribute values: the
 * document client leaves errors as they came; undefined where there was none); every other write is done. On AWS a transactional write costs twice a plain one (2 write units per KB).
 */
export async function conditionalWrites(
  documents: DynamoDBDocumentClient,
  writes: readonly ConditionalWrite[],
  options: { concurrency?: number } = {},
): Promise<Map<number, Record<string, AttributeValue> | undefined>> {
  const failed = new Map<number, Record<string, AttributeValue> | undefined>();
  const chunks: number[][] = [];
  for (let i = 0; i < writes.length; i += TRANSACTION_LIMIT) {
    chunks.push(Array.from({ length: Math.min(TRANSACTION_LIMIT, writes.length - i) }, (_, j) => i + j));
  }
  await forEachConcurrently(chunks, options.concurrency ?? 4, async (chunk) => {
    let pending = chunk;
    // Attempts that set nothing aside (conflicts, throttling) are bounded; each other one shortens the list.
    for (let attempt = 0; pending.length; ) {
      if (attempt === MAX_ATTEMPTS) {
        throw new TransientError(`${pending.length} penulisan bersyarat belum diproses setelah ${attempt} percobaan`);
      }
      const reasons = await transact(
        documents,
        pending.map((i) => withOldItem(writes[i] as ConditionalWrite)),
      );
      if (!reasons) return;
      const retry: number[] = [];
      reasons.forEach(({ Code, Item }, j) => {
        const index = pending[j] as number;
        if (Code === 'ConditionalCheckFailed') failed.set(index, Item);
        else if (Code && TRY_AGAIN.has(Code)) retry.push(index);
        else throw new Error(`TransactWriteItems: tindakan ditolak (${Code ?? 'tanpa kode'})`);
      });
      if (retry.length === pending.length) await backoff(++attempt);
      pending = retry;
    }
  });
  return failed;
}

/** The cancellation reasons of a cancelled transaction, in request order; undefined when it was written. */
async function transact(
  documents: DynamoDBDocumentClient,
  actions: ConditionalWrite[],
): Promise<CancellationReason[] | undefined> {
  try {
    await documents.send(new TransactWriteCommand({ TransactItems: actions }));
    return undefined;
  } catch (error) {
    const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
    if ((error as Error).name !== 'TransactionCanceledException' || reasons?.length !== actions.length) throw error;
    return reasons;
  }
}

function withOldItem(write: ConditionalWrite): ConditionalWrite {
  return 'Put' in write
    ? { Put: { ...write.Put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }
    : { Delete: { ...write.Delete, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
}
