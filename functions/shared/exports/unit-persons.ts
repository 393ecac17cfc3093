/**
 * The active persons of one export unit: a NIK range of a regency on the master's byRegency index
 * (partition key activeRegency, sort key nik), a page at a time in NIK order. A unit holds
 * fromNik <= nik < toNik (contracts' EXPORT_UNIT). A key condition has no `>= AND <`, so a unit between two
 * boundaries is read with BETWEEN fromNik AND toNik and the person at toNik, the first of the next unit,
 * is dropped here (a filter expression cannot name a key attribute); the first unit is `nik < toNik`, the
 * last `nik >= fromNik`.
 *
 * Beside DynamoDtksMaster.activeInRegency (master-repository.ts, not this module's to change) because the
 * repository's regency query and paging loop are private; folding this range into activeInRegency there
 * would leave one home for both.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { MasterRecord } from '#core/stipulation.ts';
import { type ExportUnit, TABLES } from '../contracts.ts';

const { regencyIndex } = TABLES.master;

export async function* activeInUnit(
  documents: DynamoDBDocumentClient,
  tableName: string,
  regency: string,
  { fromNik, toNik }: ExportUnit,
): AsyncGenerator<MasterRecord[]> {
  const range =
    fromNik && toNik
      ? { condition: '#nik BETWEEN :from AND :to', values: { ':from': fromNik, ':to': toNik } }
      : fromNik
        ? { condition: '#nik >= :from', values: { ':from': fromNik } }
        : { condition: '#nik < :to', values: { ':to': toNik } };
  const input: QueryCommandInput = {
    TableName: tableName,
    IndexName: regencyIndex.name,
    KeyConditionExpression: `#regency = :regency AND ${range.condition}`,
    ExpressionAttributeNames: { '#regency': regencyIndex.partitionKey, '#nik': regencyIndex.sortKey },
    ExpressionAttributeValues: { ':regency': regency, ...range.values },
  };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    const persons = ((page.Items ?? []) as MasterRecord[]).filter((person) => person.nik !== toNik);
    if (persons.length) yield persons;
    start = page.LastEvaluatedKey;
  } while (start);
}
