/**
 * TransactWriteItems for the local DynamoDB. dynalite 4.0.0 has no transactions, and the NIK claims
 * (functions/shared/claims-repository.ts) take theirs 100 conditional writes per request. This adds the
 * operation to dynalite's own server, as the API reference describes it, with dynalite's own request
 * validation, condition evaluation and index maintenance, so a transactional Put behaves exactly as a
 * PutItem does:
 *  - 1 to 100 actions, each exactly one of Put, Delete or ConditionCheck, at most one per item
 *    (ValidationException otherwise). Update is refused by name: nothing here needs it.
 *  - All or nothing: the items are locked (dynalite's per-table locks, the ones PutItem takes), every
 *    condition is evaluated, and only when all hold are the items and their index entries written, in
 *    one LevelDB batch, so a restart never finds half a transaction. Otherwise nothing is written and
 *    the answer is a TransactionCanceledException whose CancellationReasons say, in request order,
 *    ConditionalCheckFailed (with the item when ReturnValuesOnConditionCheckFailure is ALL_OLD) or None.
 *  - ClientRequestToken (the SDK sends one with every call): the same token with the same actions within
 *    10 minutes succeeds again without writing (a retried request after a lost answer); with other
 *    actions it is an IdempotentParameterMismatchException. The tokens live in memory: a restart of the
 *    emulators forgets them.
 * Transactions wait for each other on the locks instead of failing with TransactionConflict, so the
 * local DynamoDB never returns that code (AWS may: the callers retry it).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import {
  type AttributeMap,
  type BatchOperation,
  type DynaliteStore,
  type DynamoError,
  db,
  type Table,
  validationOf,
  validations,
} from './dynamo-internals.ts';

const TARGET = 'DynamoDB_20120810.TransactWriteItems';
/** TransactWriteItems: at most 100 actions per call. */
const MAX_ACTIONS = 100;
/** How long DynamoDB remembers a ClientRequestToken. */
const TOKEN_TTL_MS = 10 * 60_000;
/** dynalite's own limit on a request body. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** A transactional Put, Delete or ConditionCheck takes the parameters of PutItem or DeleteItem. */
const PUT = validationOf('putItem');
const DELETE = validationOf('deleteItem');

/** The parameters each kind of action takes (the API reference's Put, Delete and ConditionCheck). */
const PARAMETERS = {
  Put: ['TableName', 'Item', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'],
  Delete: ['TableName', 'Key', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'],
  ConditionCheck: ['TableName', 'Key', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'],
} as const;
type Kind = keyof typeof PARAMETERS;

/** One action, validated: what it writes (Put, Delete) or only checks (ConditionCheck). */
interface Action {
  kind: Kind;
  /** dynalite's parsed parameters (the condition is parsed into them by its validations). */
  data: Record<string, unknown> & { TableName: string };
  returnOldOnFailure: boolean;
  table: Table;
  key: string;
}

/** Adds TransactWriteItems to the operations dynalite's server answers from this store. */
export function addTransactions(server: Server, store: DynaliteStore): void {
  const transactions = new Transactions(store);
  const [dynaliteHandler] = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.headers['x-amz-target'] === TARGET) void transactions.handle(req, res);
    else dynaliteHandler?.(req, res);
  });
}

class Transactions {
  /** ClientRequestToken → the digest of its actions and when it was used. */
  private readonly tokens = new Map<string, { digest: string; at: number }>();

