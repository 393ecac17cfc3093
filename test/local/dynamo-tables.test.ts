/**
 * The local DynamoDB answers item requests from table descriptions kept in memory
 * (local/dynamo-tables.ts): a table deleted, or deleted and created again with another key or index,
 * is seen as it now is by the very next request.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, LOCAL_AWS, startEmulators } from '#local/emulators.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let emulators: Emulators;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  emulators = await startEmulators();
  dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: emulators.dynamoEndpoint, maxAttempts: 1 });
});
afterAll(async () => {
  dynamo?.destroy();
  await emulators?.stop();
});

const create = async (key: string, index?: string) => {
  await dynamo.send(
    new CreateTableCommand({
      TableName: 'changing',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: key, AttributeType: 'S' },
        ...(index ? [{ AttributeName: index, AttributeType: 'S' as const }] : []),
      ],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      ...(index
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: 'byOther',
                KeySchema: [{ AttributeName: index, KeyType: 'HASH' }],
                Projection: { ProjectionType: 'ALL' },
              },
            ],
          }
        : {}),
    }),
  );
  // Item requests answer ResourceNotFoundException until the table is ACTIVE, as on AWS.
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName: 'changing' });
};

describe('table descriptions of the local DynamoDB', () => {
  it('follow a table deleted and created again with another key and index', async () => {
    await create('a');
    await dynamo.send(new PutItemCommand({ TableName: 'changing', Item: { a: { S: '1' } } }));
    expect(
      (await dynamo.send(new GetItemCommand({ TableName: 'changing', Key: { a: { S: '1' } } }))).Item,
    ).toBeDefined();

    await dynamo.send(new DeleteTableCommand({ TableName: 'changing' }));
    await expect(
      dynamo.send(new GetItemCommand({ TableName: 'changing', Key: { a: { S: '1' } } })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);

    await create('b', 'noKk');
    await expect(dynamo.send(new PutItemCommand({ TableName: 'changing', Item: { a: { S: '1' } } }))).rejects.toThrow(
      'Missing the key b in the item',
    );
    await dynamo.send(new PutItemCommand({ TableName: 'changing', Item: { b: { S: '2' }, noKk: { S: 'x' } } }));
    const found = await dynamo.send(
      new QueryCommand({
        TableName: 'changing',
        IndexName: 'byOther',
        KeyConditionExpression: 'noKk = :x',
        ExpressionAttributeValues: { ':x': { S: 'x' } },
      }),
    );
    expect(found.Items).toEqual([{ b: { S: '2' }, noKk: { S: 'x' } }]);
  });
});
