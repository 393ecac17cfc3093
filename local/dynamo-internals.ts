/**
 * What the local DynamoDB (local/dynamo-tables.ts, local/dynamo-transactions.ts) uses of dynalite
 * 4.0.0's insides, typed, in one place: its database helpers (node_modules/dynalite/db/index.js), its
 * request validations, and the store it creates for a server, which dynalite keeps to itself and
 * dynaliteWithStore catches on the way. A dynalite upgrade is checked here first (and by
 * test/local/dynamo-transactions.test.ts, which exercises all of it through the real SDK client).
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import dynalite from 'dynalite';

export type AttributeMap = Record<string, Record<string, unknown>>;

export interface Table {
  TableName: string;
  TableStatus: string;
  KeySchema: unknown[];
  LocalSecondaryIndexes?: unknown[];
  GlobalSecondaryIndexes?: unknown[];
}

export interface IndexAction {
  index: string;
  key: string;
  item?: AttributeMap;
}

/** dynalite's errors: the HTTP status and the JSON body it answers with. */
export type DynamoError = Error & { statusCode?: number; body?: Record<string, unknown> };

export type BatchOperation = { type: 'put'; key: string; value: AttributeMap } | { type: 'del'; key: string };

type Callback<T = void> = (error: DynamoError | null, value: T) => void;

/** The store of db/index.js create(): the LevelDB database and its prefixed sub-databases. */
export interface DynaliteStore {
  db: { batch(operations: BatchOperation[], callback: (error?: Error | null) => void): void };
  tableDb: {
    get(name: string, callback: Callback<Table | undefined>): void;
    put(name: string, table: Table, callback: (error?: Error | null) => void): void;
    del(name: string, callback: (error?: Error | null) => void): void;
  };
  /** checkStatus (default when omitted): a table being created or deleted is not found. */
  getTable(name: string, checkStatus: boolean | Callback<Table>, callback?: Callback<Table>): void;
  getItemDb(name: string): {
    get(key: string, callback: (error: Error | null, item?: AttributeMap) => void): void;
    lock(keys: string[], callback: (release: (done: () => void) => () => void) => void): void;
  };
}

interface DynaliteDb {
  create(options: object): DynaliteStore;
  validateItem(item: AttributeMap, table: Table): DynamoError | undefined;
  validateKey(key: AttributeMap, table: Table): DynamoError | undefined;
  createKey(item: AttributeMap, table: Table): string;
  checkConditional(action: object, existing: AttributeMap | undefined): DynamoError | null | undefined;
  getIndexActions(
    indexes: unknown[],
    existing: AttributeMap | undefined,
    item: AttributeMap | undefined,
    table: Table,
  ): { puts: IndexAction[]; deletes: IndexAction[] };
  validationError(message: string): DynamoError;
}

/** The validations/<action>.js of an operation: its parameter types and its own checks. */
export interface ActionValidation {
  types: Record<string, unknown>;
  custom: (data: object, store: DynaliteStore) => string | undefined;
}

interface DynaliteValidations {
  checkTypes(data: object, types: Record<string, unknown>): Record<string, unknown>;
  checkValidations(
    data: object,
    types: Record<string, unknown>,
    custom: ActionValidation['custom'],
    store: DynaliteStore,
  ): void;
}

const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
export const db = fromDynalite('./db') as DynaliteDb;
export const validations = fromDynalite('./validations') as DynaliteValidations;
export const validationOf = (action: 'putItem' | 'deleteItem') =>
  fromDynalite(`./validations/${action}`) as ActionValidation;

export type DynaliteOptions = Parameters<typeof dynalite>[0];

/** dynalite's server and the store it answers from. */
export function dynaliteWithStore(options: DynaliteOptions): { server: Server; store: DynaliteStore } {
  let store: DynaliteStore | undefined;
  const create = db.create;
  db.create = (createOptions) => {
    store = create(createOptions);
    return store;
  };
  try {
    const server = dynalite(options);
    return { server, store: store as DynaliteStore };
  } finally {
    db.create = create;
  }
}
