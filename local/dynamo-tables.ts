/**
 * dynalite reads a table's description from LevelDB (a get and a JSON parse) at the start of every item
 * request: a Query, a GetItem, each table of a BatchGetItem. Descriptions change only through CreateTable,
 * UpdateTable and DeleteTable, which write them back through the store's table database, so the item
 * requests are answered from memory: an ACTIVE table's description as last read, dropped at every write
 * of it. Only the status-checked reads of the item operations are served (they only read the
 * description; the table operations, which change theirs in place, still read their own copy).
 */
import type { DynaliteStore, DynamoError, Table } from './dynamo-internals.ts';

export function cacheTableDescriptions(store: DynaliteStore): void {
  const cached = new Map<string, Table>();
  // Bumped at every write of a description: a read that started before the write is not cached.
  const versions = new Map<string, number>();
  const changed = (name: string) => {
    cached.delete(name);
    versions.set(name, (versions.get(name) ?? 0) + 1);
  };

  const { tableDb } = store;
  const put = tableDb.put.bind(tableDb);
  const del = tableDb.del.bind(tableDb);
  tableDb.put = (name, table, callback) => {
    changed(name);
    put(name, table, callback);
  };
  tableDb.del = (name, callback) => {
    changed(name);
    del(name, callback);
  };

  const getTable = store.getTable.bind(store);
  store.getTable = (name, checkStatus, callback) => {
    // getTable(name, callback) checks the status, as getTable(name, true, callback) does.
    const done = (typeof checkStatus === 'function' ? checkStatus : callback) as (
      error: DynamoError | null,
      table: Table,
    ) => void;
    if (checkStatus === false) return getTable(name, false, done);
    const table = cached.get(name);
    if (table) return void setImmediate(done, null, table);
    const version = versions.get(name);
    getTable(name, true, (error, found) => {
      if (!error && found.TableStatus === 'ACTIVE' && versions.get(name) === version) cached.set(name, found);
      done(error, found);
    });
  };
}
