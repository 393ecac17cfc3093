/**
 * TransactWriteItems on the local DynamoDB (local/dynamo-transactions.ts), through the real SDK client:
 * all or nothing, the cancellation reasons in request order, the indexes kept as PutItem keeps them,
 * dynalite's own validation, the idempotency token, and the writes still there after a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, LOCAL_AWS, startEmulators } from '#local/emulators.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const TABLE = 'claims';
let dataDir: string;
let emulators: Emulators;
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;

async function start(): Promise<void> {
  emulators = await startEmulators({ dataDir });
  // No retries: an answer the test does not expect shows as it is.
  client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: emulators.dynamoEndpoint, maxAttempts: 1 });
  documents = DynamoDBDocumentClient.from(client);
}

async function stop(): Promise<void> {
  client?.destroy();
  await emulators?.stop();
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-transactions-'));
  await start();
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'nik', AttributeType: 'S' },
        { AttributeName: 'proposalId', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'nik', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byProposal',
          KeySchema: [{ AttributeName: 'proposalId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  // CreateTable answers while the table is CREATING, and item requests get ResourceNotFoundException until it
  // is ACTIVE (as on AWS; locally a moment later, longer on a loaded machine): wait, as a client must.
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: TABLE });
});
afterAll(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

const claim = (nik: string, proposalId: string) => ({
  Put: {
    TableName: TABLE,
    Item: { nik, proposalId },
    ConditionExpression: 'attribute_not_exists(nik) OR proposalId = :me',
    ExpressionAttributeValues: { ':me': proposalId },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  },
});
const get = async (nik: string) => (await documents.send(new GetCommand({ TableName: TABLE, Key: { nik } }))).Item;
const byProposal = async (proposalId: string) =>
  (
    await documents.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'byProposal',
        KeyConditionExpression: 'proposalId = :p',
        ExpressionAttributeValues: { ':p': proposalId },
      }),
    )
  ).Items?.map((item) => item.nik as string).sort();

async function cancellation(request: Promise<unknown>): Promise<TransactionCanceledException> {
  const error = await request.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TransactionCanceledException);
  return error as TransactionCanceledException;
}

describe('TransactWriteItems on the local DynamoDB', () => {
  it('writes every item and its index entries when every condition holds', async () => {
    await documents.send(
      new TransactWriteCommand({ TransactItems: ['01', '02', '03'].map((n) => claim(`n${n}`, 'A')) }),
    );
    expect(await get('n01')).toEqual({ nik: 'n01', proposalId: 'A' });
    expect(await byProposal('A')).toEqual(['n01', 'n02', 'n03']);
  });

  it('writes nothing when one condition fails, and says which in request order', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: { nik: 'n11', proposalId: 'A' } }));
    const error = await cancellation(
      documents.send(new TransactWriteCommand({ TransactItems: ['10', '11', '12'].map((n) => claim(`n${n}`, 'B')) })),
    );
    expect(error.CancellationReasons?.map(({ Code }) => Code)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    // The holder comes back with ALL_OLD, as the wire format has it (attribute values).
    expect(error.CancellationReasons?.[1]?.Item).toEqual({ nik: { S: 'n11' }, proposalId: { S: 'A' } });
    expect(error.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]',
    );
    expect(await get('n10')).toBeUndefined();
    expect(await get('n12')).toBeUndefined();
    expect(await byProposal('B')).toEqual([]);
  });

  it('deletes, moves index entries and checks conditions in one transaction', async () => {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: TABLE,
              Key: { nik: 'n01' },
              ConditionExpression: 'proposalId = :me',
              ExpressionAttributeValues: { ':me': 'A' },
            },
          },
          { Put: { TableName: TABLE, Item: { nik: 'n02', proposalId: 'C' } } },
          {
            ConditionCheck: {
              TableName: TABLE,
              Key: { nik: 'n03' },
              ConditionExpression: 'proposalId = :me',
              ExpressionAttributeValues: { ':me': 'A' },
            },
          },
        ],
      }),
    );
    expect(await get('n01')).toBeUndefined();
    expect(await byProposal('A')).toEqual(['n03', 'n11']);
    expect(await byProposal('C')).toEqual(['n02']);

    const error = await cancellation(
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { nik: 'n20', proposalId: 'C' } } },
            {
              ConditionCheck: {
                TableName: TABLE,
                Key: { nik: 'n03' },
                ConditionExpression: 'proposalId = :me',
                ExpressionAttributeValues: { ':me': 'C' },
              },
            },
          ],
        }),
      ),
    );
    // Without ReturnValuesOnConditionCheckFailure, no item comes back.
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
    ]);
    expect(await get('n20')).toBeUndefined();
  });

  it("refuses what DynamoDB refuses, with dynalite's own validation", async () => {
    const refusal = (items: unknown[]) =>
      documents.send(new TransactWriteCommand({ TransactItems: items as never })).then(
        () => undefined,
        (error: Error) => `${error.name}: ${error.message}`,
      );
    expect(await refusal([claim('n30', 'A'), claim('n30', 'A')])).toBe(
      'ValidationException: Transaction request cannot include multiple operations on one item',
    );
    expect(await refusal(Array.from({ length: 101 }, (_, i) => claim(`m${i}`, 'A')))).toMatch(
      /^ValidationException: .*transactItems.*100/,
    );
    expect(await refusal([{ Put: { TableName: TABLE, Item: { proposalId: 'A' } } }])).toBe(
      'ValidationException: One or more parameter values were invalid: Missing the key nik in the item',
    );
    expect(
      await refusal([{ Put: { TableName: TABLE, Item: { nik: 'n31' }, ConditionExpression: 'proposalId = :me' } }]),
    ).toMatch(/^ValidationException: .*:me/);
    expect(await refusal([{ Put: { TableName: 'nowhere', Item: { nik: 'n31' } } }])).toMatch(
      /^ResourceNotFoundException/,
    );
    expect(
      await refusal([
        {
          Update: {
            TableName: TABLE,
            Key: { nik: 'n31' },
            UpdateExpression: 'SET proposalId = :p',
            ExpressionAttributeValues: { ':p': 'A' },
          },
        },
      ]),
    ).toMatch(/^ValidationException: Update in TransactWriteItems is not implemented by the local DynamoDB/);
    expect(await refusal([{ Put: claim('n32', 'A').Put, Delete: { TableName: TABLE, Key: { nik: 'n33' } } }])).toBe(
      'ValidationException: TransactItems can only contain one of Check, Put, Update or Delete',
    );
    expect(await get('n30')).toBeUndefined();
    expect(await get('n31')).toBeUndefined();
  });

  it('answers a repeated ClientRequestToken without writing again, and refuses it for other actions', async () => {
    const request = {
      ClientRequestToken: 'token-1',
      TransactItems: [{ Put: { TableName: TABLE, Item: { nik: { S: 'n40' }, proposalId: { S: 'D' } } } }],
    };
    await client.send(new TransactWriteItemsCommand(request));
    await documents.send(new PutCommand({ TableName: TABLE, Item: { nik: 'n40', proposalId: 'E' } }));
    await client.send(new TransactWriteItemsCommand(request));
    expect(await get('n40')).toEqual({ nik: 'n40', proposalId: 'E' });
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          ...request,
          TransactItems: [{ Put: { TableName: TABLE, Item: { nik: { S: 'n41' }, proposalId: { S: 'D' } } } }],
        }),
      ),
    ).rejects.toThrow(expect.objectContaining({ name: 'IdempotentParameterMismatchException' }));
  });

  it('keeps what it wrote across a restart of the emulators', async () => {
    await documents.send(new TransactWriteCommand({ TransactItems: ['50', '51'].map((n) => claim(`n${n}`, 'F')) }));
    await stop();
    await start();
    expect(await get('n50')).toEqual({ nik: 'n50', proposalId: 'F' });
    expect(await byProposal('F')).toEqual(['n50', 'n51']);
  });
});
