/**
 * dynalite's Query and Scan close the LevelDB iterator they read (local/emulators.ts): dynalite 4.0.0
 * ends its streams with iterator.return(), which abstract-level 3's iterators lack, so without the
 * emulators' shim every Query left an iterator and its snapshot open (native memory) until the
 * database closed.
 */
import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynaliteIteratorBase, type Emulators, LOCAL_AWS, startEmulators } from '#local/emulators.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let emulators: Emulators;
let dynamo: DynamoDBClient;
let closed = 0;
const base = dynaliteIteratorBase();
const close = base.close;

beforeAll(async () => {
  base.close = function (this: typeof base) {
    closed++;
    return close.call(this);
  };
  emulators = await startEmulators();
  dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: emulators.dynamoEndpoint });
  await dynamo.send(
    new CreateTableCommand({
      TableName: 'iterators',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'nik', AttributeType: 'S' },
        { AttributeName: 'noKk', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'nik', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byFamily',
          KeySchema: [{ AttributeName: 'noKk', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (let i = 0; i < 6; i++) {
    const item = { nik: { S: `337101010190000${i}` }, noKk: { S: `337101010112000${i % 2}` } };
    await dynamo.send(new PutItemCommand({ TableName: 'iterators', Item: item }));
  }
});
afterAll(async () => {
  dynamo?.destroy();
  await emulators?.stop();
  base.close = close;
});

describe("dynalite's reads of the local environment", () => {
  it('close the iterator of every Query and Scan once answered', async () => {
    const before = closed;
    for (let i = 0; i < 10; i++) {
      const family = await dynamo.send(
        new QueryCommand({
          TableName: 'iterators',
          IndexName: 'byFamily',
          KeyConditionExpression: 'noKk = :kk',
          ExpressionAttributeValues: { ':kk': { S: `337101010112000${i % 2}` } },
        }),
      );
      expect(family.Count).toBe(3);
    }
    const scan = await dynamo.send(new ScanCommand({ TableName: 'iterators', Limit: 2 }));
    expect(scan.Count).toBe(2);
    expect(closed - before).toBeGreaterThanOrEqual(11);
  });
});
