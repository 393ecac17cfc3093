/**
 * The DTKS master (TABLES.master): one item per person ever stipulated, keyed by NIK. Deactivated
 * persons stay (status INACTIVE) and leave the sparse indexes, so every look-up of the integrity checks
 * sees active persons only. Implements the DtksMaster port of core/ports.ts and the writes of
 * stipulation: BatchWriteItem of whole records (putRecords), unconditional, so only under the master write
 * lease (master-lease.ts) that keeps every other writer away; putRecord's conditional single put seeds tests.
 */
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { DtksMaster, MasterMember } from '#core/ports.ts';
import type { MasterRecord } from '#core/stipulation.ts';
import { batchGet, batchWrite } from './batch-writer.ts';
import { forEachConcurrently } from './concurrency.ts';
import { TABLES } from './contracts.ts';
import type { WriteThrottle } from './write-throttle.ts';

const { familyIndex, regencyIndex, identityIndex } = TABLES.master;
const QUERY_CONCURRENCY = 16;

export class DynamoDtksMaster implements DtksMaster {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findByNik(niks: readonly string[]): Promise<Map<string, MasterMember>> {
    const items = await batchGet<MasterMember & { status: string }>(
      this.documents,
      this.tableName,
      [...new Set(niks)].map((nik) => ({ nik })),
      { projection: ['nik', 'noKk', 'hubunganKeluarga', 'status'] },
    );
    const found = new Map<string, MasterMember>();
    for (const { nik, noKk, hubunganKeluarga, status } of items) {
      if (status === 'ACTIVE') found.set(nik, { nik, noKk, hubunganKeluarga });
    }
    return found;
  }

  async findFamilies(noKks: readonly string[]): Promise<Map<string, MasterMember[]>> {
    const families = new Map<string, MasterMember[]>();
    await forEachConcurrently([...new Set(noKks)], QUERY_CONCURRENCY, async (noKk) => {
      const members: MasterMember[] = [];
      for await (const item of this.query({
        TableName: this.tableName,
        IndexName: familyIndex.name,
        KeyConditionExpression: '#kk = :kk',
        ProjectionExpression: 'nik, noKk, hubunganKeluarga',
        ExpressionAttributeNames: { '#kk': familyIndex.partitionKey },
        ExpressionAttributeValues: { ':kk': noKk },
      })) {
        members.push(item as unknown as MasterMember);
      }
      if (members.length) families.set(noKk, members);
    });
    return families;
  }

  async findByIdentity(keys: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    await forEachConcurrently([...new Set(keys)], QUERY_CONCURRENCY, async (key) => {
      const niks: string[] = [];
      for await (const item of this.query({
        TableName: this.tableName,
        IndexName: identityIndex.name,
        KeyConditionExpression: '#identity = :key',
        ProjectionExpression: 'nik',
        ExpressionAttributeNames: { '#identity': identityIndex.partitionKey },
        ExpressionAttributeValues: { ':key': key },
      })) {
        niks.push(String(item.nik));
      }
      if (niks.length) found.set(key, niks);
    });
    return found;
  }

  /** Whole records (active or not) by NIK, for stipulation. */
  async getRecords(niks: readonly string[]): Promise<Map<string, MasterRecord>> {
    const items = await batchGet<MasterRecord>(
      this.documents,
      this.tableName,
      [...new Set(niks)].map((nik) => ({ nik })),
    );
    return new Map(items.map((item) => [item.nik, item]));
  }

  /**
   * Writes a record if it is still as read: absent (`previousChange` undefined) or last written by
   * `previousChange`. Returns false when someone wrote it in between (re-read and merge again).
   */
  async putRecord(record: MasterRecord, previousChange: string | undefined): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ...(previousChange === undefined
            ? { ConditionExpression: 'attribute_not_exists(nik)' }
            : {
                ConditionExpression: 'lastChange = :previous',
                ExpressionAttributeValues: { ':previous': previousChange },
              }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Writes whole records, 25 per BatchWriteItem, at `throttle`'s pace (a record's write units: 1 per KB,
   * near enough its JSON's length). Unconditional: the caller holds the master write lease.
   */
  async putRecords(records: readonly MasterRecord[], throttle: WriteThrottle): Promise<void> {
    await batchWrite(
      this.documents,
      this.tableName,
      records.map((record) => ({ PutRequest: { Item: record as unknown as Record<string, unknown> } })),
      { throttle, unitsOf: (request) => Math.ceil(JSON.stringify(request).length / 1024) },
    );
  }

  /** True when the regency has at least one active person. */
  async hasActivePersons(regency: string): Promise<boolean> {
    const { Items } = await this.documents.send(
      new QueryCommand({ ...this.byRegency(regency), ProjectionExpression: 'nik', Limit: 1 }),
    );
    return (Items?.length ?? 0) > 0;
  }

  /** How many active persons a regency has (the stipulation guard's base): a COUNT query, no item read out. */
  async countActiveInRegency(regency: string): Promise<number> {
    let count = 0;
    for await (const page of this.pages({ ...this.byRegency(regency), Select: 'COUNT' })) count += page.Count ?? 0;
    return count;
  }

  /** Active persons of a regency in NIK order, a page at a time (for exports). */
  async *activeInRegency(regency: string): AsyncGenerator<MasterRecord[]> {
    for await (const page of this.pages(this.byRegency(regency))) {
      if (page.Items?.length) yield page.Items as MasterRecord[];
    }
  }

  /** The regency index holds active persons only: a query of it by regency reads that regency's active persons. */
  private byRegency(regency: string): QueryCommandInput {
    return {
      TableName: this.tableName,
      IndexName: regencyIndex.name,
      KeyConditionExpression: '#regency = :regency',
      ExpressionAttributeNames: { '#regency': regencyIndex.partitionKey },
      ExpressionAttributeValues: { ':regency': regency },
    };
  }

  private async *query(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>> {
    for await (const page of this.pages(input)) yield* page.Items ?? [];
  }

  private async *pages(input: QueryCommandInput): AsyncGenerator<QueryCommandOutput> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      yield page;
      start = page.LastEvaluatedKey;
    } while (start);
  }
}
