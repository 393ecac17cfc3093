/**
 * The population registry reference (TABLES.population), loaded from a Dukcapil extract. Implements
 * the PopulationRegistry port of core/ports.ts; a load writes the extract's people in BatchWriteItem
 * batches (a re-load overwrites each NIK with the newer extract's values, its statusNik too).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PopulationRegistry, RegistryPerson } from '#core/ports.ts';
import type { PopulationPerson } from '#core/proposal.ts';
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
