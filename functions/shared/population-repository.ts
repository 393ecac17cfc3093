/**
 * The population registry reference (TABLES.population), loaded from a Dukcapil extract. Implements
 * the PopulationRegistry port of core/ports.ts; a load writes the extract's people in BatchWriteItem
 * batches (a re-load overwrites each NIK with the newer extract's values, its statusNik too).
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PopulationRegistry, RegistryPerson } from '#core/ports.ts';
import type { PopulationPerson } from '#core/proposal.ts';
import type { RegistryRecord } from '#core/quality-control.ts';
import { batchGet, batchWrite, WRITE_BATCH_LIMIT } from './batch-writer.ts';
import { forEachConcurrently } from './concurrency.ts';

export class DynamoPopulationRegistry implements PopulationRegistry {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findByNik(niks: readonly string[]): Promise<Map<string, RegistryPerson>> {
    const items = await batchGet<Omit<RegistryPerson, 'statusNik'> & Partial<Pick<RegistryPerson, 'statusNik'>>>(
      this.documents,
      this.tableName,
      [...new Set(niks)].map((nik) => ({ nik })),
      { projection: ['nik', 'nama', 'kodeDesa', 'statusHidup', 'statusNik'] },
    );
    // An item a load wrote before status_nik existed has no statusNik: active, as an absent column reads.
    return new Map(items.map((item) => [item.nik, { ...item, statusNik: item.statusNik ?? 'AKTIF' }]));
  }

  /**
   * What the quality control compares an active master person with (core/quality-control.ts RegistryRecord):
   * the check's fields and the No. KK, never the rest of the person.
   */
  async findForScreening(niks: readonly string[]): Promise<Map<string, RegistryRecord>> {
    const items = await batchGet<Omit<RegistryRecord, 'statusNik'> & Partial<Pick<RegistryRecord, 'statusNik'>>>(
      this.documents,
      this.tableName,
      [...new Set(niks)].map((nik) => ({ nik })),
      { projection: ['nik', 'noKk', 'nama', 'kodeDesa', 'statusHidup', 'statusNik'], concurrency: 16 },
    );
    return new Map(items.map((item) => [item.nik, { ...item, statusNik: item.statusNik ?? 'AKTIF' }]));
  }

  /** Writes a batch of people (any size), several BatchWriteItem calls in flight. */
  async put(people: readonly PopulationPerson[], concurrency = 4): Promise<void> {
    const chunks: PopulationPerson[][] = [];
    for (let i = 0; i < people.length; i += WRITE_BATCH_LIMIT) chunks.push(people.slice(i, i + WRITE_BATCH_LIMIT));
    await forEachConcurrently(chunks, concurrency, (chunk) =>
      batchWrite(
        this.documents,
        this.tableName,
        chunk.map((person) => ({ PutRequest: { Item: { ...person } } })),
      ),
    );
  }
}

/** A person as the delta feed stores them: with the stamp of the delta line that last changed them. */
export interface StoredPopulationPerson extends PopulationPerson {
  /** core/population-delta.ts changeStamp; absent for a person only a full extract has written. */
  deltaStamp?: string;
}

/** What the person's item held when it was read: the condition of the write that replaces it. */
export type StoredVersion = { exists: false } | { exists: true; deltaStamp: string | undefined };

/** The record of a delta file applied to the table (its counts: no NIK). */
export interface AppliedDeltaFile {
  bucket: string;
  key: string;
  version: string;
  etag: string;
  appliedAt: string;
  summary: Record<string, unknown>;
}

/**
 * Ledger items share the table with the people: a partition key no NIK (16 digits) can take, so no
 * look-up by NIK meets one, and the ledger lives and dies with the table it describes.
 */
const DELTA_FILE_PREFIX = 'DELTA_FILE#';

/**
 * The delta feed's side of the population table (functions/load-population-delta): people read whole and
 * written back one by one, each write conditional on the item being as it was read (absent, or with the
 * same stamp), since BatchWriteItem takes no condition; and the ledger of applied files.
 */
export class DynamoPopulationDeltas {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The stored people of these NIKs (BatchGetItem), whole. */
  async findStored(niks: readonly string[]): Promise<Map<string, StoredPopulationPerson>> {
    const items = await batchGet<StoredPopulationPerson>(
      this.documents,
      this.tableName,
      [...new Set(niks)].map((nik) => ({ nik })),
    );
    return new Map(items.map((item) => [item.nik, item]));
  }

  /** One stored person, read consistently: after a write conflict, what the other writer left. */
  async findOneStored(nik: string): Promise<StoredPopulationPerson | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { nik }, ConsistentRead: true }),
    );
    return Item as StoredPopulationPerson | undefined;
  }

  /** Writes the person with its stamp if the item is still as read; false when another writer came first. */
  async writeChanged(person: PopulationPerson, deltaStamp: string, read: StoredVersion): Promise<boolean> {
    const condition = !read.exists
      ? { ConditionExpression: 'attribute_not_exists(nik)' }
      : read.deltaStamp === undefined
        ? { ConditionExpression: 'attribute_exists(nik) AND attribute_not_exists(deltaStamp)' }
        : {
            ConditionExpression: 'deltaStamp = :read',
            ExpressionAttributeValues: { ':read': read.deltaStamp },
          };
    try {
      await this.documents.send(
        new PutCommand({ TableName: this.tableName, Item: { ...person, deltaStamp }, ...condition }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** The record of this file (bucket, key, version, ETag) if it was applied already. */
  async appliedFile(file: Omit<AppliedDeltaFile, 'appliedAt' | 'summary'>): Promise<AppliedDeltaFile | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { nik: deltaFileId(file) }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { nik: _, ...record } = Item;
    return record as AppliedDeltaFile;
  }

  /** Records the file applied, once (conditional PutItem); false when another delivery recorded it first. */
  async recordApplied(record: AppliedDeltaFile): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { nik: deltaFileId(record), ...record },
          ConditionExpression: 'attribute_not_exists(nik)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

/** `DELTA_FILE#<sha256 of bucket, key, version, ETag>`: a key of bounded length whatever the object key. */
function deltaFileId(file: { bucket: string; key: string; version: string; etag: string }): string {
  const digest = createHash('sha256')
    .update(`${file.bucket}\n${file.key}\n${file.version}\n${file.etag}`)
    .digest('hex');
  return `${DELTA_FILE_PREFIX}${digest}`;
}