  constructor(private readonly store: DynaliteStore) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: { status: number; body: unknown };
    try {
      answer = { status: 200, body: await this.transactWrite(await readJson(req)) };
    } catch (error) {
      const { statusCode, body } = error as DynamoError;
      if (!statusCode || !body) {
        answer = {
          status: 500,
          body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) },
        };
      } else {
        answer = { status: statusCode, body };
      }
    }
    const body = JSON.stringify(answer.body);
    res.statusCode = answer.status;
    res.setHeader('x-amzn-RequestId', createHash('sha256').update(body).update(String(Math.random())).digest('hex'));
    res.setHeader('x-amz-crc32', crc32(body));
    res.setHeader('Content-Type', 'application/x-amz-json-1.0');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }

  async transactWrite(request: Record<string, unknown>): Promise<Record<string, never>> {
    const actions = await this.validate(request);
    const token = typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : undefined;
    const digest = createHash('sha256').update(JSON.stringify(request.TransactItems)).digest('hex');
    const release = await this.lock(actions);
    try {
      // Under the locks: a retry of this very request waits for it, then finds its token.
      if (token && this.seen(token, digest)) return {};
      const existing = await Promise.all(actions.map((action) => this.read(action)));
      const failed = actions.map((action, i) => db.checkConditional(action.data, existing[i]) != null);
      if (failed.some(Boolean)) throw cancelled(actions, existing, failed);
      await this.write(actions, existing);
      if (token) this.tokens.set(token, { digest, at: Date.now() });
      return {};
    } finally {
      release();
    }
  }

  /** The actions, validated as dynalite validates a PutItem or DeleteItem, and their tables and keys. */
  private async validate(request: Record<string, unknown>): Promise<Action[]> {
    for (const parameter of ['ReturnConsumedCapacity', 'ReturnItemCollectionMetrics'] as const) {
      if (request[parameter] !== undefined && request[parameter] !== 'NONE') {
        throw db.validationError(`${parameter} is not implemented for TransactWriteItems by the local DynamoDB`);
      }
    }
    const items = request.TransactItems;
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_ACTIONS) {
      throw db.validationError(
        `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and ${MAX_ACTIONS}`,
      );
    }
    const actions: Action[] = [];
    const keys = new Set<string>();
    const tables = new Map<string, Promise<Table>>();
    for (const [i, item] of (items as Record<string, Record<string, unknown> | null>[]).entries()) {
      const given = Object.keys(item ?? {}).filter((name) => item?.[name] != null);
      const kind = given[0];
      if (given.length !== 1 || !kind) {
        throw db.validationError('TransactItems can only contain one of Check, Put, Update or Delete');
      }
      if (kind === 'Update') {
        throw db.validationError(
          'Update in TransactWriteItems is not implemented by the local DynamoDB (local/dynamo-transactions.ts): use Put, Delete or ConditionCheck',
        );
      }
      if (!(kind in PARAMETERS)) throw db.validationError(`TransactItems.${i + 1}: unknown action ${kind}`);
      const action = await this.validateAction(kind as Kind, item?.[kind] as Record<string, unknown>, tables);
      const identity = `${action.table.TableName}\u0000${action.key}`;
      if (keys.has(identity)) {
        throw db.validationError('Transaction request cannot include multiple operations on one item');
      }
      keys.add(identity);
      actions.push(action);
    }
    return actions;
  }

  private async validateAction(
    kind: Kind,
    given: Record<string, unknown>,
    tables: Map<string, Promise<Table>>,
  ): Promise<Action> {
    const onFailure = given.ReturnValuesOnConditionCheckFailure;
    if (onFailure !== undefined && onFailure !== 'ALL_OLD' && onFailure !== 'NONE') {
      throw db.validationError(
        `1 validation error detected: Value '${String(onFailure)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
      );
    }
    if (kind === 'ConditionCheck' && typeof given.ConditionExpression !== 'string') {
      throw db.validationError('The parameter ConditionExpression is required for a ConditionCheck');
    }
    const { types, custom } = kind === 'Put' ? PUT : DELETE;
    const parameters = Object.fromEntries(
      PARAMETERS[kind].filter((name) => name in given).map((name) => [name, given[name]]),
    );
    const data = validations.checkTypes(parameters, types) as Action['data'];
    validations.checkValidations(data, types, custom, this.store);
    // Each table once per request (a hundred claims name the same one).
    let found = tables.get(data.TableName);
    if (!found) {
      found = new Promise<Table>((resolve, reject) =>
        this.store.getTable(data.TableName, (error, table) => (error ? reject(error) : resolve(table))),
      );
      tables.set(data.TableName, found);
    }
    const table = await found;
    const item = (kind === 'Put' ? data.Item : data.Key) as AttributeMap;
    const invalid = kind === 'Put' ? db.validateItem(item, table) : db.validateKey(item, table);
    if (invalid) throw invalid;
    return { kind, data, returnOldOnFailure: onFailure === 'ALL_OLD', table, key: db.createKey(item, table) };
  }

  /** Whether this token already wrote these actions (then nothing is written again). */
  private seen(token: string, digest: string): boolean {
    const now = Date.now();
    for (const [old, { at }] of this.tokens) {
      if (now - at < TOKEN_TTL_MS) break;
      this.tokens.delete(old);
    }
    const earlier = this.tokens.get(token);
    if (!earlier) return false;
    if (earlier.digest === digest) return true;
    throw Object.assign(new Error('IdempotentParameterMismatch'), {
      statusCode: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException',
        message:
          'Request parameters do not match the parameters of an earlier request with the same ClientRequestToken',
      },
    });
  }

  /**
   * Locks every item, as PutItem and DeleteItem lock theirs. All the lock requests are queued in one
   * synchronous pass, so two transactions queue in the same order on every item they share: no deadlock.
   */
  private lock(actions: readonly Action[]): Promise<() => void> {
    const byTable = new Map<string, string[]>();
    for (const { table, key } of actions) byTable.set(table.TableName, [...(byTable.get(table.TableName) ?? []), key]);
    return new Promise((resolve) => {
      const releases: (() => void)[] = [];
      for (const [tableName, keys] of byTable) {
        this.store.getItemDb(tableName).lock(keys, (release) => {
          releases.push(release(() => undefined));
          if (releases.length === byTable.size) {
            resolve(() => {
              for (const done of releases) done();
            });
          }
        });
      }
    });
  }

  private read({ table, key }: Action): Promise<AttributeMap | undefined> {
    return new Promise((resolve, reject) =>
      this.store.getItemDb(table.TableName).get(key, (error, item) => {
        if (error && error.name !== 'NotFoundError') reject(error);
        else resolve(item ?? undefined);
      }),
    );
  }

  /**
   * The items and their index entries in one batch, under the keys dynalite's sub-databases give them
   * (db/index.js getItemDb, getIndexDb: `item-<table>~`, `index-<local|global>~<table>~<index>~`).
   */
  private write(actions: readonly Action[], existing: readonly (AttributeMap | undefined)[]): Promise<void> {
    const operations: BatchOperation[] = [];
    actions.forEach(({ kind, data, table, key }, i) => {
      if (kind === 'ConditionCheck') return;
      const item = kind === 'Put' ? (data.Item as AttributeMap) : undefined;
      for (const type of ['Local', 'Global'] as const) {
        const indexes = table[`${type}SecondaryIndexes`] ?? [];
        const { puts, deletes } = db.getIndexActions(indexes, existing[i], item, table);
        const prefix = (index: string) => `index-${type.toLowerCase()}~${table.TableName}~${index}~`;
        for (const entry of deletes) operations.push({ type: 'del', key: prefix(entry.index) + entry.key });
        for (const entry of puts) {
          operations.push({ type: 'put', key: prefix(entry.index) + entry.key, value: entry.item as AttributeMap });
        }
      }
      const itemKey = `item-${table.TableName}~${key}`;
      operations.push(item ? { type: 'put', key: itemKey, value: item } : { type: 'del', key: itemKey });
    });
    if (!operations.length) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.store.db.batch(operations, (error) => (error ? reject(error) : resolve())),
    );
  }
}

/** The TransactionCanceledException of a transaction whose conditions did not all hold. */
function cancelled(
  actions: readonly Action[],
  existing: readonly (AttributeMap | undefined)[],
  failed: readonly boolean[],
): DynamoError {
  const reasons = actions.map(({ returnOldOnFailure }, i) => {
    if (!failed[i]) return { Code: 'None' };
    const item = returnOldOnFailure ? existing[i] : undefined;
    return {
      Code: 'ConditionalCheckFailed',
      Message: 'The conditional request failed',
      ...(item ? { Item: item } : {}),
    };
  });
  const message = `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map(({ Code }) => Code).join(', ')}]`;
  return Object.assign(new Error(message), {
    statusCode: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      Message: message,
      CancellationReasons: reasons,
    },
  });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_REQUEST_BYTES) throw serializationError('Request body too large');
    chunks.push(chunk);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw serializationError('The request body is not a JSON object');
}

function serializationError(message: string): DynamoError {
  return Object.assign(new Error(message), {
    statusCode: 400,
    body: { __type: 'com.amazon.coral.service#SerializationException', Message: message },
  });
}
