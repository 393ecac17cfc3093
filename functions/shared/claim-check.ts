/**
 * Claims taken at the end of the integrity check, batch by batch in row order. The check has already
 * seen other proposals' claims (FAMILY_OVERLAP through the ClaimRegistry port); this closes the race of
 * two proposals checked at the same moment. The conditional claim write decides who came first:
 *  - a claim lost to a proposal that puts the person in ANOTHER family returns the row with
 *    FAMILY_OVERLAP (Pasal 8 ayat 3 huruf d: one person, one family), exactly as the check would have
 *    had it run a moment later;
 *  - a claim lost to a proposal that puts the person in the SAME family is no conflict of criterion 4,
 *    so the row stays accepted, as the check accepts it; should both proposals reach the same
 *    stipulation, the earlier approval wins there.
 * Only TAMBAH and UBAH rows claim, as only they place a person in a family.
 */
import type { ResultCode } from '#core/codes.ts';
import type { CheckedRow } from '#core/integrity.ts';
import type { DynamoClaimRegistry } from './claims-repository.ts';

const PLACES_IN_FAMILY: ReadonlySet<string> = new Set(['TAMBAH', 'UBAH']);

export interface ClaimedBatch {
  batch: CheckedRow[];
  /** Rows returned with FAMILY_OVERLAP because the claim was lost. */
  lost: number;
}

export async function claimAcceptedRows(
  claims: DynamoClaimRegistry,
  proposalId: string,
  batch: readonly CheckedRow[],
): Promise<ClaimedBatch> {
  const wanted = batch.filter(({ row, accepted }) => accepted && PLACES_IN_FAMILY.has(row.aksi));
  if (!wanted.length) return { batch: [...batch], lost: 0 };
  const holders = await claims.take(
    proposalId,
    wanted.map(({ row }) => ({ nik: row.nik, noKk: row.noKk })),
  );
  let lost = 0;
  const claimed = batch.map((checked) => {
    const holder = checked.accepted ? holders.get(checked.row.nik) : undefined;
    if (!holder || holder.noKk === checked.row.noKk) return checked;
    lost++;
    return { row: checked.row, accepted: false, codes: withCode(checked.codes, 'FAMILY_OVERLAP') };
  });
  return { batch: claimed, lost };
}

/** The codes with one more, kept sorted as the report contract wants. */
function withCode(codes: readonly ResultCode[], code: ResultCode): ResultCode[] {
  return [...new Set([...codes, code])].sort();
}
