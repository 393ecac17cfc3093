/**
 * Batched DynamoDB writes and reads with the retries the API asks for: BatchWriteItem takes at most 25
 * items and BatchGetItem at most 100 keys per call, and either may hand back part of the batch
 * (UnprocessedItems/UnprocessedKeys) under throttling; those are retried with exponential backoff and
 * jitter, and a batch still incomplete after the last attempt is a TransientError (the step is retried).
 */
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrently } from './concurrency.ts';
import { TransientError } from './errors.ts';

/** BatchWriteItem: at most 25 put/delete requests per call. */
export const WRITE_BATCH_LIMIT = 25;
/** BatchGetItem: at most 100 keys per call. */
export const GET_BATCH_LIMIT = 100;

const MAX_ATTEMPTS = 8;

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes the requests in batches of 25, retrying unprocessed items. */
export async function batchWrite(
  documents: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += WRITE_BATCH_LIMIT) {
    let pending = requests.slice(i, i + WRITE_BATCH_LIMIT) as WriteRequest[];
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt === MAX_ATTEMPTS) {
        throw new TransientError(
          `${pending.length} penulisan ke ${tableName} belum diproses setelah ${attempt} percobaan`,
        );
      }
      if (attempt) await backoff(attempt);
      const result = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (result.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
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
