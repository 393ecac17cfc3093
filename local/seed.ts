/**
 * Seeding the local DTKS master from a master extract: the DTKS as stipulated before the local
 * environment existed (in production the master is loaded once, when the pipeline takes over). Each
 * person becomes the record the stipulation's own merge rule makes of a TAMBAH of the row as staged
 * (RT and RW with three digits, storeRtRw), so seeded records are indistinguishable from stipulated
 * ones, and seeding twice changes nothing.
 */
import type { MasterPerson } from '#core/proposal.ts';
import { DEFAULT_SOURCE, type ProposalSource } from '#core/source.ts';
import { applyChange, changeFromRow } from '#core/stipulation.ts';
import { storeRtRw } from '#shared/staging.ts';

/** The proposal id seeded records carry as their source. */
export const SEED_PROPOSAL_ID = 'seed';
/** Their source (`sumber`): before the pipeline, data entered DTKS through the regency (core/source.ts). */
export const SEED_SOURCE: ProposalSource = DEFAULT_SOURCE;

export async function seedMaster(
  persons: AsyncIterable<MasterPerson[]> | Iterable<MasterPerson[]>,
  period: string,
  tableName = process.env.MASTER_TABLE ?? '',
): Promise<number> {
  // Imported here: the shared clients read their endpoints from process.env when first loaded.
  const [{ documents }, { batchWrite }] = await Promise.all([
    import('#shared/clients.ts'),
    import('#shared/batch-writer.ts'),
  ]);
  let line = 0;
  let written = 0;
  for await (const batch of persons) {
    const items = [];
    const rows = storeRtRw(batch.map((person) => ({ ...person, line: ++line, aksi: 'TAMBAH' as const, alasan: '' })));
    for (const row of rows) {
      // The master as it stood came from the regencies' deliberations: the source of every seeded record.
      const change = changeFromRow(row, SEED_PROPOSAL_ID, period, SEED_SOURCE);
      const record = applyChange(undefined, change);
      if (record !== 'UNCHANGED') items.push({ PutRequest: { Item: record as unknown as Record<string, unknown> } });
    }
    await batchWrite(documents, tableName, items);
    written += items.length;
  }
  return written;
}
