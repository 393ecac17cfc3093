/**
 * conditionalWrites (functions/shared/batch-writer.ts): conditional writes 100 per TransactWriteItems,
 * each decided on its own. The local DynamoDB never answers TransactionConflict (its transactions wait
 * on locks), so AWS's answer is put on the wire by a middleware of the real client: the conflicting and
 * the untried actions are sent again, the failed conditions reported, and a conflict that never ends is
 * a TransientError.
 */
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/emulators.ts';
import { type ConditionalWrite, conditionalWrites } from '#shared/batch-writer.ts';
import { TransientError } from '#shared/errors.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';

let aws: TestAws;
let table: string;

beforeAll(async () => {
  aws = await startTestAws();
  table = aws.names.tables.claims;
});
afterAll(async () => {
  await aws?.stop();
});

/** A document client whose first `conflicts` TransactWriteItems calls are cancelled with TransactionConflict on action 0. */
function conflicting(conflicts: number): { documents: DynamoDBDocumentClient; calls: () => number } {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: aws.endpoints.dynamoEndpoint });
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      if (++calls > conflicts) return next(args);
      const items = (args.input as { TransactItems: unknown[] }).TransactItems;
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: items.map((_, i) => ({ Code: i === 0 ? 'TransactionConflict' : 'None' })),
      });
    },
    { step: 'initialize' },
  );
  return { documents: DynamoDBDocumentClient.from(client), calls: () => calls };
}

const put = (nik: string, proposalId: string): ConditionalWrite => ({
  Put: {
    TableName: table,
    Item: { nik, noKk: 'kk', proposalId },
    ConditionExpression: 'attribute_not_exists(nik) OR proposalId = :me',
    ExpressionAttributeValues: { ':me': proposalId },
  },
});

describe('conditional writes in transactions', () => {
  it('sends a conflicting transaction again and reports only the failed conditions', async () => {
    const { documents, calls } = conflicting(2);
    expect(await conditionalWrites(documents, [put('c1', 'A')])).toEqual(new Map());
    const writes = ['c1', 'c2', 'c3'].map((nik) => put(nik, 'B'));
    const failed = await conditionalWrites(documents, writes);
    expect([...failed.keys()]).toEqual([0]);
    expect(failed.get(0)?.proposalId).toEqual({ S: 'A' });
    // Two conflicts, the cancellation of c1's condition, then c2 and c3 written.
    expect(calls()).toBe(5);
    const holder = async (nik: string) =>
      (await documents.send(new GetCommand({ TableName: table, Key: { nik } }))).Item?.proposalId;
    expect([await holder('c1'), await holder('c2'), await holder('c3')]).toEqual(['A', 'B', 'B']);
  });

  it('gives up on a conflict that never ends with a TransientError (the step is retried)', async () => {
    const { documents } = conflicting(Number.POSITIVE_INFINITY);
    await expect(conditionalWrites(documents, [put('c9', 'A')])).rejects.toBeInstanceOf(TransientError);
  }, 30_000);
});
